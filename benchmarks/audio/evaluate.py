"""Score tempo and key estimators on the corpus, with throughput and peak memory, in one run.

    python -m benchmarks.audio.evaluate [--corpus benchmarks/audio/corpus]
        [--systems tracktion,librosa,essentia] [--sets synthetic,folk] [--held-out] [--limit N]
        [--memory-systems tracktion] [--no-memory] [--json] [--save results.json]

For every system (``systems.py``) over every file of the manifest, one process, one file
after another:

- tempo Acc1 (within 4 %) and Acc2 (also x2, x1/2, x3, x1/3), key MIREX weighted score,
  per set, per genre, per variant and per format (``scoring.py``);
- throughput as x realtime: seconds of audio over wall seconds of ``analyze(path)``,
  decode included, beside "decode alone" (``decode_native``: soundfile, or ffmpeg for
  what libsndfile cannot read) as the floor; CPU seconds (children included) are shown
  too, since a system may use more than one thread;
- the held-out sets (``manifest.HELD_OUT_SETS``: the Bach chorales) only with
  ``--held-out`` or when ``--sets`` names them, so that no tuning run looks at them;
- peak RSS of each ``--memory-systems`` system analysing the long mix(es) of the corpus,
  each in a fresh subprocess, so the number belongs to that analysis alone; the RSS after
  imports is shown beside it.

Every system analyses the first file once before its timed pass (not counted): JIT
compilation and first-use initialisation are not what a library of thousands of files
pays per file. The systems take turns file by file (:func:`run_interleaved`), so that the
speed ratios survive a machine whose load changes during the run, each on one native
thread (BLAS, OpenMP): the throughput of one core, as a pool of workers gets it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import platform
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from importlib import metadata
from itertools import zip_longest
from pathlib import Path
from typing import Any

from threadpoolctl import threadpool_limits

from benchmarks.audio.manifest import HELD_OUT_SETS, Manifest, Track
from benchmarks.audio.scoring import mean, mirex_key_score, tempo_acc1, tempo_acc2
from benchmarks.audio.systems import (
    SYSTEMS,
    Estimate,
    System,
    SystemUnavailableError,
    decode_native,
    make_system,
)

DEFAULT_CORPUS = Path(__file__).resolve().parent / "corpus"
FLOOR = "decode alone"
TARGET_ACC1 = 0.95
TARGET_MIREX = 0.95
TARGET_SPEEDUP = 3.0
TARGET_PEAK_MB = 500.0


@dataclass(frozen=True, slots=True)
class Outcome:
    """One system on one file."""

    system: str
    track_id: str
    bpm: float | None
    key: str | None
    wall_s: float
    cpu_s: float
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Cell:
    """Aggregated scores of one system on a group of files (``None``: not estimated)."""

    n: int
    acc1: float | None
    acc2: float | None
    mirex: float | None
    key_exact: float | None
    audio_s: float
    wall_s: float
    cpu_s: float
    errors: int

    @property
    def realtime(self) -> float:
        return self.audio_s / self.wall_s if self.wall_s > 0 else float("nan")

    @property
    def cpu_realtime(self) -> float:
        return self.audio_s / self.cpu_s if self.cpu_s > 0 else float("nan")


def _cpu_seconds() -> float:
    # Children too: ffmpeg decodes some formats in a subprocess for every system.
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def run_interleaved(
    runs: Sequence[tuple[str, Callable[[Path], Estimate]]], tracks: Sequence[Track], root: Path
) -> dict[str, list[Outcome]]:
    """Time every run on every track, track by track, after one untimed warm-up call each.

    The first run (the decode floor) goes first on each track and brings the file into
    the page cache; the others follow in an order that rotates from track to track. So a
    machine whose load changes during the evaluation slows every system alike, and the
    speed ratios hold even when the absolute rates do not.
    """
    for _, analyze in runs:
        if tracks:
            with contextlib.suppress(Exception):  # the timed pass reports it
                analyze(root / tracks[0].path)
    outcomes: dict[str, list[Outcome]] = {name: [] for name, _ in runs}
    first, rest = list(runs[:1]), list(runs[1:])
    for index, track in enumerate(tracks, start=1):
        turn = index % len(rest) if rest else 0
        for name, analyze in first + rest[turn:] + rest[:turn]:
            outcomes[name].append(_timed(name, analyze, root, track))
        if index % 25 == 0:
            print(f"  {index}/{len(tracks)} files", file=sys.stderr)
    return outcomes


def _timed(name: str, analyze: Callable[[Path], Estimate], root: Path, track: Track) -> Outcome:
    wall, cpu = time.perf_counter(), _cpu_seconds()
    error = None
    try:
        estimate = analyze(root / track.path)
    except Exception as exc:  # a failure is scored as a miss, and reported
        estimate, error = Estimate(None, None), f"{type(exc).__name__}: {exc}"
    return Outcome(
        name,
        track.id,
        estimate.bpm,
        estimate.key,
        time.perf_counter() - wall,
        _cpu_seconds() - cpu,
        error,
    )


def aggregate(
    tracks: Sequence[Track], outcomes: dict[str, Outcome], tempo: bool, key: bool
) -> Cell:
    """Scores of one system over ``tracks`` (its outcomes by track id)."""
    rows = [(track, outcomes[track.id]) for track in tracks if track.id in outcomes]
    scores = [mirex_key_score(t.key, o.key) for t, o in rows]
    return Cell(
        n=len(rows),
        acc1=mean(tempo_acc1(t.bpm, o.bpm) for t, o in rows) if tempo else None,
        acc2=mean(tempo_acc2(t.bpm, o.bpm) for t, o in rows) if tempo else None,
        mirex=mean(scores) if key else None,
        key_exact=mean(score == 1.0 for score in scores) if key else None,
        audio_s=sum(t.duration_s for t, _ in rows),
        wall_s=sum(o.wall_s for _, o in rows),
        cpu_s=sum(o.cpu_s for _, o in rows),
        errors=sum(o.error is not None for _, o in rows),
    )


def key_error_kinds(tracks: Iterable[Track], outcomes: dict[str, Outcome]) -> dict[str, int]:
    """How the key estimates relate to the truth: exact, fifth, relative, parallel, other."""
    kinds = {1.0: "exact", 0.5: "fifth", 0.3: "relative", 0.2: "parallel", 0.0: "other"}
    counts = dict.fromkeys(kinds.values(), 0)
    for track in tracks:
        if track.id in outcomes:
            counts[kinds[mirex_key_score(track.key, outcomes[track.id].key)]] += 1
    return counts


# --------------------------------------------------------------------------- peak memory


def measure_memory(system: str, path: Path) -> dict[str, Any]:
    """Peak RSS of ``system`` analysing ``path``, in a fresh interpreter."""
    command = [sys.executable, "-m", "benchmarks.audio.evaluate", "--memory-child", system]
    result = subprocess.run(
        [*command, str(path)], capture_output=True, text=True, check=False, cwd=_repo_root()
    )
    if result.returncode != 0:
        lines = (result.stderr or result.stdout).strip().splitlines()
        return {"system": system, "file": path.name, "error": lines[-1] if lines else "failed"}
    data: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return data


def _peak_rss_bytes() -> int:
    """This process's peak resident set size.

    Linux's ``VmHWM`` belongs to the process image, and exec starts a new one; its
    ``ru_maxrss`` does not restart at exec, so a child of a large parent would report the
    parent's size. Elsewhere ``ru_maxrss`` is all there is (kB on Linux, bytes on macOS).
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    unit = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * unit


def _memory_child(system_name: str, path: Path) -> int:
    try:
        system = make_system(system_name)
    except SystemUnavailableError as error:
        print(json.dumps({"system": system_name, "file": path.name, "error": str(error)}))
        return 0
    after_import = _peak_rss_bytes()
    started = time.perf_counter()
    estimate = system.analyze(path)
    seconds = time.perf_counter() - started
    peak = _peak_rss_bytes()
    report = {
        "system": system_name,
        "label": system.label,
        "file": path.name,
        "seconds": round(seconds, 2),
        "peak_rss_mb": round(peak / 2**20, 1),
        "rss_after_imports_mb": round(after_import / 2**20, 1),
        "bpm": estimate.bpm,
        "key": estimate.key,
    }
    print(json.dumps(report))
    return 0


def _repo_root() -> Path:
    return Path(__file__).resolve().parents[2]


# --------------------------------------------------------------------------- tables


def _fmt(value: float | None, digits: int = 3) -> str:
    if value is None:
        return "—"
    if math.isnan(value):  # no files in the group
        return ""
    return f"{value:.{digits}f}"


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], title: str) -> str:
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)
    ]
    lines = [f"\n{title}", "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    for row in rows:
        cells = [
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells))
    return "\n".join(lines)


@dataclass
class Report:
    """Everything one run measured, for the tables and for ``--json``."""

    tracks: list[Track]
    systems: list[System]
    unavailable: dict[str, str]
    outcomes: dict[str, dict[str, Outcome]]
    floor: dict[str, Outcome]
    memory: list[dict[str, Any]]
    environment: dict[str, Any]

    def cell(self, system: System, tracks: Sequence[Track]) -> Cell:
        return aggregate(tracks, self.outcomes[system.name], system.tempo, system.key)

    def floor_cell(self, tracks: Sequence[Track]) -> Cell:
        return aggregate(tracks, self.floor, tempo=False, key=False)

    def groups(self, attribute: Callable[[Track], Iterable[str]]) -> dict[str, list[Track]]:
        groups: dict[str, list[Track]] = {}
        for track in self.tracks:
            for name in attribute(track):
                groups.setdefault(name, []).append(track)
        return groups


def render_tables(report: Report) -> str:
    out = [f"not run: {name}: {reason}" for name, reason in report.unavailable.items()]
    out += [f"{system.name}: {system.label}" for system in report.systems]

    sets = report.groups(lambda t: [t.set])
    for set_name, tracks in sorted(sets.items(), reverse=True):
        audio_min = sum(t.duration_s for t in tracks) / 60
        rows = []
        for system in report.systems:
            cell = report.cell(system, tracks)
            kinds = key_error_kinds(tracks, report.outcomes[system.name]) if system.key else {}
            rows.append(
                [
                    system.name,
                    _fmt(cell.acc1),
                    _fmt(cell.acc2),
                    _fmt(cell.mirex),
                    _fmt(cell.key_exact),
                    "/".join(str(kinds[k]) for k in ("fifth", "relative", "parallel", "other"))
                    if kinds
                    else "—",
                    _fmt(cell.realtime, 1),
                    _fmt(cell.cpu_realtime, 1),
                    str(cell.errors),
                ]
            )
        floor = report.floor_cell(tracks)
        rows.append(
            [
                FLOOR,
                "",
                "",
                "",
                "",
                "",
                _fmt(floor.realtime, 1),
                _fmt(floor.cpu_realtime, 1),
                str(floor.errors),
            ]
        )
        out.append(
            _table(
                [
                    "system",
                    "Acc1",
                    "Acc2",
                    "MIREX",
                    "key exact",
                    "5th/rel/par/other",
                    "x rt",
                    "x rt cpu",
                    "errors",
                ],
                rows,
                f"set {set_name}: {len(tracks)} files, {audio_min:.1f} min",
            )
        )

    for title, attribute in (
        ("per genre", lambda t: [t.genre]),
        (
            "per variant (synthetic; a track can have several)",
            lambda t: (t.variants or ("none",)) if t.set == "synthetic" else (),
        ),
        ("per format", lambda t: [t.format]),
    ):
        groups = report.groups(attribute)
        headers = ["group", "n"]
        for system in report.systems:
            headers += [f"{system.name} Acc1", "Acc2", "MIREX"]
        rows = []
        for group, tracks in sorted(groups.items()):
            row = [group, str(len(tracks))]
            for system in report.systems:
                cell = report.cell(system, tracks)
                row += [_fmt(cell.acc1, 2), _fmt(cell.acc2, 2), _fmt(cell.mirex, 2)]
            rows.append(row)
        if title == "per format":
            headers += ["decode x rt"] + [f"{s.name} x rt" for s in report.systems]
            for row, tracks in zip(rows, (groups[g] for g in sorted(groups)), strict=True):
                row.append(_fmt(report.floor_cell(tracks).realtime, 1))
                row += [_fmt(report.cell(s, tracks).realtime, 1) for s in report.systems]
        out.append(_table(headers, rows, title))

    if report.memory:
        rows = [
            [
                m["system"],
                m["file"],
                str(m.get("seconds", "")),
                str(m.get("peak_rss_mb", "")),
                str(m.get("rss_after_imports_mb", "")),
                m.get("error", ""),
            ]
            for m in report.memory
        ]
        out.append(
            _table(
                ["system", "file", "seconds", "peak RSS MB", "RSS after imports MB", "error"],
                rows,
                "peak memory on the long mix (fresh process each)",
            )
        )
    out.append(render_targets(report))
    return "\n".join(out)


def render_targets(report: Report) -> str:
    """The issue's targets for tracktion, each with the number it is judged on."""
    systems = {system.name: system for system in report.systems}
    tracktion = systems.get("tracktion")
    if tracktion is None:
        return "\ntargets: tracktion did not run"
    lines = ["\ntargets (tracktion)"]
    sets = report.groups(lambda t: [t.set])
    synthetic = report.cell(tracktion, sets.get("synthetic", []))
    for label, value, target in (
        ("tempo Acc1 on synthetic", synthetic.acc1, TARGET_ACC1),
        ("key MIREX on synthetic", synthetic.mirex, TARGET_MIREX),
    ):
        verdict = "n/a" if value is None else ("PASS" if value >= target else "FAIL")
        lines.append(f"  {verdict:4}  {label}: {_fmt(value)} (>= {target})")
    for set_name, tracks in sorted(sets.items(), reverse=True):
        ours = report.cell(tracktion, tracks)
        for metric in ("acc1", "mirex"):
            value = getattr(ours, metric)
            peers = [
                getattr(report.cell(peer, tracks), metric)
                for peer in report.systems
                if peer.name != "tracktion"
            ]
            peers = [p for p in peers if p is not None]
            if value is None or not peers:
                lines.append(f"  n/a   {metric} above every peer on {set_name}")
                continue
            # A perfect score cannot be beaten: a tie at 1.000 meets "above" as well as
            # anything can, and says so.
            ceiling = value >= 1.0
            verdict = "PASS" if value > max(peers) or ceiling else "FAIL"
            tie = " (perfect: a tie at the ceiling)" if ceiling and max(peers) >= 1.0 else ""
            lines.append(
                f"  {verdict}  {metric} above every peer on {set_name}: "
                f"{_fmt(value)} vs best peer {_fmt(max(peers))}{tie}"
            )
    if "librosa" in systems:
        speed = report.cell(tracktion, report.tracks).realtime
        baseline = report.cell(systems["librosa"], report.tracks).realtime
        verdict = "PASS" if speed >= TARGET_SPEEDUP * baseline else "FAIL"
        lines.append(
            f"  {verdict}  throughput >= {TARGET_SPEEDUP:g}x librosa baseline: "
            f"{speed:.1f}x rt vs {baseline:.1f}x rt ({speed / baseline:.2f}x); "
            f"decode alone {report.floor_cell(report.tracks).realtime:.1f}x rt"
        )
    for m in report.memory:
        if m["system"] == "tracktion" and "peak_rss_mb" in m:
            peak = m["peak_rss_mb"]
            verdict = "PASS" if peak < TARGET_PEAK_MB else "FAIL"
            lines.append(f"  {verdict}  peak RSS on {m['file']}: {peak} MB (< {TARGET_PEAK_MB:g})")
    return "\n".join(lines)


def report_json(report: Report) -> dict[str, Any]:
    def cell_json(cell: Cell) -> dict[str, Any]:
        data = asdict(cell)
        data["x_realtime"] = cell.realtime
        data["x_realtime_cpu"] = cell.cpu_realtime
        return data

    summary: dict[str, Any] = {}
    groupings: dict[str, Callable[[Track], Iterable[str]]] = {
        "set": lambda t: [t.set],
        "genre": lambda t: [t.genre],
        "variant": lambda t: t.variants or ("none",),
        "format": lambda t: [t.format],
    }
    for grouping, attribute in groupings.items():
        summary[grouping] = {
            group: {
                **{s.name: cell_json(report.cell(s, tracks)) for s in report.systems},
                FLOOR: cell_json(report.floor_cell(tracks)),
            }
            for group, tracks in sorted(report.groups(attribute).items())
        }
    return {
        "environment": report.environment,
        "systems": {s.name: s.label for s in report.systems},
        "unavailable": report.unavailable,
        "summary": summary,
        "memory": report.memory,
        "outcomes": [asdict(o) for per in report.outcomes.values() for o in per.values()],
        "floor": [asdict(o) for o in report.floor.values()],
    }


# --------------------------------------------------------------------------- main


def _versions() -> dict[str, Any]:
    versions: dict[str, Any] = {"python": platform.python_version(), "machine": platform.machine()}
    for package in (
        "numpy",
        "scipy",
        "librosa",
        "soundfile",
        "soxr",
        "essentia",
        "tracktion-audio",
    ):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    versions["cpus"] = os.cpu_count()
    return versions


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--systems", default=",".join(SYSTEMS))
    parser.add_argument(
        "--sets", default="", help="comma-separated; default all but the held-out ones"
    )
    parser.add_argument(
        "--held-out",
        action="store_true",
        help=f"also the held-out sets ({', '.join(sorted(HELD_OUT_SETS))}): once, at the end",
    )
    parser.add_argument("--formats", default="", help="comma-separated; default all")
    parser.add_argument("--limit", type=int, default=0, help="at most N files per set")
    parser.add_argument("--memory-systems", default="tracktion")
    parser.add_argument("--no-memory", action="store_true")
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    parser.add_argument("--save", type=Path, default=None, help="also write the JSON here")
    parser.add_argument(
        "--memory-child", nargs=2, metavar=("SYSTEM", "PATH"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.memory_child:
        return _memory_child(args.memory_child[0], Path(args.memory_child[1]))

    root: Path = args.corpus.resolve()
    manifest_path = root / "corpus.json"
    if not manifest_path.is_file():
        raise SystemExit(f"no manifest at {manifest_path}: run python -m benchmarks.audio.corpus")
    manifest = Manifest.load(manifest_path)
    tracks = _select(manifest.tracks, args.sets, args.formats, args.limit, args.held_out)

    systems, unavailable = [], {}
    for name in filter(None, args.systems.split(",")):
        try:
            systems.append(make_system(name))
        except SystemUnavailableError as error:
            unavailable[name] = str(error)
            print(f"not run: {name}: {error}", file=sys.stderr)

    started = time.perf_counter()
    names = ", ".join([FLOOR, *(system.name for system in systems)])
    print(f"{names}: {len(tracks)} files, in turn, one native thread", file=sys.stderr)
    runs = [(FLOOR, _decode), *((system.name, system.analyze) for system in systems)]
    # One thread each: throughput per core, which is what a pool of one process per core
    # (tracktion's batch analyzer and analysis service) gets. With a free core, a
    # system's BLAS threads would otherwise buy it wall time the pool never sees.
    with threadpool_limits(limits=1):
        timed = run_interleaved(runs, tracks, root)
    floor = {o.track_id: o for o in timed.pop(FLOOR)}
    outcomes = {name: {o.track_id: o for o in found} for name, found in timed.items()}

    memory = []
    if not args.no_memory:
        for mix in manifest.mixes:
            for name in filter(None, args.memory_systems.split(",")):
                print(f"peak memory: {name} on {mix.path}", file=sys.stderr)
                memory.append(measure_memory(name, root / mix.path))
    environment = {**_versions(), "seconds": round(time.perf_counter() - started, 1)}
    environment["corpus"] = manifest.generator
    report = Report(tracks, systems, unavailable, outcomes, floor, memory, environment)
    if args.save is not None:
        args.save.write_text(json.dumps(report_json(report), indent=2) + "\n", encoding="utf-8")
    if args.json:
        print(json.dumps(report_json(report), indent=2))
    else:
        print(render_tables(report))
        print(f"\n{len(tracks)} files; run took {environment['seconds']:.0f} s")
    return 0


def _decode(path: Path) -> Estimate:
    decode_native(path)
    return Estimate(None, None)


def _select(
    tracks: Sequence[Track], sets: str, formats: str, limit: int, held_out: bool = False
) -> list[Track]:
    """The tracks of ``sets`` and ``formats``; with ``limit``, at most that many per set,
    taken in turn from each genre so that a small run still covers every genre.

    With no ``sets``, every set but the held-out ones (unless ``held_out``)."""
    chosen = [
        track
        for track in tracks
        if (track.set in sets.split(",") if sets else (held_out or track.set not in HELD_OUT_SETS))
        and (not formats or track.format in formats.split(","))
    ]
    if not limit:
        return chosen
    by_genre: dict[tuple[str, str], list[Track]] = {}
    for track in chosen:
        by_genre.setdefault((track.set, track.genre), []).append(track)
    kept: list[Track] = []
    for set_name in dict.fromkeys(track.set for track in chosen):
        queues = [queue for (s, _), queue in by_genre.items() if s == set_name]
        taken = [t for row in zip_longest(*queues) for t in row if t is not None][:limit]
        kept += sorted(taken, key=chosen.index)
    return kept


if __name__ == "__main__":
    sys.exit(main())
