"""``tracktion cue generate``: a CUE sheet from a tracklist, written only when valid.

Exit status: 0 the sheet was written; 1 the tracklist cannot become a valid sheet for the
profile (nothing is written; the reasons go to standard error); 2 a usage problem (unknown
profile, unreadable file, an output that exists without ``--force``).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from .rendering import EXIT_INVALID, EXIT_USAGE, to_json

__all__ = ["generate"]


def _sheet_file_name(audio: Path | None, output: Path, tracklist: Path) -> str:
    """How the sheet names the mix: relative to the sheet when it can be, else absolute."""
    if audio is None:
        return tracklist.with_suffix(".wav").name
    try:
        return os.path.relpath(audio.resolve(), output.resolve().parent)
    except ValueError:  # another drive on Windows
        return str(audio.resolve())


def generate(
    tracklist: Annotated[
        Path,
        typer.Argument(
            metavar="TRACKLIST",
            help="A tracklist: .json (tracktion tracklist import --json), .txt, .cue, .m3u.",
        ),
    ],
    profile: Annotated[
        str, typer.Option("--format", "-f", metavar="NAME", help="The CUE profile to write.")
    ],
    audio: Annotated[
        Path | None,
        typer.Option(
            "--audio",
            metavar="MIX",
            help="The mix the sheet indexes; every index is checked against its length.",
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", metavar="OUT", help="Where to write (default: TRACKLIST.NAME.cue)."
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace OUT when it exists.")] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print what was written (path, checksum, report).")
    ] = False,
) -> None:
    """Generate a CUE sheet from a tracklist; it is written only if it validates."""
    from tracktion.core.cue import UnknownCueProfileError, get_profile
    from tracktion.core.tracklists import (
        TracklistError,
        generate_cue,
        read_tracklist,
        write_generated_cue,
    )

    try:
        name = get_profile(profile).name
    except UnknownCueProfileError as exc:
        sys.stderr.write(f"error: {exc}\n")
        raise typer.Exit(EXIT_USAGE) from None
    if not tracklist.is_file():
        sys.stderr.write(f"error: {tracklist}: no such file\n")
        raise typer.Exit(EXIT_USAGE)
    if audio is not None and not audio.is_file():
        sys.stderr.write(f"error: {audio}: no such audio file\n")
        raise typer.Exit(EXIT_USAGE)
    target = output or tracklist.with_name(f"{tracklist.stem}.{name}.cue")
    if target.exists() and not force:
        sys.stderr.write(f"error: {target} exists (--force replaces it)\n")
        raise typer.Exit(EXIT_USAGE)
    try:
        imported = read_tracklist(tracklist)
        for warning in imported.warnings:
            sys.stderr.write(f"warning: {warning}\n")
        generated = generate_cue(
            imported.tracklist,
            profile=name,
            audio_file=_sheet_file_name(audio, target, tracklist),
            audio_path=audio,
        )
        for issue in generated.rendered.warnings:
            sys.stderr.write(f"warning: {issue}\n")
        if not generated.is_valid:
            for issue in generated.report.errors:
                sys.stderr.write(f"error: {issue}\n")
            sys.stderr.write(f"error: {target} not written: the {name} sheet is invalid\n")
            raise typer.Exit(EXIT_INVALID)
        write_generated_cue(generated, target, overwrite=force)
    except TracklistError as exc:
        sys.stderr.write(f"error: {exc}\n")
        raise typer.Exit(EXIT_INVALID) from None
    if as_json:
        summary = {
            "path": str(target),
            "format": name,
            "file_size": generated.size_bytes,
            "checksum": generated.checksum_sha256,
            "validation_report": generated.report.to_dict(),
        }
        sys.stdout.write(to_json(summary))
    else:
        sys.stderr.write(f"wrote {target} ({name}, {len(generated.sheet.tracks)} tracks)\n")
