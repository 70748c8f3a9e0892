"""Whole-file analysis: one streaming decode pass feeding every feature.

The file is decoded once, in blocks, at its own rate and channels. The loudness meter
reads those blocks as they are (BS.1770 needs the original channels and rate); a
streaming resampler turns them into 22050 Hz mono for tempo, key and energy. Every
estimator keeps a small summary rather than the signal, so an hour-long mix is analyzed
in bounded memory.
"""

from __future__ import annotations

import dataclasses
import math
import os
import queue
import threading
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np
import soxr
from numpy.typing import NDArray

from tracktion.contracts import AnalysisResults

from .decode import Audio, open_stream, probe
from .energy import EnergyAnalyzer
from .errors import AudioError, ErrorCode
from .key import KeyAnalyzer
from .loudness import LoudnessMeter
from .mood import MoodResult, MoodStream, TagPrediction, default_analyzer
from .results import EnergyResult, KeyResult, LoudnessResult, TempoResult
from .tags import TrackTags, read_tags
from .tempo import TempoAnalyzer

__all__ = [
    "ALGORITHM_VERSION",
    "ANALYSIS_SR",
    "DEFAULT_BPM_RANGE",
    "DEFAULT_FEATURES",
    "Feature",
    "TrackAnalysis",
    "analyze_file",
]

ALGORITHM_VERSION = "tracktion-audio/3"
"""Changes whenever a result could change: cached results of other versions are ignored."""

ANALYSIS_SR = 22050
"""Sample rate of the mono signal that tempo, key and energy analyze, in Hz."""

DEFAULT_BPM_RANGE = (70.0, 180.0)
BLOCK_S = 5.0
"""Decode block length in seconds: small enough that decoding the next block overlaps
the analysis of this one, large enough that per-block overheads stay negligible."""


class Feature(StrEnum):
    """What :func:`analyze_file` can compute."""

    TEMPO = "tempo"
    KEY = "key"
    LOUDNESS = "loudness"
    ENERGY = "energy"
    TAGS = "tags"
    MOOD = "mood"
    """Genre and mood tags from a neural network (:mod:`.mood`): opt-in, as it costs
    more than everything else together."""


DEFAULT_FEATURES = frozenset(Feature) - {Feature.MOOD}
"""What :func:`analyze_file` computes unless told otherwise: everything but the mood."""


@dataclass(frozen=True, slots=True)
class TrackAnalysis:
    """Everything known about one file; a feature not requested is ``None``."""

    path: str
    duration_s: float
    sample_rate: int
    channels: int
    tempo: TempoResult | None
    key: KeyResult | None
    loudness: LoudnessResult | None
    energy: EnergyResult | None
    tags: TrackTags | None
    mood: MoodResult | None = None
    algorithm_version: str = ALGORITHM_VERSION

    def to_dict(self) -> dict[str, Any]:
        """The flat JSON form (``tracktion analyze --json``), with units in the names; a
        ``mood`` entry only when the mood was analyzed."""
        tempo, key, loud, energy = self.tempo, self.key, self.loudness, self.energy
        mood = {"mood": self.mood.to_dict()} if self.mood is not None else {}
        return {
            "path": self.path,
            "duration_s": round(self.duration_s, 3),
            "sample_rate": self.sample_rate,
            "channels": self.channels,
            "bpm": tempo.bpm if tempo else None,
            "bpm_confidence": _round(tempo.confidence if tempo else None, 3),
            "bpm_stable": tempo.stable if tempo else None,
            "first_beat_s": _round(_first_beat(tempo), 3),
            "first_downbeat_s": _round(tempo.first_downbeat_s if tempo else None, 3),
            "key": key.key if key else None,
            "camelot": key.camelot if key else None,
            "open_key": key.open_key if key else None,
            "key_confidence": _round(key.confidence if key else None, 3),
            "key_runner_up": key.runner_up.name if key and key.runner_up else None,
            "tuning_cents": _round(key.tuning_cents if key else None, 1),
            "loudness_lufs": _round(loud.integrated_lufs if loud else None, 2),
            "loudness_range_lu": _round(loud.range_lu if loud else None, 2),
            "true_peak_dbtp": _round(loud.true_peak_dbtp if loud else None, 2),
            "replaygain_db": _round(loud.replaygain_db if loud else None, 2),
            "energy": energy.level if energy else None,
            "energy_value": _round(energy.value if energy else None, 3),
            "tags": _tags_dict(self.tags),
            **mood,
            "algorithm_version": self.algorithm_version,
        }

    def to_results(self) -> AnalysisResults:
        """The contract form carried by ``analysis.complete`` and the WebSocket."""
        tempo, key, loud, energy = self.tempo, self.key, self.loudness, self.energy
        return AnalysisResults(
            bpm=tempo.bpm if tempo else None,
            bpm_confidence=_unit(tempo.confidence) if tempo and tempo.bpm else None,
            first_beat_s=_first_beat(tempo),
            key=key.key if key else None,
            camelot=key.camelot if key else None,
            open_key=key.open_key if key else None,
            key_confidence=_unit(key.confidence) if key and key.key else None,
            energy=_unit(energy.value) if energy else None,
            energy_level=energy.level if energy else None,
            loudness_lufs=_finite(loud.integrated_lufs) if loud else None,
            loudness_range_lu=_finite(loud.range_lu) if loud else None,
            true_peak_dbtp=_finite(loud.true_peak_dbtp) if loud else None,
            replaygain_db=_finite(loud.replaygain_db) if loud else None,
            duration_s=self.duration_s,
            mood=_probabilities(self.mood.moods) if self.mood else None,
            genre=_probabilities(self.mood.genres) if self.mood else None,
        )


def analyze_file(
    path: str | os.PathLike[str],
    *,
    features: Iterable[Feature] = DEFAULT_FEATURES,
    bpm_range: tuple[float, float] = DEFAULT_BPM_RANGE,
    block_s: float = BLOCK_S,
) -> TrackAnalysis:
    """Analyze one file in a single streaming pass.

    Args:
        path: The audio file (any format :mod:`.decode` reads). It is only read.
        features: What to compute (by default :data:`DEFAULT_FEATURES`: all but the
            mood, which is opt-in).
        bpm_range: The range, in BPM, the tempo is folded into (DJ convention 70-180).
        block_s: Decode block length in seconds: bounds memory (and changes no result).

    Raises:
        AudioError: the file cannot be read (``not_found``, ``empty_file``, ``not_audio``,
            ``corrupt``, ``unsupported``...), or a step failed unexpectedly
            (``analysis_failed``). The message names the file.
    """
    name = os.fspath(path)
    wanted = frozenset(Feature(feature) for feature in features)
    if wanted <= {Feature.TAGS}:
        info, blocks = probe(name), None  # nothing to decode
    else:
        info, blocks = open_stream(name, block_s=block_s)
    tempo = TempoAnalyzer(ANALYSIS_SR, bpm_range=bpm_range) if Feature.TEMPO in wanted else None
    key = KeyAnalyzer(ANALYSIS_SR) if Feature.KEY in wanted else None
    energy = EnergyAnalyzer(ANALYSIS_SR) if Feature.ENERGY in wanted else None
    # Energy weighs loudness in: measuring it costs little once the blocks are decoded.
    measure = bool(wanted & {Feature.LOUDNESS, Feature.ENERGY})
    meter = LoudnessMeter(info.sr, info.channels) if measure else None
    mono_consumers = [c for c in (tempo, key, energy) if c is not None]
    mood = default_analyzer().stream(info.sr, path=name) if Feature.MOOD in wanted else None
    frames = 0
    try:
        if blocks is not None:
            resampler = soxr.ResampleStream(info.sr, ANALYSIS_SR, 1, dtype="float32")

            def feed(mono: NDArray[np.float32]) -> None:
                if mono.size:
                    for consumer in mono_consumers:
                        consumer.update(mono)

            for block in _prefetched(blocks):
                frames += block.samples.shape[1]
                if meter is not None:
                    meter.update(block.samples)
                if mono_consumers or mood is not None:
                    mono = block.mono()
                    if mood is not None:  # at the file's rate: it resamples to its own 16 kHz
                        mood.update(mono)
                    if mono_consumers:
                        feed(resampler.resample_chunk(mono, last=False))
            if mono_consumers:
                feed(resampler.resample_chunk(np.zeros(0, np.float32), last=True))
        loudness = meter.result() if meter is not None else None
        # The decoded length is exact; a header's may be missing or an estimate (VBR mp3).
        duration = frames / info.sr if frames else (info.duration_s or 0.0)
        result = TrackAnalysis(
            path=name,
            duration_s=duration,
            sample_rate=info.sr,
            channels=info.channels,
            tempo=_tempo_of(tempo) if tempo else None,
            key=key.result() if key else None,
            loudness=loudness if Feature.LOUDNESS in wanted else None,
            energy=energy.result(loudness) if energy else None,
            tags=read_tags(name) if Feature.TAGS in wanted else None,
            mood=_mood_of(mood) if mood is not None else None,
        )
    except AudioError:
        raise
    except Exception as exc:  # a bug in a step must name the file and not kill a batch
        raise AudioError(
            ErrorCode.ANALYSIS_FAILED, f"analysis failed: {type(exc).__name__}: {exc}", name
        ) from exc
    return result


_END = object()


def _prefetched(blocks: Generator[Audio, None, None], depth: int = 2) -> Iterator[Audio]:
    """Decode ahead in a thread while the caller analyzes the current block.

    libsndfile, ffmpeg's pipe and numpy release the GIL, so decoding the next block
    overlaps the analysis of this one: the wall time approaches the larger of the two
    instead of their sum. At most ``depth`` decoded blocks wait. Errors are raised here,
    in the caller's thread; stopping early closes the decoder (and ffmpeg) in its thread.
    """
    ready: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for block in blocks:
                if not put(block):
                    return
            put(_END)
        except BaseException as exc:  # handed to the consumer, which raises it
            put(exc)
        finally:
            blocks.close()

    worker = threading.Thread(target=produce, name="tracktion-decode", daemon=True)
    worker.start()
    try:
        while (item := ready.get()) is not _END:
            if isinstance(item, BaseException):
                raise item
            assert isinstance(item, Audio)
            yield item
    finally:
        stop.set()
        worker.join()


def _tempo_of(tempo: TempoAnalyzer) -> TempoResult | None:
    # Too short a clip for a tempo still has a key, a loudness and tags.
    try:
        return tempo.result()
    except AudioError as exc:
        if exc.code is ErrorCode.TOO_SHORT:
            return None
        raise


def _first_beat(tempo: TempoResult | None) -> float | None:
    # A beatless track (ambient, a drone) has a tempo result but no first beat.
    if tempo is None or tempo.first_beat_s is None:
        return None
    return max(tempo.first_beat_s, 0.0)


def _mood_of(mood: MoodStream) -> MoodResult | None:
    # Too short a clip for the tagger still has everything else.
    try:
        return mood.result()
    except AudioError as exc:
        if exc.code is ErrorCode.TOO_SHORT:
            return None
        raise


def _probabilities(tags: Iterable[TagPrediction]) -> dict[str, float]:
    return {tag.tag: _unit(tag.probability) for tag in tags}


def _round(value: float | None, digits: int) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(value, digits)


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _unit(value: float) -> float:
    return min(1.0, max(0.0, value))


def _tags_dict(tags: TrackTags | None) -> dict[str, Any] | None:
    if tags is None:
        return None
    fields = dataclasses.asdict(tags)
    fields.pop("raw", None)
    return {name: value for name, value in fields.items() if value not in (None, "", [])}
