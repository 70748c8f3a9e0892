"""The part of the analysis service that runs in its worker processes.

Everything here is picklable and imports the analysis stack itself, so the service's
event loop process stays light and a crash in a decoder takes down one worker, not the
service.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tracktion.audio import ALGORITHM_VERSION, AnalysisCache, AudioError, Feature, analyze_file
from tracktion.audio.cache import content_hash, process_cache
from tracktion.audio.tags import TrackTags, read_tags

__all__ = ["Failure", "Job", "Success", "algorithm_version", "analyze", "read_file_tags"]

# Which analyzer features each requested analysis type needs.
_FEATURES = {
    "bpm": {Feature.TEMPO},
    "beats": {Feature.TEMPO},
    "key": {Feature.KEY},
    "energy": {Feature.ENERGY, Feature.LOUDNESS},
    "loudness": {Feature.LOUDNESS},
    "mood": {Feature.MOOD},
    "genre": {Feature.MOOD},
}


@dataclass(frozen=True, slots=True)
class Job:
    """One file to analyze."""

    path: str
    types: tuple[str, ...]
    bpm_range: tuple[float, float]
    cache_path: str | None
    xxh128: str | None = None
    """The content hash when the requester knows it (saves hashing the file again)."""


@dataclass(frozen=True, slots=True)
class Success:
    """The analysis results (``AnalysisResults`` JSON) and the file's tags."""

    results: dict[str, Any]
    tags: dict[str, str]
    algorithm_version: str
    cached: bool


@dataclass(frozen=True, slots=True)
class Failure:
    """Why the file could not be analyzed (an ``AudioError`` code and message)."""

    code: str
    message: str


def algorithm_version() -> str:
    """The analyzer's version, part of every result's identity."""
    return ALGORITHM_VERSION


def analyze(job: Job) -> Success | Failure:
    """Analyze ``job.path`` (or take its result from the cache); never raises for a bad file."""
    features = {Feature.TAGS}
    for kind in job.types:
        features |= _FEATURES.get(kind, set())
    try:
        cache = process_cache(job.cache_path)
        key = None
        if cache is not None:
            content = job.xxh128 or content_hash(job.path)
            options = {"features": sorted(features), "bpm_range": list(job.bpm_range)}
            key = AnalysisCache.key(content, ALGORITHM_VERSION, options)
            stored = cache.get(key)
            if stored is not None:
                return Success(stored["results"], stored["tags"], ALGORITHM_VERSION, cached=True)
        analysis = analyze_file(job.path, features=features, bpm_range=job.bpm_range)
        results = analysis.to_results().model_dump(mode="json")
        tags = _tags_of(analysis.tags)
        if cache is not None and key is not None:
            cache.put(key, {"results": results, "tags": tags})
        return Success(results, tags, ALGORITHM_VERSION, cached=False)
    except AudioError as exc:
        return Failure(exc.code.value, str(exc))
    except OSError as exc:
        return Failure("unreadable", f"{job.path}: {exc.strerror or exc}")
    except Exception as exc:  # a bug must fail this file loudly, not retry it forever
        return Failure("analysis_failed", f"{job.path}: {type(exc).__name__}: {exc}")


def read_file_tags(path: str) -> dict[str, str]:
    """The file's tags as catalog strings (``metadata.extract``)."""
    return _tags_of(read_tags(path))


_TAG_FIELDS = (
    "artist",
    "title",
    "album",
    "album_artist",
    "genre",
    "label",
    "year",
    "track",
    "bpm",
    "key",
    "comment",
    "isrc",
    "replaygain_track_gain_db",
    "replaygain_track_peak",
)


def _tags_of(tags: TrackTags | None) -> dict[str, str]:
    if tags is None:
        return {}
    fields = ((name, getattr(tags, name)) for name in _TAG_FIELDS)
    return {name: str(value) for name, value in fields if value not in (None, "")}
