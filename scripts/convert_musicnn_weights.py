"""Convert musicnn's pre-trained checkpoint into the numpy weights tracktion-audio ships.

musicnn (https://github.com/jordipons/musicnn, ISC licence) ships TensorFlow 1 checkpoints
inside its PyPI package. This script reads one, turns every batch norm into a scale and a
shift (folding those that precede a dense layer into it), and writes a compressed
``.npz`` with the tag list, the mel filter bank and the preprocessing parameters. It then
runs musicnn's own TensorFlow graph on the deterministic clips of
``tests/audio/musicnn_clips.py`` and writes their taggrams as the port's test fixture,
after checking that the numpy port (``tracktion/audio/_musicnn.py``, loaded by path)
reproduces them.

It runs in a side environment, never the project's: musicnn 0.1.0 pins numpy<1.17, so it
is installed without its dependencies::

    uv venv .cache/venv-ml
    VIRTUAL_ENV=.cache/venv-ml uv pip install tensorflow-cpu tf_keras librosa
    VIRTUAL_ENV=.cache/venv-ml uv pip install --no-deps musicnn==0.1.0
    .cache/venv-ml/bin/python scripts/convert_musicnn_weights.py

Preprocessing, as musicnn trained: 16 kHz mono, ``librosa.feature.melspectrogram`` with
n_fft 512, hop 256, 96 mel bands (Slaney), power rounded to float16, then
``log10(10000 x + 1)`` computed in float32; patches of 187 frames (3 s), without overlap;
audio shorter than a patch is repeat-padded (musicnn's ``pad_short: repeat-pad``).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "packages/tracktion-audio/src/tracktion/audio"
SR, N_FFT, HOP, N_MELS, PATCH_FRAMES, LOG_C = 16000, 512, 256, 96, 187, 10000.0
BN_EPSILON = 1e-3  # tf.compat.v1.layers.batch_normalization's default
TOLERANCE = 1e-3  # largest allowed difference of a probability, port vs TensorFlow
FORMAT_VERSION = 1


def _module(name: str) -> Any:
    """Import a module of the side environment (untyped there, absent from the project's)."""
    return importlib.import_module(name)


def load_by_path(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def checkpoint_dir(model: str) -> str:
    package = os.path.dirname(_module("musicnn").__file__)
    return os.path.join(package, model) + os.sep


def read_checkpoint(model: str) -> dict[str, np.ndarray]:
    tf = _module("tensorflow")
    reader = tf.compat.v1.train.NewCheckpointReader(checkpoint_dir(model))
    names = reader.get_variable_to_shape_map()
    return {k: reader.get_tensor(k) for k in names if "Adam" not in k and "power" not in k}


def convert(ckpt: dict[str, np.ndarray], model: str, tags: list[str]) -> dict[str, np.ndarray]:
    """The converted arrays (float32), in the layout ``_musicnn.Musicnn`` reads."""
    import librosa

    def norm(index: int) -> tuple[np.ndarray, np.ndarray]:
        prefix = "batch_normalization" + (f"_{index}" if index else "")
        gamma, beta = ckpt[f"{prefix}/gamma"], ckpt[f"{prefix}/beta"]
        mean, var = ckpt[f"{prefix}/moving_mean"], ckpt[f"{prefix}/moving_variance"]
        scale = gamma / np.sqrt(var + BN_EPSILON)
        return scale, beta - mean * scale

    out: dict[str, Any] = {
        "format_version": np.array(FORMAT_VERSION),
        "model_name": np.array(model),
        "tags": np.array(tags),
        "sr": np.array(SR),
        "n_fft": np.array(N_FFT),
        "hop": np.array(HOP),
        "n_mels": np.array(N_MELS),
        "patch_frames": np.array(PATCH_FRAMES),
        "log_c": np.array(LOG_C),
        "mel_basis": librosa.filters.mel(sr=SR, n_fft=N_FFT, n_mels=N_MELS).astype(np.float32),
    }
    scale, shift = norm(0)
    out["input_scale"], out["input_shift"] = scale.reshape(()), shift.reshape(())
    # Creation order in musicnn's models.py: conv2d_i with batch_normalization_{i + 1}.
    layers = ["timbral74", "timbral77", "temporal128", "temporal64", "temporal32"]
    layers += ["mid1", "mid2", "mid3"]
    for i, name in enumerate(layers):
        conv = "conv2d" + (f"_{i}" if i else "")
        kernel = ckpt[f"{conv}/kernel"]  # (time, freq or channels, 1, filters)
        out[f"{name}_w"] = (
            kernel[:, :, 0, :].squeeze(1) if kernel.shape[1] == 1 else kernel[:, :, 0]
        )
        out[f"{name}_b"] = ckpt[f"{conv}/bias"]
        out[f"{name}_scale"], out[f"{name}_shift"] = norm(i + 1)
    # Back end: flatten((753, 2)) interleaves max and mean; the port concatenates them.
    channels = ckpt["dense/kernel"].shape[0] // 2
    order = np.concatenate([np.arange(channels) * 2, np.arange(channels) * 2 + 1])
    scale, shift = norm(9)
    dense = ckpt["dense/kernel"][order]
    out["dense_w"] = scale[order, None] * dense
    out["dense_b"] = shift[order] @ dense + ckpt["dense/bias"]
    scale, shift = norm(10)
    out["out_w"] = scale[:, None] * ckpt["dense_1/kernel"]
    out["out_b"] = shift @ ckpt["dense_1/kernel"] + ckpt["dense_1/bias"]
    return {k: np.asarray(v, np.float32) if v.dtype == np.float64 else v for k, v in out.items()}


def reference_log_mel(y: np.ndarray) -> np.ndarray:
    """musicnn's preprocessing with librosa, the logarithm in float32 (frames x bands)."""
    import librosa

    mel = librosa.feature.melspectrogram(y=y, sr=SR, hop_length=HOP, n_fft=N_FFT, n_mels=N_MELS)
    rounded = mel.T.astype(np.float16).astype(np.float32)
    out: np.ndarray = np.log10(np.float32(LOG_C) * rounded + np.float32(1.0))
    return out


def patches(log_mel: np.ndarray) -> np.ndarray:
    if log_mel.shape[0] < PATCH_FRAMES:
        reps = -(-PATCH_FRAMES // log_mel.shape[0])
        log_mel = np.tile(log_mel, (reps, 1))[:PATCH_FRAMES]
    count = log_mel.shape[0] // PATCH_FRAMES
    return log_mel[: count * PATCH_FRAMES].reshape(count, PATCH_FRAMES, N_MELS)


class TensorFlowMusicnn:
    """musicnn's own graph (``musicnn.models.define_model``) with its checkpoint."""

    def __init__(self, model: str, classes: int) -> None:
        tf, models = _module("tensorflow"), _module("musicnn.models")

        tf.compat.v1.disable_eager_execution()
        self.graph = tf.Graph()
        with self.graph.as_default(), tf.name_scope("model"):
            self.x = tf.compat.v1.placeholder(tf.float32, [None, PATCH_FRAMES, N_MELS])
            self.training = tf.compat.v1.placeholder(tf.bool)
            logits = models.define_model(self.x, self.training, model, classes)[0]
            self.y = tf.nn.sigmoid(logits)
            self.session = tf.compat.v1.Session(graph=self.graph)
            tf.compat.v1.train.Saver().restore(self.session, checkpoint_dir(model))

    def predict(self, batch: np.ndarray) -> np.ndarray:
        feed = {self.x: batch.astype(np.float32), self.training: False}
        return np.asarray(self.session.run(self.y, feed_dict=feed), np.float32)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="MSD_musicnn", choices=["MSD_musicnn", "MTT_musicnn"])
    parser.add_argument(
        "--out", type=Path, help="default: the package's data/musicnn_msd.npz (or _mtt)"
    )
    parser.add_argument(
        "--fixture",
        type=Path,
        help="default for MSD_musicnn: tests/audio/data/musicnn_reference.npz (the tests' "
        "fixture); no fixture for MTT_musicnn unless given",
    )
    args = parser.parse_args()
    is_msd = args.model == "MSD_musicnn"
    args.out = args.out or PACKAGE / f"data/musicnn_{'msd' if is_msd else 'mtt'}.npz"
    if args.fixture is None and is_msd:
        args.fixture = ROOT / "tests/audio/data/musicnn_reference.npz"
    configuration = _module("musicnn.configuration")

    tags = configuration.MSD_LABELS if args.model.startswith("MSD") else configuration.MTT_LABELS
    port = load_by_path("_musicnn_port", PACKAGE / "_musicnn.py")
    clips = load_by_path("_musicnn_clips", ROOT / "tests/audio/musicnn_clips.py")
    arrays = convert(read_checkpoint(args.model), args.model, list(tags))
    reference = TensorFlowMusicnn(args.model, len(tags))

    # Inputs: the fixture clips, plus noise and tones at several levels (wider coverage).
    rng = np.random.default_rng(7)
    batches = {name: patches(reference_log_mel(clips.clip(name))) for name in clips.CLIPS}
    extra = [
        a * rng.standard_normal(SR * 3) + b * np.sin(2 * np.pi * f * np.arange(SR * 3) / SR)
        for a, b, f in [(0.3, 0.0, 1.0), (0.01, 0.5, 900.0), (0.001, 0.05, 2500.0)]
    ]
    batches["extra"] = np.concatenate(
        [patches(reference_log_mel(y.astype(np.float32))) for y in extra]
    )
    expected = {name: reference.predict(batch) for name, batch in batches.items()}

    def worst(weights: dict[str, np.ndarray]) -> float:
        model = port.Musicnn(weights)
        return max(
            float(np.abs(model.predict(batches[name]) - expected[name]).max()) for name in batches
        )

    err32 = worst(arrays)
    weights16 = {
        k: v.astype(np.float16) if k.endswith(("_w", "_b")) else v for k, v in arrays.items()
    }
    err16 = worst(weights16)
    print(f"port vs TensorFlow, max |probability difference|: float32 {err32:.2e}, ", end="")
    print(f"float16 weights {err16:.2e}")
    if err32 > TOLERANCE:
        raise SystemExit(
            f"the numpy port does not reproduce TensorFlow ({err32:.2e} > {TOLERANCE})"
        )
    chosen = weights16 if err16 <= TOLERANCE else arrays
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, allow_pickle=False, **chosen)
    dtype = "float16" if chosen is weights16 else "float32"
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB, weights {dtype})")

    if args.fixture is None:
        return
    fixture: dict[str, np.ndarray] = {"model_name": np.array(args.model)}
    for name in clips.CLIPS:
        fixture[f"{name}_taggram"] = expected[name]
    # One network input as such, so the network is tested apart from the preprocessing.
    net_input = batches["drums_noise"][:1].astype(np.float16)
    fixture["network_input"] = net_input
    fixture["network_taggram"] = reference.predict(net_input.astype(np.float32))
    args.fixture.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.fixture, allow_pickle=False, **fixture)
    print(f"wrote {args.fixture} ({args.fixture.stat().st_size / 1e3:.0f} kB)")


if __name__ == "__main__":
    main()
