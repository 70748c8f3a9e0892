"""``tracktion scan`` and ``tracktion watch``: library roots into the catalog.

``tracktion scan ROOT...`` scans once: files whose size and mtime the catalog already
holds are skipped without being read, the others are hashed, and each resulting file
event is applied to the catalog in process by the cataloging logic. It prints one line
per event (one JSON object per line with ``--json``) and then a summary (with
``--json``, a last line ``{"summary": {...}}``).

``tracktion watch ROOT...`` runs the watcher service (scan, then live events) on the
configured bus; on the embedded bus (``memory://``) the cataloging service runs in the
same process, so the catalog fills as files appear.

Exit status: 0 success; 1 some paths could not be read (each is reported); 2 usage
problems (nested roots, an unusable database URL).
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich import box
from rich.table import Table

from tracktion.contracts import TracktionError

from ..settings import catalog_url
from .rendering import EXIT_USAGE, stdout_console

if TYPE_CHECKING:
    from tracktion.core.files import LibraryEvent, ScanProblem, ScanStats

__all__ = ["scan", "watch"]

EXIT_PROBLEMS = 1
_BATCH = 2000

Roots = Annotated[
    list[Path],
    typer.Argument(metavar="ROOT...", help="Library folders to scan.", show_default=False),
]
Ignore = Annotated[
    list[str] | None,
    typer.Option("--ignore", metavar="GLOB", help="Also leave out paths matching GLOB."),
]


def scan(
    roots: Roots,
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object per event, then the summary.")
    ] = False,
    database: Annotated[
        str | None,
        typer.Option(
            "--database",
            metavar="URL",
            envvar="TRACKTION_DATABASE_URL",
            show_envvar=True,
            help="The catalog database (default: the embedded SQLite file, in "
            "TRACKTION_DATA_DIR when set).",
        ),
    ] = None,
    ignore: Ignore = None,
    instance_id: Annotated[
        str, typer.Option("--instance-id", help="The instance_id of the events.")
    ] = "tracktion-scan",
) -> None:
    """Scan library folders once into the catalog; print the file events and a summary."""
    try:
        problems, stats = asyncio.run(
            _scan([str(root) for root in roots], as_json, database, ignore or [], instance_id)
        )
    except (TracktionError, ValueError) as exc:
        sys.stderr.write(f"error: {exc}\n")
        raise typer.Exit(EXIT_USAGE) from None
    if as_json:
        sys.stdout.write(json.dumps({"summary": stats.to_dict()}) + "\n")
    else:
        _summary_table(stats)
    raise typer.Exit(EXIT_PROBLEMS if problems else 0)


async def _scan(
    roots: list[str], as_json: bool, database: str | None, ignore: list[str], instance_id: str
) -> tuple[int, ScanStats]:
    # Imported here: the catalog stack is slow to load for every other command.
    from tracktion.core.catalog import open_catalog
    from tracktion.core.files import (
        IgnoreRules,
        LibraryEvent,
        LibraryScanner,
        ScanOptions,
        apply_events,
    )

    scanner = LibraryScanner(
        roots, options=ScanOptions(instance_id=instance_id, ignore=IgnoreRules(globs=ignore))
    )
    problems = 0
    async with await open_catalog(catalog_url(database)) as store:
        scanner.known = store
        batch: list[LibraryEvent] = []

        async def flush() -> None:
            for outcome in await apply_events(store, batch):
                _print_event(outcome.event, outcome.change, as_json=as_json)
            batch.clear()

        async for item in scanner.scan():
            if isinstance(item, LibraryEvent):
                batch.append(item)
                if len(batch) >= _BATCH:
                    await flush()
            else:
                problems += 1
                _print_problem(item, as_json=as_json)
        await flush()
    return problems, scanner.stats


def _print_event(event: LibraryEvent, change: Any, *, as_json: bool) -> None:
    if as_json:
        line = {**event.to_dict(), "catalog": None if change is None else change.value}
        sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")
    else:
        moved = f" (from {event.old_path})" if event.old_path else ""
        sys.stdout.write(f"{event.kind:<10} {event.path}{moved}\n")


def _print_problem(problem: ScanProblem, *, as_json: bool) -> None:
    if as_json:
        sys.stdout.write(json.dumps(problem.to_dict(), ensure_ascii=False) + "\n")
    sys.stderr.write(f"warning: {problem.message}\n")


def _summary_table(stats: ScanStats) -> None:
    table = Table(box=box.SIMPLE, show_header=True)
    for column in ("files", "bytes", "hashed", "skipped unchanged", "errors", "seconds"):
        table.add_column(column, justify="right")
    table.add_row(
        str(stats.files),
        f"{stats.bytes:,}",
        str(stats.hashed),
        str(stats.skipped_unchanged),
        str(stats.errors),
        f"{stats.seconds:.2f}",
    )
    stdout_console().print(table)


def watch(
    roots: Roots,
    instance_id: Annotated[
        str | None,
        typer.Option("--instance-id", help="This watcher's identity (default: watcher-<host>)."),
    ] = None,
    stability: Annotated[
        float,
        typer.Option(
            "--stability", metavar="SECONDS", min=0.0, help="How long a file must stay unchanged."
        ),
    ] = 2.0,
    ignore: Ignore = None,
) -> None:
    """Scan library folders, then watch them, publishing file events (TRACKTION_* settings)."""
    try:
        asyncio.run(_watch([str(root) for root in roots], instance_id, stability, ignore or []))
    except (TracktionError, ValueError) as exc:
        sys.stderr.write(f"error: {exc}\n")
        raise typer.Exit(EXIT_USAGE) from None


async def _watch(
    roots: list[str], instance_id: str | None, stability: float, ignore: list[str]
) -> None:
    from tracktion.services.cataloging import CatalogingService
    from tracktion.services.runtime import open_ports, run_until_signalled
    from tracktion.services.settings import Settings
    from tracktion.services.watcher import WatcherOptions, WatcherService, default_instance_id

    settings = Settings()
    async with open_ports(settings) as ports:
        options = WatcherOptions(
            roots=roots,
            instance_id=instance_id or default_instance_id(),
            stability_s=stability,
            ignore_globs=ignore,
        )
        watcher = WatcherService(ports.bus, ports.catalog, options)
        runs = [watcher.run]
        if settings.broker_url.startswith("memory:"):
            runs.append(CatalogingService(ports.bus, ports.catalog).run)
        await run_until_signalled(*runs)
