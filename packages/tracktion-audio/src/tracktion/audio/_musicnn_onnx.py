"""musicnn on ONNX Runtime: the network of :mod:`._musicnn`, built at run time from its arrays.

``pip install 'tracktion-audio[ml]'`` adds ``onnx`` and ``onnxruntime``. :func:`build_model`
writes the network of a :class:`._musicnn.Musicnn` as an ONNX graph with ``onnx.helper``,
from the arrays the numpy model holds, so the package ships one copy of the weights (the
``.npz``) and nothing is downloaded; :class:`OnnxMusicnn` serializes the graph in memory
and runs it on ONNX Runtime's CPU provider. Same patches in, same probabilities out (to
float32 rounding, about 1e-6), for about a third of the CPU time numpy takes with one
BLAS thread (ONNX Runtime's MLAS convolutions instead of ``im2col`` copies and BLAS).

The graph works on ``(patches, channels, time, bands)`` tensors:

* front end: the input batch norm, then one ``Conv`` per filter shape with the numpy
  port's zero padding over time (none over frequency); the max over frequency is taken
  straight after the convolution, and ReLU and batch norm only on the ``(patches,
  channels, time)`` maxima. A per-channel ReLU and batch norm are monotonic (rising for a
  positive scale, falling for a negative one), so ``max(relu(c) * s + t)`` is
  ``relu(max c) * s + t`` when ``s >= 0`` and ``relu(min c) * s + t`` when ``s < 0``.
  Filters with a negative scale are negated (weights and bias), so that one
  ``ReduceMax`` gives either ``max c`` or ``-min c``, and a multiplication by the sign
  restores ``min c``;
* mid end: three 1-D ``Conv`` over time (7 frames, padding 3), ReLU and batch norm, the
  second and third with residual additions;
* back end: ``ReduceMax`` and ``ReduceMean`` over time, ``Gemm`` + ``Relu``, ``Gemm``,
  ``Sigmoid``.
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from tracktion.core.errors import MissingExtraError

from ._musicnn import _MIDEND, _TEMPORAL, _TIMBRAL, F32, Musicnn

if TYPE_CHECKING:
    import onnx

__all__ = ["EXTRA", "IR_VERSION", "OPSET", "OnnxMusicnn", "build_model"]

EXTRA = "ml"
"""The extra of ``tracktion-audio`` that installs ``onnx`` and ``onnxruntime``."""

OPSET = 18
"""ONNX operator set of the graph (``ReduceMax`` with its axes as an input)."""

IR_VERSION = 8
"""ONNX IR version of the model: the oldest that carries opset 18, so that an onnx newer
than the installed onnxruntime does not write a model the runtime refuses."""

_INPUT, _OUTPUT = "patches", "probabilities"
_PATCHES_PER_RUN = 1
"""Patches per session run: as fast as larger batches (ONNX Runtime convolves them one
by one anyway), with the least working memory (about 45 MB; 180 MB for 4)."""


def runtime() -> ModuleType:
    """Import ``onnx`` and ``onnxruntime`` and return ``onnxruntime``.

    Raises:
        MissingExtraError: one of them is not installed (the message names
            ``tracktion-audio[ml]``).
        ImportError: one is installed but fails to import (the real cause is shown).
    """
    for module in ("onnx", "onnxruntime"):
        try:
            importlib.import_module(module)
        except ImportError as exc:
            if exc.name is not None and exc.name.split(".")[0] != module:
                raise  # installed but broken: show the real cause
            raise MissingExtraError(
                module,
                EXTRA,
                "The mood tagger's ONNX Runtime backend",
                distribution="tracktion-audio",
            ) from exc
    return sys.modules["onnxruntime"]


class _Graph:
    """Nodes and initializers of a graph being written, named as they are added."""

    def __init__(self) -> None:
        from onnx import numpy_helper

        self._to_tensor = numpy_helper.from_array
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []

    def const(self, name: str, value: NDArray[Any]) -> str:
        self.initializers.append(self._to_tensor(np.ascontiguousarray(value), name))
        return name

    def op(self, op_type: str, inputs: list[str], output: str, **attributes: Any) -> str:
        from onnx import helper

        self.nodes.append(helper.make_node(op_type, inputs, [output], **attributes))
        return output

    def batch_norm(self, x: str, name: str, scale: F32, shift: F32) -> str:
        """ReLU then the per-channel scale and shift, on ``(p, channels, time)``."""
        relu = self.op("Relu", [x], f"{name}_relu")
        scaled = self.op("Mul", [relu, self.const(f"{name}_scale", scale[:, None])], f"{name}_bn")
        return self.op("Add", [scaled, self.const(f"{name}_shift", shift[:, None])], f"{name}_out")


def build_model(model: Musicnn) -> onnx.ModelProto:
    """The ONNX model of ``model``'s network: input ``patches`` (float32, shape
    ``(p, patch_frames, n_mels)``), output ``probabilities`` (float32, ``(p, tags)``).

    Raises:
        MissingExtraError: ``onnx`` is not installed.
    """
    runtime()
    from onnx import TensorProto, helper

    g = _Graph()
    channel, time, freq = (g.const(f"axis{i}", np.array([i], np.int64)) for i in (1, 2, 3))
    x = g.op("Unsqueeze", [_INPUT, channel], "input")  # (p, 1, time, bands)
    scale, shift = (np.array(v, np.float32) for v in (model.input_scale, model.input_shift))
    x = g.op("Mul", [x, g.const("input_scale", scale)], "input_bn")
    z = g.op("Add", [x, g.const("input_shift", shift)], "z")
    features = [_front_end(g, model, name, z, freq) for name in (*_TIMBRAL, *_TEMPORAL)]
    front = g.op("Concat", features, "front_end", axis=1)
    every, previous = [front], front
    for name in _MIDEND:
        weight, bias, scale, shift = model.converted(name)
        k_time = weight.shape[0]
        kernel = weight.transpose(2, 1, 0)  # (time, in, out) -> (out, in, time)
        inputs = [previous, g.const(f"{name}_w", kernel), g.const(f"{name}_b", bias)]
        conv = g.op("Conv", inputs, f"{name}_conv", kernel_shape=[k_time], pads=[k_time // 2] * 2)
        out = g.batch_norm(conv, name, scale, shift)
        if previous is not front:
            out = g.op("Add", [out, previous], f"{name}_residual")
        every.append(out)
        previous = out
    features_over_time = g.op("Concat", every, "features", axis=1)
    top = g.op("ReduceMax", [features_over_time, time], "pool_max", keepdims=0)
    mean = g.op("ReduceMean", [features_over_time, time], "pool_mean", keepdims=0)
    pooled = g.op("Concat", [top, mean], "pooled", axis=1)
    dense = [pooled, g.const("dense_w", model.dense_w), g.const("dense_b", model.dense_b)]
    hidden = g.op("Relu", [g.op("Gemm", dense, "dense")], "hidden")
    logits = [hidden, g.const("out_w", model.out_w), g.const("out_b", model.out_b)]
    g.op("Sigmoid", [g.op("Gemm", logits, "logits")], _OUTPUT)
    shape: list[str | int | None] = ["p", model.patch_frames, model.n_mels]
    patches = helper.make_tensor_value_info(_INPUT, TensorProto.FLOAT, shape)
    tags = helper.make_tensor_value_info(_OUTPUT, TensorProto.FLOAT, ["p", len(model.tags)])
    graph = helper.make_graph(g.nodes, model.name, [patches], [tags], g.initializers)
    opset = helper.make_opsetid("", OPSET)
    return helper.make_model(graph, opset_imports=[opset], ir_version=IR_VERSION)


def _front_end(g: _Graph, model: Musicnn, name: str, z: str, freq: str) -> str:
    """Convolution, max over frequency, ReLU and batch norm: ``(p, channels, time)``."""
    weight, bias, scale, shift = model.converted(name)
    sign = np.where(scale < 0, -1, 1).astype(np.float32)
    k_time = weight.shape[0]
    k_freq = weight.shape[1] if weight.ndim == 3 else 1
    # (time, bands, channels) or (time, channels) -> (channels, 1, time, bands)
    kernel = (weight.reshape(k_time, k_freq, -1) * sign).transpose(2, 0, 1)[:, None]
    inputs = [z, g.const(f"{name}_w", kernel), g.const(f"{name}_b", bias * sign)]
    pads = [(k_time - 1) // 2, 0, k_time // 2, 0]  # time and band starts, then their ends
    conv = g.op("Conv", inputs, f"{name}_conv", kernel_shape=[k_time, k_freq], pads=pads)
    top = g.op("ReduceMax", [conv, freq], f"{name}_max", keepdims=0)
    signed = g.op("Mul", [top, g.const(f"{name}_sign", sign[:, None])], f"{name}_top")
    return g.batch_norm(signed, name, scale, shift)


class OnnxMusicnn:
    """``model``'s network on ONNX Runtime (CPU provider): :meth:`predict` as
    :meth:`Musicnn.predict <._musicnn.Musicnn.predict>`.

    Args:
        model: The numpy model whose arrays the graph is built from.
        intra_op_threads: Threads of one operator. 1 by default, as the analysis runs one
            file per process of a pool; more lower one file's latency, not the CPU time.
        inter_op_threads: Threads running independent operators at once (1 by default).

    Raises:
        MissingExtraError: ``onnx`` or ``onnxruntime`` is not installed.
        ValueError: a thread count is below 1.
    """

    def __init__(
        self, model: Musicnn, *, intra_op_threads: int = 1, inter_op_threads: int = 1
    ) -> None:
        if min(intra_op_threads, inter_op_threads) < 1:
            raise ValueError(
                f"thread counts must be at least 1, not {intra_op_threads}, {inter_op_threads}"
            )
        ort = runtime()
        options = ort.SessionOptions()
        options.intra_op_num_threads = intra_op_threads
        options.inter_op_num_threads = inter_op_threads
        # Idle threads would spin on cores that the other processes of a pool need.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.add_session_config_entry("session.inter_op.allow_spinning", "0")
        self.model = model
        self._session = ort.InferenceSession(
            build_model(model).SerializeToString(),
            sess_options=options,
            providers=["CPUExecutionProvider"],
        )

    def predict(self, patches: F32) -> F32:
        """Tag probabilities (sigmoid outputs) of log-mel patches, as
        :meth:`Musicnn.predict <._musicnn.Musicnn.predict>`: ``(p, patch_frames, n_mels)``
        in, float32 ``(p, len(tags))`` out.

        Raises:
            ValueError: ``patches`` has another shape.
        """
        x = self.model.check_patches(patches)
        parts = [
            self._session.run([_OUTPUT], {_INPUT: x[i : i + _PATCHES_PER_RUN]})[0]
            for i in range(0, x.shape[0], _PATCHES_PER_RUN)
        ]
        if not parts:
            return np.zeros((0, len(self.model.tags)), np.float32)
        out: F32 = np.concatenate(parts).astype(np.float32, copy=False)
        return out
