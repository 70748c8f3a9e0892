"""Reading metadata tags, and writing analysis results into them atomically (mutagen).

:func:`read_tags` normalizes the tag families DJs' files carry into one
:class:`TrackTags`:

=========  ==============================  ===========================================
family     files                           fields read (first present wins)
=========  ==============================  ===========================================
ID3v2      MP3, AIFF and WAV (ID3 chunk)   TPE1 TIT2 TALB TPE2 TCON TPUB TDRC TRCK TBPM
                                           TKEY COMM TSRC, TXXX:BPM, TXXX:REPLAYGAIN_*
Vorbis     FLAC, Ogg Vorbis, Opus          ARTIST TITLE ALBUM ALBUMARTIST GENRE LABEL
                                           DATE TRACKNUMBER BPM INITIALKEY/KEY COMMENT
                                           ISRC REPLAYGAIN_*, R128_TRACK_GAIN (Opus)
MP4        M4A (AAC, ALAC)                 ©ART ©nam ©alb aART ©gen ©day trkn tmpo ©cmt,
                                           ----:com.apple.iTunes:initialkey / KEY /
                                           BPM / LABEL / ISRC / replaygain_*
ASF        WMA (read only)                 Author Title WM/AlbumTitle WM/BeatsPerMinute
                                           WM/InitialKey WM/Publisher ...
=========  ==============================  ===========================================

Reading never fails on the tags themselves: absurdly long values are cut to
:data:`MAX_VALUE_CHARS`, unreadable or malformed tags give empty fields, and both are
listed in :attr:`TrackTags.issues`. An :class:`AudioError` is raised only when the file
itself cannot be read (missing, unreadable, empty, or not audio at all).

:func:`write_analysis_tags` writes BPM, key and ReplayGain, following each family's
conventions:

* **BPM** -- ID3 ``TBPM`` and MP4 ``tmpo`` are integers by specification, so they get the
  rounded BPM (every player reads them), and the 2-decimal value goes in a ``TXXX:BPM`` /
  ``----:com.apple.iTunes:BPM`` beside it; :func:`read_tags` prefers the decimal one when
  it rounds to the integer one (and ignores it when another program changed ``TBPM``
  since). Vorbis comments have no integer rule: ``BPM=128.00``.
* **Key** -- ``TKEY``, Vorbis ``INITIALKEY`` (and ``KEY`` if the file already has one),
  MP4 ``----:com.apple.iTunes:initialkey``; written exactly as the caller formatted it.
* **ReplayGain 2.0** -- ``REPLAYGAIN_TRACK_GAIN = "-6.20 dB"`` and
  ``REPLAYGAIN_TRACK_PEAK = "0.988553"`` (TXXX frames, Vorbis comments, MP4 freeform
  ``replaygain_track_*``). Opus follows RFC 7845 instead: ``R128_TRACK_GAIN``, the gain
  to -23 LUFS in 1/256 dB (the ReplayGain gain minus 5 dB), and no REPLAYGAIN_* fields;
  the peak is not stored in Opus.
* An existing ID3 tag keeps its version; a new one is ID3v2.3, which every DJ program
  reads.

The write is atomic: the file is copied to a hidden temporary file in the same directory,
the tags are written to the copy, the copy is re-read to check that the tags read back and
that the audio is unchanged (sample rate, channels, length and a hash of every decoded
sample, compared with the original's), synced to disk, and only then renamed over the
original. Decoding both files is most of the cost: about 2 s for a 6-minute MP3. On any
failure the temporary file is removed, the original is untouched, and
:class:`AudioError` ``TAG_WRITE_FAILED`` names the file. Read-only files and files with
several hard links (replacing one name would split them) are refused.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import re
import shutil
import stat
import sys
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import mutagen
import numpy as np
import xxhash
from mutagen.aiff import AIFF
from mutagen.asf import ASF
from mutagen.flac import FLAC
from mutagen.id3 import ID3, TBPM, TKEY, TXXX, ID3FileType
from mutagen.mp4 import MP4, MP4FreeForm
from mutagen.oggopus import OggOpus
from mutagen.oggvorbis import OggVorbis
from mutagen.wave import WAVE

from tracktion.audio.decode import _check_file, sniff_audio, stream
from tracktion.audio.errors import AudioError, ErrorCode

__all__ = [
    "MAX_VALUES_PER_KEY",
    "MAX_VALUE_CHARS",
    "TrackTags",
    "read_tags",
    "write_analysis_tags",
]

log = logging.getLogger("tracktion.audio")

MAX_VALUE_CHARS: Final = 2000
"""Longer tag values are cut to this many characters (and the cut is reported)."""
MAX_VALUES_PER_KEY: Final = 64
"""Keys with more values keep the first ones."""
_MAX_KEYS: Final = 512
_MAX_KEY_CHARS: Final = 128
_MAX_BPM: Final = 999.0
_OPUS_R128_OFFSET_DB: Final = 5.0  # ReplayGain reference -18 LUFS vs R128 -23 LUFS
_VERIFY_BLOCK_S: Final = 30.0
_ITUNES: Final = "----:com.apple.iTunes:"
# Non-text ID3 frames (pictures, binary blobs, counters) stay out of `raw`.
_BINARY_ID3: Final = frozenset(
    {"APIC", "GEOB", "PRIV", "MCDI", "SYLT", "UFID", "POPM", "PCNT", "RVA2", "ETCO", "AENC"}
)


@dataclass(frozen=True, slots=True)
class TrackTags:
    """A file's metadata, normalized across tag formats.

    Text fields are stripped, several values are joined with ``"; "``, and ``None`` means
    absent or unparseable.

    Attributes:
        artist: Track artist.
        title: Track title.
        album: Album or release title.
        album_artist: Album artist.
        genre: Genre (ID3 numeric genres resolved: ``(17)`` -> ``Rock``).
        label: Record label (ID3 ``TPUB``, Vorbis ``LABEL``/``ORGANIZATION``).
        year: Release year, from the first four-digit number of the date.
        track: Track number (``"3/12"`` -> 3).
        bpm: Tempo in beats per minute, in (0, 999].
        key: Musical key in whatever notation the file has (``Am``, ``8A``, ``1m``).
        comment: The main comment (iTunes' technical comments skipped).
        isrc: International Standard Recording Code.
        replaygain_track_gain_db: ReplayGain track gain in dB (reference -18 LUFS).
        replaygain_track_peak: ReplayGain track peak, linear (1.0 = full scale).
        raw: Every text tag as found, ``{key: [values]}``: ID3 frame ids with their
            description (``TXXX:REPLAYGAIN_TRACK_GAIN``, ``COMM::eng``), Vorbis keys upper
            case, MP4 atom names; binary tags (pictures) left out, values cut as above.
        tag_format: ``id3v2.3``, ``id3v2.4``, ``vorbis``, ``mp4``, ``asf``, or ``None``
            without tags.
        issues: What was wrong with the tags: values cut, a malformed tag skipped.
    """

    artist: str | None = None
    title: str | None = None
    album: str | None = None
    album_artist: str | None = None
    genre: str | None = None
    label: str | None = None
    year: int | None = None
    track: int | None = None
    bpm: float | None = None
    key: str | None = None
    comment: str | None = None
    isrc: str | None = None
    replaygain_track_gain_db: float | None = None
    replaygain_track_peak: float | None = None
    raw: Mapping[str, list[str]] = field(default_factory=dict, hash=False, repr=False)
    tag_format: str | None = None
    issues: tuple[str, ...] = ()


# --- reading --------------------------------------------------------------------------


def read_tags(path: str | os.PathLike[str]) -> TrackTags:
    """Read and normalize a file's tags (see the module documentation for the fields).

    Files without tags, of formats without tag support, or with malformed tags give a
    :class:`TrackTags` with empty fields (and the reason in ``issues``).

    Raises:
        AudioError: Only when the file itself is unreadable: ``NOT_FOUND``,
            ``UNREADABLE``, ``EMPTY_FILE``, or ``NOT_AUDIO`` when neither the tag parser
            nor the content recognizes an audio file.
    """
    name = os.fspath(path)
    head = _check_file(name)
    issues: list[str] = []
    try:
        audio = mutagen.File(name)
    except Exception as exc:
        audio = None
        issues.append(f"tags unreadable: {_describe(exc)}")
        fallback = _id3_only(name, head)
        if fallback is not None:
            return _normalize(fallback[0], fallback[1], issues)
    if audio is None:
        if sniff_audio(head) is None:
            raise AudioError(ErrorCode.NOT_AUDIO, "not an audio file", name)
        return TrackTags(issues=tuple(issues))
    try:
        raw, family = _raw_tags(audio)
    except Exception as exc:
        issues.append(f"tags unreadable: {_describe(exc)}")
        return TrackTags(issues=tuple(issues))
    return _normalize(raw, family, issues)


def _id3_only(path: str, head: bytes) -> tuple[dict[str, list[str]], str] | None:
    """The ID3 tag of an MP3 whose audio frames mutagen cannot find (damaged files)."""
    if head[:3] != b"ID3":
        return None
    try:
        tags = _untyped(ID3)(path)
    except Exception:
        return None
    return _id3_raw(tags), f"id3v2.{tags.version[1]}"


def _raw_tags(audio: mutagen.FileType) -> tuple[dict[str, list[str]], str | None]:
    tags = audio.tags
    if tags is None:
        return {}, None
    if isinstance(tags, ID3):
        return _id3_raw(tags), f"id3v2.{tags.version[1]}"
    if isinstance(audio, MP4):
        return _mp4_raw(tags), "mp4"
    if isinstance(audio, ASF):
        return _asf_raw(tags), "asf"
    if isinstance(audio, FLAC | OggVorbis | OggOpus) or hasattr(tags, "vendor"):
        return _vorbis_raw(tags), "vorbis"
    return _generic_raw(tags), type(tags).__name__.lower()


def _id3_raw(tags: Any) -> dict[str, list[str]]:
    raw: dict[str, list[str]] = {}
    for frame in tags.values():
        if frame.FrameID in _BINARY_ID3 or not hasattr(frame, "text"):
            continue
        if frame.FrameID == "TCON":
            values = list(frame.genres)
        elif isinstance(frame.text, str):
            values = [frame.text]
        else:
            values = [str(value) for value in frame.text]
        raw.setdefault(frame.HashKey, []).extend(values)
    return raw


def _vorbis_raw(tags: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    raw: dict[str, list[str]] = {}
    for key, value in tags:
        raw.setdefault(key.upper(), []).append(value)
    return raw


def _mp4_raw(tags: Mapping[str, Any]) -> dict[str, list[str]]:
    raw: dict[str, list[str]] = {}
    for key, values in tags.items():
        if key in ("covr",):
            continue
        for value in values if isinstance(values, list) else [values]:
            if isinstance(value, bytes):
                # Freeform data marked binary (or UTF-16...) is not text we can use.
                if getattr(value, "dataformat", 1) not in (0, 1):
                    continue
                text = value.decode("utf-8", "replace")
            elif isinstance(value, tuple):
                text = "/".join(str(v) for v in value if v)
            else:
                text = str(value)
            raw.setdefault(key, []).append(text)
    return raw


def _asf_raw(tags: Mapping[str, Any]) -> dict[str, list[str]]:
    raw: dict[str, list[str]] = {}
    for key, values in tags.items():
        for value in values if isinstance(values, list) else [values]:
            inner = getattr(value, "value", value)
            if isinstance(inner, bytes):
                continue
            raw.setdefault(key, []).append(str(inner))
    return raw


def _generic_raw(tags: Any) -> dict[str, list[str]]:
    raw: dict[str, list[str]] = {}
    for key in list(tags.keys()):
        values = tags[key]
        for value in values if isinstance(values, list) else [values]:
            if not isinstance(value, bytes):
                raw.setdefault(str(key), []).append(str(value))
    return raw


def _bounded(raw: dict[str, list[str]], issues: list[str]) -> dict[str, list[str]]:
    """Cut absurd tags down to size, cleaning control characters."""
    bounded: dict[str, list[str]] = {}
    for key, values in list(raw.items())[:_MAX_KEYS]:
        name = _clean(key)[:_MAX_KEY_CHARS]
        kept = []
        for value in values[:MAX_VALUES_PER_KEY]:
            text = _clean(value)
            if len(text) > MAX_VALUE_CHARS:
                issues.append(f"{name}: value of {len(text)} characters cut to {MAX_VALUE_CHARS}")
                text = text[:MAX_VALUE_CHARS]
            kept.append(text)
        if len(values) > MAX_VALUES_PER_KEY:
            issues.append(f"{name}: {len(values)} values cut to {MAX_VALUES_PER_KEY}")
        bounded[name] = kept
    if len(raw) > _MAX_KEYS:
        issues.append(f"{len(raw)} tags cut to {_MAX_KEYS}")
    return bounded


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _clean(text: str) -> str:
    return _CONTROL.sub("", text).strip()


# Candidate keys per field and family, in order of preference (compared upper case).
_FIELDS: Final[dict[str, dict[str, tuple[str, ...]]]] = {
    "id3": {
        "artist": ("TPE1",),
        "title": ("TIT2",),
        "album": ("TALB",),
        "album_artist": ("TPE2",),
        "genre": ("TCON",),
        "label": ("TPUB", "TXXX:LABEL", "TXXX:PUBLISHER"),
        "year": ("TDRC", "TYER", "TDOR", "TORY"),
        "track": ("TRCK",),
        "bpm": ("TBPM",),
        "bpm_precise": ("TXXX:BPM",),
        "key": ("TKEY", "TXXX:INITIALKEY", "TXXX:KEY"),
        "isrc": ("TSRC",),
        "gain": ("TXXX:REPLAYGAIN_TRACK_GAIN",),
        "peak": ("TXXX:REPLAYGAIN_TRACK_PEAK",),
    },
    "vorbis": {
        "artist": ("ARTIST",),
        "title": ("TITLE",),
        "album": ("ALBUM",),
        "album_artist": ("ALBUMARTIST", "ALBUM ARTIST", "ALBUM_ARTIST"),
        "genre": ("GENRE",),
        "label": ("LABEL", "ORGANIZATION", "PUBLISHER"),
        "year": ("DATE", "YEAR", "ORIGINALDATE"),
        "track": ("TRACKNUMBER",),
        "bpm": ("BPM", "TEMPO"),
        "key": ("INITIALKEY", "KEY"),
        "comment": ("COMMENT", "DESCRIPTION"),
        "isrc": ("ISRC",),
        "gain": ("REPLAYGAIN_TRACK_GAIN",),
        "peak": ("REPLAYGAIN_TRACK_PEAK",),
        "r128": ("R128_TRACK_GAIN",),
    },
    "mp4": {
        "artist": ("©ART",),
        "title": ("©NAM",),
        "album": ("©ALB",),
        "album_artist": ("AART",),
        "genre": ("©GEN",),  # mutagen turns a numeric `gnre` into ©gen
        "label": (_ITUNES + "LABEL", _ITUNES + "PUBLISHER", "©PUB"),
        "year": ("©DAY",),
        "track": ("TRKN",),
        "bpm": ("TMPO",),
        "bpm_precise": (_ITUNES + "BPM",),
        "key": (_ITUNES + "INITIALKEY", _ITUNES + "KEY"),
        "comment": ("©CMT",),
        "isrc": (_ITUNES + "ISRC",),
        "gain": (_ITUNES + "REPLAYGAIN_TRACK_GAIN",),
        "peak": (_ITUNES + "REPLAYGAIN_TRACK_PEAK",),
    },
    "asf": {
        "artist": ("AUTHOR",),
        "title": ("TITLE",),
        "album": ("WM/ALBUMTITLE",),
        "album_artist": ("WM/ALBUMARTIST",),
        "genre": ("WM/GENRE",),
        "label": ("WM/PUBLISHER",),
        "year": ("WM/YEAR", "DATE", "YEAR"),
        "track": ("WM/TRACKNUMBER", "WM/TRACK"),
        "bpm": ("WM/BEATSPERMINUTE",),
        "key": ("WM/INITIALKEY",),
        "comment": ("DESCRIPTION",),
        "isrc": ("WM/ISRC",),
        "gain": ("REPLAYGAIN_TRACK_GAIN",),
        "peak": ("REPLAYGAIN_TRACK_PEAK",),
    },
}


def _normalize(raw: dict[str, list[str]], family: str | None, issues: list[str]) -> TrackTags:
    raw = _bounded(raw, issues)
    upper: dict[str, list[str]] = {}
    for key, values in raw.items():
        upper.setdefault(key.upper(), []).extend(v for v in values if v)
    group = "id3" if family and family.startswith("id3") else family
    names = _FIELDS.get(group or "", {})

    def first(field_name: str) -> list[str]:
        for key in names.get(field_name, ()):
            if upper.get(key.upper()):
                return upper[key.upper()]
        return []

    def text(field_name: str) -> str | None:
        values = first(field_name)
        return "; ".join(dict.fromkeys(values)) if values else None

    comment = text("comment") if group != "id3" else _id3_comment(raw)
    gain = _number(first("gain"))
    if gain is None and first("r128"):
        r128 = _number(first("r128"))
        gain = None if r128 is None else round(r128 / 256 + _OPUS_R128_OFFSET_DB, 2)
    genre = text("genre")
    return TrackTags(
        artist=text("artist"),
        title=text("title"),
        album=text("album"),
        album_artist=text("album_artist"),
        genre=genre,
        label=text("label"),
        year=_year(first("year")),
        track=_leading_int(first("track")),
        bpm=_bpm(first("bpm"), first("bpm_precise")),
        key=text("key"),
        comment=comment,
        isrc=text("isrc"),
        replaygain_track_gain_db=gain,
        replaygain_track_peak=_peak(first("peak")),
        raw=raw,
        tag_format=family,
        issues=tuple(issues),
    )


def _id3_comment(raw: Mapping[str, list[str]]) -> str | None:
    comments = [(key.split(":"), values) for key, values in raw.items() if key.startswith("COMM")]
    comments = [(parts, values) for parts, values in comments if values and any(values)]
    # iTunes stores technical data (iTunNORM, iTunSMPB...) in described comments.
    plain = [v for parts, v in comments if len(parts) < 2 or parts[1] == ""]
    other = [v for parts, v in comments if len(parts) >= 2 and not parts[1].startswith("iTun")]
    for values in plain + other:
        return "; ".join(v for v in values if v)
    return None


_NUMBER = re.compile(r"[-+]?\d+(?:[.,]\d+)?")


def _number(values: list[str]) -> float | None:
    for value in values:
        match = _NUMBER.search(value.replace("\u2212", "-"))
        if match:
            number = float(match.group().replace(",", "."))
            if math.isfinite(number):
                return number
    return None


def _bpm(values: list[str], precise: list[str]) -> float | None:
    bpm = _number(values)
    exact = _number(precise)
    if exact is not None and 0 < exact <= _MAX_BPM and (bpm is None or round(exact) == round(bpm)):
        return round(exact, 2)
    if bpm is not None and 0 < bpm <= _MAX_BPM:
        return round(bpm, 2)
    return None


def _peak(values: list[str]) -> float | None:
    peak = _number(values)
    return peak if peak is not None and peak >= 0 else None


def _year(values: list[str]) -> int | None:
    for value in values:
        match = re.search(r"(?<!\d)(\d{4})(?!\d)", value)
        if match and 1000 <= int(match.group(1)) <= 2999:
            return int(match.group(1))
    return None


def _leading_int(values: list[str]) -> int | None:
    for value in values:
        match = re.match(r"\s*(\d{1,6})", value)
        if match:
            return int(match.group(1))
    return None


def _untyped(function: Any) -> Any:
    """mutagen's many unannotated callables, for mypy's strict mode."""
    return function


def _describe(exc: BaseException) -> str:
    """``module.Error: message``, short (mutagen names several exceptions ``error``)."""
    kind = type(exc)
    name = f"{kind.__module__.split('.')[0]}.{kind.__qualname__}"
    return f"{name}: {_short(str(exc))}" if str(exc) else name


def _short(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


# --- writing --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Request:
    bpm: float | None
    key: str | None
    gain_db: float | None
    peak: float | None


def write_analysis_tags(
    path: str | os.PathLike[str],
    *,
    bpm: float | None = None,
    key: str | None = None,
    replaygain_db: float | None = None,
    replaygain_peak: float | None = None,
) -> None:
    """Write analysis results into a file's tags, atomically (see the module
    documentation for the conventions and the procedure). ``None`` leaves a field as it
    is; with every argument ``None`` the file is not touched.

    Args:
        path: An MP3, FLAC, Ogg Vorbis, Opus, M4A, AIFF or WAV file (a symbolic link is
            followed: the file it points to is replaced).
        bpm: Tempo in (0, 999] BPM.
        key: The key, already in the notation wanted (``Am``, ``8A``, ``1m``), at most 64
            characters.
        replaygain_db: ReplayGain 2.0 track gain in dB (finite).
        replaygain_peak: Track peak, linear, >= 0.

    Raises:
        AudioError: ``TAG_WRITE_FAILED`` naming the file, with the reason (missing,
            read-only, hard-linked, unsupported format, not decodable, verification
            failed...); the original file is then untouched.
        ValueError: For an out-of-range argument.
    """
    request = _validated(bpm, key, replaygain_db, replaygain_peak)
    if request == _Request(None, None, None, None):
        return
    name = os.fspath(path)
    target = os.path.realpath(name)
    try:
        _write_atomically(target, request)
    except _WriteError as exc:
        reason = str(exc)
    except AudioError as exc:
        reason = exc.detail
    except Exception as exc:
        reason = _describe(exc)
    else:
        return
    raise AudioError(
        ErrorCode.TAG_WRITE_FAILED, f"tags not written, the file is unchanged: {reason}", name
    ) from sys.exc_info()[1]


def _validated(
    bpm: float | None, key: str | None, gain: float | None, peak: float | None
) -> _Request:
    if bpm is not None and not (math.isfinite(bpm) and 0 < bpm <= _MAX_BPM):
        raise ValueError(f"bpm must be in (0, {_MAX_BPM:g}], not {bpm}")
    if key is not None:
        key = key.strip()
        if not key or len(key) > 64 or _CONTROL.search(key):
            raise ValueError(f"key must be 1-64 printable characters, not {key!r}")
    if gain is not None and not math.isfinite(gain):
        raise ValueError(f"replaygain_db must be finite, not {gain}")
    if peak is not None and not (math.isfinite(peak) and peak >= 0):
        raise ValueError(f"replaygain_peak must be finite and >= 0, not {peak}")
    return _Request(bpm, key, gain, peak)


class _WriteError(Exception):
    """Why a tag write was abandoned."""


def _write_atomically(path: str, request: _Request) -> None:
    st = _writable(path)
    before = _audio_fingerprint(path)
    directory, base = os.path.split(path)
    suffix = os.path.splitext(base)[1]
    handle, temp = tempfile.mkstemp(
        prefix=f".{base}.", suffix=f".tracktion-tmp{suffix}", dir=directory
    )
    try:
        os.close(handle)
        shutil.copyfile(path, temp)
        # Mode, flags and extended attributes (Finder colour tags...) carry over; the times
        # do not: the file changes, and players rescan what has a new mtime.
        shutil.copystat(path, temp)
        os.utime(temp)
        if (st.st_uid, st.st_gid) != (os.getuid(), os.getgid()):
            with contextlib.suppress(OSError):
                os.chown(temp, st.st_uid, st.st_gid)
        _apply(temp, request)
        _verify(temp, request, before)
        _fsync(temp)
        if _identity(os.stat(path)) != _identity(st):
            raise _WriteError("the file was changed by another program meanwhile")
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    _fsync_directory(directory)


def _writable(path: str) -> os.stat_result:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise _WriteError("no such file") from None
    if not stat.S_ISREG(st.st_mode):
        raise _WriteError("not a regular file")
    # Root may write anything, so the mode bits are checked too: a read-only file is the
    # user's request not to modify it.
    any_write = stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH
    if not os.access(path, os.W_OK) or not st.st_mode & any_write:
        raise _WriteError("the file is read-only")
    if st.st_nlink > 1:
        raise _WriteError(f"the file has {st.st_nlink} hard links; replacing it would split them")
    if not os.access(os.path.dirname(path) or ".", os.W_OK | os.X_OK):
        raise _WriteError("its directory is not writable (the temporary copy goes there)")
    return st


def _identity(st: os.stat_result) -> tuple[int, int, int, int]:
    return (st.st_ino, st.st_dev, st.st_size, st.st_mtime_ns)


def _audio_fingerprint(path: str) -> tuple[int, int, int, str]:
    """Sample rate, channels, length and a hash of every decoded sample.

    The whole stream is decoded (about 1 s for a 6-minute MP3): header lengths can change
    with the tags (an MP3 without a Xing header has its length estimated from the file
    size), and a damaged middle would escape a hash of the ends only."""
    digest = xxhash.xxh3_64()
    frames = 0
    sr = channels = 0
    try:
        for block in stream(path, block_s=_VERIFY_BLOCK_S):
            sr, channels = block.sr, block.channels
            frames += block.frames
            digest.update(np.ascontiguousarray(block.samples).tobytes())
    except AudioError as exc:
        raise _WriteError(f"the audio cannot be decoded to verify the write: {exc.detail}") from exc
    return sr, channels, frames, digest.hexdigest()


def _apply(path: str, request: _Request) -> None:
    audio = mutagen.File(path)
    if audio is None:
        raise _WriteError("no tag format known for this file")
    if isinstance(audio, ID3FileType) or _has_id3(audio):
        _apply_id3(audio, request)
    elif isinstance(audio, MP4):
        _apply_mp4(audio, request)
    elif isinstance(audio, OggOpus):
        _apply_vorbis(audio, request, opus=True)
        audio.save()
    elif isinstance(audio, FLAC | OggVorbis):
        _apply_vorbis(audio, request, opus=False)
        audio.save()
    else:
        raise _WriteError(f"writing tags to {type(audio).__name__} files is not supported")


def _has_id3(audio: mutagen.FileType) -> bool:
    return isinstance(audio, AIFF | WAVE)


def _apply_id3(audio: mutagen.FileType, request: _Request) -> None:
    if audio.tags is None:
        audio.add_tags()
    tags = audio.tags
    assert isinstance(tags, ID3)
    # Keep the file's ID3 version; a new tag is v2.3, which every DJ program reads.
    version = 4 if tags.keys() and tags.version >= (2, 4, 0) else 3
    if request.bpm is not None:
        tags.setall("TBPM", [TBPM(encoding=3, text=[str(round(request.bpm))])])
        _set_txxx(tags, "BPM", f"{request.bpm:.2f}")
    if request.key is not None:
        tags.setall("TKEY", [TKEY(encoding=3, text=[request.key])])
    if request.gain_db is not None:
        _set_txxx(tags, "REPLAYGAIN_TRACK_GAIN", _gain_text(request.gain_db))
    if request.peak is not None:
        _set_txxx(tags, "REPLAYGAIN_TRACK_PEAK", _peak_text(request.peak))
    audio.save(v2_version=version)


def _set_txxx(tags: Any, description: str, value: str) -> None:
    for key in [k for k in tags.keys() if k.upper() == f"TXXX:{description}"]:  # noqa: SIM118
        del tags[key]
    tags.add(_untyped(TXXX)(encoding=3, desc=description, text=[value]))


def _apply_vorbis(audio: mutagen.FileType, request: _Request, *, opus: bool) -> None:
    if audio.tags is None:
        audio.add_tags()
    tags: Any = audio.tags
    if request.bpm is not None:
        tags["BPM"] = [f"{request.bpm:.2f}"]
    if request.key is not None:
        tags["INITIALKEY"] = [request.key]
        if "KEY" in tags:
            tags["KEY"] = [request.key]
    if opus:
        if request.gain_db is not None:
            q78 = round((request.gain_db - _OPUS_R128_OFFSET_DB) * 256)
            tags["R128_TRACK_GAIN"] = [str(min(max(q78, -32768), 32767))]
            for stale in ("REPLAYGAIN_TRACK_GAIN", "REPLAYGAIN_TRACK_PEAK"):
                if stale in tags:
                    del tags[stale]
        return
    if request.gain_db is not None:
        tags["REPLAYGAIN_TRACK_GAIN"] = [_gain_text(request.gain_db)]
    if request.peak is not None:
        tags["REPLAYGAIN_TRACK_PEAK"] = [_peak_text(request.peak)]


def _apply_mp4(audio: Any, request: _Request) -> None:
    if audio.tags is None:
        audio.add_tags()
    tags: Any = audio.tags

    def freeform(name: str, value: str) -> None:
        for existing in [k for k in tags if k.upper() == (_ITUNES + name).upper()]:
            del tags[existing]
        tags[_ITUNES + name] = [_untyped(MP4FreeForm)(value.encode("utf-8"))]

    if request.bpm is not None:
        tags["tmpo"] = [min(max(round(request.bpm), 0), 65535)]
        freeform("BPM", f"{request.bpm:.2f}")
    if request.key is not None:
        freeform("initialkey", request.key)
        if any(k.upper() == (_ITUNES + "KEY").upper() for k in tags):
            freeform("KEY", request.key)
    if request.gain_db is not None:
        freeform("replaygain_track_gain", _gain_text(request.gain_db))
    if request.peak is not None:
        freeform("replaygain_track_peak", _peak_text(request.peak))
    audio.save()


def _gain_text(gain_db: float) -> str:
    return f"{gain_db:+.2f} dB"


def _peak_text(peak: float) -> str:
    return f"{peak:.6f}"


def _verify(path: str, request: _Request, before: tuple[Any, ...]) -> None:
    """Re-read the written copy: the tags must read back and the audio be unchanged."""
    tags = read_tags(path)
    failed = []
    if request.bpm is not None and not _close(tags.bpm, request.bpm, 0.006):
        failed.append("bpm")
    if request.key is not None and tags.key != request.key:
        failed.append("key")
    if request.gain_db is not None and not _close(
        tags.replaygain_track_gain_db, request.gain_db, 0.006
    ):
        failed.append("replaygain gain")
    opus = isinstance(mutagen.File(path), OggOpus)  # Opus stores no peak (RFC 7845)
    if (
        request.peak is not None
        and not opus
        and not _close(tags.replaygain_track_peak, request.peak, 1e-6)
    ):
        failed.append("replaygain peak")
    if failed:
        raise _WriteError(f"the written tags do not read back: {', '.join(failed)}")
    if _audio_fingerprint(path) != before:
        raise _WriteError("the audio changed while writing tags")


def _close(value: float | None, wanted: float, tolerance: float) -> bool:
    return value is not None and abs(value - wanted) < tolerance


def _fsync(path: str) -> None:
    handle = os.open(path, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def _fsync_directory(directory: str) -> None:
    # Makes the rename durable; not every platform allows opening a directory.
    try:
        handle = os.open(directory or ".", os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        log.debug("fsync of directory %s failed", directory)
    finally:
        os.close(handle)
