"""``tracktion analyze``: tempo, key, loudness and energy of audio files (``--mood``: genre
and mood tags too).

Exit status: 0 when every file was analyzed; 1 when at least one could not be (each such
file still gets its line, with the error's code and message); 2 for usage problems.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich import box
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from tracktion.audio.notation import KeyNotation
from tracktion.core.formats import is_audio_path

from .rendering import stdout_console

if TYPE_CHECKING:
    from tracktion.audio.batch import BatchItem

__all__ = ["analyze"]


def analyze(
    paths: Annotated[
        list[Path],
        typer.Argument(
            metavar="PATH...", help="Audio files, or folders to search for audio files."
        ),
    ],
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object per file, one per line.")
    ] = False,
    workers: Annotated[
        int | None,
        typer.Option("--workers", "-w", min=1, help="Processes to use (default: CPU count)."),
    ] = None,
    write_tags: Annotated[
        bool,
        typer.Option(
            "--write-tags",
            help="Write BPM, key and ReplayGain into each file (atomically, verified).",
        ),
    ] = False,
    notation: Annotated[
        KeyNotation,
        typer.Option("--notation", help="Key notation for written tags and the table."),
    ] = KeyNotation.STANDARD,
    min_bpm: Annotated[float, typer.Option(help="Lowest BPM to report.")] = 70.0,
    max_bpm: Annotated[float, typer.Option(help="Highest BPM to report.")] = 180.0,
    cache: Annotated[
        Path | None, typer.Option(help="Result cache file (default: the user cache dir).")
    ] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Analyze everything anew.")] = False,
    mood: Annotated[
        bool,
        typer.Option(
            "--mood",
            help="Also tag genres and moods with a neural network (musicnn; slower).",
        ),
    ] = False,
) -> None:
    """Analyze audio files: BPM and beat grid, key, loudness (EBU R128) and energy."""
    if not 0 < min_bpm < max_bpm / 1.9:
        sys.stderr.write(
            f"error: the BPM range {min_bpm:g}-{max_bpm:g} must span nearly an octave "
            "(max at least 1.9 x min), so every tempo has a place in it\n"
        )
        raise typer.Exit(2)
    # Imported here: the analysis stack (librosa, numba) is heavy to load for other commands.
    from tracktion.audio.analyzer import DEFAULT_FEATURES, Feature
    from tracktion.audio.batch import BatchOptions, analyze_many
    from tracktion.audio.cache import default_cache_path

    files = list(_expand(paths))
    options = BatchOptions(
        features=DEFAULT_FEATURES | {Feature.MOOD} if mood else DEFAULT_FEATURES,
        bpm_range=(min_bpm, max_bpm),
        write_tags=notation if write_tags else None,
        cache_path=None if no_cache else os.fspath(cache or default_cache_path()),
    )
    items = analyze_many(files, options, workers=workers)
    failed = 0
    if as_json:
        for item in items:
            failed += item.error is not None
            sys.stdout.write(json.dumps(_json(item), ensure_ascii=False) + "\n")
            sys.stdout.flush()
    else:
        failed = _table(items, len(files), notation, mood=mood)
    raise typer.Exit(1 if failed else 0)


def _expand(paths: list[Path]) -> Iterator[str]:
    """Files as given; folders searched recursively for supported audio files, sorted."""
    for path in paths:
        if path.is_dir():
            for root, dirs, names in os.walk(path):
                dirs.sort()
                for name in sorted(names):
                    if is_audio_path(name) and not name.startswith("."):
                        yield os.path.join(root, name)
        else:
            yield os.fspath(path)


def _json(item: BatchItem) -> dict[str, object]:
    if item.error is not None:
        return {
            "path": item.path,
            "error": {"code": item.error.code, "message": item.error.message},
        }
    assert item.result is not None
    return {**item.result, "cached": item.cached, "tags_written": item.tags_written}


def _table(
    items: Iterator[BatchItem], total: int, notation: KeyNotation, *, mood: bool = False
) -> int:
    done: list[BatchItem] = []
    errors = Console(stderr=True, highlight=False)
    with Progress(
        TextColumn("analyzing"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=errors,
        transient=True,
    ) as progress:
        task = progress.add_task("files", total=total)
        for item in items:
            done.append(item)
            progress.advance(task)
    table = Table(box=box.SIMPLE_HEAD, show_edge=False)
    columns = ["File", "BPM", "Key", "Camelot", "LUFS", "Energy"] + (["Genre / mood"] * mood)
    for column in columns:
        table.add_column(column, justify="left" if column in ("File", "Key") else "right")
    failed = 0
    for item in sorted(done, key=lambda entry: entry.path):
        if item.error is not None:
            failed += 1
            message = f"[red]{item.error.code}: {item.error.message}[/]"
            table.add_row(item.path, "", message, *[""] * (len(columns) - 3))
            continue
        result = item.result or {}
        key = result.get("key")
        shown = key if notation is not KeyNotation.OPEN_KEY else result.get("open_key")
        table.add_row(
            item.path,
            _number(result.get("bpm"), 2),
            str(shown or ""),
            str(result.get("camelot") or ""),
            _number(result.get("loudness_lufs"), 1),
            str(result.get("energy") or ""),
            *([_mood_cell(result.get("mood"))] if mood else []),
        )
    stdout_console().print(table)
    if failed:
        errors.print(f"{failed} of {total} files could not be analyzed")
    return failed


def _mood_cell(mood: object) -> str:
    """The best genre and the best mood with their probabilities (``House 0.41, happy
    0.22``); empty when too short or silent."""
    if not isinstance(mood, dict):
        return ""
    best = [entries[0] for entries in (mood.get("genres"), mood.get("moods")) if entries]
    return ", ".join(f"{entry['tag']} {entry['probability']:.2f}" for entry in best)


def _number(value: object, digits: int) -> str:
    return f"{value:.{digits}f}" if isinstance(value, int | float) else ""
