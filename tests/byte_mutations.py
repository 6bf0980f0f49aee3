"""Byte-level mutations of a file's bytes for fuzz tests, any format: each takes the bytes and a seeded generator."""

from __future__ import annotations

import numpy as np


def flip(data: bytes, rng: np.random.Generator) -> bytes:
    """1 to 8 bytes set to random values."""
    out = bytearray(data)
    for i in rng.integers(0, len(out), rng.integers(1, 9)):
        out[i] = int(rng.integers(0, 256))
    return bytes(out)


def truncate(data: bytes, rng: np.random.Generator) -> bytes:
    """The bytes cut short at a random length."""
    return data[: int(rng.integers(0, len(data)))]


def splice(data: bytes, rng: np.random.Generator) -> bytes:
    """Up to 64 bytes somewhere replaced by up to 64 random ones."""
    start, length = int(rng.integers(0, len(data))), int(rng.integers(1, 64))
    return data[:start] + rng.bytes(int(rng.integers(0, 64))) + data[start + length :]
