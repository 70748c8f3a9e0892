"""Deterministic clips for the musicnn port's reference test (numpy only).

``scripts/convert_musicnn_weights.py`` loads this file by path in its own environment to
compute TensorFlow's reference taggrams; the tests regenerate the same clips to compare
the numpy port with them. The clips are at musicnn's 16 kHz, so no resampler is involved.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["CLIPS", "SR", "clip"]

SR = 16000

CLIPS: dict[str, float] = {
    "chord_pulse": 7.0,  # two patches: a pulsing minor chord with a bass note
    "drums_noise": 3.5,  # one patch: kick-like thumps and noise hats
    "short_tone": 1.5,  # shorter than a patch: repeat-padded
}
"""Each clip's name and duration in seconds."""


def clip(name: str) -> NDArray[np.float32]:
    """The clip ``name`` of :data:`CLIPS`, mono float32 at :data:`SR`."""
    n = round(CLIPS[name] * SR)
    t = np.arange(n) / SR
    rng = np.random.default_rng(sum(map(ord, name)))
    if name == "chord_pulse":
        envelope = 0.6 + 0.4 * np.cos(2 * np.pi * 2.0 * t) ** 2
        chord = sum(np.sin(2 * np.pi * f * t) for f in (220.0, 261.63, 329.63))
        y = 0.15 * envelope * chord + 0.2 * np.sin(2 * np.pi * 55.0 * t)
    elif name == "drums_noise":
        beat = (t % 0.5) / 0.5
        kick = np.exp(-beat * 20) * np.sin(2 * np.pi * 60.0 * t * (1 + np.exp(-beat * 30)))
        hats = np.exp(-((t + 0.25) % 0.5) * 60) * rng.standard_normal(n)
        y = 0.6 * kick + 0.15 * hats
    else:
        y = 0.3 * np.sin(2 * np.pi * 440.0 * t) + 0.01 * rng.standard_normal(n)
    return np.asarray(y, dtype=np.float32)
