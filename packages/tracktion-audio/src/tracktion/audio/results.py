"""Results of the analysis functions: small frozen dataclasses with units in their names."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "EnergyResult",
    "KeyCandidate",
    "KeyResult",
    "LoudnessResult",
    "TempoResult",
]


@dataclass(frozen=True, slots=True)
class TempoResult:
    """Tempo and beat grid of a track.

    Attributes:
        bpm: Beats per minute at 0.01 resolution, at the metrical level a DJ expects
            within the requested range (170 for drum and bass, not 85); ``None`` when the
            signal has no beat (silence, noise, drones, steady pads).
        confidence: In [0, 1]; how clearly one periodicity dominates.
        stable: True when the tempo holds within ±1 % over the track.
        first_beat_s: Time of the first beat, in seconds.
        first_downbeat_s: Time of the first downbeat (beat 1 of a bar), in seconds.
        beats_s: Every beat position, in seconds, shape ``(n,)``.
        curve_bpm: Local tempo over time (``times_s``, ``bpm``), for variable tracks.
    """

    bpm: float | None
    confidence: float
    stable: bool
    first_beat_s: float | None
    first_downbeat_s: float | None
    beats_s: NDArray[np.float64] = field(repr=False)
    curve_times_s: NDArray[np.float64] = field(repr=False)
    curve_bpm: NDArray[np.float64] = field(repr=False)


@dataclass(frozen=True, slots=True)
class KeyCandidate:
    """One key hypothesis with its score in [0, 1]."""

    tonic: str
    """Pitch class with sharps: ``C``, ``C#`` ... ``B``."""
    mode: str
    """``major`` or ``minor``."""
    score: float

    @property
    def name(self) -> str:
        """Standard notation, such as ``A minor``."""
        return f"{self.tonic} {self.mode}"


@dataclass(frozen=True, slots=True)
class KeyResult:
    """The key of a track, in three notations, with confidence and the runner-up.

    Attributes:
        key: Standard notation (``A minor``, ``F# major``), or ``None`` without harmony.
        camelot: Camelot wheel code (``8A``).
        open_key: Open Key code (``1m``).
        confidence: In [0, 1].
        runner_up: The second best hypothesis.
        tuning_cents: Estimated deviation of the master from A=440 Hz, in cents.
    """

    key: str | None
    camelot: str | None
    open_key: str | None
    confidence: float
    runner_up: KeyCandidate | None
    tuning_cents: float


@dataclass(frozen=True, slots=True)
class LoudnessResult:
    """Loudness per ITU-R BS.1770-4 / EBU R128.

    Attributes:
        integrated_lufs: Gated integrated loudness in LUFS (``-inf`` for silence).
        range_lu: Loudness range (EBU Tech 3342) in LU.
        true_peak_dbtp: Maximum true peak (4x oversampled) in dBTP.
        sample_peak_dbfs: Maximum sample peak in dBFS.
        replaygain_db: ReplayGain 2.0 track gain (reference -18 LUFS) in dB.
    """

    integrated_lufs: float
    range_lu: float
    true_peak_dbtp: float
    sample_peak_dbfs: float
    replaygain_db: float


@dataclass(frozen=True, slots=True)
class EnergyResult:
    """How energetic a track feels.

    Attributes:
        value: In [0, 1].
        level: The DJ's 1-10 scale derived from ``value``.
    """

    value: float
    level: int
