"""Weight files that parse but are wrong, made from the installed ones for tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from poselift.core.nets.tflite import read_tflite
from poselift.core.nets.weights import LANDMARK_FILES, find_weights


def shuffled_landmark_weights(out: Path, variant: str = "full", seed: int = 0) -> Path:
    """The installed landmark file of `variant` with the values of each large weight tensor shuffled in place: the
    same graph, tensors and shapes, so it loads, but the network it gives is wrong."""
    source = find_weights(LANDMARK_FILES[variant])
    data = bytearray(source.read_bytes())
    rng = np.random.default_rng(seed)
    shuffled = 0
    for tensor in read_tflite(source).tensors:
        values = tensor.data
        if values is None or values.dtype.kind != "f" or values.size < 1000:
            continue
        at = data.find(values.tobytes())
        if at >= 0:
            data[at : at + values.nbytes] = rng.permutation(values.ravel()).tobytes()
            shuffled += 1
    assert shuffled > 10, f"{source}: found only {shuffled} weight tensors to shuffle"
    out.write_bytes(bytes(data))
    return out
