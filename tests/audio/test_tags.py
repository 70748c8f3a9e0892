"""Tags: reading across formats, atomic writes that round-trip, failures that leave the
original byte for byte, and malformed or absurd tags that never crash a batch."""

from __future__ import annotations

import os
import shutil
import stat
import struct
from pathlib import Path
from typing import Any

import mutagen.id3
import numpy as np
import pytest

from tests.audio.signals import FFMPEG, NO_FFMPEG, encode, fade, tone, write_wav
from tracktion.audio import tags as tags_module
from tracktion.audio.decode import load
from tracktion.audio.errors import AudioError, ErrorCode
from tracktion.audio.tags import MAX_VALUE_CHARS, TrackTags, read_tags, write_analysis_tags

id3: Any = mutagen.id3  # unannotated constructors, for mypy's strict mode
SR = 44100
METADATA = {
    "artist": "Artist One",
    "title": "A Title",
    "album": "The Album",
    "genre": "Techno",
    "date": "2021-05-01",
    "track": "3/12",
}
ENCODINGS: dict[str, list[str]] = {
    "mp3": ["-c:a", "libmp3lame", "-b:a", "128k"],
    "flac": ["-c:a", "flac"],
    "ogg": ["-c:a", "libvorbis"],
    "opus": ["-c:a", "libopus"],
    "m4a": ["-c:a", "aac"],
    "aiff": ["-c:a", "pcm_s16be"],
    "wav": ["-c:a", "pcm_s16le"],
}
FORMATS = sorted(ENCODINGS)
needs_ffmpeg = pytest.mark.skipif(FFMPEG is None, reason=NO_FFMPEG)


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """2 s files in every writable format, tagged by ffmpeg (WAV: no tag), plus an
    untagged MP3 and a WMA."""
    if FFMPEG is None:
        pytest.skip(NO_FFMPEG)
    root = tmp_path_factory.mktemp("tag-media")
    source = write_wav(root / "source.wav", fade(tone(440.0, 2.0, SR, peak_dbfs=-6.0), SR), SR)
    files = {
        suffix: encode(
            source, root / f"tagged.{suffix}", args, METADATA if suffix != "wav" else None
        )
        for suffix, args in ENCODINGS.items()
    }
    files["bare.mp3"] = encode(
        source, root / "bare.mp3", [*ENCODINGS["mp3"], "-write_xing", "0", "-id3v2_version", "0"]
    )
    files["wma"] = encode(source, root / "tagged.wma", ["-c:a", "wmav2"], METADATA)
    return files


def copy(media: dict[str, Path], name: str, tmp_path: Path) -> Path:
    target = tmp_path / f"track.{name.rsplit('.', 1)[-1]}"
    shutil.copyfile(media[name], target)
    return target


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if "tracktion-tmp" in p.name)


# --- reading ----------------------------------------------------------------------------


@needs_ffmpeg
@pytest.mark.parametrize("name", [n for n in FORMATS if n != "wav"] + ["wma"])
def test_reads_common_fields_of_every_format(media: dict[str, Path], name: str) -> None:
    tags = read_tags(media[name])
    assert tags.artist == "Artist One"
    assert tags.title == "A Title"
    assert tags.album == "The Album"
    assert tags.genre == "Techno"
    assert tags.year == 2021
    assert tags.track == 3
    assert tags.issues == ()
    assert tags.tag_format is not None
    assert tags.raw


@needs_ffmpeg
def test_file_without_tags_reads_empty(media: dict[str, Path]) -> None:
    assert read_tags(media["wav"]) == TrackTags()
    bare = read_tags(media["bare.mp3"])
    assert bare.tag_format is None
    assert bare.artist is None


def test_id3_fields_and_conventions(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "t.wav", tone(440.0, 1.0, SR), SR)
    tags = id3.ID3()
    tags.add(id3.TPE1(encoding=3, text=["A", "B"]))
    tags.add(id3.TIT2(encoding=3, text=["  Spaced  "]))
    tags.add(id3.TBPM(encoding=3, text=["128"]))
    tags.add(id3.TXXX(encoding=3, desc="BPM", text=["127.96"]))
    tags.add(id3.TXXX(encoding=3, desc="replaygain_track_gain", text=["\u22126.20 dB"]))
    tags.add(id3.COMM(encoding=3, lang="eng", desc="iTunNORM", text=["00000 0000"]))
    tags.add(id3.COMM(encoding=3, lang="eng", desc="", text=["Nice one"]))
    tags.save(path, v2_version=4)
    read = read_tags(path)
    assert read.artist == "A; B"
    assert read.title == "Spaced"
    assert read.bpm == 127.96
    assert read.replaygain_track_gain_db == -6.2
    assert read.comment == "Nice one"
    assert read.tag_format == "id3v2.4"


def test_precise_bpm_yields_to_an_edited_integer_bpm(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "t.wav", tone(440.0, 1.0, SR), SR)
    tags = id3.ID3()
    tags.add(id3.TBPM(encoding=3, text=["130"]))  # another program changed TBPM since
    tags.add(id3.TXXX(encoding=3, desc="BPM", text=["127.96"]))
    tags.save(path)
    assert read_tags(path).bpm == 130.0


# --- writing ----------------------------------------------------------------------------


@needs_ffmpeg
@pytest.mark.parametrize("name", FORMATS)
def test_write_then_read_round_trip(media: dict[str, Path], tmp_path: Path, name: str) -> None:
    path = copy(media, name, tmp_path)
    audio_before = load(path).samples
    write_analysis_tags(path, bpm=127.96, key="8A", replaygain_db=-6.2, replaygain_peak=0.988553)
    tags = read_tags(path)
    assert tags.bpm == 127.96
    assert tags.key == "8A"
    assert tags.replaygain_track_gain_db == pytest.approx(-6.2, abs=0.005)
    if name == "opus":
        assert tags.replaygain_track_peak is None  # RFC 7845: R128 gain only
    else:
        assert tags.replaygain_track_peak == pytest.approx(0.988553, abs=1e-6)
    if name != "wav":
        assert tags.artist == "Artist One"  # other tags survive
    np.testing.assert_array_equal(load(path).samples, audio_before)
    assert leftovers(tmp_path) == []


@needs_ffmpeg
def test_id3_conventions_when_writing(media: dict[str, Path], tmp_path: Path) -> None:
    path = copy(media, "mp3", tmp_path)
    write_analysis_tags(path, bpm=127.96, replaygain_db=3.5, replaygain_peak=0.5)
    raw = read_tags(path).raw
    assert raw["TBPM"] == ["128"]  # ID3 TBPM is an integer
    assert raw["TXXX:BPM"] == ["127.96"]
    assert raw["TXXX:REPLAYGAIN_TRACK_GAIN"] == ["+3.50 dB"]
    assert raw["TXXX:REPLAYGAIN_TRACK_PEAK"] == ["0.500000"]
    assert read_tags(path).tag_format == "id3v2.4"  # ffmpeg wrote v2.4: kept


@needs_ffmpeg
def test_new_id3_tag_is_v23(media: dict[str, Path], tmp_path: Path) -> None:
    path = copy(media, "bare.mp3", tmp_path)
    write_analysis_tags(path, key="Am")
    tags = read_tags(path)
    assert (tags.key, tags.tag_format) == ("Am", "id3v2.3")


@needs_ffmpeg
def test_vorbis_and_mp4_conventions(media: dict[str, Path], tmp_path: Path) -> None:
    flac = copy(media, "flac", tmp_path)
    write_analysis_tags(flac, bpm=174.0, key="F#m", replaygain_db=-9.87)
    raw = read_tags(flac).raw
    assert raw["BPM"] == ["174.00"]
    assert raw["INITIALKEY"] == ["F#m"]
    assert raw["REPLAYGAIN_TRACK_GAIN"] == ["-9.87 dB"]
    m4a = copy(media, "m4a", tmp_path)
    write_analysis_tags(m4a, bpm=174.0, key="F#m")
    raw = read_tags(m4a).raw
    assert raw["tmpo"] == ["174"]
    assert raw["----:com.apple.iTunes:initialkey"] == ["F#m"]


@needs_ffmpeg
def test_opus_gets_r128_gain_instead_of_replaygain(media: dict[str, Path], tmp_path: Path) -> None:
    path = copy(media, "opus", tmp_path)
    write_analysis_tags(path, replaygain_db=-6.2, replaygain_peak=0.9)
    raw = read_tags(path).raw
    assert raw["R128_TRACK_GAIN"] == [str(round((-6.2 - 5.0) * 256))]
    assert not any(key.startswith("REPLAYGAIN") for key in raw)


@needs_ffmpeg
@pytest.mark.parametrize("name", ["mp3", "flac", "m4a"])
def test_rewriting_replaces_values_without_duplicates(
    media: dict[str, Path], tmp_path: Path, name: str
) -> None:
    path = copy(media, name, tmp_path)
    write_analysis_tags(path, bpm=120.0, key="1A", replaygain_db=-1.0)
    write_analysis_tags(path, bpm=121.5, key="2A", replaygain_db=-2.0)
    tags = read_tags(path)
    assert (tags.bpm, tags.key, tags.replaygain_track_gain_db) == (121.5, "2A", -2.0)
    assert all(len(values) == 1 for values in tags.raw.values())


@needs_ffmpeg
def test_nothing_to_write_leaves_the_file_alone(media: dict[str, Path], tmp_path: Path) -> None:
    path = copy(media, "mp3", tmp_path)
    before = path.stat().st_mtime_ns
    write_analysis_tags(path)
    assert path.stat().st_mtime_ns == before


@needs_ffmpeg
def test_permissions_survive_and_symlinks_are_followed(
    media: dict[str, Path], tmp_path: Path
) -> None:
    path = copy(media, "flac", tmp_path)
    path.chmod(0o640)
    link = tmp_path / "link.flac"
    link.symlink_to(path)
    write_analysis_tags(link, key="5A")
    assert link.is_symlink()
    assert read_tags(path).key == "5A"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_invalid_values_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.mp3"
    with pytest.raises(ValueError, match="bpm"):
        write_analysis_tags(path, bpm=0.0)
    with pytest.raises(ValueError, match="key"):
        write_analysis_tags(path, key="A\x00m")
    with pytest.raises(ValueError, match="replaygain_db"):
        write_analysis_tags(path, replaygain_db=float("inf"))
    with pytest.raises(ValueError, match="replaygain_peak"):
        write_analysis_tags(path, replaygain_peak=-1.0)


# --- failures leave the original untouched ----------------------------------------------


def assert_write_fails(path: Path, reason: str) -> None:
    before = path.read_bytes()
    with pytest.raises(AudioError) as caught:
        write_analysis_tags(path, bpm=128.0, key="8A")
    assert caught.value.code is ErrorCode.TAG_WRITE_FAILED
    assert caught.value.path == str(path)
    assert reason in caught.value.detail
    assert path.read_bytes() == before
    assert leftovers(path.parent) == []


@needs_ffmpeg
@pytest.mark.parametrize("name", ["mp3", "m4a"])
def test_failed_verification_leaves_the_original(
    media: dict[str, Path], tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any) -> None:
        raise OSError("disk on fire")

    path = copy(media, name, tmp_path)
    monkeypatch.setattr(tags_module, "_verify", broken)
    assert_write_fails(path, "disk on fire")


@needs_ffmpeg
def test_audio_damaged_by_the_tag_writer_is_caught(
    media: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_apply = tags_module._apply

    def apply_and_damage(temp: str, request: Any) -> None:
        real_apply(temp, request)
        with open(temp, "r+b") as file:  # flip bytes in the middle of the audio data
            file.seek(os.path.getsize(temp) // 2)
            file.write(bytes(100))

    path = copy(media, "wav", tmp_path)
    monkeypatch.setattr(tags_module, "_apply", apply_and_damage)
    assert_write_fails(path, "audio changed")


@needs_ffmpeg
def test_tags_that_do_not_read_back_are_caught(
    media: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = copy(media, "flac", tmp_path)
    monkeypatch.setattr(tags_module, "_apply", lambda temp, request: None)
    assert_write_fails(path, "do not read back")


@needs_ffmpeg
def test_read_only_file_is_refused(media: dict[str, Path], tmp_path: Path) -> None:
    path = copy(media, "mp3", tmp_path)
    path.chmod(0o444)
    assert_write_fails(path, "read-only")


@needs_ffmpeg
def test_hard_linked_file_is_refused(media: dict[str, Path], tmp_path: Path) -> None:
    path = copy(media, "mp3", tmp_path)
    os.link(path, tmp_path / "other-name.mp3")
    assert_write_fails(path, "hard links")


@needs_ffmpeg
def test_unsupported_and_undecodable_files_are_refused(
    media: dict[str, Path], tmp_path: Path
) -> None:
    assert_write_fails(copy(media, "wma", tmp_path), "not supported")
    broken = tmp_path / "broken.mp3"
    broken.write_bytes(media["mp3"].read_bytes()[:2500])
    assert_write_fails(broken, "cannot be decoded")


def test_missing_file_fails_with_its_name(tmp_path: Path) -> None:
    with pytest.raises(AudioError) as caught:
        write_analysis_tags(tmp_path / "gone.mp3", bpm=120.0)
    assert caught.value.code is ErrorCode.TAG_WRITE_FAILED
    assert "gone.mp3" in str(caught.value)


# --- absurd and malformed tags ----------------------------------------------------------


@needs_ffmpeg
def test_huge_values_are_cut_and_reported(media: dict[str, Path], tmp_path: Path) -> None:
    path = copy(media, "mp3", tmp_path)
    tags = id3.ID3(path)
    tags.add(id3.COMM(encoding=3, lang="eng", desc="", text=["x" * 1_000_000]))
    tags.add(id3.TXXX(encoding=3, desc="NOTES", text=["y" * 1_000_000]))
    tags.save(path)
    read = read_tags(path)
    assert read.comment == "x" * MAX_VALUE_CHARS
    assert len(read.raw["TXXX:NOTES"][0]) == MAX_VALUE_CHARS
    assert len(read.issues) == 2
    write_analysis_tags(path, bpm=125.0)  # a 2 MB tag does not stop a write either
    assert read_tags(path).bpm == 125.0


@needs_ffmpeg
def test_id3_header_claiming_more_than_the_file(media: dict[str, Path], tmp_path: Path) -> None:
    path = tmp_path / "liar.mp3"
    path.write_bytes(b"ID3\x04\x00\x00\x7f\x7f\x7f\x7fTIT2" + media["bare.mp3"].read_bytes())
    tags = read_tags(path)
    assert tags.title is None
    assert tags.issues


@needs_ffmpeg
def test_garbage_id3_frames(media: dict[str, Path], tmp_path: Path) -> None:
    garbage = bytes(np.random.default_rng(4).integers(0, 256, 600, dtype=np.uint8))
    size = bytes((len(garbage) >> shift) & 0x7F for shift in (21, 14, 7, 0))
    path = tmp_path / "garbage.mp3"
    path.write_bytes(b"ID3\x03\x00\x00" + size + garbage + media["bare.mp3"].read_bytes())
    assert isinstance(read_tags(path), TrackTags)


@needs_ffmpeg
def test_vorbis_comment_with_an_impossible_length(media: dict[str, Path], tmp_path: Path) -> None:
    data = bytearray(media["flac"].read_bytes())
    vendor = data.index(b"Lavf")
    data[vendor - 4 : vendor] = struct.pack("<I", 0x7FFFFFFF)
    path = tmp_path / "bad.flac"
    path.write_bytes(bytes(data))
    tags = read_tags(path)
    assert tags.artist is None
    assert any("unreadable" in issue for issue in tags.issues)


@needs_ffmpeg
def test_tags_of_a_truncated_mp3_are_still_read(media: dict[str, Path], tmp_path: Path) -> None:
    path = tmp_path / "cut.mp3"
    path.write_bytes(media["mp3"].read_bytes()[:600])
    assert read_tags(path).artist == "Artist One"


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (None, ErrorCode.NOT_FOUND),
        (b"", ErrorCode.EMPTY_FILE),
        (b"just text\n" * 50, ErrorCode.NOT_AUDIO),
    ],
)
def test_unreadable_files_raise_with_a_code(
    tmp_path: Path, content: bytes | None, code: ErrorCode
) -> None:
    path = tmp_path / "file.mp3"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(AudioError) as caught:
        read_tags(path)
    assert caught.value.code is code
    assert caught.value.path == str(path)
