"""A CUE sheet's round trip: tracklist, sheet in two profiles, parsed back, validated, converted.

    python examples/cue_roundtrip.py               # in a temporary folder
    python examples/cue_roundtrip.py OUT_DIR       # keep the sheets in OUT_DIR

1. A DJ mix's tracklist becomes a CUE sheet (``tracktion.core.tracklists.tracklist_to_cue``),
   with disc metadata (genre, date) and a track ISRC added to the model.
2. The sheet is written for two profiles with ``tracktion.core.cue.write_cue``: ``standard``
   (CDRWIN, keeps everything) and ``rekordbox`` (LF, tabs, drops ISRC and songwriter).
3. Each file is read back with ``read_cue`` and validated with ``validate_cue`` against its
   profile; the parsed model must equal the model the profile wrote, and the tracklist
   read from it (``tracklist_from_cue``) the one we started with.
4. The ``standard`` file is converted to ``rekordbox`` with ``convert_cue``: the result
   must be byte for byte the sheet written for ``rekordbox`` directly, and what the
   conversion dropped is listed.
5. The two files' differences are printed as a unified diff.

Exit status 0 when every check holds, 1 otherwise.
"""

from __future__ import annotations

import argparse
import difflib
import sys
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

from tracktion.core.cue import (
    CueConversion,
    CueParseResult,
    CueRem,
    CueSheet,
    CueTime,
    CueValidationReport,
    RenderedCue,
    convert_cue,
    read_cue,
    validate_cue,
    write_cue,
)
from tracktion.core.tracklists import TrackEntry, Tracklist, tracklist_from_cue, tracklist_to_cue

__all__ = [
    "PROFILES",
    "ProfileRoundTrip",
    "RoundTrip",
    "build_sheet",
    "build_tracklist",
    "main",
    "report",
    "roundtrip",
]

PROFILES = ("standard", "rekordbox")
"""The profiles the sheet is written for; the first is converted to the second."""

MIX_SECONDS = 3600.0
"""The length of the (imaginary) mix, in seconds: every track must start before it."""


def build_tracklist() -> Tracklist:
    """A one-hour mix of five tracks, the fourth played together with the third."""
    return Tracklist(
        entries=(
            TrackEntry("Bicep", "Glue", start_s=0.0),
            TrackEntry("Floating Points", "LesAlpx", start_s=412.5),
            TrackEntry("Overmono", "So U Kno", start_s=905.04, mix="Extended Mix"),
            TrackEntry("Four Tet", "Baby", played_with_previous=True, start_s=905.04),
            TrackEntry("Fred again..", "Marea (We've Lost Dancing)", start_s=1490.2),
        ),
        title="Warehouse Session 01",
        performer="DJ Example",
    )


def build_sheet(tracklist: Tracklist) -> CueSheet:
    """The tracklist's sheet for ``mix.flac``, with a genre, a date and an ISRC added."""
    sheet = tracklist_to_cue(tracklist, audio_file="mix.flac", duration_s=MIX_SECONDS)
    first, *rest = sheet.tracks
    return replace(
        sheet,
        rems=(CueRem("GENRE", "Electronic"), CueRem("DATE", "2024")),
        tracks=(replace(first, isrc="GBCEL1900001"), *rest),
    )


@dataclass(frozen=True, slots=True)
class ProfileRoundTrip:
    """One profile's sheet: as written, as read back, and the validator's verdict."""

    profile: str
    path: Path
    rendered: RenderedCue
    parsed: CueParseResult
    report: CueValidationReport
    tracklist_survives: bool
    """The tracklist read back from the file equals the original: artists, titles, and
    start times to the sheet's precision (1/75 s)."""

    @property
    def parses_as_written(self) -> bool:
        """The parsed model equals the model the profile wrote, without parse problems."""
        return self.parsed.sheet == self.rendered.sheet and not self.parsed.issues


@dataclass(frozen=True, slots=True)
class RoundTrip:
    """Everything the example checks."""

    sheets: tuple[ProfileRoundTrip, ...]
    conversion: CueConversion
    converted_equals_written: bool
    diff: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """Every sheet is valid and survives the round trip; the conversion matches."""
        return self.converted_equals_written and all(
            s.report.is_valid and s.parses_as_written and s.tracklist_survives for s in self.sheets
        )


def _tracks(tracklist: Tracklist) -> list[tuple[str, str, CueTime | None]]:
    """Artist, title and start of each entry; starts at a CUE sheet's precision (1/75 s)."""
    return [
        (e.artist, e.full_title, None if e.start_s is None else CueTime.from_seconds(e.start_s))
        for e in tracklist.entries
    ]


def roundtrip(directory: Path) -> RoundTrip:
    """Write, read back, validate and convert the example sheet in ``directory``.

    Raises ``CueWriteError`` when a sheet already exists there or cannot be written.
    """
    tracklist = build_tracklist()
    sheet = build_sheet(tracklist)
    sheets = []
    for profile in PROFILES:
        path = directory / f"mix.{profile}.cue"
        rendered = write_cue(sheet, path, profile)
        parsed = read_cue(path)
        report = validate_cue(parsed, profile=profile)
        back = tracklist_from_cue(parsed.sheet, source=str(path)).tracklist
        survives = _tracks(back) == _tracks(tracklist)
        sheets.append(ProfileRoundTrip(profile, path, rendered, parsed, report, survives))
    source, target = sheets
    conversion = convert_cue(read_cue(source.path), to=target.profile)
    diff = difflib.unified_diff(
        source.rendered.text.splitlines(),
        target.rendered.text.splitlines(),
        source.path.name,
        target.path.name,
        lineterm="",
    )
    return RoundTrip(
        tuple(sheets),
        conversion,
        conversion.rendered.data == target.path.read_bytes(),
        tuple(diff),
    )


def _verdict(flag: bool) -> str:
    return "yes" if flag else "NO"


def report(result: RoundTrip) -> list[str]:
    """The lines :func:`main` prints."""
    lines = []
    for sheet in result.sheets:
        verdict = "valid" if sheet.report.is_valid else "INVALID"
        lines.append(
            f"{sheet.path.name}: {len(sheet.rendered.data)} bytes, {verdict} for {sheet.profile}; "
            f"parses as written: {_verdict(sheet.parses_as_written)}; "
            f"tracklist survives: {_verdict(sheet.tracklist_survives)}"
        )
        lines.extend(f"  {issue}" for issue in (*sheet.report.errors, *sheet.report.warnings))
    lines.append(
        f"converted {result.sheets[0].path.name} to {result.conversion.profile}: "
        f"same bytes as written directly: {_verdict(result.converted_equals_written)}"
    )
    lines.extend(
        f"  dropped {change.field}: {change.message}" for change in result.conversion.dropped
    )
    lines.append("differences between the two sheets:")
    lines.extend(result.diff)
    return lines


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("directory", nargs="?", type=Path, help="keep the sheets here")
    args = parser.parse_args(argv)
    if args.directory is None:
        with tempfile.TemporaryDirectory() as directory:
            result = roundtrip(Path(directory))
    else:
        args.directory.mkdir(parents=True, exist_ok=True)
        result = roundtrip(args.directory)
    print("\n".join(report(result)))
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
