"""Our TFLite reader against the TFLite interpreter itself (tflite-runtime, a test-only dependency)."""

from __future__ import annotations

import os

import numpy as np
import pytest
import tflite_runtime.interpreter as tfl
from byte_mutations import Tally, flip, splice, truncate

from poselift.core.nets import tflite
from poselift.core.nets.tflite import TFLiteError, read_tflite

LANDMARK_OPS = {"ADD", "CONV_2D", "DEPTHWISE_CONV_2D", "LOGISTIC", "MAX_POOL_2D", "PAD", "RESHAPE", "RESIZE_BILINEAR"}


def interpreter_constants(path, model) -> dict[str, np.ndarray]:
    """The interpreter's values of the tensors our reader holds as float32 constants, after one run."""
    it = tfl.Interpreter(model_path=str(path), experimental_preserve_all_tensors=True)
    it.allocate_tensors()
    inp = it.get_input_details()[0]
    it.set_tensor(inp["index"], np.zeros(inp["shape"], np.float32))
    it.invoke()
    # Our tensor indices are the file's, as are the interpreter's for the main subgraph.
    return {t.name: it.get_tensor(t.index) for t in model.tensors if t.data is not None and t.dtype == "float32"}


def test_landmark_model_graph_is_read_with_names_shapes_and_ops(asset):
    model = read_tflite(asset("pose_landmark_full.tflite"))
    assert [model.tensors[i].name for i in model.inputs] == ["input_1"]
    assert model.tensors[model.inputs[0]].shape == (1, 256, 256, 3)
    outputs = {model.tensors[i].name: model.tensors[i].shape for i in model.outputs}
    assert outputs == {
        "Identity": (1, 195), "Identity_1": (1, 1), "Identity_2": (1, 256, 256, 1),
        "Identity_3": (1, 64, 64, 39), "Identity_4": (1, 117),
    }
    assert {op.opcode for op in model.operators} == LANDMARK_OPS
    assert model.folded == {"DEQUANTIZE": 192}


def test_operator_options_are_decoded(asset):
    model = read_tflite(asset("pose_landmark_full.tflite"))
    stem = model.operators[1]
    assert stem.opcode == "CONV_2D"
    assert stem.options["padding"] == "VALID"
    assert (stem.options["stride_h"], stem.options["stride_w"]) == (2, 2)
    assert stem.options["fused_activation_function"] == "RELU6"
    assert (stem.options["dilation_h_factor"], stem.options["dilation_w_factor"]) == (1, 1)
    resize = next(op for op in model.operators if op.opcode == "RESIZE_BILINEAR")
    assert resize.options["half_pixel_centers"] and not resize.options["align_corners"]
    pool = next(op for op in model.operators if op.opcode == "MAX_POOL_2D")
    assert (pool.options["filter_height"], pool.options["stride_h"]) == (2, 2)


@pytest.mark.parametrize("name", ["pose_landmark_lite.tflite", "pose_detection.tflite"])
def test_folded_fp16_and_sparse_weights_equal_the_interpreters(asset, name):
    path = asset(name)
    model = read_tflite(path)
    reference = interpreter_constants(path, model)
    assert len(reference) > 100
    for tensor_name, values in reference.items():
        np.testing.assert_array_equal(model.tensor(tensor_name).data, values, err_msg=tensor_name)


def test_detector_sparse_weights_are_densified(asset):
    model = read_tflite(asset("pose_detection.tflite"))
    assert model.folded["DENSIFY"] > 0
    assert {op.opcode for op in model.operators} == LANDMARK_OPS - {"LOGISTIC", "MAX_POOL_2D"} | {
        "DEPTH_TO_SPACE", "CONCATENATION"}
    weights = [model.tensors[op.inputs[1]] for op in model.operators if op.opcode.endswith("CONV_2D")]
    assert all(w.data.dtype == np.float32 and w.data.shape == w.shape for w in weights)
    assert any(np.mean(w.data == 0) > 0.5 for w in weights)  # the pruned, once sparse, layers


def test_a_file_that_is_not_tflite_is_refused_naming_it(asset, tmp_path):
    with pytest.raises(TFLiteError, match="messi5.jpg: not a readable TFLite model"):
        read_tflite(asset("messi5.jpg"))
    with pytest.raises(TFLiteError, match="missing.tflite: no such file"):
        read_tflite(tmp_path / "missing.tflite")


def test_truncated_or_damaged_files_give_one_clear_error(asset, tmp_path):
    data = asset("pose_detection.tflite").read_bytes()
    rng = np.random.default_rng(0)
    path = tmp_path / "damaged.tflite"
    cuts = [0, 7, 64, *rng.integers(100, len(data), 12)]
    for cut in cuts:
        path.write_bytes(data[:cut])
        with pytest.raises(TFLiteError) as error:
            read_tflite(path)
        message = str(error.value)
        assert message.startswith(f"{path}: ") and "\n" not in message
    for _ in range(20):  # scrambled table offsets near the start: refused, or read, but never a crash
        damaged = bytearray(data)
        for i in rng.integers(8, 4096, 8):
            damaged[i] = int(rng.integers(0, 256))
        path.write_bytes(bytes(damaged))
        try:
            read_tflite(path)
        except TFLiteError as e:
            assert str(e).startswith(f"{path}: ")


def _flip_near(edge: str):
    """A mutation flipping bytes within 4 KB of the file's start or end, where its tables and vectors lie."""

    def mutate(data: bytes, rng: np.random.Generator) -> bytes:
        out = bytearray(data)
        low, high = (8, 4096) if edge == "start" else (len(out) - 4096, len(out))
        for i in rng.integers(low, high, rng.integers(1, 9)):
            out[i] = int(rng.integers(0, 256))
        return bytes(out)

    mutate.__name__ = f"flip_near_{edge}"
    return mutate


TFLITE_CASES = max(1, int(os.environ.get("POSELIFT_FUZZ_CASES", "2500")) // 20)  # a read takes ~0.1 s: 3 MB


def test_a_mutated_model_is_read_or_refused_in_one_sentence(asset, tmp_path):
    """Only TFLiteError leaves the reader. The longer run: POSELIFT_FUZZ_CASES=100000 (5000 models) .venv/bin/python
    -m pytest -q -rP -p no:cacheprovider tests/core/nets/test_tflite.py -k mutated"""
    data = asset("pose_detection.tflite").read_bytes()
    mutations = (flip, truncate, splice, _flip_near("start"), _flip_near("end"))
    rng = np.random.default_rng([int(os.environ.get("POSELIFT_FUZZ_SEED", "0")), 7])
    path, tally = tmp_path / "fuzzed.tflite", Tally(read_tflite, TFLiteError, "read")
    tally.fuzz(path, data, mutations, rng, TFLITE_CASES, "tflite")
    assert tally.refused > 0


def test_a_sparse_tensor_declaring_a_huge_dense_dimension_is_refused_before_expanding_it(asset, tmp_path):
    """Found by the longer fuzz run: one flipped size made the reader expand two billion rows for a minute."""
    data = bytearray(asset("pose_detection.tflite").read_bytes())
    buf = tflite._Buffer(bytes(data), tmp_path / "x.tflite")
    subgraph = buf.tables(buf.unpack("<I", 0), 2)[0]  # Model.subgraphs[0]
    sparse = next(s for t in buf.tables(subgraph, 0) if (s := buf.ref(t, 6)) is not None)  # a Tensor.sparsity
    dense = next(level for level in buf.tables(sparse, 2) if buf.scalar(level, 0, "<b") == 0)  # a DENSE level
    at = buf.field_pos(dense, 1)  # its dense_size
    data[at : at + 4] = (2**31 - 1).to_bytes(4, "little")
    path = tmp_path / "huge.tflite"
    path.write_bytes(bytes(data))
    with pytest.raises(TFLiteError, match=r"huge.tflite: .*dense dimension of 2147483647"):
        read_tflite(path)
