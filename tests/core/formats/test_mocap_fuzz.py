"""BVH reading fuzzed: thousands of mutated files, each refused with the reader's one error or read; a hierarchy past
the joint limit and a frame count past the frame limit are refused before the work they ask for.

CASES (POSELIFT_FUZZ_CASES, default 3000) from SEED (POSELIFT_FUZZ_SEED); the longer run, from the repository root:

    POSELIFT_FUZZ_CASES=100000 .venv/bin/python -m pytest -q -rP -p no:cacheprovider \
        tests/core/formats/test_mocap_fuzz.py
"""

import os
import random

import pytest
from byte_mutations import Tally

from poselift.core.formats.bvh import MAX_FRAMES, MAX_JOINTS, BvhError, read_bvh

CASES = int(os.environ.get("POSELIFT_FUZZ_CASES", "3000"))
SEED = int(os.environ.get("POSELIFT_FUZZ_SEED", "20240611"))
# Words a mutation puts in: the format's keywords and numbers a reader may trip on.
WORDS = ("{", "}", "ROOT", "JOINT", "End", "Site", "OFFSET", "CHANNELS", "MOTION", "HIERARCHY", "Frames:", "Frame",
         "Time:", "Xrotation", "Yposition", "nan", "inf", "-1", "0", "3", "7", "1e999", "99999999999999999999", "²",
         "٣", "0x10", "1_0", "\x00", "\ufffd", "\t", "\r", "\n")  # fmt: skip


def _seed_text() -> str:
    """A valid two-limb BVH: a root with six channels, joints with three, End Sites, three frames."""
    lines = ["HIERARCHY", "ROOT Hips", "{", "\tOFFSET 0 0 0",
             "\tCHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation"]  # fmt: skip
    for side, x in (("Left", 10), ("Right", -10)):
        lines += [f"\tJOINT {side}Leg", "\t{", f"\t\tOFFSET {x} -40 0", "\t\tCHANNELS 3 Zrotation Xrotation Yrotation",
                  "\t\tEnd Site", "\t\t{", "\t\t\tOFFSET 0 -40 5", "\t\t}", "\t}"]  # fmt: skip
    lines += ["}", "MOTION", "Frames: 3", "Frame Time: 0.0333333"]
    lines += [" ".join(str(v) for v in [0, 90 + f, 0, f, 2 * f, 0, 10, 0, 0, -10, 0, 0]) for f in range(3)]
    return "\n".join(lines) + "\n"


def _mutated(text: str, rng: random.Random) -> str:
    """`text` with one to four random edits: words replaced or put in, lines cut, repeated or swapped, bytes cut."""
    for _ in range(rng.randint(1, 4)):
        lines = text.split("\n")
        i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
        kind = rng.randrange(6)
        if kind == 0:
            words = lines[i].split() or [""]
            words[rng.randrange(len(words))] = rng.choice(WORDS)
            lines[i] = " ".join(words)
        elif kind == 1:
            lines.insert(i, rng.choice(WORDS) + " " + rng.choice(WORDS))
        elif kind == 2:
            del lines[i]
        elif kind == 3:
            lines.insert(i, lines[j])
        elif kind == 4:
            lines[i], lines[j] = lines[j], lines[i]
        else:
            return "\n".join(lines)[: rng.randrange(len(text) + 1)]
        text = "\n".join(lines)
    return text


def test_mutated_files_raise_only_bvh_error(tmp_path):
    rng = random.Random(SEED)
    seed, path = _seed_text(), tmp_path / "fuzz.bvh"
    tally = Tally(lambda p: read_bvh(p).positions(), BvhError, "read")
    for case in range(CASES):
        data = _mutated(seed, rng).encode("utf-8", "surrogateescape")
        if case % 10 == 0:  # some raw bytes, not text
            data = data[: rng.randrange(len(data) + 1)] + bytes(rng.randrange(256) for _ in range(8))
        path.write_bytes(data)
        tally.run(path, f"case {case} (seed {SEED})")
    tally.report("bvh")
    assert CASES // 4 < tally.refused < CASES  # the mutations break most files, not all


def _chain(joints: int, frames: int, values: int | None = None) -> str:
    """A BVH of a root and `joints` - 1 joints in a row, three rotations each, saying it has `frames` frames."""
    lines = ["HIERARCHY", "ROOT j0", "{", "OFFSET 0 0 0", "CHANNELS 3 Xrotation Yrotation Zrotation"]
    for j in range(1, joints):
        lines += [f"JOINT j{j}", "{", "OFFSET 0 1 0", "CHANNELS 3 Xrotation Yrotation Zrotation"]
    lines += ["}"] * joints + ["MOTION", f"Frames: {frames}", "Frame Time: 0.01"]
    return "\n".join(lines + [" ".join(["0"] * 3 * joints)] * (frames if values is None else values)) + "\n"


def test_the_largest_hierarchy_reads_and_a_larger_one_is_refused_in_one_sentence(tmp_path):
    (tmp_path / "most.bvh").write_text(_chain(MAX_JOINTS, 2))
    assert len(read_bvh(tmp_path / "most.bvh").joints) == MAX_JOINTS
    (tmp_path / "more.bvh").write_text(_chain(60_000, 1))
    with pytest.raises(BvhError, match=f"more.bvh: its hierarchy has over {MAX_JOINTS} joints"):
        read_bvh(tmp_path / "more.bvh")


def test_a_frame_count_past_the_limit_is_refused_before_the_values_are_read(tmp_path):
    (tmp_path / "frames.bvh").write_text(_chain(3, MAX_FRAMES + 1, values=1))
    with pytest.raises(BvhError, match=f"frames.bvh: it says it has {MAX_FRAMES + 1} frames, over the {MAX_FRAMES}"):
        read_bvh(tmp_path / "frames.bvh")


def test_a_pipe_is_refused_at_once(tmp_path):
    os.mkfifo(tmp_path / "pipe.bvh")
    with pytest.raises(BvhError, match="pipe.bvh: is not a regular file"):
        read_bvh(tmp_path / "pipe.bvh")
