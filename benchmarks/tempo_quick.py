"""Tempo accuracy and speed on synthetic loops, beside librosa's ``beat_track``.

For ``--per-genre`` seeded loops of each genre of ``tests/audio/synth.py`` (tempi spread
over the genre's typical range, hip-hop swung, every third loop under white noise at
-15 dB), ``--seconds`` long at 22050 Hz, compares :func:`tracktion.audio.tempo.estimate_tempo`
with the notebook baseline ``librosa.beat.beat_track(y=y, sr=sr)`` on the same signal:

* Acc1: the tempo within 4 % of the truth, at the metrical level a DJ counts (drum and
  bass 170, dubstep 140, hip-hop 90);
* Acc2: the same allowing the octave and triple errors (x2, x1/2, x3, x1/3);
* mean |error| in BPM over the Acc1 hits (the 0.01 BPM resolution shows here);
* x realtime: seconds of audio analyzed per second, from the best of ``--repeats``
  timed runs of each (alternated, after one untimed warm-up run of each, which also
  compiles librosa's numba code). The run takes about 40 s.

    python benchmarks/tempo_quick.py [--seconds 30] [--per-genre 6] [--repeats 5] [--json]

librosa compiles its beat tracker with numba and caches it next to its sources; if that
cache is damaged (a crash in ``librosa.util.localmax``), point ``NUMBA_CACHE_DIR`` at a
fresh directory.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import librosa
import numpy as np
from numpy.typing import NDArray

if __package__ in (None, ""):  # run as a script: make `tests` (the signal synth) importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.audio.synth import GENRES, TYPICAL_BPM, drum_loop
from tracktion.audio.tempo import estimate_tempo

SR = 22050
TOLERANCE = 0.04
OCTAVE_ERRORS = (1.0, 2.0, 0.5, 3.0, 1.0 / 3.0)


@dataclass(frozen=True)
class Case:
    genre: str
    bpm: float
    ours_bpm: float | None
    librosa_bpm: float
    ours_seconds: float
    librosa_seconds: float


@dataclass(frozen=True)
class Row:
    genre: str
    loops: int
    ours_acc1: float
    ours_acc2: float
    ours_error_bpm: float
    """Mean |estimate - truth| over the Acc1 hits, in BPM."""
    librosa_acc1: float
    librosa_acc2: float
    librosa_error_bpm: float
    ours_realtime: float
    """Seconds of audio per second of computation."""
    librosa_realtime: float
    speedup: float


def accurate(estimate: float | None, truth: float, factors: tuple[float, ...]) -> bool:
    return estimate is not None and any(
        abs(estimate / (truth * factor) - 1.0) < TOLERANCE for factor in factors
    )


def timed(run: Callable[[NDArray[np.float32]], object], y: NDArray[np.float32]) -> float:
    start = time.perf_counter()
    run(y)
    return time.perf_counter() - start


def ours(y: NDArray[np.float32]) -> float | None:
    return estimate_tempo(y, SR).bpm


def baseline(y: NDArray[np.float32]) -> float:
    tempo, _ = librosa.beat.beat_track(y=y, sr=SR)
    return float(np.atleast_1d(tempo)[0])


def loops(per_genre: int, seconds: float) -> list[tuple[str, float, NDArray[np.float32]]]:
    signals = []
    for genre in GENRES:
        lo, hi = TYPICAL_BPM[genre]
        for k, bpm in enumerate(np.linspace(lo + 0.31, hi - 0.27, per_genre)):
            swing = 0.6 if genre == "hip_hop" else 0.0
            noise = -15.0 if k % 3 == 2 else None
            tempo = round(float(bpm), 2)
            y = drum_loop(genre, tempo, seconds, SR, seed=100 + k, swing=swing, noise_db=noise)
            signals.append((genre, tempo, y))
    return signals


def run(per_genre: int, seconds: float, repeats: int) -> list[Case]:
    cases = []
    for genre, bpm, y in loops(per_genre, seconds):
        ours_bpm, librosa_bpm = ours(y), baseline(y)  # warm-up runs give the estimates
        # Alternate the timed runs, so that both see the same machine load.
        runs = [(timed(ours, y), timed(baseline, y)) for _ in range(repeats)]
        ours_seconds, librosa_seconds = (min(best) for best in zip(*runs, strict=True))
        cases.append(Case(genre, bpm, ours_bpm, librosa_bpm, ours_seconds, librosa_seconds))
    return cases


def summarize(name: str, cases: list[Case], seconds: float) -> Row:
    def errors(estimates: list[float | None]) -> float:
        hits = [
            abs(e - c.bpm)
            for e, c in zip(estimates, cases, strict=True)
            if e is not None and accurate(e, c.bpm, (1.0,))
        ]
        return float(np.mean(hits)) if hits else float("nan")

    def share(estimates: list[float | None], factors: tuple[float, ...]) -> float:
        hits = [accurate(e, c.bpm, factors) for e, c in zip(estimates, cases, strict=True)]
        return float(np.mean(hits))

    mine = [c.ours_bpm for c in cases]
    theirs: list[float | None] = [c.librosa_bpm for c in cases]
    ours_time = float(np.sum([c.ours_seconds for c in cases]))
    librosa_time = float(np.sum([c.librosa_seconds for c in cases]))
    audio = seconds * len(cases)
    return Row(
        genre=name,
        loops=len(cases),
        ours_acc1=share(mine, (1.0,)),
        ours_acc2=share(mine, OCTAVE_ERRORS),
        ours_error_bpm=errors(mine),
        librosa_acc1=share(theirs, (1.0,)),
        librosa_acc2=share(theirs, OCTAVE_ERRORS),
        librosa_error_bpm=errors(theirs),
        ours_realtime=audio / ours_time,
        librosa_realtime=audio / librosa_time,
        speedup=librosa_time / ours_time,
    )


def environment() -> dict[str, str]:
    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "librosa": version("librosa"),
        "machine": platform.machine(),
        "system": platform.system(),
    }


def print_table(rows: list[Row], seconds: float, repeats: int) -> None:
    env = environment()
    print(
        f"Python {env['python']}, numpy {env['numpy']}, librosa {env['librosa']}, "
        f"{env['system']} {env['machine']}; {seconds:g} s loops at {SR} Hz, best of {repeats}"
    )
    header = (
        f"{'genre':<14} {'loops':>5}  {'Acc1':>5} {'Acc2':>5} {'|err|':>6}   "
        f"{'lib Acc1':>8} {'lib Acc2':>8} {'lib |err|':>9}   {'x realtime':>10} "
        f"{'lib x rt':>8} {'speedup':>7}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        print(
            f"{row.genre:<14} {row.loops:>5}  {row.ours_acc1:>5.2f} {row.ours_acc2:>5.2f} "
            f"{row.ours_error_bpm:>6.3f}   {row.librosa_acc1:>8.2f} {row.librosa_acc2:>8.2f} "
            f"{row.librosa_error_bpm:>9.3f}   {row.ours_realtime:>10,.0f} "
            f"{row.librosa_realtime:>8,.0f} {row.speedup:>6.1f}x"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=30.0, help="loop length (default 30)")
    parser.add_argument("--per-genre", type=int, default=6, help="loops per genre (default 6)")
    parser.add_argument("--repeats", type=int, default=5, help="timed repeats (default 5)")
    parser.add_argument("--json", action="store_true", help="print machine-readable results")
    args = parser.parse_args(argv)
    if args.seconds < 5 or args.per_genre < 1 or args.repeats < 1:
        parser.error("--seconds must be at least 5, --per-genre and --repeats at least 1")

    cases = run(args.per_genre, args.seconds, args.repeats)
    rows = [
        summarize(genre, [c for c in cases if c.genre == genre], args.seconds) for genre in GENRES
    ]
    rows.append(summarize("all", cases, args.seconds))
    if args.json:
        document: dict[str, Any] = {
            "environment": environment(),
            "seconds": args.seconds,
            "repeats": args.repeats,
            "rows": [asdict(row) for row in rows],
            "cases": [asdict(case) for case in cases],
        }
        print(json.dumps(document, indent=2))
    else:
        print_table(rows, args.seconds, args.repeats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
