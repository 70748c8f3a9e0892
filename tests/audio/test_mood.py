"""The musicnn port: it reproduces musicnn's TensorFlow taggrams, and tags files and arrays.

``data/musicnn_reference.npz`` holds the taggrams musicnn's own TensorFlow graph gave for
the clips of ``musicnn_clips.py`` (``scripts/convert_musicnn_weights.py`` made it).
"""

from __future__ import annotations

import itertools
import json
import math
import time
from pathlib import Path

import librosa
import numpy as np
import pytest
import soundfile as sf
from numpy.typing import NDArray
from typer.testing import CliRunner

from tracktion.audio._musicnn import LogMelFrames, Musicnn
from tracktion.audio.analyzer import DEFAULT_FEATURES, Feature, analyze_file
from tracktion.audio.errors import AudioError, ErrorCode
from tracktion.audio.mood import (
    MIN_DURATION_S,
    TAG_CATEGORIES,
    MoodAnalyzer,
    MoodResult,
    TagCategory,
    analyze_mood,
    default_analyzer,
    tag_audio,
)
from tracktion.services.cli import app

from .musicnn_clips import CLIPS, SR, clip

REFERENCE = np.load(Path(__file__).parent / "data" / "musicnn_reference.npz")
TOLERANCE = 1e-3


@pytest.fixture(scope="module")
def model() -> Musicnn:
    return default_analyzer().model


def patches(model: Musicnn, y: NDArray[np.float32]) -> NDArray[np.float32]:
    """Log-mel patches of a clip, patched as musicnn does (repeat-padding a short clip)."""
    frames = LogMelFrames(model)
    log_mel = np.concatenate([frames.push(y), frames.finish()])
    size = model.patch_frames
    if log_mel.shape[0] < size:
        log_mel = np.tile(log_mel, (math.ceil(size / log_mel.shape[0]), 1))[:size]
    count = log_mel.shape[0] // size
    return log_mel[: count * size].reshape(count, size, -1)


def taggram(model: Musicnn, y: NDArray[np.float32]) -> NDArray[np.float32]:
    """Per-patch probabilities of the numpy network."""
    return model.predict(patches(model, y))


def probabilities(result: MoodResult, tags: tuple[str, ...]) -> NDArray[np.float64]:
    by_name = {t.tag: t.probability for t in result.tags}
    return np.array([by_name[tag] for tag in tags])


def assert_same(a: MoodResult, b: MoodResult, tolerance: float = 1e-5) -> None:
    """The same tags in the same order, probabilities equal to float32 rounding."""
    assert a.patches == b.patches
    for ours, theirs in ((a.tags, b.tags), (a.genres, b.genres), (a.moods, b.moods)):
        assert [t.tag for t in ours] == [t.tag for t in theirs]
        for x, y in zip(ours, theirs, strict=True):
            assert x.probability == pytest.approx(y.probability, abs=tolerance)


@pytest.mark.parametrize("name", list(CLIPS))
def test_port_reproduces_tensorflow_taggram(model: Musicnn, name: str) -> None:
    expected = REFERENCE[f"{name}_taggram"]
    got = taggram(model, clip(name))
    assert got.shape == expected.shape
    assert np.abs(got - expected).max() < TOLERANCE


@pytest.mark.parametrize("name", list(CLIPS))
def test_track_probabilities_are_the_mean_of_the_taggram(model: Musicnn, name: str) -> None:
    result = tag_audio(clip(name), SR, top_k=None)
    expected = REFERENCE[f"{name}_taggram"].mean(axis=0)
    assert np.abs(probabilities(result, model.tags) - expected).max() < TOLERANCE
    assert result.patches == REFERENCE[f"{name}_taggram"].shape[0]


def test_network_alone_matches_tensorflow(model: Musicnn) -> None:
    got = model.predict(REFERENCE["network_input"].astype(np.float32))
    assert np.abs(got - REFERENCE["network_taggram"]).max() < 1e-5


def test_log_mel_is_librosas(model: Musicnn) -> None:
    y = clip("chord_pulse")
    frames = LogMelFrames(model)
    cuts = [0, 1000, 1001, 40000, y.size]  # block boundaries change nothing
    ours = np.concatenate([frames.push(y[a:b]) for a, b in itertools.pairwise(cuts)])
    ours = np.concatenate([ours, frames.finish()])
    mel = librosa.feature.melspectrogram(y=y, sr=SR, hop_length=256, n_fft=512, n_mels=96)
    theirs = np.log10(10000 * mel.T.astype(np.float16).astype(np.float32) + 1)
    assert ours.shape == theirs.shape == (1 + y.size // 256, 96)
    assert np.abs(ours - theirs).max() < 1e-3  # one float16 step of the mel power at most
    basis = librosa.filters.mel(sr=SR, n_fft=512, n_mels=96)
    np.testing.assert_allclose(model.mel_basis, basis, rtol=1e-6)


def test_results_are_deterministic_and_independent_of_blocks() -> None:
    y = clip("chord_pulse")
    whole = tag_audio(y, SR, top_k=None)
    assert tag_audio(y, SR, top_k=None) == whole
    tagger = default_analyzer().stream(SR)
    for start in range(0, y.size, 7919):
        tagger.update(y[start : start + 7919])
    pieces = tagger.result(top_k=None)
    tags = default_analyzer().tags
    diff = probabilities(pieces, tags) - probabilities(whole, tags)
    assert np.abs(diff).max() < 1e-6


def test_ranking_and_categories() -> None:
    result = tag_audio(clip("drums_noise"), SR, top_k=3)
    assert len(result.tags) == len(result.genres) == len(result.moods) == 3
    for ranked in (result.tags, result.genres, result.moods):
        probs = [t.probability for t in ranked]
        assert probs == sorted(probs, reverse=True)
        assert all(0.0 <= p <= 1.0 for p in probs)
    assert {t.category for t in result.genres} == {TagCategory.GENRE}
    assert {t.category for t in result.moods} == {TagCategory.MOOD}
    everything = tag_audio(clip("drums_noise"), SR, top_k=None)
    assert len(everything.tags) == 50
    assert everything.tags[:3] == result.tags
    # The thumping noise clip is electronic to the model; the documented mapping is whole.
    assert result.tags[0].tag in {"electronic", "electro", "electronica"}
    assert set(default_analyzer().tags) == set(TAG_CATEGORIES)
    counts = {c: list(TAG_CATEGORIES.values()).count(c) for c in TagCategory}
    assert counts == {
        TagCategory.GENRE: 30,
        TagCategory.MOOD: 8,
        TagCategory.ERA: 6,
        TagCategory.INSTRUMENTATION: 6,
        TagCategory.OTHER: 0,
    }
    as_dict = result.to_dict()
    assert as_dict["model"] == "MSD_musicnn"
    assert as_dict["genres"][0] == {
        "tag": result.genres[0].tag,
        "probability": round(result.genres[0].probability, 4),
    }


def test_other_rates_and_stereo_are_resampled_and_mixed() -> None:
    y = clip("drums_noise")
    direct = tag_audio(y, SR, top_k=None)
    y44 = librosa.resample(y, orig_sr=SR, target_sr=44100, res_type="soxr_hq")
    stereo = np.stack([y44, y44])
    resampled = tag_audio(stereo, 44100, top_k=None)
    tags = default_analyzer().tags
    diff = probabilities(resampled, tags) - probabilities(direct, tags)
    # soxr's HQ filters drop the top 9 % of the 8 kHz band on the way: nearly the same.
    assert np.abs(diff).max() < 0.05
    assert [t.tag for t in resampled.tags[:3]] == [t.tag for t in direct.tags[:3]]


def test_short_audio_is_repeat_padded_and_too_short_audio_refused() -> None:
    assert tag_audio(clip("short_tone")[: int(SR * MIN_DURATION_S)], SR).patches == 1
    with pytest.raises(AudioError) as caught:
        tag_audio(np.zeros(SR // 2, np.float32) + 0.1, SR)
    assert caught.value.code is ErrorCode.TOO_SHORT


def test_silence_gets_no_tags() -> None:
    result = tag_audio(np.zeros(SR * 4, np.float32), SR)
    assert result.patches == 0
    assert result.tags == result.genres == result.moods == ()


def test_bad_input_is_refused() -> None:
    y = clip("drums_noise")
    with pytest.raises(ValueError, match="NaN or infinite"):
        tag_audio(np.where(np.arange(y.size) == 100, np.nan, y), SR)
    with pytest.raises(ValueError, match="shape"):
        tag_audio(y.reshape(1, 1, -1), SR)
    with pytest.raises(ValueError, match="sample rate"):
        tag_audio(y, 0)
    with pytest.raises(ValueError, match="top_k"):
        tag_audio(y, SR, top_k=0)
    tagger = default_analyzer().stream(SR)
    tagger.update(y)
    tagger.result()
    with pytest.raises(ValueError, match="ended"):
        tagger.update(y)


def test_bad_weights_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "weights.npz"
    np.savez(path, format_version=np.array(1), model_name=np.array("x"))
    with pytest.raises(ValueError, match="no array 'tags'"):
        MoodAnalyzer(path)
    np.savez(path, format_version=np.array(99))
    with pytest.raises(ValueError, match="format 99"):
        MoodAnalyzer(path)


def test_speed_sanity() -> None:
    y = np.random.default_rng(0).standard_normal(SR * 15).astype(np.float32) * 0.1
    tag_audio(y[: SR * 4], SR)  # warm up
    start = time.process_time()
    assert tag_audio(y, SR).patches == 5
    # About 1 s of CPU per minute of audio on one core; generous for loaded machines.
    assert time.process_time() - start < 5.0


def test_files_and_the_analyzer_opt_in(tmp_path: Path) -> None:
    y = clip("chord_pulse")
    path = tmp_path / "chord.wav"
    sf.write(path, y, SR, subtype="FLOAT")
    from_file = analyze_mood(path)
    assert_same(from_file, tag_audio(y, SR))
    plain = analyze_file(path)
    assert plain.mood is None
    assert "mood" not in plain.to_dict()
    assert Feature.MOOD not in DEFAULT_FEATURES
    with_mood = analyze_file(path, features=DEFAULT_FEATURES | {Feature.MOOD})
    assert with_mood.mood is not None
    assert_same(with_mood.mood, from_file)
    assert with_mood.to_dict()["mood"].keys() == {"model", "patches", "tags", "genres", "moods"}
    results = with_mood.to_results()
    assert results.genre == {t.tag: t.probability for t in with_mood.mood.genres}
    assert results.mood == {t.tag: t.probability for t in with_mood.mood.moods}
    with pytest.raises(AudioError) as caught:
        analyze_mood(tmp_path / "missing.wav")
    assert caught.value.code is ErrorCode.NOT_FOUND


def test_too_short_file_gets_no_mood_but_everything_else(tmp_path: Path) -> None:
    path = tmp_path / "blip.wav"
    sf.write(path, clip("short_tone")[: SR // 2], SR)
    result = analyze_file(path, features={Feature.MOOD, Feature.LOUDNESS})
    assert result.mood is None
    assert result.loudness is not None


def test_cli_reports_mood_only_when_asked(tmp_path: Path) -> None:
    sf.write(tmp_path / "chord.wav", clip("chord_pulse"), SR)
    runner = CliRunner()
    plain = runner.invoke(app, ["analyze", "--json", "--no-cache", "-w", "1", str(tmp_path)])
    assert plain.exit_code == 0, plain.output
    assert "mood" not in json.loads(plain.stdout)
    asked = runner.invoke(
        app, ["analyze", "--json", "--mood", "--no-cache", "-w", "1", str(tmp_path)]
    )
    assert asked.exit_code == 0, asked.output
    mood = json.loads(asked.stdout)["mood"]
    assert set(mood) >= {"tags", "genres", "moods"}
    expected = tag_audio(clip("chord_pulse"), SR).to_dict()["genres"]
    assert [g["tag"] for g in mood["genres"]] == [g["tag"] for g in expected]
    for got, want in zip(mood["genres"], expected, strict=True):
        assert got["probability"] == pytest.approx(want["probability"], abs=2e-4)
    table = runner.invoke(app, ["analyze", "--mood", "--no-cache", "-w", "1", str(tmp_path)])
    assert table.exit_code == 0, table.output
    assert "Genre / mood" in table.stdout
