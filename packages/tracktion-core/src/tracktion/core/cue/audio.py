"""The duration of a sheet's audio, probed through ``tracktion.audio`` when installed.

``tracktion.core`` does not depend on ``tracktion.audio``; the import happens on use, and
callers that know the duration pass it in instead.
"""

from __future__ import annotations

import os

from .errors import CueAudioError

__all__ = ["AudioProbeUnavailableError", "probe_duration"]


class AudioProbeUnavailableError(CueAudioError, ImportError):
    """``tracktion-audio`` is not installed, so no audio file can be probed."""


def probe_duration(path: str | os.PathLike[str]) -> float:
    """The duration of the audio file at ``path``, in seconds, from its header.

    Raises:
        AudioProbeUnavailableError: ``tracktion-audio`` is not installed.
        CueAudioError: the file is missing, unreadable or not audio (the message names it).
    """
    name = os.fspath(path)
    try:
        from tracktion.audio.decode import probe
    except ImportError:
        raise AudioProbeUnavailableError(
            "probing audio needs the tracktion-audio package: pip install tracktion-audio; "
            "or pass the duration in seconds"
        ) from None
    from tracktion.contracts import TracktionError

    try:
        info = probe(name)
    except TracktionError as exc:
        raise CueAudioError(str(exc)) from None
    except OSError as exc:
        raise CueAudioError(f"{name}: cannot be read: {exc.strerror or exc}") from None
    if info.duration_s is None:
        raise CueAudioError(f"{name}: its header does not say how long it is")
    return float(info.duration_s)
