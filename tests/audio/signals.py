"""Small signal generators with known answers for the decode, loudness, energy and tag
tests: tones at an exact level, level steps, and three music-like loops of increasing
energy (a quiet pad, a mid-tempo groove, a loud dense techno loop).

Every generator is a pure function of its arguments (seeded RNG) and returns float64 of
shape ``(channels, n)`` (or ``(n,)`` where it says so); full scale is 1.0.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
from numpy.typing import NDArray
from scipy import signal

__all__ = [
    "CODEC_FRAME",
    "FFMPEG",
    "LOSSLESS_FORMATS",
    "LOSSY_FORMATS",
    "NO_FFMPEG",
    "db_to_amplitude",
    "encode",
    "fade",
    "groove",
    "level_steps",
    "pad",
    "stereo",
    "techno",
    "tone",
    "write_wav",
]

Signal = NDArray[np.float64]


def db_to_amplitude(db: float) -> float:
    return float(10 ** (db / 20))


def tone(
    freq_hz: float,
    seconds: float,
    sr: int,
    *,
    peak_dbfs: float = -20.0,
    phase: float = 0.0,
    channels: int = 2,
) -> Signal:
    """A sine of peak amplitude ``peak_dbfs`` on every channel, shape ``(channels, n)``."""
    t = np.arange(round(seconds * sr)) / sr
    y = db_to_amplitude(peak_dbfs) * np.sin(2 * np.pi * freq_hz * t + phase)
    return np.tile(y, (channels, 1))


def fade(y: Signal, sr: int, seconds: float = 0.05) -> Signal:
    """Raised-cosine fade in and out (so that no edge rings in an interpolator)."""
    n = min(round(seconds * sr), y.shape[-1] // 2)
    ramp = 0.5 - 0.5 * np.cos(np.linspace(0.0, np.pi, n))
    out = y.copy()
    out[..., :n] *= ramp
    out[..., y.shape[-1] - n :] *= ramp[::-1]
    return out


def level_steps(levels_dbfs: list[float], seconds_each: float, sr: int) -> Signal:
    """1 kHz stereo tone stepping through peak levels (EBU Tech 3342 LRA cases)."""
    return np.concatenate([tone(1000.0, seconds_each, sr, peak_dbfs=db) for db in levels_dbfs], 1)


def stereo(y: Signal, width: float = 0.3, seed: int = 0) -> Signal:
    """Two channels from a mono signal: mid plus and minus a side made by a short random
    (smoothed, so no added treble) filter of it."""
    rng = np.random.default_rng(seed)
    kernel = rng.standard_normal(64) * np.hanning(64) / 8
    side = width * signal.oaconvolve(y, signal.oaconvolve(kernel, np.hanning(9) / 4.5), "same")
    return np.stack([y + side, y - side])


def _kick(sr: int, gain: float) -> Signal:
    k = np.arange(round(0.25 * sr)) / sr
    freq = 50 + 110 * np.exp(-k * 35)
    return gain * np.sin(2 * np.pi * np.cumsum(freq) / sr) * np.exp(-k * 14)


def _noise_burst(sr: int, seconds: float, decay_s: float, rng: np.random.Generator) -> Signal:
    """A bright noise burst (first difference of white noise) band-limited below 15 kHz,
    as recorded cymbals are: energy right up to Nyquist would make true peaks depend on
    the oversampling filter's transition band rather than on the signal."""
    n = round(seconds * sr)
    burst = np.diff(rng.standard_normal(n + 1))
    burst = signal.sosfilt(signal.butter(8, min(15000.0, 0.4 * sr), fs=sr, output="sos"), burst)
    return np.asarray(burst) * np.exp(-np.arange(n) / (decay_s * sr))


def _place(out: Signal, hit: Signal, start_s: float, sr: int) -> None:
    n = round(start_s * sr)
    if n >= len(out):
        return
    m = min(len(hit), len(out) - n)
    out[n : n + m] += hit[:m]


def pad(seconds: float, sr: int, *, peak_dbfs: float = -30.0) -> Signal:
    """A quiet, sparse pad: a slowly swelling A minor chord of soft sines, no percussion,
    stereo; its chord changes every 4 s."""
    t = np.arange(round(seconds * sr)) / sr
    chords = ((220.0, 261.63, 329.63), (174.61, 220.0, 261.63))
    y = np.zeros_like(t)
    for i, start in enumerate(np.arange(0.0, seconds, 4.0)):
        seg = (t >= start) & (t < start + 4.0)
        local = t[seg] - start
        swell = np.sin(np.pi * local / 4.0) ** 2
        for f in chords[i % 2]:
            y[seg] += swell * np.sin(2 * np.pi * f * t[seg])
    y *= db_to_amplitude(peak_dbfs) / np.max(np.abs(y))
    return stereo(y, width=0.05)


def groove(seconds: float, sr: int, *, bpm: float = 100.0, seed: int = 1) -> Signal:
    """A mid-tempo groove at a moderate level: kick on 1 and 3, snare on 2 and 4, closed
    hats on the eighths, a plucked bass, a soft pad underneath."""
    rng = np.random.default_rng(seed)
    beat = 60.0 / bpm
    y = np.zeros(round(seconds * sr))
    t = np.arange(len(y)) / sr
    for i, start in enumerate(np.arange(0.0, seconds, beat)):
        if i % 2 == 0:
            _place(y, _kick(sr, 0.6), start, sr)
        else:
            snare = _noise_burst(sr, 0.2, 0.05, rng) * 0.25
            snare += (
                0.3
                * np.sin(2 * np.pi * 190 * np.arange(len(snare)) / sr)
                * np.exp(-np.arange(len(snare)) / (0.04 * sr))
            )
            _place(y, snare, start, sr)
        for half in (0.0, 0.5):
            _place(y, _noise_burst(sr, 0.05, 0.01, rng) * 0.1, start + half * beat, sr)
        note = (55.0, 65.41, 49.0, 43.65)[(i // 4) % 4]
        k = np.arange(round(beat * sr)) / sr
        _place(y, 0.25 * np.sin(2 * np.pi * note * k) * np.exp(-k * 4), start, sr)
    y += 0.03 * (np.sin(2 * np.pi * 220.0 * t) + np.sin(2 * np.pi * 329.63 * t))
    y *= db_to_amplitude(-6.0) / np.max(np.abs(y))
    return stereo(y, width=0.2, seed=seed)


def techno(seconds: float, sr: int, *, bpm: float = 140.0, seed: int = 2) -> Signal:
    """A loud, dense, hard techno-like loop: four-on-the-floor kick, sixteenth hats, a
    clap on 2 and 4, a distorted off-beat bass, everything soft-clipped near 0 dBFS."""
    rng = np.random.default_rng(seed)
    beat = 60.0 / bpm
    y = np.zeros(round(seconds * sr))
    for i, start in enumerate(np.arange(0.0, seconds, beat)):
        _place(y, _kick(sr, 1.0), start, sr)
        if i % 2 == 1:
            _place(y, _noise_burst(sr, 0.15, 0.04, rng) * 0.5, start, sr)
        for quarter in (0.0, 0.25, 0.5, 0.75):
            gain = 0.35 if quarter == 0.5 else 0.2
            _place(y, _noise_burst(sr, 0.06, 0.015, rng) * gain, start + quarter * beat, sr)
        k = np.arange(round(beat * sr / 2)) / sr
        bass = np.tanh(4 * np.sin(2 * np.pi * 55.0 * k)) * np.exp(-k * 6) * 0.5
        _place(y, bass, start + beat / 2, sr)
    y = np.tanh(2.5 * y)  # hard limiting / saturation: dense and loud
    y *= db_to_amplitude(-0.5) / np.max(np.abs(y))
    return stereo(y, width=0.25, seed=seed)


# --- test media -------------------------------------------------------------------------

FFMPEG = shutil.which("ffmpeg")
"""The ffmpeg executable, or ``None``; tests that need it skip with :data:`NO_FFMPEG`."""
NO_FFMPEG = "ffmpeg is not installed (apt install ffmpeg): needed to encode test media"

LOSSLESS_FORMATS: dict[str, list[str]] = {
    "flac": ["-c:a", "flac"],
    "aiff": ["-c:a", "pcm_s16be"],
    "alac.m4a": ["-c:a", "alac"],
}
"""Formats (file suffix -> ffmpeg arguments) that decode to the source samples exactly."""
LOSSY_FORMATS: dict[str, list[str]] = {
    "mp3": ["-c:a", "libmp3lame", "-b:a", "192k"],
    "ogg": ["-c:a", "libvorbis", "-q:a", "5"],
    "opus": ["-c:a", "libopus", "-b:a", "128k"],
    "aac.m4a": ["-c:a", "aac", "-b:a", "192k"],
    "wma": ["-c:a", "wmav2", "-b:a", "192k"],
}
"""Lossy formats, with the codec frame (samples) that bounds their length error."""
CODEC_FRAME: dict[str, int] = {"mp3": 1152, "ogg": 2048, "opus": 960, "aac.m4a": 1024, "wma": 2048}


def write_wav(path: Path, y: NDArray[np.floating[Any]], sr: int, subtype: str = "PCM_16") -> Path:
    """Write ``(channels, n)`` samples with libsndfile (WAV, AIFF or FLAC by suffix)."""
    sf.write(path, np.asarray(y).T, sr, subtype=subtype)
    return path


def encode(
    source: Path, target: Path, args: list[str], metadata: dict[str, str] | None = None
) -> Path:
    """Encode ``source`` with ffmpeg (which must be installed) into ``target``."""
    assert FFMPEG is not None, NO_FFMPEG
    tags = [
        arg for key, value in (metadata or {}).items() for arg in ("-metadata", f"{key}={value}")
    ]
    command = [FFMPEG, "-nostdin", "-v", "error", "-y", "-i", str(source), *tags, *args]
    if target.suffix in (".aiff", ".aif") and metadata:
        command += ["-write_id3v2", "1"]
    subprocess.run([*command, str(target)], check=True, capture_output=True, timeout=60)
    return target
