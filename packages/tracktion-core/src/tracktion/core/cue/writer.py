"""Render CUE sheets for a profile, and write them atomically."""

from __future__ import annotations

import codecs
import contextlib
import os
import tempfile
from dataclasses import dataclass

from ._adapt import CueChange, adapt
from .errors import CueRenderError, CueWriteError
from .issues import CueIssue
from .model import CueRem, CueSheet, CueTrack
from .profiles import CueProfile, get_profile

__all__ = ["RenderedCue", "render_cue", "serialize", "write_cue"]

_BOMS = {
    "utf-8": codecs.BOM_UTF8,
    "utf-16-le": codecs.BOM_UTF16_LE,
    "utf-16-be": codecs.BOM_UTF16_BE,
}

_BARE_REM_KEYS = frozenset({"DATE", "DISCID", "DISCNUMBER", "TOTALDISCS"})


@dataclass(frozen=True, slots=True)
class RenderedCue:
    """A sheet rendered for one profile.

    Attributes:
        data: The bytes to write (the profile's codec, byte order mark, line ends).
        text: The same sheet as text.
        profile: The profile's name.
        sheet: The model the text holds (after the profile's changes).
        changes: What the profile dropped or rewrote (see :class:`CueChange`).
        warnings: The changes as warnings, plus warnings the validator found in the output.
    """

    data: bytes
    text: str
    profile: str
    sheet: CueSheet
    changes: tuple[CueChange, ...] = ()
    warnings: tuple[CueIssue, ...] = ()


def _quote(value: str) -> str:
    return f'"{value}"'


def _rem(rem: CueRem) -> str:
    if not rem.value:
        return f"REM {rem.key}".rstrip()
    padded = rem.value != rem.value.strip() or rem.value.startswith('"')
    spaced = any(char.isspace() for char in rem.value)
    # Readers take numbers (DATE, REPLAYGAIN_*) with atoi/atof: a quote would hide them.
    bare = rem.name in _BARE_REM_KEYS or rem.name.startswith("REPLAYGAIN_")
    quoted = padded or (spaced and not bare)
    return f"REM {rem.key} {_quote(rem.value) if quoted else rem.value}"


def serialize(sheet: CueSheet, profile: CueProfile) -> str:
    """The sheet's text in the profile's layout, without changing anything in it.

    Call it on a sheet :func:`render_cue` adapted; quotes and control characters in the
    model are written as they are.
    """
    lines: list[str] = [_rem(rem) for rem in sheet.rems]
    if sheet.catalog is not None:
        lines.append(f"CATALOG {sheet.catalog}")
    if sheet.cdtextfile is not None:
        lines.append(f"CDTEXTFILE {_quote(sheet.cdtextfile)}")
    for keyword, value in (
        ("PERFORMER", sheet.performer),
        ("TITLE", sheet.title),
        ("SONGWRITER", sheet.songwriter),
    ):
        if value is not None:
            lines.append(f"{keyword} {_quote(value)}")
    written = -1

    def switch(position: int | None) -> None:
        nonlocal written
        if position is None:
            return
        while written < position and written + 1 < len(sheet.files):
            written += 1
            file = sheet.files[written]
            lines.append(f"FILE {_quote(file.name)} {file.file_type}")

    one, two = profile.indent, profile.indent * 2
    for track in sheet.tracks:
        switch(track.file)
        lines.append(f"{one}TRACK {track.number:02d} {track.datatype}")
        lines.extend(two + line for line in _track_fields(track))
        for index in track.indexes:
            switch(index.file)
            lines.append(f"{two}INDEX {index.number:02d} {index.time}")
        if track.postgap is not None:
            lines.append(f"{two}POSTGAP {track.postgap}")
    switch(len(sheet.files) - 1)
    return profile.newline.join(lines) + profile.newline


def _track_fields(track: CueTrack) -> list[str]:
    lines = [
        f"{keyword} {_quote(value)}"
        for keyword, value in (
            ("TITLE", track.title),
            ("PERFORMER", track.performer),
            ("SONGWRITER", track.songwriter),
        )
        if value is not None
    ]
    if track.isrc is not None:
        lines.append(f"ISRC {track.isrc}")
    if track.flags:
        lines.append("FLAGS " + " ".join(track.flags))
    lines.extend(_rem(rem) for rem in track.rems)
    if track.pregap is not None:
        lines.append(f"PREGAP {track.pregap}")
    return lines


def render_cue(sheet: CueSheet, profile: str | CueProfile, *, strict: bool = True) -> RenderedCue:
    """Render ``sheet`` for ``profile`` (a name such as ``"standard"`` or a profile).

    The profile's rules are applied first (see :class:`CueChange` in the result); then,
    with ``strict``, the rendered bytes are parsed and validated against the profile, so
    a sheet that would fail its own validator is never returned.

    Raises:
        UnknownCueProfileError: no profile has that name.
        CueRenderError: the profile cannot hold the sheet, or the result is invalid (the
            message lists the validator's errors with their lines).
    """
    from .validator import validate_cue

    chosen = get_profile(profile)
    adaptation = adapt(sheet, chosen)
    text = serialize(adaptation.sheet, chosen)
    data = text.encode(chosen.encoding)
    if chosen.bom:
        data = _BOMS.get(codecs.lookup(chosen.encoding).name, b"") + data
    warnings = [change.to_issue() for change in adaptation.changes]
    if strict:
        report = validate_cue(data, profile=chosen, source=f"<{chosen.name} sheet>")
        if not report.is_valid:
            problems = "; ".join(str(issue) for issue in report.errors[:10])
            more = len(report.errors) - 10
            raise CueRenderError(
                f"the sheet is not valid for {chosen.name}: {problems}"
                + (f" (and {more} more)" if more > 0 else "")
            )
        warnings += [issue for issue in report.warnings if not issue.rule.startswith("profile-")]
    return RenderedCue(
        data, text, chosen.name, adaptation.sheet, adaptation.changes, tuple(warnings)
    )


def write_cue(
    sheet: CueSheet,
    path: str | os.PathLike[str],
    profile: str | CueProfile,
    *,
    overwrite: bool = False,
) -> RenderedCue:
    """Render ``sheet`` for ``profile`` (strictly, see :func:`render_cue`) and write it to
    ``path`` atomically: a temporary file beside it is written, synced and moved into
    place, so readers see the old file or the whole new one.

    Args:
        overwrite: Replace an existing file; without it an existing ``path`` is an error.

    Raises:
        UnknownCueProfileError, CueRenderError: as :func:`render_cue`; nothing is written.
        CueWriteError: ``path`` exists (without ``overwrite``) or cannot be written.
    """
    rendered = render_cue(sheet, profile)
    _write_atomically(os.fspath(path), rendered.data, overwrite=overwrite)
    return rendered


def _write_atomically(path: str, data: bytes, *, overwrite: bool) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    if not overwrite and os.path.lexists(path):
        raise CueWriteError(f"{path} exists; not overwriting it")
    try:
        handle, temp = tempfile.mkstemp(
            dir=directory, prefix=f".{os.path.basename(path)}.", suffix=".tmp"
        )
    except OSError as exc:
        raise CueWriteError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temp, _mode_for(path))
        if overwrite:
            os.replace(temp, path)
        else:
            _link_new(temp, path)
    except FileExistsError:
        raise CueWriteError(f"{path} exists; not overwriting it") from None
    except OSError as exc:
        raise CueWriteError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)


def _mode_for(path: str) -> int:
    """An existing file's permissions, else read-write for the owner and read for others."""
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        return 0o644


def _link_new(temp: str, path: str) -> None:
    """Move ``temp`` to ``path`` only if ``path`` does not exist (a hard link cannot
    replace a file, so no race can clobber one)."""
    try:
        os.link(temp, path)
    except FileExistsError:
        raise
    except OSError:
        # File systems without hard links: the check above is the best there is.
        if os.path.lexists(path):
            raise FileExistsError(path) from None
        os.replace(temp, path)
