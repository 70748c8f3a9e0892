"""Write a small demo library of synthetic DJ loops with known tempo and key.

    python examples/demo_library.py OUT_DIR

Each loop has a kick, off-beat hats and a chord progression in its key, so that
``tracktion analyze OUT_DIR`` has something to find: the file names say what it should.
Existing files are never overwritten.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import soundfile as sf
from numpy.typing import NDArray

SR = 44100
SECONDS = 24.0

# (file name, BPM, tonic frequency in Hz, minor?)
LOOPS = (
    ("House - 124 BPM - A minor.wav", 124.0, 220.00, True),
    ("Drum and Bass - 174 BPM - F minor.flac", 174.0, 174.61, True),
    ("Hip-Hop - 90 BPM - C major.flac", 90.0, 261.63, False),
)


def chord(root_hz: float, minor: bool, t: NDArray[np.float64]) -> NDArray[np.float64]:
    """A triad with a few harmonics on ``root_hz``."""
    third = 2 ** ((3 if minor else 4) / 12)
    tones = (root_hz, root_hz * third, root_hz * 2 ** (7 / 12))
    total = np.zeros_like(t)
    for f in tones:
        for h in range(3):
            total += (0.5**h) * np.sin(2 * np.pi * f * (h + 1) * t)
    return total / 6


def loop(bpm: float, tonic_hz: float, minor: bool, *, seed: int) -> NDArray[np.float32]:
    """``SECONDS`` of stereo audio: kick on beats, hats off the beat, i-VI-III-VII or I-IV-V-I."""
    rng = np.random.default_rng(seed)
    n = int(SECONDS * SR)
    t = np.arange(n) / SR
    out = np.zeros(n)
    beat = 60.0 / bpm
    for start in np.arange(0.0, SECONDS, beat):
        i = int(start * SR)
        k = np.arange(min(int(0.2 * SR), n - i)) / SR
        sweep = np.sin(2 * np.pi * (45 + 110 * np.exp(-k * 35)) * k)
        out[i : i + k.size] += 0.9 * sweep * np.exp(-k * 14)
        h = int((start + beat / 2) * SR)
        if h < n:
            hat = rng.standard_normal(min(int(0.04 * SR), n - h)) * 0.12
            out[h : h + hat.size] += hat * np.exp(-np.arange(hat.size) / (0.01 * SR))
    steps = (0, -4, 3, -2) if minor else (0, 5, 7, 0)  # semitones from the tonic, per bar
    bar = 4 * beat
    for index, start in enumerate(np.arange(0.0, SECONDS, bar)):
        i, j = int(start * SR), min(n, int((start + bar) * SR))
        root = tonic_hz * 2 ** (steps[index % 4] / 12)
        major_in_minor = minor and steps[index % 4] in (-4, 3, -2)
        out[i:j] += 0.35 * chord(root, minor and not major_in_minor, t[i:j])
    out /= np.max(np.abs(out)) * 1.25
    return np.stack([out, out], axis=1).astype(np.float32)


def write_library(directory: Path) -> list[Path]:
    """Write the loops into ``directory`` (created); keep any file already there."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for seed, (name, bpm, tonic, minor) in enumerate(LOOPS):
        path = directory / name
        if not path.exists():
            sf.write(path, loop(bpm, tonic, minor, seed=seed), SR)
        written.append(path)
    return written


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    for path in write_library(Path(sys.argv[1])):
        print(path)
