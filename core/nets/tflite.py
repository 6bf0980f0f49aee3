"""A TFLite model file read without TensorFlow: tensors, operators and constant data as numpy.

A .tflite file is a FlatBuffer (schema `tflite/schema.fbs`, identifier "TFL3"). This module walks it
directly: only the tables and fields a float inference graph needs are read. Constant weights stored as
fp16 or int8 behind a DEQUANTIZE, or sparse behind a DENSIFY, are folded into dense float32 arrays, and
those ops are dropped from the operator list. It knows nothing of any particular network.
"""

from __future__ import annotations

import math
import struct
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..formats.files import not_regular

MAX_FILE_BYTES = 128 * 2**20  # the largest BlazePose file, the heavy landmark network, is 27.7 MB
MAX_ELEMENTS = 2**26  # values of one tensor: BlazePose's largest (heavy's first activation) holds 1.6 million

# BuiltinOperator codes, in schema order (index = code).
OPCODE_NAMES = tuple(
    """ADD AVERAGE_POOL_2D CONCATENATION CONV_2D DEPTHWISE_CONV_2D DEPTH_TO_SPACE DEQUANTIZE
    EMBEDDING_LOOKUP FLOOR FULLY_CONNECTED HASHTABLE_LOOKUP L2_NORMALIZATION L2_POOL_2D
    LOCAL_RESPONSE_NORMALIZATION LOGISTIC LSH_PROJECTION LSTM MAX_POOL_2D MUL RELU RELU_N1_TO_1 RELU6
    RESHAPE RESIZE_BILINEAR RNN SOFTMAX SPACE_TO_DEPTH SVDF TANH CONCAT_EMBEDDINGS SKIP_GRAM CALL CUSTOM
    EMBEDDING_LOOKUP_SPARSE PAD UNIDIRECTIONAL_SEQUENCE_RNN GATHER BATCH_TO_SPACE_ND SPACE_TO_BATCH_ND
    TRANSPOSE MEAN SUB DIV SQUEEZE UNIDIRECTIONAL_SEQUENCE_LSTM STRIDED_SLICE BIDIRECTIONAL_SEQUENCE_RNN EXP
    TOPK_V2 SPLIT LOG_SOFTMAX DELEGATE BIDIRECTIONAL_SEQUENCE_LSTM CAST PRELU MAXIMUM ARG_MAX MINIMUM LESS
    NEG PADV2 GREATER GREATER_EQUAL LESS_EQUAL SELECT SLICE SIN TRANSPOSE_CONV SPARSE_TO_DENSE TILE
    EXPAND_DIMS EQUAL NOT_EQUAL LOG SUM SQRT RSQRT SHAPE POW ARG_MIN FAKE_QUANT REDUCE_PROD REDUCE_MAX PACK
    LOGICAL_OR ONE_HOT LOGICAL_AND LOGICAL_NOT UNPACK REDUCE_MIN FLOOR_DIV REDUCE_ANY SQUARE ZEROS_LIKE
    FILL FLOOR_MOD RANGE RESIZE_NEAREST_NEIGHBOR LEAKY_RELU SQUARED_DIFFERENCE MIRROR_PAD ABS SPLIT_V
    UNIQUE CEIL REVERSE_V2 ADD_N GATHER_ND COS WHERE RANK ELU REVERSE_SEQUENCE MATRIX_DIAG QUANTIZE
    MATRIX_SET_DIAG ROUND HARD_SWISH IF WHILE NON_MAX_SUPPRESSION_V4 NON_MAX_SUPPRESSION_V5 SCATTER_ND
    SELECT_V2 DENSIFY SEGMENT_SUM BATCH_MATMUL""".split()
)

# TensorType codes -> numpy dtype names; other types (string, resource, ...) carry no numpy data here.
TENSOR_TYPES = {
    0: "float32", 1: "float16", 2: "int32", 3: "uint8", 4: "int64", 6: "bool", 7: "int16",
    8: "complex64", 9: "int8", 10: "float64", 11: "complex128", 12: "uint64", 15: "uint32", 16: "uint16",
}

PADDING = ("SAME", "VALID")
ACTIVATION = ("NONE", "RELU", "RELU_N1_TO_1", "RELU6", "TANH", "SIGN_BIT")

# Builtin options per operator: (field name, kind) in schema field order. Kinds: "int", "bool",
# "padding", "activation", "ints" (a vector of int32). Operators not listed keep empty options.
_CONV = [("padding", "padding"), ("stride_w", "int"), ("stride_h", "int"),
         ("fused_activation_function", "activation"), ("dilation_w_factor", "int"), ("dilation_h_factor", "int")]
_POOL = [("padding", "padding"), ("stride_w", "int"), ("stride_h", "int"), ("filter_width", "int"),
         ("filter_height", "int"), ("fused_activation_function", "activation")]
_ACT = [("fused_activation_function", "activation")]
OPTION_FIELDS = {
    "CONV_2D": _CONV,
    "DEPTHWISE_CONV_2D": _CONV[:3] + [("depth_multiplier", "int")] + _CONV[3:],
    "AVERAGE_POOL_2D": _POOL,
    "MAX_POOL_2D": _POOL,
    "ADD": _ACT,
    "SUB": _ACT,
    "MUL": _ACT,
    "CONCATENATION": [("axis", "int"), ("fused_activation_function", "activation")],
    "FULLY_CONNECTED": _ACT,
    "RESHAPE": [("new_shape", "ints")],
    "RESIZE_BILINEAR": [("new_height", "int"), ("new_width", "int"), ("align_corners", "bool"),
                        ("half_pixel_centers", "bool")],
    "RESIZE_NEAREST_NEIGHBOR": [("align_corners", "bool"), ("half_pixel_centers", "bool")],
    "DEPTH_TO_SPACE": [("block_size", "int")],
    "SPACE_TO_DEPTH": [("block_size", "int")],
    "LEAKY_RELU": [("alpha", "float")],
}
_OPTION_DEFAULTS = {"dilation_w_factor": 1, "dilation_h_factor": 1}


class TFLiteError(ValueError):
    """A file that is not a readable TFLite model; the message names the file and the problem."""


@dataclass(frozen=True)
class Quantization:
    """Affine quantisation: real = scale * (q - zero_point), per tensor or along `axis`."""

    scale: np.ndarray
    zero_point: np.ndarray
    axis: int


@dataclass(frozen=True)
class Tensor:
    """One tensor of the graph. `data` holds a constant's values (float32 once folded), else None."""

    index: int
    name: str
    shape: tuple[int, ...]
    dtype: str
    data: np.ndarray | None = field(repr=False)
    quantization: Quantization | None = field(repr=False)


@dataclass(frozen=True)
class Operator:
    """One operator: its builtin name, tensor indices in and out (-1: an omitted optional input), options."""

    opcode: str
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    options: dict


@dataclass(frozen=True)
class Model:
    """The main subgraph of a TFLite file, with DEQUANTIZE and DENSIFY of constants folded away."""

    path: Path
    tensors: tuple[Tensor, ...]
    operators: tuple[Operator, ...]
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    folded: dict[str, int]  # DEQUANTIZE / DENSIFY ops of constants folded into float32 data, by opcode

    def tensor(self, name: str) -> Tensor:
        """The tensor called `name`; KeyError names the file when there is none."""
        for t in self.tensors:
            if t.name == name:
                return t
        raise KeyError(f"{self.path.name} has no tensor named {name!r}")


class _Buffer:
    """Bounds-checked FlatBuffer reads; any read past the end raises TFLiteError naming the file."""

    def __init__(self, data: bytes, path: Path):
        self.data = data
        self.path = path

    def fail(self, problem: str) -> TFLiteError:
        return TFLiteError(f"{self.path}: not a readable TFLite model ({problem}).")

    def unpack(self, fmt: str, pos: int):
        size = struct.calcsize(fmt)
        if pos < 0 or pos + size > len(self.data):
            raise self.fail(f"truncated or corrupt: a read at byte {pos} is past the end of the file")
        return struct.unpack_from(fmt, self.data, pos)[0]

    def field_pos(self, table: int, slot: int) -> int | None:
        """Absolute position of field `slot` of the table at `table`, or None when it is absent."""
        vtable = table - self.unpack("<i", table)
        vt_size = self.unpack("<H", vtable)
        entry = 4 + 2 * slot
        if entry + 2 > vt_size:
            return None
        offset = self.unpack("<H", vtable + entry)
        return table + offset if offset else None

    def scalar(self, table: int, slot: int, fmt: str, default=0):
        pos = self.field_pos(table, slot)
        return default if pos is None else self.unpack(fmt, pos)

    def ref(self, table: int, slot: int) -> int | None:
        """Follow the uoffset stored in field `slot` (a table, vector or string), or None when absent."""
        pos = self.field_pos(table, slot)
        return None if pos is None else pos + self.unpack("<I", pos)

    def tables(self, table: int, slot: int) -> list[int]:
        vec = self.ref(table, slot)
        if vec is None:
            return []
        n = self.unpack("<I", vec)
        return [vec + 4 + 4 * i + self.unpack("<I", vec + 4 + 4 * i) for i in range(n)]

    def array(self, table: int, slot: int, dtype: str) -> np.ndarray:
        vec = self.ref(table, slot)
        if vec is None:
            return np.zeros(0, dtype)
        n = self.unpack("<I", vec)
        nbytes = n * np.dtype(dtype).itemsize
        if vec + 4 + nbytes > len(self.data):
            raise self.fail(f"truncated or corrupt: an array of {n} values runs past the end of the file")
        return np.frombuffer(self.data, dtype, n, vec + 4)

    def string(self, table: int, slot: int) -> str:
        return bytes(self.array(table, slot, "u1")).decode("utf-8", "replace")


def read_tflite(path: str | Path) -> Model:
    """Read the main subgraph of a .tflite file; raises TFLiteError naming the file on any problem."""
    path = Path(path)
    problem = not_regular(path, "a TFLite model")
    if problem:
        raise TFLiteError(problem)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise TFLiteError(f"{path}: {size} bytes, more than the {MAX_FILE_BYTES} a BlazePose model may take.")
        data = path.read_bytes()
    except OSError as e:
        raise TFLiteError(f"{path}: cannot read the file ({e.strerror or e}).") from None
    buf = _Buffer(data, path)
    try:
        return _read_model(buf)
    except TFLiteError:
        raise
    except (IndexError, KeyError, ValueError, OverflowError, MemoryError) as e:
        raise buf.fail(f"corrupt: {e}") from None


def _read_model(buf: _Buffer) -> Model:
    if len(buf.data) < 8 or buf.data[4:8] != b"TFL3":
        raise buf.fail("no TFL3 file identifier")
    root = buf.unpack("<I", 0)
    buffers = [_buffer_bytes(buf, b) for b in buf.tables(root, 4)]
    opcodes = [_opcode_name(buf, c) for c in buf.tables(root, 1)]
    subgraphs = buf.tables(root, 2)
    if not subgraphs:
        raise buf.fail("the model has no subgraph")
    graph = subgraphs[0]
    tensors = [_read_tensor(buf, i, t, buffers) for i, t in enumerate(buf.tables(graph, 0))]
    operators = []
    for op in buf.tables(graph, 3):
        code = buf.scalar(op, 0, "<I")
        if code >= len(opcodes):
            raise buf.fail(f"an operator uses opcode index {code} of {len(opcodes)}")
        name = opcodes[code]
        inputs = tuple(int(i) for i in buf.array(op, 1, "<i4"))
        outputs = tuple(int(i) for i in buf.array(op, 2, "<i4"))
        for i in inputs + outputs:
            if not -1 <= i < len(tensors):
                raise buf.fail(f"operator {name} refers to tensor {i} of {len(tensors)}")
        operators.append(Operator(name, inputs, outputs, _read_options(buf, op, name)))
    inputs = tuple(int(i) for i in buf.array(graph, 1, "<i4"))
    outputs = tuple(int(i) for i in buf.array(graph, 2, "<i4"))
    if not all(0 <= i < len(tensors) for i in inputs + outputs):
        raise buf.fail("a graph input or output refers to a missing tensor")
    kept, folded = _fold_constants(tensors, operators, buf)
    return Model(buf.path, tuple(tensors), tuple(kept), inputs, outputs, folded)


def _buffer_bytes(buf: _Buffer, table: int) -> bytes | None:
    offset = buf.scalar(table, 1, "<Q")
    if offset > 1:  # large models keep the data outside the FlatBuffer, at (offset, size) in the file
        size = buf.scalar(table, 2, "<Q")
        if offset + size > len(buf.data):
            raise buf.fail("truncated: a weight buffer runs past the end of the file")
        return buf.data[offset : offset + size]
    raw = buf.array(table, 0, "u1")
    return raw.tobytes() if raw.size else None


def _opcode_name(buf: _Buffer, table: int) -> str:
    code = max(buf.scalar(table, 0, "<b"), buf.scalar(table, 3, "<i"))
    if code == OPCODE_NAMES.index("CUSTOM"):
        return "CUSTOM:" + buf.string(table, 1)
    return OPCODE_NAMES[code] if code < len(OPCODE_NAMES) else f"BUILTIN_{code}"


def _read_tensor(buf: _Buffer, index: int, table: int, buffers: list[bytes | None]) -> Tensor:
    name = buf.string(table, 3)
    shape = tuple(int(s) for s in buf.array(table, 0, "<i4"))
    type_code = buf.scalar(table, 1, "<b")
    dtype = TENSOR_TYPES.get(type_code, f"type{type_code}")
    buffer_index = buf.scalar(table, 2, "<I")
    if buffer_index >= len(buffers):
        raise buf.fail(f"tensor {name!r} refers to buffer {buffer_index} of {len(buffers)}")
    raw = buffers[buffer_index]
    data = None
    if raw is not None and dtype in TENSOR_TYPES.values():
        flat = np.frombuffer(raw, np.dtype(dtype).newbyteorder("<"))
        sparsity = buf.ref(table, 6)
        if sparsity is not None:
            data = _densify(buf, sparsity, flat, shape, name)
        elif flat.size != int(np.prod(shape)):
            raise buf.fail(f"tensor {name!r} has {flat.size} values for shape {shape}")
        else:
            data = flat.reshape(shape)
    quant = buf.ref(table, 4)
    quantization = None
    if quant is not None:
        scale = buf.array(quant, 2, "<f4")
        if scale.size:
            zero = buf.array(quant, 3, "<i8")
            quantization = Quantization(scale, zero if zero.size else np.zeros_like(scale, "i8"),
                                        buf.scalar(quant, 6, "<i"))
    return Tensor(index, name, shape, dtype, data, quantization)


def _read_options(buf: _Buffer, op: int, name: str) -> dict:
    fields = OPTION_FIELDS.get(name)
    table = buf.ref(op, 4)
    if not fields or table is None:
        return {k: _default(k, kind) for k, kind in fields or []}
    options = {}
    for slot, (key, kind) in enumerate(fields):
        if kind == "ints":
            options[key] = tuple(int(v) for v in buf.array(table, slot, "<i4"))
        elif kind == "bool":
            options[key] = bool(buf.scalar(table, slot, "<B"))
        elif kind == "float":
            options[key] = float(buf.scalar(table, slot, "<f"))
        elif kind == "padding":
            options[key] = PADDING[buf.scalar(table, slot, "<b")]
        elif kind == "activation":
            options[key] = ACTIVATION[buf.scalar(table, slot, "<b")]
        else:
            options[key] = int(buf.scalar(table, slot, "<i", _OPTION_DEFAULTS.get(key, 0)))
    return options


def _default(key: str, kind: str):
    return {"ints": (), "bool": False, "float": 0.0, "padding": "SAME", "activation": "NONE"}.get(
        kind, _OPTION_DEFAULTS.get(key, 0))


def _densify(buf: _Buffer, table: int, values: np.ndarray, shape: tuple[int, ...], name: str) -> np.ndarray:
    """Expand TFLite's sparse format (traversal order, block map, DENSE / SPARSE_CSR levels) to `shape`."""
    order = buf.array(table, 0, "<i4")
    block_map = buf.array(table, 1, "<i4")
    levels = buf.tables(table, 2)
    rank = len(shape)
    if len(levels) != len(order) or len(order) != rank + len(block_map):
        raise buf.fail(f"tensor {name!r} has inconsistent sparsity parameters")
    elements = _elements(buf, shape, name)
    positions = np.zeros(1, np.int64)
    coords = np.zeros((1, len(order)), np.int64)  # expanded coordinate per traversal dimension
    block_size = np.ones(len(order), np.int64)
    for level, dim_table in enumerate(levels):
        dim = int(order[level])
        if buf.scalar(dim_table, 0, "<b") == 0:  # DENSE
            size = buf.scalar(dim_table, 1, "<i")
            if not 0 < size <= elements // max(len(positions), 1):
                raise buf.fail(f"tensor {name!r} has a dense dimension of {size}, more than its shape {shape} holds")
            block_size[dim] = size
            index = np.tile(np.arange(size), len(positions))
            coords = np.repeat(coords, size, axis=0)
            positions = (positions[:, None] * size + np.arange(size)).ravel()
        else:  # SPARSE_CSR
            segments = _index_vector(buf, dim_table, 2)
            indices = _index_vector(buf, dim_table, 4)
            if positions.size and (positions.max() + 1 >= segments.size or segments[-1] > indices.size):
                raise buf.fail(f"tensor {name!r} has sparse segments out of range")
            starts, ends = segments[positions], segments[positions + 1]
            counts = ends - starts
            if (counts < 0).any() or counts.sum() > elements:
                raise buf.fail(f"tensor {name!r} has sparse segments that do not fit its shape {shape}")
            coords = np.repeat(coords, counts, axis=0)
            positions = np.concatenate([np.arange(s, e) for s, e in zip(starts, ends, strict=True)]
                                       or [np.zeros(0, np.int64)])
            index = indices[positions]
        coords[:, dim] = index
    if positions.size and positions.max() >= values.size:
        raise buf.fail(f"tensor {name!r} has fewer sparse values than its indices need")
    original = coords[:, :rank].copy()
    for j, d in enumerate(block_map):
        original[:, d] = original[:, d] * block_size[rank + j] + coords[:, rank + j]
    dense = np.zeros(shape, values.dtype)
    dense[tuple(original.T)] = values[positions]
    return dense


def _elements(buf: _Buffer, shape: tuple[int, ...], name: str) -> int:
    """The number of values `shape` holds, refused when negative or over MAX_ELEMENTS."""
    if any(d < 0 for d in shape) or math.prod(shape) > MAX_ELEMENTS:
        raise buf.fail(f"tensor {name!r} has shape {shape}, over the {MAX_ELEMENTS} values a tensor may hold")
    return math.prod(shape)


def _index_vector(buf: _Buffer, table: int, type_slot: int) -> np.ndarray:
    """A SparseIndexVector union (Int32Vector, Uint16Vector or Uint8Vector) as int64."""
    kind = buf.scalar(table, type_slot, "<B")
    vector = buf.ref(table, type_slot + 1)
    if vector is None or kind not in (1, 2, 3):
        raise buf.fail("a sparse dimension has no index vector")
    return buf.array(vector, 0, {1: "<i4", 2: "<u2", 3: "u1"}[kind]).astype(np.int64)


def _fold_constants(tensors: list[Tensor], operators: list[Operator], buf: _Buffer):
    """Replace DEQUANTIZE / DENSIFY of a constant by the float32 (dense) constant itself.

    Returns the operators kept and the count of folded ones by opcode.
    """
    kept, folded = [], Counter()
    for op in operators:
        source = tensors[op.inputs[0]] if op.inputs else None
        if op.opcode not in ("DEQUANTIZE", "DENSIFY") or source is None or source.data is None:
            kept.append(op)
            continue
        values = source.data
        if op.opcode == "DEQUANTIZE":
            values = _dequantize(values, source.quantization)
        out = tensors[op.outputs[0]]
        if values.shape != out.shape:
            raise buf.fail(f"{op.opcode} of {source.name!r} gives shape {values.shape}, not {out.shape}")
        tensors[out.index] = Tensor(out.index, out.name, out.shape, out.dtype,
                                    values.astype(out.dtype), out.quantization)
        folded[op.opcode] += 1
    return kept, dict(folded)


def _dequantize(values: np.ndarray, q: Quantization | None) -> np.ndarray:
    if values.dtype.kind == "f" or q is None:
        return values.astype(np.float32)
    shape = [1] * values.ndim
    if q.scale.size > 1:
        shape[q.axis] = q.scale.size
    scale = q.scale.reshape(shape).astype(np.float32)
    zero = q.zero_point.reshape(shape).astype(np.float32)
    return (values.astype(np.float32) - zero) * scale
