"""Audio analysis for DJs: tempo and beat grid, key, loudness (EBU R128), energy, tags,
and (opt-in) genre and mood tags from a neural network.

Functions work on arrays in a notebook (``estimate_tempo(y, sr)``), on files
(``analyze_file(path)``) and on many files at once (``analyze_many(paths)``)::

    >>> from tracktion.audio import analyze_file            # doctest: +SKIP
    >>> analyze_file("track.flac").to_dict()["bpm"]          # doctest: +SKIP
    128.0

Names are imported on first use, so ``import tracktion.audio`` stays cheap until the
analysis stack (librosa, numba) is needed.
"""

from __future__ import annotations

import importlib
from importlib.metadata import version as _version
from typing import TYPE_CHECKING, Any

__version__ = _version("tracktion-audio")

# Each public name and the module that defines it.
_EXPORTS = {
    "ALGORITHM_VERSION": "analyzer",
    "ANALYSIS_SR": "analyzer",
    "Feature": "analyzer",
    "TrackAnalysis": "analyzer",
    "analyze_file": "analyzer",
    "BatchError": "batch",
    "BatchItem": "batch",
    "BatchOptions": "batch",
    "analyze_many": "batch",
    "AnalysisCache": "cache",
    "content_hash": "cache",
    "process_cache": "cache",
    "Audio": "decode",
    "AudioInfo": "decode",
    "load": "decode",
    "open_stream": "decode",
    "probe": "decode",
    "resample": "decode",
    "stream": "decode",
    "stream_from": "decode",
    "EnergyAnalyzer": "energy",
    "estimate_energy": "energy",
    "AudioError": "errors",
    "ErrorCode": "errors",
    "KeyAnalyzer": "key",
    "estimate_key": "key",
    "LoudnessMeter": "loudness",
    "measure_loudness": "loudness",
    "MoodAnalyzer": "mood",
    "MoodResult": "mood",
    "TagCategory": "mood",
    "TagPrediction": "mood",
    "analyze_mood": "mood",
    "tag_audio": "mood",
    "KeyNotation": "notation",
    "camelot_sortable": "notation",
    "format_key": "notation",
    "parse_key": "notation",
    "to_camelot": "notation",
    "to_open_key": "notation",
    "to_standard": "notation",
    "EnergyResult": "results",
    "KeyCandidate": "results",
    "KeyResult": "results",
    "LoudnessResult": "results",
    "TempoResult": "results",
    "TrackTags": "tags",
    "read_tags": "tags",
    "write_analysis_tags": "tags",
    "TempoAnalyzer": "tempo",
    "estimate_tempo": "tempo",
}

__all__ = [
    "ALGORITHM_VERSION",
    "ANALYSIS_SR",
    "AnalysisCache",
    "Audio",
    "AudioError",
    "AudioInfo",
    "BatchError",
    "BatchItem",
    "BatchOptions",
    "EnergyAnalyzer",
    "EnergyResult",
    "ErrorCode",
    "Feature",
    "KeyAnalyzer",
    "KeyCandidate",
    "KeyNotation",
    "KeyResult",
    "LoudnessMeter",
    "LoudnessResult",
    "MoodAnalyzer",
    "MoodResult",
    "TagCategory",
    "TagPrediction",
    "TempoAnalyzer",
    "TempoResult",
    "TrackAnalysis",
    "TrackTags",
    "__version__",
    "analyze_file",
    "analyze_many",
    "analyze_mood",
    "camelot_sortable",
    "content_hash",
    "estimate_energy",
    "estimate_key",
    "estimate_tempo",
    "format_key",
    "load",
    "measure_loudness",
    "open_stream",
    "parse_key",
    "probe",
    "process_cache",
    "read_tags",
    "resample",
    "stream",
    "stream_from",
    "tag_audio",
    "to_camelot",
    "to_open_key",
    "to_standard",
    "write_analysis_tags",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'tracktion.audio' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return __all__


if TYPE_CHECKING:
    from .analyzer import ALGORITHM_VERSION, ANALYSIS_SR, Feature, TrackAnalysis, analyze_file
    from .batch import BatchError, BatchItem, BatchOptions, analyze_many
    from .cache import AnalysisCache, content_hash, process_cache
    from .decode import (
        Audio,
        AudioInfo,
        load,
        open_stream,
        probe,
        resample,
        stream,
        stream_from,
    )
    from .energy import EnergyAnalyzer, estimate_energy
    from .errors import AudioError, ErrorCode
    from .key import KeyAnalyzer, estimate_key
    from .loudness import LoudnessMeter, measure_loudness
    from .mood import MoodAnalyzer, MoodResult, TagCategory, TagPrediction, analyze_mood, tag_audio
    from .notation import (
        KeyNotation,
        camelot_sortable,
        format_key,
        parse_key,
        to_camelot,
        to_open_key,
        to_standard,
    )
    from .results import EnergyResult, KeyCandidate, KeyResult, LoudnessResult, TempoResult
    from .tags import TrackTags, read_tags, write_analysis_tags
    from .tempo import TempoAnalyzer, estimate_tempo
