"""Decoding: every format ffmpeg can make from a known signal, streaming, resampling, and
the error code of every kind of bad input."""

from __future__ import annotations

import builtins
import itertools
import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf

from tests.audio.signals import (
    CODEC_FRAME,
    FFMPEG,
    LOSSLESS_FORMATS,
    LOSSY_FORMATS,
    NO_FFMPEG,
    encode,
    fade,
    tone,
    write_wav,
)
from tracktion.audio import decode
from tracktion.audio.decode import (
    Audio,
    load,
    open_stream,
    probe,
    resample,
    resample_stream,
    stream,
)
from tracktion.audio.errors import AudioError, ErrorCode

SR = 44100
SECONDS = 3.0
LEFT_HZ, RIGHT_HZ = 440.0, 660.0

needs_ffmpeg = pytest.mark.skipif(FFMPEG is None, reason=NO_FFMPEG)


def source_signal() -> np.ndarray:
    """440 Hz on the left, 660 Hz on the right, -6 dBFS, faded."""
    left = tone(LEFT_HZ, SECONDS, SR, peak_dbfs=-6.0, channels=1)
    right = tone(RIGHT_HZ, SECONDS, SR, peak_dbfs=-6.0, channels=1)
    return fade(np.concatenate([left, right]), SR)


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The source as 16-bit WAV, and (with ffmpeg) in every other format."""
    root = tmp_path_factory.mktemp("decode-media")
    files = {"wav": write_wav(root / "source.wav", source_signal(), SR)}
    if FFMPEG is not None:
        for suffix, args in {**LOSSLESS_FORMATS, **LOSSY_FORMATS}.items():
            files[suffix] = encode(files["wav"], root / f"source.{suffix}", args)
    return files


@pytest.fixture(scope="session")
def source_pcm(media: dict[str, Path]) -> np.ndarray:
    """The source as it was quantized in the WAV, shape (2, n), float32."""
    data, _ = sf.read(media["wav"], dtype="float32", always_2d=True)
    return np.ascontiguousarray(data.T)


def dominant_hz(y: np.ndarray, sr: int) -> float:
    spectrum = np.abs(np.fft.rfft(y * np.hanning(len(y))))
    return float(np.fft.rfftfreq(len(y), 1 / sr)[np.argmax(spectrum)])


# --- formats ----------------------------------------------------------------------------


def test_wav_decodes_exactly(media: dict[str, Path], source_pcm: np.ndarray) -> None:
    audio = load(media["wav"])
    assert audio.samples.dtype == np.float32
    assert audio.samples.shape == (2, round(SR * SECONDS))
    np.testing.assert_array_equal(audio.samples, source_pcm)
    assert audio.sr == SR
    assert audio.path == str(media["wav"])
    assert not audio.partial


@needs_ffmpeg
@pytest.mark.parametrize("suffix", sorted(LOSSLESS_FORMATS))
def test_lossless_formats_decode_to_the_source(
    media: dict[str, Path], source_pcm: np.ndarray, suffix: str
) -> None:
    audio = load(media[suffix])
    assert audio.sr == SR
    assert audio.samples.shape == source_pcm.shape
    for channel in range(2):
        correlation = np.corrcoef(audio.samples[channel], source_pcm[channel])[0, 1]
        assert correlation > 0.99999
    np.testing.assert_allclose(audio.samples, source_pcm, atol=1e-6)


@needs_ffmpeg
@pytest.mark.parametrize("suffix", sorted(LOSSY_FORMATS))
def test_lossy_formats_keep_length_channels_and_pitch(media: dict[str, Path], suffix: str) -> None:
    audio = load(media[suffix])
    assert audio.channels == 2
    # Opus always decodes at 48 kHz; the others keep the source's rate.
    assert audio.sr == (48000 if suffix == "opus" else SR)
    assert abs(audio.frames - SECONDS * audio.sr) <= CODEC_FRAME[suffix]
    middle = audio.samples[:, audio.sr // 2 : audio.sr * 2]
    assert dominant_hz(middle[0], audio.sr) == pytest.approx(LEFT_HZ, abs=1.0)
    assert dominant_hz(middle[1], audio.sr) == pytest.approx(RIGHT_HZ, abs=1.0)
    rms_db = 20 * np.log10(np.sqrt(np.mean(np.square(middle), axis=1)))
    np.testing.assert_allclose(rms_db, -6.0 - 3.01, atol=0.5)


@needs_ffmpeg
@pytest.mark.parametrize(
    ("suffix", "decoder"),
    [
        ("wav", "soundfile"),
        ("flac", "soundfile"),
        ("aiff", "soundfile"),
        ("mp3", "soundfile"),
        ("ogg", "soundfile"),
        ("opus", "ffmpeg"),  # a third of libsndfile's time
        ("alac.m4a", "ffmpeg"),
        ("aac.m4a", "ffmpeg"),
        ("wma", "ffmpeg"),
    ],
)
def test_probe_reports_header_and_decoder(
    media: dict[str, Path], suffix: str, decoder: str
) -> None:
    info = probe(media[suffix])
    assert info.decoder == decoder
    assert info.channels == 2
    assert info.frames is not None
    assert info.duration_s == pytest.approx(SECONDS, abs=0.05)
    assert info.path == str(media[suffix])
    assert info.codec


@needs_ffmpeg
def test_probe_names_codecs(media: dict[str, Path]) -> None:
    assert probe(media["flac"]).container == "flac"
    assert probe(media["mp3"]).codec == "mp3"
    assert probe(media["alac.m4a"]).codec == "alac"
    assert probe(media["aac.m4a"]).codec == "aac"
    assert probe(media["wma"]).codec.startswith("wma")


@needs_ffmpeg
def test_decoding_never_modifies_the_file(
    media: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    real_open = builtins.open

    def read_only_open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        assert not set(mode) & set("wax+"), f"opened {file} with mode {mode}"
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", read_only_open)
    for path in media.values():
        before = (path.read_bytes(), path.stat().st_mtime_ns)
        load(path, sr=22050, mono=True)
        assert (path.read_bytes(), path.stat().st_mtime_ns) == before


# --- windows, streams, channels ---------------------------------------------------------


@pytest.mark.parametrize("suffix", ["wav", pytest.param("alac.m4a", marks=needs_ffmpeg)])
def test_offset_and_duration_cut_the_same_samples(media: dict[str, Path], suffix: str) -> None:
    full = load(media[suffix]).samples
    window = load(media[suffix], offset_s=1.0, duration_s=0.5)
    assert window.frames == SR // 2
    np.testing.assert_array_equal(window.samples, full[:, SR : SR + SR // 2])
    assert load(media[suffix], offset_s=10.0).frames == 0


@pytest.mark.parametrize(
    "suffix",
    ["wav", pytest.param("mp3", marks=needs_ffmpeg), pytest.param("aac.m4a", marks=needs_ffmpeg)],
)
def test_stream_equals_full_load(media: dict[str, Path], suffix: str) -> None:
    full = load(media[suffix])
    blocks = list(stream(media[suffix], block_s=0.7))
    block = round(0.7 * full.sr)
    assert all(b.frames == block for b in blocks[:-1])
    assert 0 < blocks[-1].frames <= block
    assert all(b.sr == full.sr and b.channels == 2 for b in blocks)
    np.testing.assert_array_equal(np.concatenate([b.samples for b in blocks], axis=1), full.samples)


def test_stream_fails_at_the_call_for_bad_input(tmp_path: Path) -> None:
    with pytest.raises(AudioError) as caught:
        stream(tmp_path / "missing.flac")
    assert caught.value.code is ErrorCode.NOT_FOUND


@needs_ffmpeg
def test_abandoned_ffmpeg_stream_stops_its_process(media: dict[str, Path]) -> None:
    blocks = stream(media["aac.m4a"], block_s=0.1)
    next(blocks)
    blocks.close()  # must kill and reap ffmpeg, not hang or leak
    whole = load(media["aac.m4a"])
    assert sum(b.frames for b in stream(media["aac.m4a"], block_s=1.0)) == whole.frames


def test_mono_is_the_average_of_the_channels(media: dict[str, Path]) -> None:
    stereo = load(media["wav"])
    mono = load(media["wav"], mono=True)
    assert mono.samples.shape == (1, stereo.frames)
    np.testing.assert_allclose(mono.samples[0], stereo.samples.mean(axis=0), atol=1e-7)
    np.testing.assert_allclose(stereo.mono(), mono.samples[0], atol=1e-7)
    assert stereo.mono().shape == (stereo.frames,)
    assert stereo.duration_s == pytest.approx(SECONDS)


def test_eight_channels_at_48k(tmp_path: Path) -> None:
    sr = 48000
    freqs = [200.0 * (i + 1) for i in range(8)]
    y = np.concatenate([tone(f, 2.0, sr, peak_dbfs=-12.0, channels=1) for f in freqs])
    path = write_wav(tmp_path / "octo.wav", y, sr, subtype="PCM_24")
    info = probe(path)
    assert (info.sr, info.channels, info.frames) == (sr, 8, 2 * sr)
    audio = load(path)
    for channel, freq in enumerate(freqs):
        assert dominant_hz(audio.samples[channel], sr) == pytest.approx(freq, abs=1.0)
    mono = load(path, mono=True, sr=22050)
    assert mono.samples.shape == (1, 2 * 22050)
    np.testing.assert_allclose(load(path, mono=True).samples[0], y.mean(axis=0), atol=1e-5)


@needs_ffmpeg
def test_eight_channels_through_ffmpeg(tmp_path: Path) -> None:
    sr = 48000
    y = np.concatenate([tone(300.0 * (i + 1), 1.0, sr, channels=1) for i in range(8)])
    source = write_wav(tmp_path / "octo.wav", y, sr)
    # Matroska PCM: lossless, and only ffmpeg reads it (its ALAC encoder stops at 7.0).
    path = encode(source, tmp_path / "octo.mkv", ["-c:a", "pcm_s16le"])
    audio = load(path)
    assert probe(path).decoder == "ffmpeg"
    assert audio.channels == 8
    np.testing.assert_allclose(audio.samples, load(source).samples, atol=1e-6)


def test_192k_stereo_resamples_to_analysis_rate(tmp_path: Path) -> None:
    sr = 192000
    path = write_wav(tmp_path / "hires.flac", tone(1000.0, 2.0, sr, peak_dbfs=-3.0), sr, "PCM_24")
    assert probe(path).sr == sr
    audio = load(path, sr=22050, mono=True)
    assert audio.sr == 22050
    assert audio.frames == pytest.approx(2 * 22050, abs=2)
    middle = audio.samples[0, 2000:-2000]
    assert dominant_hz(middle, 22050) == pytest.approx(1000.0, abs=1.0)
    assert 20 * np.log10(np.max(np.abs(middle))) == pytest.approx(-3.0, abs=0.01)


# --- resampling -------------------------------------------------------------------------


@pytest.mark.parametrize(("sr_in", "sr_out"), [(44100, 22050), (48000, 44100), (96000, 22050)])
def test_resampling_matches_the_analytic_signal(sr_in: int, sr_out: int) -> None:
    y = tone(1000.0, 1.0, sr_in, peak_dbfs=-1.0, channels=1)[0]
    expected = tone(1000.0, 1.0, sr_out, peak_dbfs=-1.0, channels=1)[0]
    out = resample(y, sr_in, sr_out)
    assert out.dtype == np.float32
    assert len(out) == len(expected)
    # Ignore the filter's edges; inside, libsoxr HQ is accurate to better than -80 dB.
    edge = sr_out // 50
    error = np.max(np.abs(out[edge:-edge] - expected[edge:-edge]))
    assert 20 * np.log10(error) < -80


def test_resample_stream_equals_resampling_the_whole() -> None:
    rng = np.random.default_rng(3)
    y = (rng.standard_normal((2, 44100 * 2)) * 0.1).astype(np.float32)
    cuts = [0, 1000, 1001, 30000, 61234, y.shape[1]]
    blocks = [Audio(y[:, a:b], 44100) for a, b in itertools.pairwise(cuts)]
    out = list(resample_stream(blocks, 22050))
    assert all(block.sr == 22050 and block.channels == 2 for block in out)
    joined = np.concatenate([block.samples for block in out], axis=1)
    whole = resample(y, 44100, 22050)
    assert joined.shape == whole.shape
    np.testing.assert_allclose(joined, whole, atol=1e-5)


def test_stream_with_rate_and_mono_gives_analysis_blocks(media: dict[str, Path]) -> None:
    blocks = list(stream(media["wav"], block_s=1.0, sr=22050, mono=True))
    assert all(b.sr == 22050 and b.channels == 1 for b in blocks)
    joined = np.concatenate([b.samples for b in blocks], axis=1)
    expected = resample(load(media["wav"], mono=True).samples, SR, 22050)
    np.testing.assert_allclose(joined, expected, atol=1e-5)


def test_same_rate_passes_blocks_through() -> None:
    blocks = [Audio(np.zeros((1, 10), np.float32), 22050) for _ in range(3)]
    assert list(resample_stream(blocks, 22050)) == blocks


def test_audio_rejects_wrong_shapes() -> None:
    with pytest.raises(ValueError, match="float32"):
        Audio(np.zeros(10, np.float32), 22050)
    float64: Any = np.zeros((1, 10))
    with pytest.raises(ValueError, match="float32"):
        Audio(float64, 22050)


# --- bad input --------------------------------------------------------------------------


def assert_error(path: Path, code: ErrorCode) -> AudioError:
    """``load`` (which probes first) and ``open_stream`` (which probes with the decoder)
    fail alike, with ``code`` and naming ``path``."""
    with pytest.raises(AudioError) as caught:
        load(path)
    assert caught.value.code is code, caught.value
    assert caught.value.path == str(path)
    assert str(path) in str(caught.value)
    with pytest.raises(AudioError) as opened:
        list(open_stream(path, block_s=1.0)[1])
    assert opened.value.code is code, opened.value
    assert opened.value.path == str(path)
    return caught.value


def test_missing_file(tmp_path: Path) -> None:
    assert_error(tmp_path / "nope.mp3", ErrorCode.NOT_FOUND)


def test_directory(tmp_path: Path) -> None:
    folder = tmp_path / "album.flac"
    folder.mkdir()
    assert_error(folder, ErrorCode.NOT_FOUND)


@pytest.mark.parametrize("suffix", ["mp3", "wav", "m4a"])
def test_zero_bytes(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"empty.{suffix}"
    path.touch()
    assert_error(path, ErrorCode.EMPTY_FILE)


@pytest.mark.parametrize("suffix", ["mp3", "flac", "m4a", "wav"])
def test_text_with_an_audio_extension(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"readme.{suffix}"
    path.write_text("This is not music.\n" * 200)
    assert_error(path, ErrorCode.NOT_AUDIO)


def test_random_bytes_are_not_audio(tmp_path: Path) -> None:
    path = tmp_path / "noise.mp3"
    path.write_bytes(bytes(np.random.default_rng(0).integers(0, 0xF0, 5000, dtype=np.uint8)))
    assert_error(path, ErrorCode.NOT_AUDIO)


@needs_ffmpeg
def test_tiny_truncated_mp3_is_corrupt(media: dict[str, Path], tmp_path: Path) -> None:
    path = tmp_path / "cut.mp3"
    path.write_bytes(media["mp3"].read_bytes()[:3000])
    assert_error(path, ErrorCode.CORRUPT)


@needs_ffmpeg
@pytest.mark.parametrize("suffix", ["mp3", "flac"])
def test_substantially_complete_file_decodes_what_is_there(
    media: dict[str, Path], tmp_path: Path, suffix: str
) -> None:
    data = media[suffix].read_bytes()
    path = tmp_path / f"cut.{suffix}"
    path.write_bytes(data[: int(len(data) * 0.7)])
    audio = load(path)
    assert audio.partial
    assert 0.5 * SECONDS < audio.duration_s < 0.9 * SECONDS
    blocks = list(stream(path, block_s=0.5))
    assert blocks[-1].partial
    assert not any(b.partial for b in blocks[:-1])


@needs_ffmpeg
def test_truncated_m4a_without_index_is_corrupt(media: dict[str, Path], tmp_path: Path) -> None:
    path = tmp_path / "cut.m4a"
    data = media["aac.m4a"].read_bytes()
    path.write_bytes(data[: len(data) // 3])
    error = assert_error(path, ErrorCode.CORRUPT)
    assert "moov" in error.detail


def test_wav_header_without_data_is_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "header.wav"
    path.write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(20))
    assert_error(path, ErrorCode.CORRUPT)


def test_valid_file_without_samples_is_empty_audio(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "nothing.wav", np.zeros((2, 0)), SR)
    audio = load(path)
    assert audio.samples.shape == (2, 0)
    assert load(path, mono=True, sr=22050).samples.shape == (1, 0)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_permission_denied(media: dict[str, Path], tmp_path: Path) -> None:
    path = tmp_path / "locked.wav"
    shutil.copy(media["wav"], path)
    path.chmod(0)
    assert_error(path, ErrorCode.UNREADABLE)


def test_permission_denied_as_the_os_reports_it(
    media: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Runs as root too: the OS's EACCES on open is simulated for this one path.
    path = tmp_path / "locked.wav"
    shutil.copy(media["wav"], path)
    real_open = builtins.open

    def denying_open(file: Any, *args: Any, **kwargs: Any) -> Any:
        if os.fspath(file) == str(path):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", denying_open)
    assert_error(path, ErrorCode.UNREADABLE)


@needs_ffmpeg
def test_without_ffmpeg_m4a_is_unsupported_and_says_why(
    media: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert decode.ffmpeg_path() is None
    error = assert_error(media["aac.m4a"], ErrorCode.UNSUPPORTED)
    assert "ffmpeg" in error.detail
    text = tmp_path / "notes.m4a"
    text.write_text("not audio")
    assert_error(text, ErrorCode.NOT_AUDIO)
    assert load(media["flac"]).frames == round(SR * SECONDS)


def test_invalid_arguments(media: dict[str, Path]) -> None:
    with pytest.raises(ValueError, match="block_s"):
        stream(media["wav"], block_s=0)
    with pytest.raises(ValueError, match="offset_s"):
        load(media["wav"], offset_s=-1.0)
    with pytest.raises(ValueError, match="sr"):
        load(media["wav"], sr=0)


def test_sniffing_tells_audio_from_other_content() -> None:
    assert decode.sniff_audio(b"RIFF\x00\x00\x00\x00WAVEfmt ") == "wav"
    assert decode.sniff_audio(b"ID3\x04\x00") == "mp3"
    assert decode.sniff_audio(b"\xff\xfb\x90\x00") == "mp3"
    assert decode.sniff_audio(b"\x00\x00\x00\x20ftypM4A ") == "mp4"
    assert decode.sniff_audio(b"fLaC\x00") == "flac"
    assert decode.sniff_audio(b"Hello, world") is None
    assert decode.sniff_audio(b"") is None


@needs_ffmpeg
def test_raw_aac_decodes_whole_without_a_truncation_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # ffprobe only estimates a raw ADTS stream's length from its bit rate (here about 4 s
    # too long): the decoded length is the truth, and nothing is "truncated".
    import subprocess

    assert FFMPEG is not None
    path = tmp_path / "tone.aac"
    subprocess.run(
        [FFMPEG, "-v", "error", "-f", "lavfi", "-i", "sine=frequency=440:duration=20",
         "-c:a", "aac", "-b:a", "128k", str(path)],
        check=True,
    )  # fmt: skip
    assert probe(path).duration_s is None
    with caplog.at_level("WARNING", logger="tracktion.audio"):
        blocks = list(stream(path, block_s=5.0))
    assert not any(block.partial for block in blocks)
    assert sum(block.samples.shape[1] for block in blocks) / blocks[0].sr == pytest.approx(
        20, abs=0.1
    )
    assert "truncated" not in caplog.text


def test_stream_from_a_probe_equals_stream(media: dict[str, Path]) -> None:
    from tracktion.audio.decode import stream_from

    path = media["wav"]
    direct = np.concatenate([block.samples for block in stream(path, block_s=0.7)], axis=1)
    probed = np.concatenate(
        [block.samples for block in stream_from(probe(path), block_s=0.7)], axis=1
    )
    assert np.array_equal(direct, probed)
    with pytest.raises(ValueError, match="block_s"):
        stream_from(probe(path), block_s=0)


@pytest.mark.parametrize(
    "suffix",
    ["wav", "flac", *(pytest.param(s, marks=needs_ffmpeg) for s in ("opus", "aac.m4a", "wma"))],
)
def test_open_stream_equals_probe_and_stream(media: dict[str, Path], suffix: str) -> None:
    # For ffmpeg's formats the decoder's own header replaces ffprobe: same rate,
    # channels, decoder and samples; the length agrees to a codec frame.
    path = media[suffix]
    info, blocks = open_stream(path, block_s=0.7)
    probed = probe(path)
    assert (info.sr, info.channels, info.decoder) == (probed.sr, probed.channels, probed.decoder)
    assert info.duration_s == pytest.approx(SECONDS, abs=0.05)
    opened = np.concatenate([block.samples for block in blocks], axis=1)
    np.testing.assert_array_equal(opened, load(path).samples)
    if suffix in ("aac.m4a", "wma"):
        assert (info.container, info.codec) == {"aac.m4a": ("mp4", "aac"), "wma": ("asf", "wma")}[
            suffix
        ]


@needs_ffmpeg
@pytest.mark.parametrize("channels", [1, 6])
def test_open_stream_takes_channels_from_the_decoder(tmp_path: Path, channels: int) -> None:
    # mutagen reads 2 channels from the sample entry of a mono AAC file that ffmpeg wrote;
    # the decoder's header is right, and BS.1770 loudness depends on the channel count.
    y = np.concatenate([tone(300.0 * (i + 1), 1.0, 48000, channels=1) for i in range(channels)])
    source = write_wav(tmp_path / "source.wav", y, 48000)
    path = encode(source, tmp_path / "tone.m4a", ["-c:a", "aac", "-b:a", "192k"])
    info, blocks = open_stream(path)
    assert (info.sr, info.channels) == (48000, channels)
    assert all(block.channels == channels for block in blocks)


@needs_ffmpeg
def test_open_stream_dropped_unread_stops_its_ffmpeg(media: dict[str, Path]) -> None:
    import gc

    _, blocks = open_stream(media["aac.m4a"])
    del blocks
    gc.collect()
    # The decoder is reaped: no child process of this one is left running ffmpeg.
    children = Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children").read_text().split()
    commands = [Path(f"/proc/{pid}/comm").read_text().strip() for pid in children]
    assert "ffmpeg" not in commands
