"""The audio formats Tracktion catalogs and analyzes: one list, in one place.

>>> audio_format("/music/Track.M4A")
AudioFormat(extension='.m4a', file_type='m4a', format_family='mp4')
>>> audio_format("/music/cover.jpg") is None
True
"""

from __future__ import annotations

import os
from dataclasses import dataclass

__all__ = ["AUDIO_FORMATS", "AudioFormat", "audio_format", "is_audio_path"]


@dataclass(frozen=True, slots=True)
class AudioFormat:
    """A supported file-name extension, with the contract's ``file_type`` and family."""

    extension: str
    """Lower case, with its dot: ``.flac``."""
    file_type: str
    """The ``file_type`` of file events: ``flac``."""
    format_family: str
    """The container family: ``mp4`` for ``.m4a``, ``ogg`` for ``.oga`` and ``.opus``."""


AUDIO_FORMATS: tuple[AudioFormat, ...] = (
    AudioFormat(".mp3", "mp3", "mp3"),
    AudioFormat(".flac", "flac", "flac"),
    AudioFormat(".wav", "wav", "wav"),
    AudioFormat(".wave", "wav", "wav"),
    AudioFormat(".aif", "aiff", "aiff"),
    AudioFormat(".aiff", "aiff", "aiff"),
    AudioFormat(".aifc", "aiff", "aiff"),
    AudioFormat(".m4a", "m4a", "mp4"),
    AudioFormat(".mp4", "mp4", "mp4"),
    AudioFormat(".m4b", "m4a", "mp4"),
    AudioFormat(".alac", "alac", "mp4"),
    AudioFormat(".ogg", "ogg", "ogg"),
    AudioFormat(".oga", "ogg", "ogg"),
    AudioFormat(".opus", "opus", "ogg"),
    AudioFormat(".wma", "wma", "asf"),
    AudioFormat(".aac", "aac", "aac"),
)
"""Every supported extension, in a stable order."""

_BY_EXTENSION = {fmt.extension: fmt for fmt in AUDIO_FORMATS}


def audio_format(path: str | os.PathLike[str]) -> AudioFormat | None:
    """The format of ``path`` by its extension (case-insensitive), or ``None``."""
    return _BY_EXTENSION.get(os.path.splitext(os.fspath(path))[1].lower())


def is_audio_path(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` has a supported audio extension."""
    return audio_format(path) is not None
