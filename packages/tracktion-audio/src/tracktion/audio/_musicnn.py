"""musicnn (Pons & Serra, 2019) in numpy: the log-mel front end and the network.

The weights come from musicnn's pre-trained checkpoints, converted once by
``scripts/convert_musicnn_weights.py`` into a compressed ``.npz`` (batch norms already
turned into per-channel scales and shifts, or folded into the dense layers that follow
them). This module needs numpy only, so the conversion script can load it by path to check
the port against TensorFlow.

The network, for one patch of 187 log-mel frames x 96 bands:

* front end: a batch norm of the input, then two timbral convolutions (7 frames x 38 and
  x 67 bands, 204 filters each) and three temporal ones (128, 64 and 32 frames x 1 band,
  51 filters each), each followed by ReLU, batch norm and a max over frequency: 561
  features per frame;
* mid end: three 1-D convolutions over time (7 frames, 64 filters; ReLU then batch norm),
  the second and third with residual connections;
* back end: the max and the mean over time of the 753 front- and mid-end features, a
  dense layer of 200 ReLU units and a dense layer of one logit per tag (sigmoid).

Every convolution is an ``im2col`` matrix product in float32. ``_musicnn_onnx.py`` builds
the same network for ONNX Runtime from the arrays :class:`Musicnn` holds
(:meth:`Musicnn.converted`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import NDArray

__all__ = ["FORMAT_VERSION", "LogMelFrames", "Musicnn", "log_mel"]

FORMAT_VERSION = 1
"""Version of the ``.npz`` layout this module reads (key ``format_version``)."""

F32 = NDArray[np.float32]

_FLOAT16_MAX = float(np.finfo(np.float16).max)
_TIMBRAL = ("timbral74", "timbral77")
_TEMPORAL = ("temporal128", "temporal64", "temporal32")
_MIDEND = ("mid1", "mid2", "mid3")
_CHUNK = 4
"""Patches per matrix product: bounds the im2col arrays to ~50 MB."""


def log_mel(power_mel: F32, log_c: float) -> F32:
    """musicnn's input compression ``log10(c * x + 1)`` of mel powers ``x``.

    The mel powers are first rounded to float16, as musicnn's training data was stored;
    the logarithm is then taken in float32 (musicnn's own code, under numpy 2 promotion
    rules, multiplies in float16 and overflows to infinity above x = 6.55: see the
    package README).
    """
    rounded = np.minimum(power_mel, _FLOAT16_MAX).astype(np.float16).astype(np.float32)
    out: F32 = np.log10(np.float32(log_c) * rounded + np.float32(1.0))
    return out


class LogMelFrames:
    """Streaming centred STFT -> mel power -> :func:`log_mel`, frame by frame.

    Frame ``j`` covers samples ``[j * hop - n_fft / 2, j * hop + n_fft / 2)`` with zeros
    outside the signal, as ``librosa.feature.melspectrogram`` (``center=True``,
    ``pad_mode="constant"``, periodic Hann window, power 2) computes it: a signal of
    ``n`` samples gives ``1 + n // hop`` frames in total, however it is cut into blocks.
    """

    def __init__(self, model: Musicnn) -> None:
        self._model = model
        self._pending = np.zeros(model.n_fft // 2, np.float32)
        self._done = False

    def push(self, samples: F32) -> F32:
        """Add mono samples at the model's rate; return the frames completed, shape
        ``(frames, n_mels)``."""
        if self._done:
            raise ValueError("the stream has already been finished")
        self._pending = np.concatenate([self._pending, np.asarray(samples, np.float32)])
        return self._take()

    def finish(self) -> F32:
        """End of the signal: return the last frames (zero padded on the right)."""
        if self._done:
            return np.zeros((0, self._model.n_mels), np.float32)
        self._done = True
        pad = np.zeros(self._model.n_fft // 2, np.float32)
        self._pending = np.concatenate([self._pending, pad])
        return self._take()

    def _take(self) -> F32:
        n_fft, hop = self._model.n_fft, self._model.hop
        count = 0 if self._pending.size < n_fft else 1 + (self._pending.size - n_fft) // hop
        if count == 0:
            return np.zeros((0, self._model.n_mels), np.float32)
        frames = sliding_window_view(self._pending, n_fft)[: count * hop : hop]
        self._pending = self._pending[count * hop :]
        return self._model.frames_to_log_mel(frames)


class Musicnn:
    """A converted musicnn model: its preprocessing parameters, tags and weights.

    Args:
        arrays: The arrays of the converted ``.npz`` (see the conversion script).

    Raises:
        ValueError: an array is missing or has the wrong shape, or the format version is
            not :data:`FORMAT_VERSION`.
    """

    def __init__(self, arrays: Mapping[str, NDArray[Any]]) -> None:
        version = int(_get(arrays, "format_version"))
        if version != FORMAT_VERSION:
            raise ValueError(f"weights format {version} is not {FORMAT_VERSION}")
        self.name = str(_get(arrays, "model_name"))
        self.tags: tuple[str, ...] = tuple(str(tag) for tag in _get(arrays, "tags"))
        self.sr = int(_get(arrays, "sr"))
        self.n_fft = int(_get(arrays, "n_fft"))
        self.hop = int(_get(arrays, "hop"))
        self.n_mels = int(_get(arrays, "n_mels"))
        self.patch_frames = int(_get(arrays, "patch_frames"))
        self.log_c = float(_get(arrays, "log_c"))
        self.mel_basis = _f32(arrays, "mel_basis", (self.n_mels, self.n_fft // 2 + 1))
        n = np.arange(self.n_fft)
        self.window = (0.5 - 0.5 * np.cos(2 * np.pi * n / self.n_fft)).astype(np.float32)
        self.input_scale = float(_get(arrays, "input_scale"))
        self.input_shift = float(_get(arrays, "input_shift"))
        self.layers: dict[str, tuple[F32, F32, F32, F32]] = {}
        for name in (*_TIMBRAL, *_TEMPORAL, *_MIDEND):
            weight = _f32(arrays, f"{name}_w", None)
            channels = weight.shape[-1]
            self.layers[name] = (
                weight.reshape(-1, channels),
                _f32(arrays, f"{name}_b", (channels,)),
                _f32(arrays, f"{name}_scale", (channels,)),
                _f32(arrays, f"{name}_shift", (channels,)),
            )
        self.shapes = {name: _get(arrays, f"{name}_w").shape for name in self.layers}
        # Front-end filters ordered by the sign of their batch-norm scale, so that one
        # matrix product feeds a max over the rising ones and a min over the others.
        self.order: dict[str, tuple[int, NDArray[np.intp]]] = {}
        for name in (*_TIMBRAL, *_TEMPORAL):
            weight, bias, scale, shift = self.layers[name]
            order = np.argsort(scale < 0, kind="stable")
            self.layers[name] = (
                np.ascontiguousarray(weight[:, order]),
                bias[order],
                scale[order],
                shift[order],
            )
            self.order[name] = (int((scale >= 0).sum()), np.argsort(order))
        self.dense_w = _f32(arrays, "dense_w", None)
        self.dense_b = _f32(arrays, "dense_b", (self.dense_w.shape[1],))
        self.out_w = _f32(arrays, "out_w", (self.dense_w.shape[1], len(self.tags)))
        self.out_b = _f32(arrays, "out_b", (len(self.tags),))

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Musicnn:
        """Read a converted ``.npz`` (no pickles are loaded).

        Raises:
            OSError: the file cannot be read.
            ValueError: it is not a converted musicnn model.
        """
        with np.load(path, allow_pickle=False) as data:
            return cls({key: data[key] for key in data.files})

    def frames_to_log_mel(self, frames: F32) -> F32:
        """Windowed FFT power of frames ``(n, n_fft)`` -> log-mel ``(n, n_mels)``."""
        spectrum = np.fft.rfft(frames * self.window, axis=1)
        power = (spectrum.real**2 + spectrum.imag**2).astype(np.float32)
        return log_mel(power @ self.mel_basis.T, self.log_c)

    def converted(self, name: str) -> tuple[F32, F32, F32, F32]:
        """Layer ``name``'s weight (in its ``.npz`` shape), bias, batch-norm scale and
        shift, its filters in the checkpoint's order (undoing the reordering by the sign
        of the scale that :meth:`predict` relies on).

        Raises:
            KeyError: there is no convolution ``name``.
        """
        weight, bias, scale, shift = self.layers[name]
        if name in self.order:
            restore = self.order[name][1]
            weight, bias = weight[:, restore], bias[restore]
            scale, shift = scale[restore], shift[restore]
        return weight.reshape(self.shapes[name]), bias, scale, shift

    def check_patches(self, patches: NDArray[np.floating[Any]]) -> F32:
        """``patches`` as float32, once their shape is checked to be ``(p, patch_frames,
        n_mels)``.

        Raises:
            ValueError: they have another shape.
        """
        x = np.asarray(patches, np.float32)
        expected = (self.patch_frames, self.n_mels)
        if x.ndim != 3 or x.shape[1:] != expected:
            raise ValueError(f"patches have shape (p, {expected[0]}, {expected[1]}), not {x.shape}")
        return x

    def predict(self, patches: F32) -> F32:
        """Tag probabilities (sigmoid outputs) of log-mel patches.

        Args:
            patches: Shape ``(p, patch_frames, n_mels)``, from :func:`log_mel`.

        Returns:
            float32 of shape ``(p, len(tags))``, each in [0, 1].
        """
        x = self.check_patches(patches)
        parts = [self._logits(x[i : i + _CHUNK]) for i in range(0, x.shape[0], _CHUNK)]
        logits = np.concatenate(parts) if parts else np.zeros((0, len(self.tags)), np.float32)
        return (1.0 / (1.0 + np.exp(-logits))).astype(np.float32)

    def _logits(self, x: F32) -> F32:
        p, t, _ = x.shape
        z = x * np.float32(self.input_scale) + np.float32(self.input_shift)
        features = []
        padded = np.pad(z, ((0, 0), (3, 3), (0, 0)))
        for name in _TIMBRAL:
            k_time, k_freq, _ = self.shapes[name]
            windows = sliding_window_view(padded, (k_time, k_freq), axis=(1, 2))
            windows = windows.reshape(p, t, -1, k_time * k_freq)
            features.append(self._conv_max(name, windows, over=2))
        bands_first = np.ascontiguousarray(z.transpose(0, 2, 1))  # (p, bands, t)
        for name in _TEMPORAL:
            k_time = self.shapes[name][0]
            zt = np.pad(bands_first, ((0, 0), (0, 0), ((k_time - 1) // 2, k_time // 2)))
            # (p, bands, t, k_time), taps contiguous in memory: a fast im2col copy.
            windows = sliding_window_view(zt, k_time, axis=2)
            features.append(self._conv_max(name, windows, over=1))
        front = np.concatenate(features, axis=2)
        mid1 = self._conv_time("mid1", front)
        mid2 = self._conv_time("mid2", mid1) + mid1
        mid3 = self._conv_time("mid3", mid2) + mid2
        every = np.concatenate([front, mid1, mid2, mid3], axis=2)
        pooled = np.concatenate([every.max(axis=1), every.mean(axis=1, dtype=np.float32)], 1)
        hidden = np.maximum(pooled @ self.dense_w + self.dense_b, 0)
        out: F32 = hidden @ self.out_w + self.out_b
        return out

    def _conv_max(self, name: str, windows: NDArray[np.float32], over: int) -> F32:
        """Convolution (as windows ``(p, t, positions, taps)``, or ``(p, positions, t,
        taps)`` with ``over=1``), ReLU, batch norm and the max over the frequency
        positions: ``(p, t, channels)``.

        ReLU and the bias commute with the max over positions, and a negative batch-norm
        scale turns the minimum into the maximum, so only the matrix product touches the
        full ``(p, t, positions, channels)`` array, and one reduction over it.
        """
        weight, bias, scale, shift = self.layers[name]
        rising, restore = self.order[name]
        p, a, b, taps = windows.shape
        cols = np.ascontiguousarray(windows).reshape(-1, taps)
        z = (cols @ weight).reshape(p, a, b, -1)
        top = np.concatenate([z[..., :rising].max(axis=over), z[..., rising:].min(axis=over)], 2)
        result: F32 = (np.maximum(top + bias, 0) * scale + shift)[..., restore]
        return result

    def _conv_time(self, name: str, x: F32) -> F32:
        """7-frame convolution over time with zero padding, ReLU, batch norm."""
        weight, bias, scale, shift = self.layers[name]
        k_time = self.shapes[name][0]
        p, t, _ = x.shape
        padded = np.pad(x, ((0, 0), (k_time // 2, k_time // 2), (0, 0)))
        windows = sliding_window_view(padded, k_time, axis=1)  # (p, t, channels, k_time)
        cols = np.ascontiguousarray(windows.transpose(0, 1, 3, 2)).reshape(p * t, -1)
        y = np.maximum(cols @ weight + bias, 0) * scale + shift
        out: F32 = y.reshape(p, t, -1)
        return out


def _get(arrays: Mapping[str, NDArray[Any]], key: str) -> NDArray[Any]:
    try:
        return arrays[key]
    except KeyError:
        raise ValueError(f"the weights have no array {key!r}") from None


def _f32(arrays: Mapping[str, NDArray[Any]], key: str, shape: tuple[int, ...] | None) -> F32:
    value = np.asarray(_get(arrays, key), dtype=np.float32)
    if shape is not None and value.shape != shape:
        raise ValueError(f"weights array {key!r} has shape {value.shape}, not {shape}")
    return value
