"""The ONNX Runtime backend of the mood tagger (``tracktion-audio[ml]``, installed in the
development environment): the same network as the numpy port, chosen automatically when
the extra is there, refused with an error naming the extra when it is not."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import onnx
import pytest

from tracktion.audio._musicnn import Musicnn
from tracktion.audio._musicnn_onnx import IR_VERSION, OPSET, OnnxMusicnn, build_model
from tracktion.audio.mood import MoodAnalyzer, default_analyzer
from tracktion.core.errors import MissingExtraError

from .musicnn_clips import CLIPS, SR, clip
from .test_mood import REFERENCE, assert_same, patches


@pytest.fixture(scope="module")
def numpy_analyzer() -> MoodAnalyzer:
    return MoodAnalyzer(backend="numpy")


@pytest.fixture(scope="module")
def onnx_analyzer() -> MoodAnalyzer:
    return MoodAnalyzer(backend="onnx")


def test_the_graph_is_valid_onnx_built_from_the_shipped_weights(
    numpy_analyzer: MoodAnalyzer,
) -> None:
    model = build_model(numpy_analyzer.model)
    onnx.checker.check_model(model, full_check=True)  # shapes inferred through every node
    assert model.ir_version == IR_VERSION
    assert [(o.domain, o.version) for o in model.opset_import] == [("", OPSET)]
    (patches_in,) = model.graph.input
    dims = [d.dim_param or d.dim_value for d in patches_in.type.tensor_type.shape.dim]
    assert dims == ["p", 187, 96]
    (out,) = model.graph.output
    assert [d.dim_param or d.dim_value for d in out.type.tensor_type.shape.dim] == ["p", 50]
    # Every weight is in the graph itself (no external data file to ship or download).
    assert all(not t.external_data for t in model.graph.initializer)


@pytest.mark.parametrize("name", list(CLIPS))
def test_onnx_agrees_with_numpy_on_every_patch(
    numpy_analyzer: MoodAnalyzer, onnx_analyzer: MoodAnalyzer, name: str
) -> None:
    x = patches(numpy_analyzer.model, clip(name))
    ours = onnx_analyzer.network.predict(x)
    theirs = numpy_analyzer.model.predict(x)
    assert ours.dtype == np.float32
    assert ours.shape == theirs.shape == (x.shape[0], 50)
    assert np.abs(ours - theirs).max() < 1e-5


def test_onnx_matches_tensorflow_and_handles_any_batch(onnx_analyzer: MoodAnalyzer) -> None:
    network_input = REFERENCE["network_input"].astype(np.float32)
    got = onnx_analyzer.network.predict(network_input)
    assert np.abs(got - REFERENCE["network_taggram"]).max() < 1e-5
    # Several patches, one, none: each patch is scored on its own.
    rng = np.random.default_rng(3)
    many = rng.random((9, 187, 96), dtype=np.float32) * 3
    whole = onnx_analyzer.network.predict(many)
    one_by_one = np.concatenate([onnx_analyzer.network.predict(p[None]) for p in many])
    assert np.abs(whole - one_by_one).max() < 1e-6
    assert np.abs(whole - onnx_analyzer.model.predict(many)).max() < 1e-5
    assert onnx_analyzer.network.predict(many[:0]).shape == (0, 50)
    with pytest.raises(ValueError, match="shape"):
        onnx_analyzer.network.predict(many[:, :100])


@pytest.mark.parametrize("name", list(CLIPS))
def test_both_backends_give_the_same_tags(
    numpy_analyzer: MoodAnalyzer, onnx_analyzer: MoodAnalyzer, name: str
) -> None:
    y = clip(name)
    assert numpy_analyzer.backend == "numpy"
    assert onnx_analyzer.backend == "onnx"
    assert_same(onnx_analyzer.tag(y, SR, top_k=None), numpy_analyzer.tag(y, SR, top_k=None))
    # Streamed in odd blocks (patches scored a few at a time) as well.
    tagger = onnx_analyzer.stream(SR)
    for start in range(0, y.size, 7919):
        tagger.update(y[start : start + 7919])
    assert_same(tagger.result(), numpy_analyzer.tag(y, SR))


def test_more_threads_give_the_same_probabilities(numpy_analyzer: MoodAnalyzer) -> None:
    two = MoodAnalyzer(backend="onnx", threads=2)
    x = patches(two.model, clip("chord_pulse"))
    assert np.abs(two.network.predict(x) - numpy_analyzer.model.predict(x)).max() < 1e-5
    with pytest.raises(ValueError, match="threads"):
        MoodAnalyzer(threads=0)
    with pytest.raises(ValueError, match="thread counts"):
        OnnxMusicnn(two.model, inter_op_threads=0)
    with pytest.raises(ValueError, match="backend is one of auto, numpy, onnx"):
        MoodAnalyzer(backend="tensorflow")  # type: ignore[arg-type]


def test_auto_takes_onnx_runtime_when_the_extra_is_installed() -> None:
    auto = MoodAnalyzer()
    assert auto.backend == "onnx"
    assert isinstance(auto.network, OnnxMusicnn)
    assert default_analyzer().backend == "onnx"
    assert isinstance(MoodAnalyzer(backend="numpy").network, Musicnn)


@pytest.mark.parametrize("module", ["onnxruntime", "onnx"])
def test_without_the_extra_onnx_is_refused_and_auto_falls_back_to_numpy(
    monkeypatch: pytest.MonkeyPatch, module: str
) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # the package is absent: import fails
    with pytest.raises(MissingExtraError, match=r"pip install 'tracktion-audio\[ml\]'") as caught:
        MoodAnalyzer(backend="onnx")
    assert isinstance(caught.value, ImportError)
    assert caught.value.name == module
    assert (caught.value.distribution, caught.value.extra) == ("tracktion-audio", "ml")
    assert f"'{module}'" in str(caught.value)
    auto = MoodAnalyzer()
    assert auto.backend == "numpy"
    assert auto.network is auto.model
    assert auto.tag(clip("drums_noise"), SR).tags


def test_importing_the_tagger_does_not_import_onnx_runtime() -> None:
    code = (
        "import sys\n"
        "import tracktion.audio\n"
        "from tracktion.audio.mood import MoodAnalyzer\n"
        "from tracktion.audio.analyzer import analyze_file\n"
        "assert MoodAnalyzer(backend='numpy').backend == 'numpy'\n"
        "print(sorted(m for m in ('onnx', 'onnxruntime') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
