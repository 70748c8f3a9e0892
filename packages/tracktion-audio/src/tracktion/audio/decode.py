"""Decoding audio files into float32 arrays: :func:`probe`, :func:`load` and :func:`stream`.

Decoding stands apart from computation: the analysis modules take arrays, this module
turns files into arrays. Two decoders are tried in order:

1. libsndfile (through ``soundfile``): WAV, AIFF, FLAC, Ogg Vorbis and most MP3s, in
   process, with exact frame counts and cheap seeking; Opus too when ffmpeg is missing.
2. An ``ffmpeg`` subprocess for what libsndfile cannot read (M4A with AAC or ALAC, WMA,
   some MP3s) and for Opus, which it decodes three times as fast: ``ffprobe -of json``
   for the header (:func:`open_stream` does without), ``ffmpeg ... -f wav -`` read from
   the pipe in blocks. The binaries are found with :func:`shutil.which`; without them such
   files fail with :attr:`ErrorCode.UNSUPPORTED` saying that ffmpeg is needed.

Both decoders yield the file's own sample rate and channels; :func:`resample` and
:func:`resample_stream` (libsoxr) convert, and :meth:`Audio.mono` mixes down.

Files are only ever opened for reading. Every failure is an :class:`AudioError` naming the
file, with a code: a missing path or directory is ``NOT_FOUND``, a permission or I/O
error ``UNREADABLE``, zero bytes ``EMPTY_FILE``, content no decoder recognizes (text named
``.mp3``) ``NOT_AUDIO``, and a damaged or truncated stream ``CORRUPT`` -- unless enough
of it decodes (see :data:`SALVAGE_MIN_S`), in which case the decoded part is returned
with :attr:`Audio.partial` set.

>>> audio = load("track.flac", sr=22050, mono=True)  # doctest: +SKIP
>>> audio.samples.shape  # doctest: +SKIP
(1, 6615000)
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import os
import re
import shutil
import stat
import subprocess
import tempfile
import weakref
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any, Final, Literal

import mutagen
import mutagen.asf
import numpy as np
import soundfile as sf
import soxr
from numpy.typing import NDArray

from tracktion.audio.errors import AudioError, ErrorCode

__all__ = [
    "SALVAGE_MIN_FRACTION",
    "SALVAGE_MIN_S",
    "Audio",
    "AudioInfo",
    "ffmpeg_path",
    "load",
    "open_stream",
    "probe",
    "resample",
    "resample_stream",
    "sniff_audio",
    "stream",
    "stream_from",
]

log = logging.getLogger("tracktion.audio")

# Containers whose length ffprobe only estimates from the bit rate (raw ADTS AAC): their
# header says nothing a shorter decode could be measured against.
_ESTIMATED_LENGTH: Final = frozenset({"aac"})

SALVAGE_MIN_S: Final = 30.0
"""A truncated or damaged stream is kept when at least this many seconds decode..."""
SALVAGE_MIN_FRACTION: Final = 0.5
"""...or at least this fraction of the length its header declares; else it is CORRUPT."""

_PROBE_TIMEOUT_S: Final = 60.0
_LOAD_BLOCK_S: Final = 10.0
_STDERR_TAIL_CHARS: Final = 400
# Lossy decoders legitimately return a codec frame or two fewer (or more) samples than the
# header says (encoder delay and padding); a stream counts as cut short only beyond this.
_SHORTFALL_TOLERANCE_S: Final = 0.5
_SHORTFALL_TOLERANCE_FRACTION: Final = 0.01

Decoder = Literal["soundfile", "ffmpeg"]


@dataclass(frozen=True, slots=True)
class AudioInfo:
    """What a file's header says about its audio stream.

    Attributes:
        path: The file, as given.
        sr: Sample rate in Hz.
        channels: Number of channels (>= 1).
        frames: Length in samples per channel as the header says: exact for PCM, FLAC and
            Ogg; an estimate for MP3s without a Xing header and from ffprobe's duration
            (the decoded length may differ by a codec frame); ``None`` when unknown.
        duration_s: Length in seconds (``frames / sr``), ``None`` when unknown.
        container: Container, lower case: ``wav``, ``aiff``, ``flac``, ``ogg``, ``mp3``,
            or ffprobe's ``format_name`` (``mov,mp4,m4a,3gp,3g2,mj2``, ``asf``).
        codec: Codec, lower case: ``pcm_16``, ``float``, ``flac``, ``vorbis``, ``opus``,
            ``mp3``, ``aac``, ``alac``, ``wmav2``...
        decoder: Which decoder reads it: ``soundfile`` or ``ffmpeg``.
    """

    path: str
    sr: int
    channels: int
    frames: int | None
    duration_s: float | None
    container: str
    codec: str
    decoder: Decoder


@dataclass(frozen=True, slots=True, eq=False)
class Audio:
    """Decoded audio: float32 samples in [-1, 1] (lossy decoders may overshoot slightly).

    Attributes:
        samples: Shape ``(channels, n)``, float32, always 2-D (mono is ``(1, n)``).
        sr: Sample rate in Hz.
        path: The file it came from, ``None`` for a computed signal.
        partial: True when the stream ended early (truncated or damaged) and only the part
            that decoded is here; in :func:`stream`, set on the last block.
    """

    samples: NDArray[np.float32]
    sr: int
    path: str | None = None
    partial: bool = False

    def __post_init__(self) -> None:
        if self.samples.ndim != 2 or self.samples.dtype != np.float32:
            raise ValueError(
                "Audio.samples must be float32 of shape (channels, n), "
                f"not {self.samples.dtype} {self.samples.shape}"
            )
        if self.sr <= 0:
            raise ValueError(f"sample rate must be positive, not {self.sr}")

    @property
    def channels(self) -> int:
        """Number of channels."""
        return int(self.samples.shape[0])

    @property
    def frames(self) -> int:
        """Samples per channel."""
        return int(self.samples.shape[1])

    @property
    def duration_s(self) -> float:
        """Length in seconds."""
        return self.frames / self.sr

    def mono(self) -> NDArray[np.float32]:
        """The average of the channels, shape ``(n,)`` (every channel weighs the same,
        LFE included)."""
        samples = self.samples if self.channels == 1 else _mix_down(self.samples)
        return samples.reshape(-1)


# --- public functions -----------------------------------------------------------------


def ffmpeg_path() -> str | None:
    """The ``ffmpeg`` executable on ``PATH``, or ``None`` (then M4A, WMA... cannot load)."""
    return shutil.which("ffmpeg")


def probe(path: str | os.PathLike[str]) -> AudioInfo:
    """Read a file's header: sample rate, channels, length and format, without decoding.

    Raises:
        AudioError: ``NOT_FOUND``, ``UNREADABLE``, ``EMPTY_FILE``, ``NOT_AUDIO``,
            ``CORRUPT`` or ``UNSUPPORTED`` (needs ffmpeg), naming ``path``.
    """
    name = os.fspath(path)
    head = _check_file(name)
    try:
        return _prefer_ffmpeg(_probe_soundfile(name))
    except _RefusedError as exc:
        sf_reason = str(exc)
    return _probe_ffmpeg(name, head, sf_reason)


def open_stream(
    path: str | os.PathLike[str], *, block_s: float = 30.0
) -> tuple[AudioInfo, Generator[Audio, None, None]]:
    """Probe a file and start decoding it in one step: :func:`probe` and :func:`stream_from`.

    For the formats only ffmpeg reads (M4A, ALAC, WMA, raw AAC) the header comes from the
    decoding process itself, which states its format before the samples, instead of an
    ``ffprobe`` process first: that saves 50-100 ms per file, about as long as decoding a
    minute of AAC takes. The length is then the container's as ``mutagen`` reads it
    (``None`` when it cannot), ``container`` is the kind the first bytes announce
    (:func:`sniff_audio`) and ``codec`` ``mutagen``'s name for it, or ``unknown``.

    Returns:
        The header, and the blocks at the file's own rate and channels (see :func:`stream`).

    Raises:
        AudioError: As :func:`load`.
        ValueError: For a non-positive ``block_s``.
    """
    if not block_s > 0:
        raise ValueError(f"block_s must be positive, not {block_s}")
    name = os.fspath(path)
    head = _check_file(name)
    try:
        info = _prefer_ffmpeg(_probe_soundfile(name))
    except _RefusedError as exc:
        sf_reason = str(exc)
    else:
        return info, _checked_blocks(info, block_s, 0.0, None)
    _ffmpeg_or_fail(name, head, sf_reason, "ffmpeg")
    begun = _start_ffmpeg(name)
    if isinstance(begun, str):
        # ffmpeg cannot read it: ffprobe tells why (not audio, damaged, no audio stream).
        _probe_ffmpeg(name, head, sf_reason)
        raise AudioError(ErrorCode.CORRUPT, f"damaged audio: {begun}", name)
    container, codec, duration = _container_header(name, head)
    frames = None if duration is None else round(duration * begun.sr)
    info = AudioInfo(
        name,
        begun.sr,
        begun.channels,
        frames,
        None if frames is None else frames / begun.sr,
        container,
        codec,
        "ffmpeg",
    )
    return info, _checked_blocks(info, block_s, 0.0, None, started=begun)


def load(
    path: str | os.PathLike[str],
    *,
    sr: int | None = None,
    mono: bool = False,
    offset_s: float = 0.0,
    duration_s: float | None = None,
) -> Audio:
    """Decode a file (or a window of it) into memory.

    Decoding runs block by block: mixing down and resampling happen per block, so the peak
    memory is about twice the size of the result, whatever the file's format.

    Args:
        path: The file.
        sr: Resample to this rate in Hz (libsoxr, high quality); ``None`` keeps the file's.
        mono: Mix the channels down to one (their average); the result is ``(1, n)``.
        offset_s: Start this many seconds into the file (>= 0).
        duration_s: Decode at most this many seconds; ``None`` for all the rest.

    Returns:
        :class:`Audio` with ``samples`` of shape ``(channels, n)`` (``(1, n)`` if ``mono``).
        An offset past the end gives zero samples.

    Raises:
        AudioError: As :func:`probe`, and ``CORRUPT`` when the stream is damaged before
            enough of it decodes (see :data:`SALVAGE_MIN_S`).
        ValueError: For a negative offset or duration or a non-positive ``sr``.
    """
    blocks = list(
        stream(
            path,
            block_s=_LOAD_BLOCK_S,
            sr=sr,
            mono=mono,
            offset_s=offset_s,
            duration_s=duration_s,
        )
    )
    if len(blocks) == 1:
        return blocks[0]
    info_sr, channels = _target_shape(path, blocks, sr, mono)
    samples = (
        np.concatenate([b.samples for b in blocks], axis=1)
        if blocks
        else np.zeros((channels, 0), np.float32)
    )
    return Audio(samples, info_sr, os.fspath(path), partial=any(b.partial for b in blocks))


def stream(
    path: str | os.PathLike[str],
    *,
    block_s: float = 30.0,
    sr: int | None = None,
    mono: bool = False,
    offset_s: float = 0.0,
    duration_s: float | None = None,
) -> Generator[Audio, None, None]:
    """Decode a file as consecutive blocks, holding about one block in memory.

    With the defaults the blocks have the file's own sample rate and channels and
    ``block_s`` seconds each (the last one shorter). With ``sr`` or ``mono`` they go
    through :func:`resample_stream`, and their lengths then vary a little.

    The file is probed by this call, so a missing or non-audio file fails here rather than
    at the first block. A stream that breaks off after some blocks have been yielded ends
    early (the last block has ``partial`` set) when enough decoded, and raises ``CORRUPT``
    otherwise. Closing the generator early (``close()``, or dropping it) stops the
    decoder, killing the ffmpeg process if there is one.

    Raises:
        AudioError: As :func:`load`.
        ValueError: For a non-positive ``block_s`` or ``sr``, a negative offset or
            duration.
    """
    if not block_s > 0:
        raise ValueError(f"block_s must be positive, not {block_s}")
    if sr is not None and sr <= 0:
        raise ValueError(f"sr must be positive, not {sr}")
    if offset_s < 0 or (duration_s is not None and duration_s < 0):
        raise ValueError(f"offset_s and duration_s must be >= 0, not {offset_s}, {duration_s}")
    blocks = _stream_native(os.fspath(path), block_s, offset_s, duration_s)
    if mono:
        blocks = _mono_blocks(blocks)
    if sr is not None:
        blocks = resample_stream(blocks, sr)
    return blocks


def resample(y: NDArray[np.floating[Any]], sr_in: int, sr_out: int) -> NDArray[np.float32]:
    """Resample a whole signal with libsoxr (its "HQ" preset: 20-bit precision, flat
    passband to ~91 % of the lower Nyquist frequency).

    Args:
        y: Shape ``(n,)`` or ``(channels, n)``.
        sr_in: Its sample rate in Hz.
        sr_out: The wanted rate in Hz.

    Returns:
        float32 of the same number of dimensions, about ``n * sr_out / sr_in`` long.
    """
    if sr_in <= 0 or sr_out <= 0:
        raise ValueError(f"sample rates must be positive, not {sr_in} -> {sr_out}")
    x = np.asarray(y, dtype=np.float32)
    if sr_in == sr_out:
        return x.copy()
    if x.ndim == 1:
        return np.asarray(soxr.resample(x, sr_in, sr_out), dtype=np.float32)
    if x.ndim != 2:
        raise ValueError(f"expected shape (n,) or (channels, n), not {x.shape}")
    out = soxr.resample(np.ascontiguousarray(x.T), sr_in, sr_out)
    return np.ascontiguousarray(np.asarray(out, dtype=np.float32).T)


def resample_stream(blocks: Iterable[Audio], sr_out: int) -> Generator[Audio, None, None]:
    """Resample consecutive blocks (from :func:`stream`) as one continuous signal.

    libsoxr keeps its filter state between blocks, so the concatenated output equals
    :func:`resample` of the concatenated input (to float32 rounding). Blocks keep their
    channels; mix down first (``stream(..., mono=True)``) for 22050 Hz mono analysis
    blocks. Blocks that come out empty (libsoxr buffers the first few ms) are not yielded,
    except a last one carrying ``partial``.

    Raises:
        ValueError: When blocks change sample rate or channel count midway.
    """
    if sr_out <= 0:
        raise ValueError(f"sr_out must be positive, not {sr_out}")
    resampler: Any = None
    sr_in = channels = 0
    path: str | None = None
    pending: Audio | None = None
    blocks = iter(blocks)
    for block in blocks:
        if resampler is None:
            sr_in, channels, path = block.sr, block.channels, block.path
            if sr_in == sr_out:
                yield block
                yield from _check_same(blocks, sr_in, channels)
                return
            resampler = soxr.ResampleStream(sr_in, sr_out, channels, dtype="float32")
        elif block.sr != sr_in or block.channels != channels:
            raise ValueError(
                f"blocks changed from {sr_in} Hz x {channels} to {block.sr} Hz x {block.channels}"
            )
        out = resampler.resample_chunk(np.ascontiguousarray(block.samples.T))
        pending = block
        if len(out):
            yield Audio(np.ascontiguousarray(np.asarray(out, np.float32).T), sr_out, path)
    if resampler is None:
        return
    tail = resampler.resample_chunk(np.zeros((0, channels), np.float32), last=True)
    partial = pending is not None and pending.partial
    if len(tail) or partial:
        samples = np.asarray(tail, np.float32).reshape(-1, channels)
        yield Audio(np.ascontiguousarray(samples.T), sr_out, path, partial=partial)


# --- checks before decoding -----------------------------------------------------------


def _check_file(path: str) -> bytes:
    """Map the file system's complaints to error codes; return the first bytes."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise AudioError(ErrorCode.NOT_FOUND, "no such file", path) from None
    except PermissionError as exc:
        raise AudioError(ErrorCode.UNREADABLE, f"permission denied ({exc.strerror})", path) from exc
    except OSError as exc:
        raise AudioError(ErrorCode.UNREADABLE, f"cannot stat: {exc.strerror or exc}", path) from exc
    if stat.S_ISDIR(st.st_mode):
        raise AudioError(ErrorCode.NOT_FOUND, "is a directory, not a file", path)
    if not stat.S_ISREG(st.st_mode):
        raise AudioError(ErrorCode.NOT_FOUND, "is not a regular file", path)
    if st.st_size == 0:
        raise AudioError(ErrorCode.EMPTY_FILE, "the file is empty (0 bytes)", path)
    try:
        with open(path, "rb") as file:
            return file.read(64)
    except PermissionError as exc:
        raise AudioError(ErrorCode.UNREADABLE, f"permission denied ({exc.strerror})", path) from exc
    except OSError as exc:
        raise AudioError(ErrorCode.UNREADABLE, f"cannot read: {exc.strerror or exc}", path) from exc


def sniff_audio(head: bytes) -> str | None:
    """The audio container the first bytes announce (``wav``, ``mp3``, ``mp4``...), or
    ``None`` when they announce none that Tracktion knows. Used to tell damaged audio
    (``CORRUPT``) from files that are not audio at all (``NOT_AUDIO``)."""
    if head[:4] in (b"RIFF", b"RF64", b"BW64") and head[8:12] == b"WAVE":
        return "wav"
    if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
        return "aiff"
    if head[:4] == b"fLaC":
        return "flac"
    if head[:4] == b"OggS":
        return "ogg"
    if head[:3] == b"ID3":
        return "mp3"
    if head[4:8] == b"ftyp":
        return "mp4"
    if head[:16] == bytes.fromhex("3026b2758e66cf11a6d900aa0062ce6c"):
        return "asf"
    if head[:4] in (b"caff", b"wvpk", b"MAC ", b"ADIF", b"FRM8", b"DSD ", b".snd"):
        return head[:4].decode("ascii").strip(" .").lower()
    # An MPEG audio frame (MP3) or an AAC ADTS frame: 11 or 12 sync bits.
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0:
        return "aac" if head[1] & 0xF6 == 0xF0 else "mp3"
    return None


# --- libsndfile -----------------------------------------------------------------------

_SF_CONTAINERS: Final = {"WAVEX": "wav", "RF64": "wav", "MPEG": "mp3", "MP3": "mp3"}


class _RefusedError(Exception):
    """libsndfile cannot read the file (unknown format, or a header it rejects)."""


def _probe_soundfile(path: str) -> AudioInfo:
    try:
        info = sf.info(path)
    except (RuntimeError, ValueError) as exc:  # LibsndfileError is a RuntimeError
        raise _RefusedError(str(exc).removeprefix(f"Error opening {path!r}: ")) from exc
    sr, frames = int(info.samplerate), int(info.frames)
    if sr <= 0 or info.channels <= 0:
        raise _RefusedError(f"invalid header ({sr} Hz, {info.channels} channels)")
    container = _SF_CONTAINERS.get(str(info.format), str(info.format).lower())
    codec = str(info.subtype).lower()
    if codec == "mpeg_layer_iii":
        codec = "mp3"
    elif container == "flac":
        codec = "flac"  # libsndfile's subtype is the bit depth (PCM_16)
    return AudioInfo(
        path, sr, int(info.channels), frames, frames / sr, container, codec, "soundfile"
    )


def _prefer_ffmpeg(info: AudioInfo) -> AudioInfo:
    """Opus through ffmpeg when it is installed: libopus as libsndfile's wheel bundles it
    decodes a third as fast."""
    if info.codec == "opus" and ffmpeg_path() is not None:
        return dataclasses.replace(info, decoder="ffmpeg")
    return info


_MP4_CODECS: Final = {"mp4a.40": "aac", "mp4a.69": "mp3", "mp4a.6b": "mp3", "ac-3": "ac3"}


def _container_header(path: str, head: bytes) -> tuple[str, str, float | None]:
    """``(container, codec, duration_s)`` of a file only ffmpeg decodes, from ``mutagen``
    (a fraction of a millisecond): the container as :func:`sniff_audio` names it, the
    codec or ``unknown``, and the length unless unknown or only estimated (raw AAC)."""
    container = sniff_audio(head) or "unknown"
    try:
        parsed = mutagen.File(path)
    except Exception:  # mutagen raises many kinds for what it cannot parse
        parsed = None
    info = getattr(parsed, "info", None)
    if info is None:
        return container, "unknown", None
    name = str(getattr(info, "codec", "") or "").lower()
    if isinstance(parsed, mutagen.asf.ASF):
        name = "wma"
    codec = next((c for prefix, c in _MP4_CODECS.items() if name.startswith(prefix)), name)
    length = _float_or_none(getattr(info, "length", None))
    if container in _ESTIMATED_LENGTH or not length:
        length = None
    return container, codec or "unknown", length


def _soundfile_blocks(
    info: AudioInfo, start: int, count: int | None, block: int
) -> Iterator[NDArray[np.float32]]:
    with sf.SoundFile(info.path) as file:
        if start:
            if start >= (info.frames or 0):
                return
            file.seek(start)
        left = count
        while left is None or left > 0:
            n = block if left is None else min(block, left)
            data = file.read(n, dtype="float32", always_2d=True)
            if not len(data):
                return
            if left is not None:
                left -= len(data)
            yield np.ascontiguousarray(data.T)


# --- ffmpeg ---------------------------------------------------------------------------


def _ffmpeg_or_fail(path: str, head: bytes, sf_reason: str, tool: str) -> str:
    exe = shutil.which(tool)
    if exe is not None:
        return exe
    if sniff_audio(head) is None:
        raise AudioError(ErrorCode.NOT_AUDIO, f"not an audio file ({sf_reason})", path)
    if "not recognised" not in sf_reason.lower():
        raise AudioError(ErrorCode.CORRUPT, f"damaged audio: {sf_reason}", path)
    raise AudioError(
        ErrorCode.UNSUPPORTED,
        f"this format ({sniff_audio(head)}) needs ffmpeg, which is not installed "
        f"(no `{tool}` on PATH)",
        path,
    )


def _probe_ffmpeg(path: str, head: bytes, sf_reason: str) -> AudioInfo:
    ffprobe = _ffmpeg_or_fail(path, head, sf_reason, "ffprobe")
    _ffmpeg_or_fail(path, head, sf_reason, "ffmpeg")
    cmd = [
        ffprobe, "-v", "error", "-of", "json", "-show_format", "-show_streams",
        "-select_streams", "a:0", _ffmpeg_input(path),
    ]  # fmt: skip
    try:
        proc = subprocess.run(
            cmd,
            capture_output=True,
            timeout=_PROBE_TIMEOUT_S,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as exc:
        raise AudioError(ErrorCode.CORRUPT, "ffprobe timed out reading the header", path) from exc
    except OSError as exc:
        raise AudioError(ErrorCode.UNSUPPORTED, f"cannot run ffprobe: {exc}", path) from exc
    stderr = _tail(proc.stderr.decode("utf-8", "replace"))
    kind = sniff_audio(head)
    try:
        report = json.loads(proc.stdout or b"{}")
    except ValueError:
        report = {}
    streams = report.get("streams") or []
    if proc.returncode != 0 or not streams:
        if kind is None:
            why = stderr or "no audio stream"
            raise AudioError(ErrorCode.NOT_AUDIO, f"not an audio file ({why})", path)
        why = stderr or "no audio stream found"
        raise AudioError(ErrorCode.CORRUPT, f"damaged {kind} file: {why}", path)
    audio_stream: dict[str, Any] = streams[0]
    container = str(report.get("format", {}).get("format_name", kind or "unknown"))
    try:
        sr = int(audio_stream.get("sample_rate", 0))
        channels = int(audio_stream.get("channels", 0))
    except (TypeError, ValueError):
        sr = channels = 0
    if sr <= 0 or channels <= 0:
        # ffprobe trusts extensions: text named .flac is a "flac stream" of 0 Hz.
        if kind is None:
            raise AudioError(ErrorCode.NOT_AUDIO, "not an audio file (no valid stream)", path)
        raise AudioError(ErrorCode.CORRUPT, f"invalid audio stream ({sr} Hz, {channels} ch)", path)
    duration = _float_or_none(audio_stream.get("duration"))
    if duration is None:
        duration = _float_or_none(report.get("format", {}).get("duration"))
    if container in _ESTIMATED_LENGTH:
        duration = None
    frames = None if duration is None else round(duration * sr)
    codec = str(audio_stream.get("codec_name", "unknown")).lower()
    return AudioInfo(
        path,
        sr,
        channels,
        frames,
        None if frames is None else frames / sr,
        container,
        codec,
        "ffmpeg",
    )


class _Ffmpeg:
    """A running ``ffmpeg`` decoding to 32-bit float WAV on its stdout, past the header.

    The process is stopped by :meth:`close`, or when the object is collected (a stream
    handed out by :func:`open_stream` and dropped before its first block)."""

    def __init__(
        self, process: subprocess.Popen[bytes], errors: IO[bytes], sr: int, channels: int
    ) -> None:
        self.process, self.errors, self.sr, self.channels = process, errors, sr, channels
        self.close = weakref.finalize(self, _close_decoder, process, errors)

    def failure(self) -> str:
        """What ffmpeg said on stderr (its tail), for an error message."""
        return _tail(_read_text(self.errors))


def _start_ffmpeg(
    path: str,
    *,
    start_s: float = 0.0,
    duration_s: float | None = None,
    sr: int | None = None,
    channels: int | None = None,
) -> _Ffmpeg | str:
    """Start ffmpeg decoding ``path`` to float WAV and read the header it writes first.

    The header says the rate and channels ffmpeg decodes to: the stream's own unless
    ``sr`` and ``channels`` ask for others. So one process both probes and decodes.
    Returns the running decoder, or what ffmpeg said when it wrote no header (it cannot
    read the file).
    """
    exe = ffmpeg_path()
    if exe is None:
        raise AudioError(ErrorCode.UNSUPPORTED, "needs ffmpeg, which is not installed", path)
    cmd = [exe, "-nostdin", "-hide_banner", "-v", "error"]
    if start_s:
        cmd += ["-ss", f"{start_s:.6f}"]
    if duration_s is not None:
        cmd += ["-t", f"{duration_s:.6f}"]
    cmd += ["-i", _ffmpeg_input(path), "-map", "0:a:0", "-vn", "-sn", "-dn", "-map_metadata", "-1"]
    if channels is not None:
        cmd += ["-ac", str(channels)]
    if sr is not None:
        cmd += ["-ar", str(sr)]
    cmd += ["-fflags", "+bitexact", "-c:a", "pcm_f32le", "-f", "wav", "-"]
    # stderr goes to a file: a pipe left unread could fill up and stall ffmpeg. The
    # decoder outlives this call, and closes the file (see _Ffmpeg).
    errors = tempfile.TemporaryFile()  # noqa: SIM115
    try:
        proc = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=errors
        )
    except OSError as exc:
        errors.close()
        raise AudioError(ErrorCode.UNSUPPORTED, f"cannot run ffmpeg: {exc}", path) from exc
    assert proc.stdout is not None
    try:
        header = _wav_format(proc.stdout)
    except BaseException:
        _stop(proc)
        errors.close()
        raise
    if header is None:
        _stop(proc)
        said = _tail(_read_text(errors))
        errors.close()
        return said or "ffmpeg decoded no audio"
    return _Ffmpeg(proc, errors, *header)


def _wav_format(pipe: IO[bytes]) -> tuple[int, int] | None:
    """``(sample rate, channels)`` from the RIFF header at the start of ``pipe``, which is
    left at the first sample; ``None`` when the stream ends before the samples start."""

    def read(n: int) -> bytes | None:
        data = pipe.read(n)
        return data if len(data) == n else None

    riff = read(12)
    if riff is None or riff[:4] not in (b"RIFF", b"RF64") or riff[8:12] != b"WAVE":
        return None
    found: tuple[int, int] | None = None
    while (chunk := read(8)) is not None:
        tag, size = chunk[:4], int.from_bytes(chunk[4:], "little")
        if tag == b"data":
            return found
        body = read(size + size % 2)  # chunks are padded to an even length
        if body is None:
            return None
        if tag == b"fmt " and size >= 16:
            channels = int.from_bytes(body[2:4], "little")
            sr = int.from_bytes(body[4:8], "little")
            found = (sr, channels) if sr > 0 and channels > 0 else None
    return None


def _ffmpeg_blocks(
    info: AudioInfo, start: int, count: int | None, block: int, started: _Ffmpeg | None = None
) -> Iterator[NDArray[np.float32]]:
    """Blocks of ``info``'s file decoded by ffmpeg at ``info``'s rate and channels, from a
    decoder already ``started`` (:func:`open_stream`) or a new one."""
    decoder = started
    if decoder is None:
        begun = _start_ffmpeg(
            info.path,
            start_s=start / info.sr,
            duration_s=None if count is None else count / info.sr,
            sr=info.sr,
            channels=info.channels,
        )
        if isinstance(begun, str):
            raise _StreamBrokenError(begun)
        decoder = begun
    frame_bytes = 4 * info.channels
    stdout = decoder.process.stdout
    assert stdout is not None
    try:
        if (decoder.sr, decoder.channels) != (info.sr, info.channels):
            raise _StreamBrokenError(
                f"ffmpeg decodes {decoder.sr} Hz x {decoder.channels}, "
                f"not {info.sr} Hz x {info.channels}"
            )
        produced = 0
        carry = b""
        while True:
            chunk = stdout.read(block * frame_bytes)
            if not chunk:
                break
            data = carry + chunk
            usable = len(data) - len(data) % frame_bytes
            carry = data[usable:]
            if count is not None:
                usable = min(usable, (count - produced) * frame_bytes)
            if usable:
                samples = np.frombuffer(data[:usable], dtype="<f4").reshape(-1, info.channels)
                produced += samples.shape[0]
                yield np.ascontiguousarray(samples.T, dtype=np.float32)
        returncode = decoder.process.wait()
        if returncode != 0:
            raise _StreamBrokenError(decoder.failure() or f"ffmpeg exited with {returncode}")
    finally:
        decoder.close()


def _ffmpeg_input(path: str) -> str:
    # `file:` keeps names beginning with '-' or looking like URLs ("http:...") plain files.
    return "file:" + os.path.abspath(path)


def _close_decoder(proc: subprocess.Popen[bytes], errors: IO[bytes]) -> None:
    _stop(proc)
    errors.close()


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.kill()
    if proc.stdout is not None:
        proc.stdout.close()
    proc.wait()


def _read_text(file: IO[bytes]) -> str:
    file.seek(0)
    return file.read(64_000).decode("utf-8", "replace")


def _tail(text: str) -> str:
    # ffmpeg prefixes messages with "[demuxer @ 0x55...]" and the input URL: noise here.
    text = re.sub(r"\[[^\]]* @ 0x[0-9a-f]+\] ?|file:[^\n]*?: ", "", text)
    text = " ".join(text.split())
    return text if len(text) <= _STDERR_TAIL_CHARS else "..." + text[-_STDERR_TAIL_CHARS:]


def _float_or_none(value: object) -> float | None:
    try:
        result = float(str(value))
    except ValueError:
        return None
    return result if math.isfinite(result) and result >= 0 else None


# --- the decoding pipeline ------------------------------------------------------------


class _StreamBrokenError(Exception):
    """The decoder stopped with an error after the data it had produced."""


def _raw_blocks(
    info: AudioInfo, start: int, count: int | None, block: int, started: _Ffmpeg | None = None
) -> Iterator[NDArray[np.float32]]:
    """Blocks from the decoder ``info`` names (or the ffmpeg already ``started``); a
    libsndfile failure before any data is retried with ffmpeg when it is installed."""
    if info.decoder == "ffmpeg":
        yield from _ffmpeg_blocks(info, start, count, block, started)
        return
    produced = False
    try:
        for data in _soundfile_blocks(info, start, count, block):
            produced = True
            yield data
    except (sf.LibsndfileError, RuntimeError) as exc:
        if produced or shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None:
            raise _StreamBrokenError(str(exc)) from exc
        log.info("%s: libsndfile failed (%s); retrying with ffmpeg", info.path, exc)
        head = _check_file(info.path)
        retry = _probe_ffmpeg(info.path, head, str(exc))
        yield from _ffmpeg_blocks(retry, start, count, block)


def _stream_native(
    path: str, block_s: float, offset_s: float, duration_s: float | None
) -> Generator[Audio, None, None]:
    info = probe(path)
    return _checked_blocks(info, block_s, offset_s, duration_s)


def stream_from(info: AudioInfo, *, block_s: float = 30.0) -> Generator[Audio, None, None]:
    """:func:`stream` of a file already probed, at its own rate and channels.

    Saves probing twice (for ffmpeg formats, a second ``ffprobe`` process per file).

    Raises:
        AudioError: As :func:`load`, while decoding.
        ValueError: For a non-positive ``block_s``.
    """
    if not block_s > 0:
        raise ValueError(f"block_s must be positive, not {block_s}")
    return _checked_blocks(info, block_s, 0.0, None)


def _checked_blocks(
    info: AudioInfo,
    block_s: float,
    offset_s: float,
    duration_s: float | None,
    started: _Ffmpeg | None = None,
) -> Generator[Audio, None, None]:
    """Yield the decoder's blocks one behind, to flag the last one ``partial`` when the
    stream ends short of its header, and to fail with CORRUPT when too little decoded."""
    path = info.path
    start = round(offset_s * info.sr)
    count = None if duration_s is None else round(duration_s * info.sr)
    block = max(1, round(block_s * info.sr))
    expected = None
    if info.frames is not None:
        expected = max(0, info.frames - start)
        if count is not None:
            expected = min(expected, count)
    decoded = 0
    pending: NDArray[np.float32] | None = None
    broken: str | None = None
    try:
        for data in _raw_blocks(info, start, count, block, started):
            if not data.shape[1]:
                continue
            if pending is not None:
                yield Audio(pending, info.sr, path)
            pending = data
            decoded += data.shape[1]
    except _StreamBrokenError as exc:
        broken = str(exc)
    except OSError as exc:
        raise AudioError(ErrorCode.UNREADABLE, f"I/O error while decoding: {exc}", path) from exc
    tolerance = max(
        _SHORTFALL_TOLERANCE_S * info.sr, _SHORTFALL_TOLERANCE_FRACTION * (expected or 0)
    )
    short = expected is not None and decoded < expected - tolerance
    if broken is not None or short:
        declared = expected if expected is not None else decoded
        why = broken or (
            f"the stream ends at {decoded / info.sr:.1f} s of {declared / info.sr:.1f} s"
        )
        needed = min(SALVAGE_MIN_S * info.sr, SALVAGE_MIN_FRACTION * declared)
        if decoded == 0 or decoded < needed:
            raise AudioError(
                ErrorCode.CORRUPT,
                f"damaged or truncated audio, only {decoded / info.sr:.2f} s decoded: {why}",
                path,
            )
        log.warning("%s: damaged or truncated; keeping the %.1f s that decoded (%s)",
                    path, decoded / info.sr, why)  # fmt: skip
        if pending is not None:
            yield Audio(pending, info.sr, path, partial=True)
        return
    if pending is not None:
        yield Audio(pending, info.sr, path)
    elif expected:
        raise AudioError(ErrorCode.CORRUPT, "no audio could be decoded", path)


def _mono_blocks(blocks: Iterable[Audio]) -> Generator[Audio, None, None]:
    for block in blocks:
        if block.channels == 1:
            yield block
        else:
            yield Audio(_mix_down(block.samples), block.sr, block.path, block.partial)


def _mix_down(samples: NDArray[np.float32]) -> NDArray[np.float32]:
    """The channels' average, shape ``(1, n)``.

    Summed in float32: with at most a few channels of samples within ±1 the rounding is
    far below the 24-bit noise floor, and it avoids two float64 copies of every block.
    Row by row, as ``samples.mean(axis=0)`` adds the rows of a C-ordered block (the
    decoders' order; the same result), but four times faster.
    """
    total: NDArray[np.float32] = samples[0] + samples[1]
    for row in samples[2:]:
        total += row
    total /= np.float32(samples.shape[0])
    return total[None]


def _check_same(blocks: Iterable[Audio], sr: int, channels: int) -> Iterator[Audio]:
    for block in blocks:
        if block.sr != sr or block.channels != channels:
            raise ValueError(
                f"blocks changed from {sr} Hz x {channels} to {block.sr} Hz x {block.channels}"
            )
        yield block


def _target_shape(
    path: str | os.PathLike[str], blocks: list[Audio], sr: int | None, mono: bool
) -> tuple[int, int]:
    if blocks:
        return blocks[0].sr, blocks[0].channels
    info = probe(path)
    return sr or info.sr, 1 if mono else info.channels
