"""``tracktion cue``: validate CUE sheets and convert them between profiles.

Exit status: 0 success; 1 a negative result (the sheet is invalid, or cannot be converted);
2 a usage problem (unknown profile, unreadable file, an output that exists without
``--force``). Reports go to standard output; diagnostics (what a conversion dropped) to
standard error. Bad input never prints a traceback.

Other commands join this group through :data:`app` (``@app.command()``).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from tracktion.core.cue import (
    PROFILES,
    CueError,
    CueParseError,
    CueRenderError,
    CueValidationReport,
    CueWriteError,
    UnknownCueProfileError,
    convert_cue,
    get_profile,
    validate_cue,
    write_cue,
)

from .rendering import EXIT_INVALID, EXIT_USAGE, to_json

__all__ = ["app"]

STDIN = "-"

app = typer.Typer(
    name="cue",
    help=f"Validate CUE sheets and convert them between profiles ({', '.join(PROFILES)}).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

_PROFILE_HELP = f"A profile: {', '.join(PROFILES)}."


@app.command()
def validate(
    source: Annotated[
        str, typer.Argument(metavar="FILE.cue", help="The sheet, or - for standard input.")
    ],
    audio: Annotated[
        Path | None,
        typer.Option(
            "--audio",
            metavar="MIX",
            help="The audio the sheet indexes: it must exist, and every index must lie inside it.",
        ),
    ] = None,
    profile: Annotated[
        str | None,
        typer.Option(
            "--profile", "-p", metavar="NAME", help=_PROFILE_HELP + " Also warn what it drops."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Validate a CUE sheet: print the report; exit 1 when it has errors."""
    chosen = _profile(profile) if profile is not None else None
    data = _read(source)
    report = validate_cue(data, profile=chosen, audio_path=audio, source=_name(source))
    if as_json:
        sys.stdout.write(to_json(report.to_dict()))
    else:
        _print_report(report)
    if not report.is_valid:
        raise typer.Exit(EXIT_INVALID)


@app.command()
def convert(
    source: Annotated[
        str, typer.Argument(metavar="FILE.cue", help="The sheet, or - for standard input.")
    ],
    to: Annotated[str, typer.Option("--to", "-t", metavar="NAME", help=_PROFILE_HELP)],
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            metavar="OUT",
            help="Write here (atomically) instead of to standard output.",
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace OUT when it exists (even the input).")
    ] = False,
) -> None:
    """Convert a CUE sheet to another profile; what it drops goes to standard error."""
    target = _profile(to)
    data = _read(source)
    try:
        conversion = convert_cue(data, to=target, source=_name(source))
    except (CueParseError, CueRenderError) as exc:
        sys.stderr.write(f"error: {exc}\n")
        raise typer.Exit(EXIT_INVALID) from None
    for change in conversion.changes:
        where = "" if change.line is None else f"{_name(source)}:{change.line}: "
        sys.stderr.write(f"{where}{change.kind.value}: {change.message}\n")
    if output is None:
        sys.stdout.buffer.write(conversion.rendered.data)
        sys.stdout.flush()
        return
    try:
        write_cue(conversion.sheet, output, target, overwrite=force)
    except CueWriteError as exc:
        hint = " (--force replaces it)" if output.exists() and not force else ""
        _usage_error(f"{exc}{hint}")
    except CueError as exc:
        sys.stderr.write(f"error: {exc}\n")
        raise typer.Exit(EXIT_INVALID) from None
    sys.stderr.write(f"wrote {output} ({target})\n")


# -- helpers -----------------------------------------------------------------------------


def _usage_error(message: str) -> NoReturn:
    sys.stderr.write(f"error: {message}\n")
    raise typer.Exit(EXIT_USAGE)


def _profile(name: str) -> str:
    try:
        return get_profile(name).name
    except UnknownCueProfileError as exc:
        _usage_error(str(exc))


def _name(source: str) -> str:
    return "<stdin>" if source == STDIN else source


def _read(source: str) -> bytes:
    try:
        if source == STDIN:
            return sys.stdin.buffer.read()
        with open(source, "rb") as file:
            return file.read()
    except OSError as exc:
        _usage_error(f"cannot read {_name(source)}: {exc.strerror or exc}")


def _print_report(report: CueValidationReport) -> None:
    verdict = "valid" if report.is_valid else "invalid"
    against = f" for {report.profile}" if report.profile else ""
    counts = f"{len(report.errors)} errors, {len(report.warnings)} warnings"
    lines = [f"{report.source}: {verdict}{against} ({counts})"]
    for issue in (*report.errors, *report.warnings):
        where = report.source if issue.line is None else f"{report.source}:{issue.line}"
        lines.append(f"{where}: {issue.severity.value} [{issue.rule}] {issue.message}")
    sys.stdout.write("\n".join(lines) + "\n")
