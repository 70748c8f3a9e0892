"""Key detection, quickly: accuracy and speed of ``estimate_key`` beside a librosa baseline.

On synthetic clips with known keys (``tests/audio/harmony.py``: additive-synthesis chord
progressions with a bass and a melody), every one of the 24 keys in five conditions:

* ``plain``: one of the diatonic progressions of the mode;
* ``drums``: the same with a drum loop;
* ``detune``: the master detuned by ±30 or ±45 cents;
* ``noise``: drums and white noise at 10 dB SNR;
* ``intro``: 16 beats (8 s) of drums alone before the harmony, which keeps its length.

The baseline is the usual notebook recipe: ``librosa.feature.chroma_cqt`` averaged over
time (its own tuning estimate included) and correlated with the 24 rotations of the
Krumhansl-Kessler profiles. Scores are MIREX weighted key scores (1 for the key, 0.5 for a
fifth away in the same mode, 0.3 for the relative key, 0.2 for the parallel key, else
0); speed is seconds of audio analyzed per second of wall-clock time, after a warm-up
(numba compilation is not counted), on one core.

    python benchmarks/key_quick.py [--seconds 12] [--json]
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

import librosa
import numpy as np
from numpy.typing import NDArray

if __package__ in (None, ""):  # run as a script: make `tests` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.audio.harmony import MAJOR_PROGRESSIONS, MINOR_PROGRESSIONS, SR, render_key
from tracktion.audio.key import estimate_key
from tracktion.audio.notation import KEY_NAMES, MusicalKey, parse_key

KRUMHANSL_MAJOR = (6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88)
KRUMHANSL_MINOR = (6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17)
CONDITIONS = ("plain", "drums", "detune", "noise", "intro")

Estimator = Callable[[NDArray[np.float32], int], str | None]


@dataclass(frozen=True)
class Case:
    condition: str
    key: str
    audio: NDArray[np.float32]


@dataclass(frozen=True)
class Result:
    system: str
    mirex: float
    """Mean MIREX weighted score over all clips, in [0, 1]."""
    correct: float
    """Share of clips whose key is exactly right."""
    by_condition: dict[str, float]
    x_realtime: float


def mirex_score(estimate: str | None, reference: str) -> float:
    """MIREX weighted key score of ``estimate`` against ``reference``."""
    if estimate is None:
        return 0.0
    est, ref = parse_key(estimate), parse_key(reference)
    interval = (est.tonic - ref.tonic) % 12
    if est == ref:
        return 1.0
    if est.mode == ref.mode and interval in (5, 7):
        return 0.5
    if est.mode != ref.mode and interval == (9 if est.mode == "minor" else 3):
        return 0.3
    if est.mode != ref.mode and interval == 0:
        return 0.2
    return 0.0


def cases(seconds: float) -> list[Case]:
    out = []
    for index, name in enumerate(KEY_NAMES):
        mode = parse_key(name).mode
        progressions = MAJOR_PROGRESSIONS if mode == "major" else MINOR_PROGRESSIONS
        numerals = progressions[index % len(progressions)]
        detune = (30.0, -30.0, 45.0, -45.0)[index % 4]

        def clip(
            *,
            drums: bool = False,
            detune_cents: float = 0.0,
            snr_db: float | None = None,
            intro_beats: int = 0,
            name: str = name,
            numerals: tuple[str, ...] = numerals,
            seed: int = index,
        ) -> NDArray[np.float32]:
            return render_key(
                name,
                numerals=numerals,
                duration_s=seconds + intro_beats * 0.5,  # the intro at 120 BPM comes on top
                seed=seed,
                drums=drums,
                detune_cents=detune_cents,
                snr_db=snr_db,
                intro_beats=intro_beats,
            )

        out += [
            Case("plain", name, clip()),
            Case("drums", name, clip(drums=True)),
            Case("detune", name, clip(detune_cents=detune)),
            Case("noise", name, clip(drums=True, snr_db=10.0)),
            Case("intro", name, clip(intro_beats=16)),
        ]
    return out


def tracktion_key(y: NDArray[np.float32], sr: int) -> str | None:
    return estimate_key(y, sr).key


def _profiles() -> NDArray[np.float64]:
    return np.array(
        [np.roll(p, tonic) for p in (KRUMHANSL_MAJOR, KRUMHANSL_MINOR) for tonic in range(12)]
    )


def librosa_baseline(y: NDArray[np.float32], sr: int) -> str | None:
    chroma = librosa.feature.chroma_cqt(y=y, sr=sr).mean(axis=1)
    scores = [np.corrcoef(chroma, profile)[0, 1] for profile in _profiles()]
    return MusicalKey.from_index(int(np.argmax(scores))).name


def measure(system: str, estimator: Estimator, clips: list[Case]) -> Result:
    estimator(clips[0].audio, SR)  # warm-up: imports, FFT plans, numba compilation
    scores: dict[str, list[float]] = {condition: [] for condition in CONDITIONS}
    elapsed = 0.0
    for case in clips:
        start = time.perf_counter()
        estimate = estimator(case.audio, SR)
        elapsed += time.perf_counter() - start
        scores[case.condition].append(mirex_score(estimate, case.key))
    every = [score for values in scores.values() for score in values]
    audio_s = sum(case.audio.size for case in clips) / SR
    return Result(
        system=system,
        mirex=float(np.mean(every)),
        correct=float(np.mean([score == 1.0 for score in every])),
        by_condition={condition: float(np.mean(values)) for condition, values in scores.items()},
        x_realtime=audio_s / elapsed,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=12.0, help="length of each clip")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args()
    clips = cases(args.seconds)
    results = [
        measure("tracktion estimate_key", tracktion_key, clips),
        measure("librosa chroma_cqt + Krumhansl", librosa_baseline, clips),
    ]
    if args.json:
        info = {"python": platform.python_version(), "librosa": version("librosa")}
        print(json.dumps({"info": info, "results": [asdict(r) for r in results]}, indent=2))
        return
    print(f"{len(clips)} clips of {args.seconds:g} s at {SR} Hz\n")
    header = " | ".join(f"{condition:>6}" for condition in CONDITIONS)
    print(f"| system | MIREX | correct | {header} | x realtime |")
    print("| --- | ---: | ---: | " + " | ".join("---:" for _ in CONDITIONS) + " | ---: |")
    for r in results:
        row = " | ".join(f"{r.by_condition[condition]:6.3f}" for condition in CONDITIONS)
        print(f"| {r.system} | {r.mirex:.3f} | {r.correct:.1%} | {row} | {r.x_realtime:,.0f} |")
    ratio = results[0].x_realtime / results[1].x_realtime
    print(f"\nspeed-up over the baseline: {ratio:.1f}x")


if __name__ == "__main__":
    main()
