"""The systems the benchmark compares, each as ``analyze(path) -> Estimate``, decode included.

- ``tracktion``: ``tracktion.audio.analyze_file`` when it exists; until then
  ``tracktion.audio.tempo.estimate_tempo`` and ``tracktion.audio.key.estimate_key`` on a
  22,050 Hz mono signal from :func:`load_mono` (whichever of the two exists: the other
  column stays empty). The modules are looked up at run time because they are being
  written while this harness is: an import that fails says so instead of stopping the run.
- ``librosa``: what a notebook does — ``librosa.load`` at 22,050 Hz, ``beat_track``, and
  the mean of ``chroma_cqt`` correlated with the 24 rotations of the Krumhansl-Kessler key
  profiles. Written plainly on purpose: it is the baseline a user would write.
- ``essentia``: ``RhythmExtractor2013(method="multifeature")`` and
  ``KeyExtractor(profileType="edma")`` on ``MonoLoader`` at 44.1 kHz, the documented
  use (Opus, which the decoder in essentia's wheel lacks, through the ffmpeg CLI).
  essentia is AGPL-3.0: it is imported here only, and installed only into the
  benchmark's own environment, never into the project's.

``decode_native`` is the floor the throughput is compared with: decoding the file to float
samples at its own rate and channels, and nothing else.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import os
import subprocess
import sys
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import metadata
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
import soxr
from numpy.typing import NDArray

from benchmarks.audio.scoring import key_name

__all__ = [
    "SYSTEMS",
    "Estimate",
    "System",
    "SystemUnavailableError",
    "decode_native",
    "load_mono",
    "make_system",
]

ANALYSIS_RATE = 22_050
BLOCK_FRAMES = 1 << 18
"""Frames per decoded block (about 6 s at 44.1 kHz): memory stays bounded on long files."""

ESSENTIA_UNDECODABLE = frozenset({".opus"})
"""Formats the decoder bundled in essentia's wheel lacks: ``MonoLoader`` fails with
"AudioLoader: Unsupported codec" and the process crashes later. The ffmpeg CLI decodes
them for essentia instead, inside its timing like its own decoder would be."""

# Krumhansl & Kessler (1982) probe-tone ratings, C major and C minor.
KK_MAJOR = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
KK_MINOR = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])


@dataclass(frozen=True, slots=True)
class Estimate:
    """What a system says about one file; ``None`` where it says nothing."""

    bpm: float | None
    key: str | None


class SystemUnavailableError(Exception):
    """The system cannot run here (not installed, or not written yet)."""


@dataclass(frozen=True, slots=True)
class System:
    """A named analyzer and what it estimates.

    Attributes:
        name: Short name used on the command line and in tables.
        label: What exactly runs, for the report.
        analyze: Path -> estimate, decoding included.
        tempo: Whether it estimates tempo (else its tempo cells stay empty).
        key: Whether it estimates the key.
    """

    name: str
    label: str
    analyze: Callable[[Path], Estimate]
    tempo: bool = True
    key: bool = True


# --------------------------------------------------------------------------- decoding


def _ffmpeg_pcm(path: Path, *options: str) -> bytes:
    command = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-i", str(path)]
    command += [*options, "-f", "f32le", "-"]
    return subprocess.run(command, check=True, capture_output=True).stdout


def _libsndfile_reads(path: Path) -> bool:
    """Whether libsndfile decodes the file (WAV, AIFF, FLAC, Ogg Vorbis/Opus, MP3)."""
    try:
        sf.info(str(path))
    except (sf.LibsndfileError, RuntimeError):
        return False
    return True


def decode_native(path: Path) -> NDArray[np.float32]:
    """Decode to float32 at the file's own rate and channels, the fastest way: soundfile,
    but ffmpeg for Opus (three times as fast as libsndfile's) and what soundfile cannot
    read."""
    if path.suffix.lower() != ".opus" and _libsndfile_reads(path):
        audio, _ = sf.read(str(path), dtype="float32", always_2d=True)
        return np.asarray(audio, dtype=np.float32)
    return np.frombuffer(_ffmpeg_pcm(path), dtype=np.float32)


def load_mono(path: Path, sample_rate: int = ANALYSIS_RATE) -> NDArray[np.float32]:
    """Decode, downmix and resample (soxr, high quality) block by block.

    The output is allocated once from the file's length, so an hour of audio costs its
    final 22,050 Hz mono array (about 320 MB) plus one block, not the decoded stereo
    float at 44.1 kHz (1.3 GB). What libsndfile cannot read (AAC, ALAC, WMA) is decoded,
    downmixed and resampled by ffmpeg instead.
    """
    if not _libsndfile_reads(path):
        return np.frombuffer(_ffmpeg_pcm(path, "-ac", "1", "-ar", str(sample_rate)), np.float32)
    with sf.SoundFile(str(path)) as source:
        out = np.empty(
            int(np.ceil(source.frames * sample_rate / source.samplerate)) + 64, np.float32
        )
        stream = soxr.ResampleStream(source.samplerate, sample_rate, 1, dtype="float32")
        filled = 0
        blocks = source.blocks(BLOCK_FRAMES, dtype="float32", always_2d=True)
        flush = (np.zeros((0, 1), np.float32), True)  # soxr's tail after the last block
        for block, last in chain(((b, False) for b in blocks), [flush]):
            chunk = stream.resample_chunk(block.mean(axis=1, dtype=np.float32), last=last)
            if filled + chunk.shape[0] > out.shape[0]:
                # A header that undercounts its frames (some MP3s): grow rather than fail.
                out = np.concatenate(
                    [out[:filled], np.empty(chunk.shape[0] + out.shape[0] // 8, np.float32)]
                )
            out[filled : filled + chunk.shape[0]] = chunk
            filled += chunk.shape[0]
    return out[:filled]


# --------------------------------------------------------------------------- tracktion


def _tracktion() -> System:
    # The public name first, then the module it is written in (until it is re-exported).
    analyze_file, why_not = _function("tracktion.audio", "analyze_file")
    if analyze_file is None:
        analyze_file, why_not = _function("tracktion.audio.analyzer", "analyze_file")
    if analyze_file is not None:
        # Tempo and key only, as the peers compute, when the analyzer can be told so.
        parameters = inspect.signature(analyze_file).parameters
        options = {"features": ("tempo", "key")} if "features" in parameters else {}

        def analyze(path: Path) -> Estimate:
            return _tracktion_estimate(analyze_file(path, **options))

        where = f"{analyze_file.__module__}.analyze_file"
        features = " (features=tempo,key)" if options else ""
        return System("tracktion", f"{where}{features}", analyze)

    estimate_tempo, why_no_tempo = _function("tracktion.audio.tempo", "estimate_tempo")
    estimate_key, why_no_key = _function("tracktion.audio.key", "estimate_key")
    if estimate_tempo is None and estimate_key is None:
        raise SystemUnavailableError(f"{why_not}; {why_no_tempo}; {why_no_key}")

    def analyze_parts(path: Path) -> Estimate:
        y = load_mono(path)
        bpm = estimate_tempo(y, ANALYSIS_RATE, bpm_range=(70, 180)).bpm if estimate_tempo else None
        key = estimate_key(y, ANALYSIS_RATE).key if estimate_key else None
        return Estimate(bpm, key)

    parts = [
        name
        for name, function in (("estimate_tempo", estimate_tempo), ("estimate_key", estimate_key))
        if function is not None
    ]
    label = f"tracktion.audio {' + '.join(parts)} on load_mono (analyze_file: {why_not})"
    return System(
        "tracktion",
        label,
        analyze_parts,
        tempo=estimate_tempo is not None,
        key=estimate_key is not None,
    )


def _tracktion_estimate(result: Any) -> Estimate:
    """BPM and key name from an analysis result, flat (``.bpm``, ``.key`` names) or nested
    (``.tempo.bpm``, ``.key.key`` as in ``TrackAnalysis``)."""
    bpm = getattr(result, "bpm", None)
    if bpm is None and getattr(result, "tempo", None) is not None:
        bpm = result.tempo.bpm
    key = getattr(result, "key", None)
    if key is not None and not isinstance(key, str):
        key = key.key
    return Estimate(None if bpm is None else float(bpm), key)


def _function(module_name: str, name: str) -> tuple[Any, str]:
    """``(module.name, "")`` if it exists, else ``(None, why)``: modules still being written
    may be missing, or import something that is."""
    try:
        module = importlib.import_module(module_name)
        # A package may import its names lazily, so the attribute itself can fail to import.
        function = getattr(module, name, None)
    except ImportError as error:
        return None, f"{module_name}.{name}: {error}"
    return function, "" if function is not None else f"no {module_name}.{name}"


# --------------------------------------------------------------------------- librosa


def _librosa() -> System:
    import librosa

    def analyze(path: Path) -> Estimate:
        with warnings.catch_warnings():
            # librosa warns on every M4A that it falls back from soundfile to audioread.
            warnings.simplefilter("ignore")
            y, sr = librosa.load(path, sr=ANALYSIS_RATE)
        tempo, _beats = librosa.beat.beat_track(y=y, sr=sr)
        chroma = librosa.feature.chroma_cqt(y=y, sr=sr)
        profile = chroma.mean(axis=1)
        best, best_key = -2.0, ""
        for tonic in range(12):
            for mode, template in (("major", KK_MAJOR), ("minor", KK_MINOR)):
                r = float(np.corrcoef(profile, np.roll(template, tonic))[0, 1])
                if r > best:
                    best, best_key = r, key_name(tonic, mode)
        return Estimate(float(np.atleast_1d(tempo)[0]), best_key)

    return System(
        "librosa",
        f"librosa {metadata.version('librosa')} beat_track + chroma_cqt/Krumhansl (notebook)",
        analyze,
    )


# --------------------------------------------------------------------------- essentia


def _essentia() -> System:
    try:
        # essentia's C++ logger prints to the process's stdout while it loads, which would
        # break `evaluate --json`: that line goes to stderr instead.
        with _stdout_to_stderr():
            import essentia
            import essentia.standard as es
    except ImportError as error:
        raise SystemUnavailableError(
            f"essentia is not installed here ({error}); it lives in the benchmark "
            "environment only: run benchmarks/audio/run.sh"
        ) from error
    essentia.log.infoActive = False  # one line per algorithm and file otherwise
    essentia.log.warningActive = False
    rhythm = es.RhythmExtractor2013(method="multifeature")
    key_extractor = es.KeyExtractor(profileType="edma")

    def analyze(path: Path) -> Estimate:
        if path.suffix.lower() in ESSENTIA_UNDECODABLE:
            audio = np.frombuffer(_ffmpeg_pcm(path, "-ac", "1", "-ar", "44100"), np.float32)
        else:
            audio = es.MonoLoader(filename=str(path), sampleRate=44_100)()
        bpm = rhythm(audio)[0]
        key, scale, _strength = key_extractor(audio)
        return Estimate(float(bpm), f"{key} {scale}")

    return System(
        "essentia",
        f"essentia {essentia.__version__} RhythmExtractor2013(multifeature) + "
        "KeyExtractor(edma); Opus decoded by the ffmpeg CLI",
        analyze,
    )


@contextlib.contextmanager
def _stdout_to_stderr() -> Iterator[None]:
    """Send file descriptor 1 to stderr for a while (also what C libraries write)."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        os.dup2(2, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


SYSTEMS: dict[str, Callable[[], System]] = {
    "tracktion": _tracktion,
    "librosa": _librosa,
    "essentia": _essentia,
}


def make_system(name: str) -> System:
    """Build the system ``name``; raises :class:`SystemUnavailableError` with the reason."""
    return SYSTEMS[name]()
