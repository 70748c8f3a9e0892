"""``tracktion tracklist import``: read a tracklist from a file or a 1001tracklists URL.

Exit status: 0 success; 1 the source is no tracklist (or the site refused the page);
2 a usage problem (a file that cannot be read, a bad option). The tracklist goes to
standard output (a table, or JSON with ``--json``); warnings to standard error, each
naming the input and line. Bad input never prints a traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from .rendering import EXIT_INVALID, EXIT_USAGE, to_json

if TYPE_CHECKING:
    from tracktion.core.tracklists import ImportResult

__all__ = ["app", "import_tracklist"]


app = typer.Typer(
    name="tracklist",
    help="Import tracklists (text, CUE, M3U, JSON, 1001tracklists pages).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _default_cache() -> Path:
    import platformdirs

    return Path(platformdirs.user_cache_dir("tracktion", appauthor=False)) / "pages"


@app.command("import")
def import_tracklist(
    source: Annotated[
        str,
        typer.Argument(
            metavar="SOURCE",
            help="A tracklist file (.txt, .cue, .m3u/.m3u8, .json, a saved .html page) "
            "or a 1001tracklists URL.",
        ),
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print the tracklist as JSON.")] = False,
    cache_dir: Annotated[
        Path | None,
        typer.Option(
            "--cache-dir", metavar="DIR", help="Page cache for URLs (default: the user cache)."
        ),
    ] = None,
    min_interval: Annotated[
        float,
        typer.Option(
            "--min-interval",
            min=0.0,
            metavar="SECONDS",
            help="Least pause between requests to one host (1001tracklists: 3 s at least).",
        ),
    ] = 3.0,
) -> None:
    """Read a tracklist and print it; warnings go to standard error."""
    import anyio

    # Imported here: ``tracktion --help`` should not load the HTTP stack.
    from tracktion.core.tracklists import TracklistError, TracklistFetcher, import_source

    is_url = source.startswith(("http://", "https://"))
    if not is_url and not Path(source).is_file():
        sys.stderr.write(f"error: {source}: no such file\n")
        raise typer.Exit(EXIT_USAGE)

    async def load() -> ImportResult:
        if not is_url:
            return await import_source(source)
        async with TracklistFetcher(
            cache_dir=cache_dir or _default_cache(), min_interval_s=min_interval
        ) as fetcher:
            return await import_source(source, fetcher=fetcher)

    try:
        result = anyio.run(load)
    except TracklistError as exc:
        sys.stderr.write(f"error: {exc}\n")
        raise typer.Exit(EXIT_INVALID) from None
    for warning in result.warnings:
        sys.stderr.write(f"warning: {warning}\n")
    if as_json:
        sys.stdout.write(to_json(result.to_dict()))
        return
    _print_table(result)


def _print_table(result: ImportResult) -> None:
    from rich import box
    from rich.table import Table

    from tracktion.core.tracklists import format_time

    from .rendering import stdout_console

    tracklist = result.tracklist
    table = Table(box=box.SIMPLE, title=tracklist.title)
    for column in ("#", "time", "artist", "title", "label"):
        table.add_column(column)
    number = 0
    for entry in tracklist.entries:
        if not entry.played_with_previous:
            number += 1
        start = "" if entry.start_s is None else format_time(entry.start_s)
        if entry.estimated and start:
            start = "~" + start
        table.add_row(
            "w/" if entry.played_with_previous else str(number),
            start,
            entry.artist,
            entry.full_title,
            entry.label or "",
        )
    stdout_console().print(table)
