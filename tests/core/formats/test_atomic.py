"""Atomic writes: a file is replaced whole or not at all, and files written together are replaced together."""

from __future__ import annotations

import pytest

from poselift.core.formats.atomic import write_atomically, write_together


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(tmp_path):
    path = tmp_path / "poses.npz"
    path.write_bytes(b"old")

    def half_then_fail(out):
        out.write(b"new, but only half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_atomically(path, half_then_fail)
    assert path.read_bytes() == b"old" and sorted(tmp_path.iterdir()) == [path]


def test_files_written_together_are_all_replaced_or_none_is(tmp_path):
    first, second = tmp_path / "motion.npz", tmp_path / "motion.bvh"
    first.write_bytes(b"old pose file")

    def fail(out):
        raise KeyboardInterrupt  # Ctrl-C while the second file is written

    with pytest.raises(KeyboardInterrupt):
        write_together([(first, lambda out: out.write(b"new pose file")), (second, fail)])
    assert first.read_bytes() == b"old pose file" and sorted(tmp_path.iterdir()) == [first]
    write_together([(first, lambda out: out.write(b"new pose file")), (second, lambda out: out.write(b"HIERARCHY"))])
    assert first.read_bytes() == b"new pose file" and second.read_bytes() == b"HIERARCHY"


def test_a_failure_names_the_file_being_written_not_its_temporary_file(tmp_path):
    first, second = tmp_path / "motion.npz", tmp_path / "motion.bvh"

    def no_space(out):
        raise OSError(28, "No space left on device")  # as a full disk says it: no file name

    with pytest.raises(OSError) as failed:
        write_together([(first, lambda out: out.write(b"pose file")), (second, no_space)])
    assert failed.value.filename == str(second) and failed.value.strerror == "No space left on device"
    assert sorted(tmp_path.iterdir()) == []
