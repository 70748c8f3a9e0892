"""Mood and genre tags from a pre-trained music tagger: musicnn's ``MSD_musicnn``.

The model (Pons & Serra, *musicnn: pre-trained convolutional neural networks for music
audio tagging*, 2019; ISC licence) was trained on the Million Song Dataset's 50 most
frequent Last.fm tags: genres, moods, eras and instrumentation. Its weights ship inside
this package (``data/musicnn_msd.npz``, converted from musicnn's checkpoint), so nothing
is downloaded. The network runs on numpy (:mod:`._musicnn`), or, with the
``tracktion-audio[ml]`` extra installed, on ONNX Runtime (:mod:`._musicnn_onnx`: the same
network built at run time from the same weights, for 2.4 to 3.5 times less CPU per
track); see :class:`MoodAnalyzer`'s ``backend``.

How a track is tagged: mono audio resampled to 16 kHz, a log-mel spectrogram (96 bands,
16 ms hop), cut into 3-second patches without overlap; the network gives each patch a
probability per tag and the track's probability is their mean (as musicnn evaluates whole
tracks). Patches the model hears as digital silence (every input value zero) are left
out; audio shorter than a patch is repeat-padded, as in musicnn's training.

The probabilities are the model's sigmoid outputs: calibrated on Last.fm tagging habits,
not on any ground truth of "the" genre, and rarely far above 0.5. Compare them between
tracks or rank them within one; do not read them as certainties.

>>> from tracktion.audio.mood import analyze_mood                   # doctest: +SKIP
>>> [t.tag for t in analyze_mood("house-000.mp3").genres]            # doctest: +SKIP
['electronic', 'chillout', 'dance', 'pop', 'electronica']

(a synthetic house piece of the benchmark corpus; see ``docs/concepts/mood-tagging.md``).
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from typing import Any, Literal, Protocol, get_args

import numpy as np
import soxr
from numpy.typing import NDArray

from tracktion.core.errors import MissingExtraError

from ._musicnn import LogMelFrames, Musicnn
from .decode import stream
from .errors import AudioError, ErrorCode

__all__ = [
    "DEFAULT_TOP_K",
    "MIN_DURATION_S",
    "TAG_CATEGORIES",
    "Backend",
    "MoodAnalyzer",
    "MoodResult",
    "MoodStream",
    "Network",
    "TagCategory",
    "TagPrediction",
    "analyze_mood",
    "default_analyzer",
    "tag_audio",
]

DEFAULT_TOP_K = 5
"""Tags kept per list (all tags, genres, moods) unless asked otherwise."""

MIN_DURATION_S = 1.0
"""Shortest audio tagged, in seconds: shorter input raises ``AudioError(TOO_SHORT)``.
From 1 s to one patch (about 3 s) the spectrogram is repeat-padded."""

WEIGHTS = "data/musicnn_msd.npz"
"""The shipped model, relative to the package."""

F32 = NDArray[np.float32]

Backend = Literal["auto", "numpy", "onnx"]
"""What runs the network: ``"onnx"`` (ONNX Runtime, from ``tracktion-audio[ml]``),
``"numpy"`` (always installed) or ``"auto"``, ONNX Runtime when the extra is installed
and numpy otherwise. Both give the same probabilities to float32 rounding (1e-6)."""


class Network(Protocol):
    """What scores patches: :class:`._musicnn.Musicnn` (numpy) or
    :class:`._musicnn_onnx.OnnxMusicnn`."""

    def predict(self, patches: F32) -> F32:
        """Tag probabilities ``(p, tags)`` of log-mel patches ``(p, frames, bands)``."""
        ...


class TagCategory(StrEnum):
    """What a tag describes."""

    GENRE = "genre"
    MOOD = "mood"
    ERA = "era"
    INSTRUMENTATION = "instrumentation"
    """Voices and instruments: ``female vocalists``, ``instrumental``, ``guitar``..."""
    OTHER = "other"
    """A tag of another model that this mapping does not know."""


_GENRES = (
    "rock", "pop", "alternative", "indie", "electronic", "dance", "alternative rock",
    "jazz", "metal", "classic rock", "soul", "indie rock", "electronica", "folk", "punk",
    "blues", "hard rock", "ambient", "experimental", "Hip-Hop", "country",
    "easy listening", "funk", "electro", "heavy metal", "Progressive rock", "rnb",
    "indie pop", "House", "chillout",
)  # fmt: skip
_MOODS = ("beautiful", "Mellow", "chill", "party", "sexy", "catchy", "sad", "happy")
_ERAS = ("00s", "80s", "90s", "70s", "60s", "oldies")
_INSTRUMENTATION = (
    "female vocalists", "male vocalists", "female vocalist", "instrumental", "guitar",
    "acoustic",
)  # fmt: skip

TAG_CATEGORIES: Mapping[str, TagCategory] = {
    **dict.fromkeys(_GENRES, TagCategory.GENRE),
    **dict.fromkeys(_MOODS, TagCategory.MOOD),
    **dict.fromkeys(_ERAS, TagCategory.ERA),
    **dict.fromkeys(_INSTRUMENTATION, TagCategory.INSTRUMENTATION),
}
"""The category of each of the 50 MSD tags (names exactly as the model has them).

Genres (30): rock, pop, alternative, indie, electronic, dance, alternative rock, jazz,
metal, classic rock, soul, indie rock, electronica, folk, punk, blues, hard rock, ambient,
experimental, Hip-Hop, country, easy listening, funk, electro, heavy metal, Progressive
rock, rnb, indie pop, House, chillout. Moods (8): beautiful, Mellow, chill, party, sexy,
catchy, sad, happy. Eras (6): 00s, 80s, 90s, 70s, 60s, oldies. Instrumentation (6): female
vocalists, male vocalists, female vocalist, instrumental, guitar, acoustic.
"""


@dataclass(frozen=True, slots=True)
class TagPrediction:
    """One tag and the model's probability for it, in [0, 1]."""

    tag: str
    probability: float
    category: TagCategory

    def to_dict(self) -> dict[str, Any]:
        """``{"tag": ..., "probability": ...}``, the probability to 4 decimals."""
        return {"tag": self.tag, "probability": round(self.probability, 4)}


@dataclass(frozen=True, slots=True)
class MoodResult:
    """Tags of a track, best first.

    Attributes:
        tags: The ``top_k`` most probable tags of any category.
        genres: The ``top_k`` most probable genre tags.
        moods: The ``top_k`` most probable mood tags.
        patches: How many 3-second patches the model heard (silent ones left out); 0 for
            silence, and then every list is empty.
        model: The model that gave the probabilities.
    """

    tags: tuple[TagPrediction, ...]
    genres: tuple[TagPrediction, ...]
    moods: tuple[TagPrediction, ...]
    patches: int
    model: str

    @classmethod
    def of(
        cls,
        tags: tuple[str, ...],
        probabilities: F32 | None,
        patches: int,
        model: str,
        top_k: int | None = DEFAULT_TOP_K,
    ) -> MoodResult:
        """Rank ``probabilities`` (one per tag; ``None`` for silence)."""
        ranked: list[TagPrediction] = []
        if probabilities is not None:
            order = sorted(range(len(tags)), key=lambda i: (-float(probabilities[i]), tags[i]))
            ranked = [
                TagPrediction(
                    tags[i],
                    float(probabilities[i]),
                    TAG_CATEGORIES.get(tags[i], TagCategory.OTHER),
                )
                for i in order
            ]

        def best(category: TagCategory | None) -> tuple[TagPrediction, ...]:
            kept = [t for t in ranked if category is None or t.category is category]
            return tuple(kept[:top_k])

        return cls(best(None), best(TagCategory.GENRE), best(TagCategory.MOOD), patches, model)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (``tracktion analyze --mood --json``)."""
        return {
            "model": self.model,
            "patches": self.patches,
            "tags": [t.to_dict() for t in self.tags],
            "genres": [t.to_dict() for t in self.genres],
            "moods": [t.to_dict() for t in self.moods],
        }


class MoodStream:
    """Tags of one signal fed block by block: memory stays bounded (patches are scored
    as they complete). Made by :meth:`MoodAnalyzer.stream`.

    Args:
        model: The model: its preprocessing, its tags and (by default) its network.
        sr: Sample rate of the blocks, in Hz (resampled to the model's 16 kHz with
            libsoxr's HQ preset, as ``librosa.load`` does).
        path: The file the blocks come from, named in errors.
        network: What scores the patches, when not ``model`` itself (numpy): the ONNX
            Runtime backend of :class:`MoodAnalyzer`.

    Raises:
        ValueError: ``sr`` is not positive.
    """

    def __init__(
        self, model: Musicnn, sr: int, *, path: str | None = None, network: Network | None = None
    ) -> None:
        if sr <= 0:
            raise ValueError(f"sample rate must be positive, not {sr!r}")
        self._model = model
        self._network: Network = network or model
        self._sr = sr
        self._path = path
        self._resampler = (
            None if sr == model.sr else soxr.ResampleStream(sr, model.sr, 1, dtype="float32")
        )
        self._frames = LogMelFrames(model)
        self._pending = np.zeros((0, model.n_mels), np.float32)
        self._sum = np.zeros(len(model.tags), np.float64)
        self._heard = 0
        self._patches = 0
        self._samples = 0
        self._final: tuple[F32 | None, int] | None = None

    @property
    def duration_s(self) -> float:
        """Audio received so far, in seconds."""
        return self._samples / self._sr

    def update(self, block: NDArray[np.floating[Any]]) -> None:
        """Add the next block: mono samples at the stream's rate, shape ``(n,)``.

        Raises:
            ValueError: ``block`` is not one-dimensional or holds NaN or infinity, or the
                stream has ended (:meth:`result` was called).
        """
        if self._final is not None:
            raise ValueError("the stream has ended: result() was called")
        x = np.asarray(block, dtype=np.float32)
        if x.ndim != 1:
            raise ValueError(f"a block is mono audio of shape (n,), not {x.shape}")
        if not np.isfinite(x).all():
            raise ValueError("a block holds NaN or infinite samples")
        if x.size == 0:
            return
        self._samples += x.size
        if self._resampler is not None:
            x = self._resampler.resample_chunk(x)
        self._add(self._frames.push(x))

    def result(self, *, top_k: int | None = DEFAULT_TOP_K) -> MoodResult:
        """End the stream and rank the tags (may be called again, with another ``top_k``).

        Raises:
            AudioError: ``TOO_SHORT`` under :data:`MIN_DURATION_S` of audio.
            ValueError: ``top_k`` is below 1.
        """
        if top_k is not None and top_k < 1:
            raise ValueError(f"top_k must be at least 1 (or None for all), not {top_k}")
        if self._final is None:
            self._final = self._finish()
        probabilities, heard = self._final
        return MoodResult.of(self._model.tags, probabilities, heard, self._model.name, top_k)

    def _finish(self) -> tuple[F32 | None, int]:
        if self.duration_s < MIN_DURATION_S:
            raise AudioError(
                ErrorCode.TOO_SHORT,
                f"{self.duration_s:.2f} s of audio is too short to tag "
                f"(at least {MIN_DURATION_S:g} s)",
                self._path,
            )
        if self._resampler is not None:
            tail = self._resampler.resample_chunk(np.zeros(0, np.float32), last=True)
            self._add(self._frames.push(tail))
        self._add(self._frames.finish())
        if self._patches == 0:  # shorter than a patch: repeat-pad, as musicnn trained
            need = self._model.patch_frames
            reps = math.ceil(need / self._pending.shape[0])
            self._score(np.tile(self._pending, (reps, 1))[None, :need])
        if self._heard == 0:
            return None, 0
        return (self._sum / self._heard).astype(np.float32), self._heard

    def _add(self, frames: F32) -> None:
        if frames.size:
            self._pending = np.concatenate([self._pending, frames])
        size = self._model.patch_frames
        full = self._pending.shape[0] // size
        if full:
            self._score(self._pending[: full * size].reshape(full, size, -1))
            self._pending = self._pending[full * size :]

    def _score(self, patches: F32) -> None:
        self._patches += patches.shape[0]
        heard = patches.max(axis=(1, 2)) > 0  # all zeros: digital silence to the model
        if heard.any():
            self._sum += self._network.predict(patches[heard]).sum(axis=0, dtype=np.float64)
            self._heard += int(heard.sum())


class MoodAnalyzer:
    """The tagger: loads the weights once, then tags arrays, files and streams.

    Args:
        weights: A converted model (``scripts/convert_musicnn_weights.py``); ``None`` for
            the shipped ``MSD_musicnn``.
        backend: What runs the network (:data:`Backend`): ``"auto"`` takes ONNX Runtime
            when ``tracktion-audio[ml]`` is installed, else numpy. The tags are the same.
        threads: ONNX Runtime's threads per operator (1: the analysis of many files runs
            one file per process). numpy's matrix products use its BLAS's own setting.

    Attributes:
        model: The weights and preprocessing (:class:`._musicnn.Musicnn`).
        backend: The backend chosen: ``"numpy"`` or ``"onnx"``.
        network: What scores the patches: ``model`` itself on numpy, else the
            :class:`._musicnn_onnx.OnnxMusicnn` built from it.

    Raises:
        OSError: ``weights`` cannot be read.
        ValueError: ``weights`` is not a converted musicnn model, ``backend`` is unknown
            or ``threads`` is below 1.
        MissingExtraError: ``backend="onnx"`` without ``onnx`` and ``onnxruntime``
            installed (``pip install 'tracktion-audio[ml]'``).
    """

    def __init__(
        self,
        weights: str | os.PathLike[str] | None = None,
        *,
        backend: Backend = "auto",
        threads: int = 1,
    ) -> None:
        if backend not in get_args(Backend):
            raise ValueError(f"backend is one of {', '.join(get_args(Backend))}, not {backend!r}")
        if threads < 1:
            raise ValueError(f"threads must be at least 1, not {threads}")
        if weights is None:
            with resources.as_file(resources.files(__package__ or "").joinpath(WEIGHTS)) as p:
                self.model = Musicnn.load(p)
        else:
            self.model = Musicnn.load(weights)
        self.network: Network = self.model
        self.backend: Literal["numpy", "onnx"] = "numpy"
        if backend != "numpy":
            from ._musicnn_onnx import OnnxMusicnn

            try:
                self.network = OnnxMusicnn(self.model, intra_op_threads=threads)
                self.backend = "onnx"
            except MissingExtraError:
                if backend == "onnx":
                    raise

    @property
    def tags(self) -> tuple[str, ...]:
        """Every tag of the model, in its output order."""
        return self.model.tags

    def stream(self, sr: int, *, path: str | None = None) -> MoodStream:
        """A :class:`MoodStream` for one signal at ``sr`` Hz."""
        return MoodStream(self.model, sr, path=path, network=self.network)

    def tag(
        self, y: NDArray[np.floating[Any]], sr: int, *, top_k: int | None = DEFAULT_TOP_K
    ) -> MoodResult:
        """Tags of a whole signal, shape ``(n,)`` or ``(channels, n)`` (channels averaged).

        Raises:
            ValueError: ``y`` has another shape or holds NaN or infinity, ``sr`` is not
                positive, or ``top_k`` is below 1.
            AudioError: ``TOO_SHORT`` under :data:`MIN_DURATION_S`.
        """
        x = np.asarray(y, dtype=np.float32)
        if x.ndim == 2:
            x = x.mean(axis=0, dtype=np.float32)
        if x.ndim != 1:
            raise ValueError(f"y is audio of shape (n,) or (channels, n), not {x.shape}")
        tagger = self.stream(sr)
        tagger.update(x)
        return tagger.result(top_k=top_k)

    def analyze(
        self, path: str | os.PathLike[str], *, top_k: int | None = DEFAULT_TOP_K
    ) -> MoodResult:
        """Tags of an audio file, decoded block by block.

        Raises:
            AudioError: the file cannot be decoded (``not_found``, ``not_audio``...) or is
                too short (``too_short``); the message names the file.
        """
        name = os.fspath(path)
        tagger: MoodStream | None = None
        for block in stream(name, block_s=10.0):
            tagger = tagger or self.stream(block.sr, path=name)
            tagger.update(block.mono())
        if tagger is None:
            raise AudioError(ErrorCode.TOO_SHORT, "no audio to tag", name)
        return tagger.result(top_k=top_k)


@functools.cache
def default_analyzer() -> MoodAnalyzer:
    """The shipped model, loaded once per process, on ONNX Runtime when
    ``tracktion-audio[ml]`` is installed (else numpy)."""
    return MoodAnalyzer()


def tag_audio(
    y: NDArray[np.floating[Any]], sr: int, *, top_k: int | None = DEFAULT_TOP_K
) -> MoodResult:
    """Genre and mood tags of a signal with the shipped model (see :meth:`MoodAnalyzer.tag`).

    Args:
        y: Samples, shape ``(n,)`` or ``(channels, n)``, nominally in [-1, 1].
        sr: Their sample rate, in Hz.
        top_k: Tags kept per list; ``None`` keeps all 50.

    Raises:
        ValueError: bad shape, NaN or infinity, ``sr`` not positive, ``top_k`` below 1.
        AudioError: ``TOO_SHORT`` under :data:`MIN_DURATION_S` of audio.
    """
    return default_analyzer().tag(y, sr, top_k=top_k)


def analyze_mood(path: str | os.PathLike[str], *, top_k: int | None = DEFAULT_TOP_K) -> MoodResult:
    """Genre and mood tags of an audio file with the shipped model.

    Raises:
        AudioError: the file cannot be decoded, or holds under :data:`MIN_DURATION_S`.
    """
    return default_analyzer().analyze(path, top_k=top_k)
