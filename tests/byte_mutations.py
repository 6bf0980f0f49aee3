"""Fuzzing helpers, any format: byte-level mutations of a file's bytes (each takes the bytes and a seeded
generator), and `Tally`, which runs a reader on a mutated file and counts what it answered."""

from __future__ import annotations

import collections
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest


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


class Tally:
    """What a reader answered to each case: `accepted` (e.g. "read") or the first words of its own error's one
    sentence, which must name the file; any other exception fails the test naming the case. The slowest case's
    seconds are printed with the counts (the longer run's figure), not asserted: timings are the benches' job."""

    def __init__(self, read: Callable[[Path], object], own: type[Exception], accepted: str):
        self.read, self.own, self.accepted = read, own, accepted
        self.counts: collections.Counter = collections.Counter()
        self.slowest = (0.0, "")

    def run(self, path: Path, case: str) -> str:
        began = time.perf_counter()
        try:
            self.read(path)
            result = self.accepted
        except self.own as e:
            message = str(e)
            assert message.startswith(f"{path}: ") and message.endswith(".") and "\n" not in message, (case, message)
            result = "refused: " + " ".join(message[len(str(path)) + 2 :].split()[:6])
        except Exception as e:  # noqa: BLE001 - the contract under test: nothing but the reader's own error leaves it
            pytest.fail(f"{case}: {type(e).__name__} escaped the reader: {e}")
        self.slowest = max(self.slowest, (time.perf_counter() - began, case))
        self.counts[result] += 1
        return result

    def fuzz(self, path: Path, base: bytes, mutations, rng: np.random.Generator, cases: int, name: str) -> None:
        """`cases` mutations of `base`, the `mutations` taking turns, each written to `path` and run; then the
        counts printed under `name`."""
        for case in range(cases):
            mutate = mutations[case % len(mutations)]
            path.write_bytes(mutate(base, rng))
            self.run(path, f"{name} case {case} ({mutate.__name__})")
        self.report(name)

    @property
    def refused(self) -> int:
        return sum(n for what, n in self.counts.items() if what != self.accepted)

    def report(self, name: str) -> None:
        print(f"{name}: {sum(self.counts.values())} cases, {self.counts[self.accepted]} {self.accepted}, "
              f"{self.refused} refused; slowest {self.slowest[0]:.3f} s ({self.slowest[1]})")  # fmt: skip
        for what, n in self.counts.most_common(12):
            print(f"  {n:7d}  {what}")
