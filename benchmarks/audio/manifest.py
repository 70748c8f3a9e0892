"""The corpus manifest (``corpus.json``): what every rendered file is, with its ground truth.

Written by ``corpus.py``, read by ``evaluate.py``; standard library only, so the main test
suite can check the round trip. Paths are relative to the manifest's directory so that a
corpus can be moved or archived whole.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

__all__ = [
    "CHORALES",
    "FLORID",
    "FOLK",
    "HELD_OUT_SETS",
    "HYMNS",
    "MANIFEST_VERSION",
    "SYNTHETIC",
    "Manifest",
    "Mix",
    "Track",
]

MANIFEST_VERSION = 1

SYNTHETIC = "synthetic"
"""Set name of the tracks composed by ``compose.py``."""
FOLK = "folk"
"""Set name of the music21 folk songs: real compositions, never used for tuning."""
HYMNS = "hymns"
"""Set name of the four-part hymns composed by ``hymns.py``: sustained polyphony to tune
on, in place of the held-out chorales."""
FLORID = "florid"
"""Set name of the florid hymns (``hymns.py``, ``florid=True``): the same, with ties,
suspensions and passing notes in every voice, to tune sustained polyphony on too."""
CHORALES = "chorales"
"""Set name of the music21 Bach chorales: the held-out set (``chorales.py``)."""
HELD_OUT_SETS = frozenset({CHORALES})
"""Sets that ``evaluate.py`` leaves out unless asked (``--held-out``): checked once, after
the estimators are settled, so that they stay untouched by tuning."""


@dataclass(frozen=True, slots=True)
class Track:
    """One audio file of the corpus and its ground truth.

    Attributes:
        id: Unique, stable name (also the file's stem).
        set: ``synthetic``, ``folk``, ``hymns``, ``florid`` or ``chorales`` (held out).
        genre: The DJ genre (synthetic) or ``folk``.
        path: The audio file, relative to the manifest.
        format: Container/codec name: ``mp3``, ``flac``, ``wav``, ``aiff``, ``ogg``,
            ``opus`` or ``m4a``.
        bpm: Tempo exactly as written into the MIDI file (60e6 / microseconds per beat).
        key: ``A minor``, ``F# major`` (sharps).
        duration_s: Duration of the rendered audio.
        variants: Names of what was done to make it harder: ``intro`` (drums only at the
            start), ``detune``, ``noise``.
        intro_bars: Bars of drums only at the start (0 without the ``intro`` variant).
        detune_cents: Pitch bend of every melodic channel, or ``None``.
        snr_db: Signal-to-noise ratio of the added pink noise, or ``None``.
        seed: The seed the piece was composed (or chosen) with.
        source: Where the music comes from: ``compose.py`` or a music21 corpus path and
            tune number.
        key_source: How ``key`` was decided: ``composed``, or for folk songs
            ``signature+final`` / ``signature+music21`` (see ``folk.py``).
        program: The GM program of the part carrying the harmony (synthetic) or of the
            melody (folk).
    """

    id: str
    set: str
    genre: str
    path: str
    format: str
    bpm: float
    key: str
    duration_s: float
    variants: tuple[str, ...] = ()
    intro_bars: int = 0
    detune_cents: float | None = None
    snr_db: float | None = None
    seed: int = 0
    source: str = ""
    key_source: str = "composed"
    program: int = 0

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["variants"] = list(self.variants)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Track:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown track fields: {sorted(unknown)}")
        values = dict(data)
        values["variants"] = tuple(values.get("variants", ()))
        return cls(**values)


@dataclass(frozen=True, slots=True)
class Mix:
    """A long DJ-style mix of corpus tracks, for the peak-memory measurement."""

    path: str
    format: str
    duration_s: float
    track_ids: tuple[str, ...]
    crossfade_s: float

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["track_ids"] = list(self.track_ids)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Mix:
        values = dict(data)
        values["track_ids"] = tuple(values["track_ids"])
        return cls(**values)


@dataclass(slots=True)
class Manifest:
    """Every track and mix of a corpus, and how the corpus was generated."""

    tracks: list[Track] = field(default_factory=list)
    mixes: list[Mix] = field(default_factory=list)
    generator: dict[str, Any] = field(default_factory=dict)
    version: int = MANIFEST_VERSION

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "generator": self.generator,
            "tracks": [track.to_json() for track in self.tracks],
            "mixes": [mix.to_json() for mix in self.mixes],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Manifest:
        version = data.get("version")
        if version != MANIFEST_VERSION:
            raise ValueError(f"manifest version {version!r}, expected {MANIFEST_VERSION}")
        return cls(
            tracks=[Track.from_json(item) for item in data["tracks"]],
            mixes=[Mix.from_json(item) for item in data.get("mixes", [])],
            generator=dict(data.get("generator", {})),
            version=version,
        )

    def write(self, path: Path) -> None:
        # Written beside and renamed, so a reader never sees half a manifest.
        partial = path.with_suffix(".json.partial")
        partial.write_text(json.dumps(self.to_json(), indent=2) + "\n", encoding="utf-8")
        partial.replace(path)

    @classmethod
    def load(cls, path: Path) -> Manifest:
        return cls.from_json(json.loads(path.read_text(encoding="utf-8")))
