"""CUE files from tracklists: render for a profile, validate, and write only what is valid.

Shared by ``tracktion cue generate`` and the tracklist service, so that both refuse the
same sheets: a sheet is written only when :func:`tracktion.core.cue.validate_cue` finds
no error in the exact bytes that are written (against the audio file when one is given).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

from ..cue import (
    CueError,
    CueSheet,
    CueValidationReport,
    RenderedCue,
    render_cue,
    validate_cue,
    write_cue,
)
from .cuesheet import tracklist_to_cue
from .errors import TracklistError
from .model import Tracklist

__all__ = ["GeneratedCue", "generate_cue", "write_generated_cue"]


@dataclass(frozen=True, slots=True)
class GeneratedCue:
    """A rendered sheet and its validation.

    Attributes:
        sheet: The sheet before the profile's changes.
        rendered: The bytes and text for the profile, with its warnings.
        report: The validator's verdict on ``rendered.data``.
        checksum_sha256: SHA-256 of ``rendered.data`` (64 hex digits).
        size_bytes: Length of ``rendered.data``.
    """

    sheet: CueSheet
    rendered: RenderedCue
    report: CueValidationReport
    checksum_sha256: str
    size_bytes: int

    @property
    def is_valid(self) -> bool:
        """Whether the sheet passed validation (and may be written)."""
        return self.report.is_valid


def generate_cue(
    tracklist: Tracklist,
    *,
    profile: str,
    audio_file: str,
    duration_s: float | None = None,
    audio_path: str | os.PathLike[str] | None = None,
) -> GeneratedCue:
    """Render ``tracklist`` as a CUE sheet for ``profile`` and validate the bytes.

    Args:
        profile: A CUE profile name (``standard``, ``serato``, ``traktor``, ``cdj``,
            ``rekordbox``, ``kodi``).
        audio_file: The name the sheet's ``FILE`` gives the mix.
        duration_s: The mix's length in seconds, when known.
        audio_path: The mix on disk, to validate every index against (probed).

    Raises:
        TracklistError: the tracklist cannot become a sheet (times missing or out of
            order), the profile is unknown, or the profile cannot hold the sheet; the
            message says which.
    """
    sheet = tracklist_to_cue(tracklist, audio_file=audio_file, duration_s=duration_s)
    try:
        rendered = render_cue(sheet, profile)
        report = validate_cue(
            rendered.data,
            profile=profile,
            audio_path=audio_path,
            audio_duration_s=duration_s,
            source=f"<{profile} sheet>",
        )
    except CueError as exc:
        raise TracklistError(f"cannot render a {profile} sheet: {exc}") from exc
    return GeneratedCue(
        sheet=sheet,
        rendered=rendered,
        report=report,
        checksum_sha256=hashlib.sha256(rendered.data).hexdigest(),
        size_bytes=len(rendered.data),
    )


def write_generated_cue(
    generated: GeneratedCue, path: str | os.PathLike[str], *, overwrite: bool = False
) -> None:
    """Write a valid generated sheet to ``path`` atomically (a temporary file beside it,
    synced, moved into place).

    Raises:
        TracklistError: the sheet failed validation (nothing is written; the message lists
            the errors), ``path`` exists without ``overwrite``, or it cannot be written.
    """
    if not generated.is_valid:
        problems = "; ".join(str(issue) for issue in generated.report.errors[:10])
        raise TracklistError(f"{os.fspath(path)}: not written, the sheet is invalid: {problems}")
    try:
        rendered = write_cue(generated.sheet, path, generated.rendered.profile, overwrite=overwrite)
    except CueError as exc:
        raise TracklistError(f"{os.fspath(path)}: {exc}") from exc
    # Rendering is deterministic; a difference would mean a checksum that lies.
    if rendered.data != generated.rendered.data:
        raise TracklistError(f"{os.fspath(path)}: the written sheet differs from the validated one")
