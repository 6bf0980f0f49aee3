"""Load the weights of a TFLite file into a hand-written PyTorch module that computes the same graph.

A converted .tflite file names its tensors after fused TensorFlow ops ("re_lu_3/Relu6;batch_norm...;
conv2d_15/Conv2D"), so weights cannot be found by a readable name. Instead, both graphs are reduced to
their structural ops (convolutions with their weight shapes and strides, additions, resizes, pools,
depth-to-space, concatenations, channel padding; activations, spatial padding and reshapes pass through)
and aligned from the outputs back to the input (a convolution module that adds a residual in its forward
counts as the convolution and the addition). Each nn.Conv2d then gets the weights of the TFLite
convolution in the same place of the graph, as a state dict by the module's own parameter names, loaded
with shape checks. A module whose dataflow differs from the file's is refused with an error naming the file.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import fx, nn

from .tflite import Model, TFLiteError, read_tflite

_COMMUTATIVE = {"ADD"}
_CONVOLUTIONS = ("CONV_2D", "DEPTHWISE_CONV_2D")


@dataclass(eq=False)
class _Node:
    kind: str
    key: tuple = ()
    inputs: list[_Node] = field(default_factory=list)
    ref: object = None  # module name (ours) or Operator (TFLite)


def load_tflite_weights(net: nn.Module, path: str | Path, what: str | None = None) -> None:
    """Copy the convolution weights of the TFLite file at `path` into `net`, matched by graph position; `what`
    names the network in errors (default: its class)."""
    path = Path(path)
    model = read_tflite(path)
    ours, theirs = _torch_graph(net), _tflite_graph(model)
    what = what or type(net).__name__
    if len(ours) != len(theirs):
        raise TFLiteError(f"{path}: the file has {len(theirs)} outputs, {what} has {len(ours)}.")
    aligner = _Aligner()
    for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        if not aligner.match(a, b):
            raise TFLiteError(f"{path}: the graph behind output {i} does not match {what}.")
    convolutions = [(a.ref, b.ref) for a, b in aligner.pairs.items() if a.kind in _CONVOLUTIONS]
    unused = sum(op.opcode in _CONVOLUTIONS for op in model.operators) - len(convolutions)
    if unused:
        raise TFLiteError(f"{path}: {unused} convolutions of the file have no place in {what}.")
    state = {k: v for name, op in convolutions for k, v in _conv_state(model, name, op).items()}
    missing = sorted({name for name, _ in net.named_parameters()} - set(state))
    if missing:
        raise TFLiteError(f"{path}: no weights for {', '.join(missing[:3])} of {what}.")
    net.load_state_dict(state, strict=True)


class _Aligner:
    """Pairs our structural nodes with the file's, depth first from an output, backtracking on additions."""

    def __init__(self):
        self.pairs: dict[_Node, _Node] = {}
        self.taken: set[int] = set()
        self.log: list[_Node] = []

    def match(self, a: _Node, b: _Node) -> bool:
        if a in self.pairs:
            return self.pairs[a] is b
        if id(b) in self.taken or a.kind != b.kind or a.key != b.key or len(a.inputs) != len(b.inputs):
            return False
        mark = len(self.log)
        self._pair(a, b)
        orders = [b.inputs]
        if a.kind in _COMMUTATIVE and len(b.inputs) == 2:
            orders.append(b.inputs[::-1])
        for inputs in orders:
            for x, y in zip(a.inputs, inputs, strict=True):
                if not self.match(x, y):
                    break
            else:
                return True
            self._undo(mark + 1)
        self._undo(mark)
        return False

    def _pair(self, a: _Node, b: _Node) -> None:
        self.pairs[a] = b
        self.taken.add(id(b))
        self.log.append(a)

    def _undo(self, mark: int) -> None:
        while len(self.log) > mark:
            a = self.log.pop()
            self.taken.discard(id(self.pairs.pop(a)))


# --- our side: the module traced with torch.fx -------------------------------------------------------

_FUNCTION_KINDS = {
    "add": "ADD", "interpolate": "RESIZE_BILINEAR", "max_pool2d": "MAX_POOL_2D",
    "pixel_shuffle": "DEPTH_TO_SPACE", "cat": "CONCATENATION",
}


def _torch_graph(net: nn.Module) -> list[_Node]:
    """Structural nodes of `net`'s forward, one list entry per output (a tuple output is flattened)."""
    graph = _Tracer().trace(net)
    modules = dict(net.named_modules())
    nodes: dict[fx.Node, _Node | None] = {}
    outputs: list[_Node] = []
    for n in graph.nodes:
        if n.op == "placeholder":
            nodes[n] = _Node("INPUT")
        elif n.op == "output":
            outputs = [nodes[x] for x in _flatten(_unpack(n.args[0]))]
        elif n.op == "call_module" and isinstance(modules[n.target], nn.Conv2d):
            nodes[n] = _conv_node(modules[n.target], n.target, nodes[n.args[0]])
            residual = n.args[1] if len(n.args) > 1 else n.kwargs.get("residual")
            if residual is not None:  # a convolution that adds a residual in its forward: CONV then ADD
                nodes[n] = _Node("ADD", (), [nodes[n], nodes[residual]])
        else:
            nodes[n] = _structural(n, nodes)
    return outputs


class _Tracer(fx.Tracer):
    """Keeps every convolution, also a subclass of nn.Conv2d that fuses more into its forward, as one node."""

    def is_leaf_module(self, m: nn.Module, qualified_name: str) -> bool:
        return isinstance(m, nn.Conv2d) or super().is_leaf_module(m, qualified_name)


def _conv_node(conv: nn.Conv2d, name: str, source: _Node) -> _Node:
    out, inp, kh, kw = conv.weight.shape
    depthwise = conv.groups > 1
    if depthwise and not conv.groups == conv.in_channels == conv.out_channels:
        raise ValueError(f"{name}: only plain and depthwise convolutions can take TFLite weights")
    key = ((1, kh, kw, out) if depthwise else (out, kh, kw, inp), tuple(conv.stride))
    return _Node("DEPTHWISE_CONV_2D" if depthwise else "CONV_2D", key, [source], name)


def _structural(n: fx.Node, nodes: dict) -> _Node | None:
    """The structural node `n` stands for: a new one for a structural op, else its first tensor input's."""
    args = [nodes[a] for a in _flatten(n.args) if isinstance(a, fx.Node) and nodes.get(a) is not None]
    name = getattr(n.target, "__name__", n.target) if n.op != "call_module" else ""
    if n.target is operator.add or name in ("add", "__add__"):
        return _Node("ADD", (), args)
    if name == "pad" and len(n.args[1]) == 6 and any(n.args[1][4:]):
        return _Node("PAD_CHANNELS", (), args[:1])
    if name in _FUNCTION_KINDS:
        return _Node(_FUNCTION_KINDS[name], (), args)
    return args[0] if args else None


def _unpack(value):
    """The fields of a NamedTuple built in forward (fx records its construction as a call)."""
    if isinstance(value, fx.Node) and isinstance(value.target, type) and issubclass(value.target, tuple):
        return value.args
    return value


def _flatten(value) -> list:
    if isinstance(value, (list, tuple)):
        return [x for v in value for x in _flatten(v)]
    return [value]


# --- their side: the TFLite operators ----------------------------------------------------------------

_TFLITE_STRUCTURAL = {"ADD", "RESIZE_BILINEAR", "MAX_POOL_2D", "DEPTH_TO_SPACE", "CONCATENATION"}


def _tflite_graph(model: Model) -> list[_Node]:
    """Structural nodes of the TFLite graph, one list entry per graph output."""
    nodes: dict[int, _Node] = {i: _Node("INPUT") for i in model.inputs}
    for op in model.operators:
        sources = [nodes[i] for i in op.inputs if i in nodes]
        if op.opcode in ("CONV_2D", "DEPTHWISE_CONV_2D"):
            weight = model.tensors[op.inputs[1]]
            key = (weight.shape, (op.options["stride_h"], op.options["stride_w"]))
            node = _Node(op.opcode, key, sources[:1], op)
        elif op.opcode in _TFLITE_STRUCTURAL:
            node = _Node(op.opcode, (), sources)
        elif op.opcode == "PAD" and _pads_channels(model.tensors[op.inputs[1]].data):
            node = _Node("PAD_CHANNELS", (), sources[:1])
        elif sources:
            node = sources[0]
        else:
            continue
        nodes[op.outputs[0]] = node
    return [nodes[i] for i in model.outputs]


def _pads_channels(paddings: np.ndarray | None) -> bool:
    """Whether a PAD's (rank, 2) paddings widen the last (channel) axis."""
    return paddings is not None and bool(np.any(paddings[-1]))


def _conv_state(model: Model, name: str, op) -> dict[str, torch.Tensor]:
    """TFLite OHWI (conv) or 1HWC (depthwise) weights and the bias, as PyTorch OIHW tensors."""
    weight = torch.from_numpy(np.ascontiguousarray(model.tensors[op.inputs[1]].data, dtype=np.float32))
    weight = weight.permute(3, 0, 1, 2) if op.opcode == "DEPTHWISE_CONV_2D" else weight.permute(0, 3, 1, 2)
    state = {f"{name}.weight": weight.contiguous()}
    if len(op.inputs) > 2 and op.inputs[2] >= 0:
        state[f"{name}.bias"] = torch.from_numpy(np.array(model.tensors[op.inputs[2]].data, dtype=np.float32))
    return state
