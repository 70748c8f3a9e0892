"""A small demo library of synthetic DJ loops with known tempo and key, and tags.

``tracktion up`` writes it when it is given no library folder, so that a newcomer sees a
catalog, analysis, rename proposals and the WebSocket at work at once. Each loop has a
kick, off-beat hats and a chord progression in its key; its tags say what it is, its file
name does not follow them (so the rename service has something to propose). Existing
files are never overwritten.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

__all__ = ["LOOPS", "DemoLoop", "render_loop", "write_demo_library"]

SR = 44100
SECONDS = 24.0


@dataclass(frozen=True, slots=True)
class DemoLoop:
    """One demo track: its file name, tags and the tempo and key it is made with."""

    file_name: str
    artist: str
    title: str
    genre: str
    bpm: float
    tonic_hz: float
    minor: bool
    key: str
    """The key the loop is made in, as ``tracktion.audio`` names it."""


LOOPS = (
    DemoLoop(
        "house_loop_01.flac",
        "Demo Artist",
        "Warehouse (Club Mix)",
        "House",
        124.0,
        220.00,
        minor=True,
        key="A minor",
    ),
    DemoLoop(
        "dnb-roller.flac",
        "Demo Artist",
        "Roller",
        "Drum and Bass",
        174.0,
        174.61,
        minor=True,
        key="F minor",
    ),
    DemoLoop(
        "HIPHOP beat.flac",
        "Other Demo",
        "Boom Bap",
        "Hip-Hop",
        90.0,
        261.63,
        minor=False,
        key="C major",
    ),
)


def _chord(root_hz: float, minor: bool, t: NDArray[np.float64]) -> NDArray[np.float64]:
    """A triad with a few harmonics on ``root_hz``."""
    third = 2 ** ((3 if minor else 4) / 12)
    total = np.zeros_like(t)
    for f in (root_hz, root_hz * third, root_hz * 2 ** (7 / 12)):
        for h in range(3):
            total += (0.5**h) * np.sin(2 * np.pi * f * (h + 1) * t)
    return total / 6


def render_loop(loop: DemoLoop, *, seed: int = 0, seconds: float = SECONDS) -> NDArray[np.float32]:
    """``seconds`` of stereo audio at 44.1 kHz: kick on the beats, hats off the beat, and
    i-VI-III-VII (minor) or I-IV-V-I (major) in the loop's key."""
    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    t = np.arange(n) / SR
    out = np.zeros(n)
    beat = 60.0 / loop.bpm
    for start in np.arange(0.0, seconds, beat):
        i = int(start * SR)
        k = np.arange(min(int(0.2 * SR), n - i)) / SR
        sweep = np.sin(2 * np.pi * (45 + 110 * np.exp(-k * 35)) * k)
        out[i : i + k.size] += 0.9 * sweep * np.exp(-k * 14)
        h = int((start + beat / 2) * SR)
        if h < n:
            hat = rng.standard_normal(min(int(0.04 * SR), n - h)) * 0.12
            out[h : h + hat.size] += hat * np.exp(-np.arange(hat.size) / (0.01 * SR))
    steps = (0, -4, 3, -2) if loop.minor else (0, 5, 7, 0)  # semitones from the tonic
    bar = 4 * beat
    for index, start in enumerate(np.arange(0.0, seconds, bar)):
        i, j = int(start * SR), min(n, int((start + bar) * SR))
        root = loop.tonic_hz * 2 ** (steps[index % 4] / 12)
        major_in_minor = loop.minor and steps[index % 4] in (-4, 3, -2)
        out[i:j] += 0.35 * _chord(root, loop.minor and not major_in_minor, t[i:j])
    out /= np.max(np.abs(out)) * 1.25
    return np.stack([out, out], axis=1).astype(np.float32)


def write_demo_library(directory: Path, *, seconds: float = SECONDS) -> list[Path]:
    """Write the demo loops, tagged, into ``directory`` (created); keep any file there."""
    import soundfile as sf
    from mutagen.flac import FLAC

    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for seed, loop in enumerate(LOOPS):
        path = directory / loop.file_name
        if not path.exists():
            partial = path.with_name(f".{path.name}.part")
            sf.write(partial, render_loop(loop, seed=seed, seconds=seconds), SR, format="FLAC")
            tags = FLAC(partial)  # type: ignore[no-untyped-call]
            tags["artist"], tags["title"], tags["genre"] = loop.artist, loop.title, loop.genre
            tags.save()
            partial.replace(path)  # the watcher never sees a half-written file
        written.append(path)
    return written
