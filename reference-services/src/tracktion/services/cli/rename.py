"""``tracktion rename``: propose, apply and undo file renames; analyze naming patterns.

Fields come from each file's tags, the catalog's analysis of its recording and the
analysis cache of ``tracktion analyze`` (when present), then its current name. ``apply``
renames every conflict-free proposal as one journaled batch (in the catalog database:
``--database``, else ``TRACKTION_DATABASE_URL``, else the embedded SQLite file), never
overwriting a file; a batch a crash interrupted is rolled back first. ``undo BATCH_ID``
restores the previous tree.

Exit status: 0 success; 1 a batch could not be applied or undone (rolled back, one line
on standard error); 2 a usage problem (a template syntax error, with its column).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn
from uuid import UUID

import typer

from tracktion.contracts import TracktionError
from tracktion.core.formats import is_audio_path

from ..settings import catalog_url
from .db import DATABASE_URL_ENV
from .rendering import EXIT_USAGE

if TYPE_CHECKING:
    from tracktion.core.catalog import CatalogStore
    from tracktion.core.rename import Proposal, ProposalOptions, Template, TrackInfo

__all__ = ["app"]

EXIT_FAILED = 1
_TAG_FIELDS: tuple[str, ...] = ("artist", "album_artist", "title", "album", "genre", "label")
_TAG_FIELDS += ("year", "track", "bpm", "key")

app = typer.Typer(
    name="rename",
    help="Propose, apply and undo file renames; analyze naming patterns.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

RootArgument = Annotated[
    Path,
    typer.Argument(metavar="ROOT", help="The library folder.", exists=True, file_okay=False),
]
TemplateOption = Annotated[
    str | None,
    typer.Option("--template", "-t", metavar="T", help="A naming template."),
]
PresetOption = Annotated[
    str | None,
    typer.Option(
        "--preset",
        "-p",
        metavar="P",
        help="A preset: artist-title-mix (default), key-bpm-artist-title, genre-folder, "
        "label-folder, track-artist-title.",
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="JSON lines instead of a table.")]
DatabaseOption = Annotated[
    str | None,
    typer.Option(
        "--database",
        metavar="URL",
        envvar=DATABASE_URL_ENV,
        show_envvar=True,
        help="The catalog database (default: the embedded SQLite file, in "
        "TRACKTION_DATA_DIR when set).",
    ),
]
SidecarsOption = Annotated[
    bool,
    typer.Option("--sidecars/--no-sidecars", help="Move same-stem .cue/.lrc/.jpg files along."),
]
MaxPathOption = Annotated[
    int | None,
    typer.Option("--max-path", min=32, help="Keep whole paths this short (260 for Windows)."),
]
CacheOption = Annotated[
    Path | None,
    typer.Option("--cache", help="The analysis cache file (default: the user cache dir)."),
]


@app.command("propose")
def propose_command(
    root: RootArgument,
    template: TemplateOption = None,
    preset: PresetOption = None,
    as_json: JsonOption = False,
    database: DatabaseOption = None,
    sidecars: SidecarsOption = True,
    max_path: MaxPathOption = None,
    cache: CacheOption = None,
) -> None:
    """Print a proposal for every audio file under ROOT (nothing is moved)."""
    chosen = _template(template, preset)
    proposals = asyncio.run(_propose(root, chosen, database, sidecars, max_path, cache))
    for proposal in proposals:
        _print_proposal(proposal, as_json=as_json)


@app.command("apply")
def apply_command(
    root: RootArgument,
    template: TemplateOption = None,
    preset: PresetOption = None,
    as_json: JsonOption = False,
    database: DatabaseOption = None,
    sidecars: SidecarsOption = True,
    max_path: MaxPathOption = None,
    cache: CacheOption = None,
) -> None:
    """Rename every conflict-free proposal under ROOT as one batch (undo with its id)."""
    chosen = _template(template, preset)
    try:
        summary = asyncio.run(_apply(root, chosen, database, sidecars, max_path, cache))
    except (TracktionError, OSError) as exc:
        _fail(str(exc))
    if as_json:
        print(json.dumps(summary))
    else:
        print(
            f"batch {summary['batch_id']}: {summary['renamed']} renamed, "
            f"{summary['skipped']} skipped"
        )


@app.command("undo")
def undo_command(
    batch_id: Annotated[str, typer.Argument(metavar="BATCH_ID", help="The batch to undo.")],
    database: DatabaseOption = None,
) -> None:
    """Restore the tree as it was before batch BATCH_ID."""
    try:
        batch = UUID(batch_id)
    except ValueError:
        sys.stderr.write(f"error: {batch_id!r} is not a batch id (a UUID)\n")
        raise typer.Exit(EXIT_USAGE) from None
    try:
        restored = asyncio.run(_undo(batch, database))
    except (TracktionError, OSError) as exc:
        _fail(str(exc))
    print(json.dumps({"batch_id": str(batch), "restored": restored}))


@app.command("patterns")
def patterns_command(root: RootArgument, as_json: JsonOption = False) -> None:
    """Infer the naming patterns of the audio files under ROOT and suggest a template."""
    from tracktion.core.rename import analyze_names

    report = analyze_names(list(_audio_files(root)))
    if as_json:
        print(json.dumps(report.to_dict(), ensure_ascii=False))
        return
    print(f"{report.total} files; dominant pattern: {report.dominant or 'none'}")
    for group in report.groups:
        print(f"  {group.share:6.1%}  {group.count:5d}  {group.pattern}")
    print(f"coverage {report.coverage:.1%}, {len(report.outliers)} outliers")
    for outlier in report.outliers[:20]:
        print(f"  outlier: {outlier}")
    print(f"suggested template: {report.suggested_template}")


# -- work ---------------------------------------------------------------------------------


def _template(template: str | None, preset: str | None) -> Template:
    from tracktion.core.rename import PRESETS, Template, TemplateSyntaxError

    if template is not None and preset is not None:
        sys.stderr.write("error: give --template or --preset, not both\n")
        raise typer.Exit(EXIT_USAGE)
    if preset is not None and preset not in PRESETS:
        known = ", ".join(sorted(PRESETS))
        sys.stderr.write(f"error: unknown preset {preset!r}; the presets are: {known}\n")
        raise typer.Exit(EXIT_USAGE)
    source = template if template is not None else PRESETS[preset or "artist-title-mix"]
    try:
        return Template.parse(source)
    except TemplateSyntaxError as exc:
        sys.stderr.write(f"error: {exc}\n")
        raise typer.Exit(EXIT_USAGE) from None


def _audio_files(root: Path) -> Iterator[str]:
    for current, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            if is_audio_path(name) and not name.startswith("."):
                yield os.path.abspath(os.path.join(current, name))


def _options(sidecars: bool, max_path: int | None) -> ProposalOptions:
    from tracktion.core.rename import ProposalOptions, SanitizeOptions
    from tracktion.services.rename import key_formatter

    return ProposalOptions(
        sanitize=SanitizeOptions(max_path_chars=max_path),
        key_formatter=key_formatter,
        sidecars=sidecars,
    )


async def _infos(store: CatalogStore, root: Path, cache: Path | None) -> list[TrackInfo]:
    from tracktion.audio.errors import AudioError
    from tracktion.audio.tags import read_tags
    from tracktion.core.catalog.results import load_results
    from tracktion.core.rename import TrackInfo
    from tracktion.services.rename import fields_from_tags

    cached = _cache_reader(cache)
    infos: list[TrackInfo] = []
    for path in _audio_files(root):
        try:
            tags = read_tags(path)
            tag_fields = fields_from_tags({name: getattr(tags, name) for name in _TAG_FIELDS})
        except AudioError:
            tag_fields = {}
        analysis: dict[str, str | int | float | None] = {}
        file_id = recording_id = None
        async with store.transaction() as tx:
            record = await tx.get_file(path)
            results = None if record is None else await load_results(tx, record.recording_id)
        if record is not None:
            file_id, recording_id = record.id, record.recording_id
        if results is not None:
            analysis = {
                "bpm": results.bpm,
                "key": results.camelot or results.key,
                "energy": results.energy_level,
            }
        elif cached is not None:
            analysis = cached(path)
        infos.append(TrackInfo(path, tag_fields, analysis, file_id, recording_id))
    return infos


def _cache_reader(cache: Path | None) -> CacheReader | None:
    from tracktion.audio.cache import default_cache_path

    path = cache if cache is not None else Path(default_cache_path())
    return CacheReader(path) if path.is_file() else None


class CacheReader:
    """Analysis results of ``tracktion analyze`` (default options) from its cache."""

    def __init__(self, path: Path) -> None:
        from tracktion.audio.cache import AnalysisCache

        self.cache = AnalysisCache(path)

    def __call__(self, path: str) -> dict[str, str | int | float | None]:
        from tracktion.audio import ALGORITHM_VERSION
        from tracktion.audio.batch import BatchOptions
        from tracktion.audio.cache import AnalysisCache, content_hash

        key = AnalysisCache.key(
            content_hash(path), ALGORITHM_VERSION, BatchOptions().cache_options()
        )
        stored = self.cache.get(key) or {}
        return {
            "bpm": stored.get("bpm"),
            "key": stored.get("camelot") or stored.get("key"),
            "energy": stored.get("energy_level"),
        }


async def _propose(
    root: Path,
    template: Template,
    database: str | None,
    sidecars: bool,
    max_path: int | None,
    cache: Path | None,
) -> list[Proposal]:
    from tracktion.core.catalog import open_catalog
    from tracktion.core.rename import plan_renames

    async with await open_catalog(catalog_url(database)) as store:
        infos = await _infos(store, root, cache)
    return plan_renames(infos, template, str(root), _options(sidecars, max_path))


async def _apply(
    root: Path,
    template: Template,
    database: str | None,
    sidecars: bool,
    max_path: int | None,
    cache: Path | None,
) -> dict[str, object]:
    from tracktion.core.catalog import open_catalog
    from tracktion.core.rename import Applier, CatalogJournal, Move, ProposalStatus, plan_renames

    async with await open_catalog(catalog_url(database)) as store:
        applier = Applier(CatalogJournal(store), str(root))
        await applier.recover()
        infos = await _infos(store, root, cache)
        proposals = plan_renames(infos, template, str(root), _options(sidecars, max_path))
        ready = [p for p in proposals if p.status is ProposalStatus.READY]
        moves = [Move(p.old_path, p.new_path) for p in ready]
        moves += [Move(old, new) for p in ready for old, new in p.sidecars]
        batch_id = None
        if moves:
            batch_id = str((await applier.apply(moves)).batch_id)
    return {"batch_id": batch_id, "renamed": len(ready), "skipped": len(proposals) - len(ready)}


async def _undo(batch_id: UUID, database: str | None) -> int:
    from tracktion.core.catalog import open_catalog
    from tracktion.core.rename import Applier, CatalogJournal

    async with await open_catalog(catalog_url(database)) as store:
        result = await Applier(CatalogJournal(store), os.sep).undo(batch_id)
    return len(result.moved)


def _print_proposal(proposal: Proposal, *, as_json: bool) -> None:
    if as_json:
        data = {
            "old_path": proposal.old_path,
            "new_path": proposal.new_path,
            "confidence": proposal.confidence,
            "reasons": list(proposal.reasons),
            "conflict": proposal.conflict,
            "status": proposal.status.value,
        }
        print(json.dumps(data, ensure_ascii=False))
        return
    mark = "" if proposal.conflict is None else f"  [{proposal.status.value}: {proposal.conflict}]"
    print(f"{proposal.old_path}\n  -> {proposal.new_path}  ({proposal.confidence:.2f}){mark}")


def _fail(message: str) -> NoReturn:
    first_line = message.strip().splitlines()[0] if message.strip() else "failed"
    sys.stderr.write(f"error: {first_line}\n")
    raise typer.Exit(EXIT_FAILED)
