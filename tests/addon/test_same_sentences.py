"""A bad file gets the same one sentence wherever it is given: a pose file to `poselift check`, the import and the
retarget operators; a photo to `poselift image` and the lift operator. Each leaves the scene as it was."""

from __future__ import annotations

import os
import subprocess
import sys
import zlib

import pytest
import rig_builders
from pose_samples import bad_pose_files
from scene_checks import scene_snapshot

POSE_PROBLEMS = ["truncated", "wrong_version", "wrong_shapes", "all_nan", "not_npz", "bad_json", "directory",
                 "missing", "pipe"]  # fmt: skip
PHOTO_PROBLEMS = ["text", "cut", "huge", "folder", "missing", "pipe"]


def _command_sentence(*args) -> str:
    """The last line `poselift ARGS` writes on stderr; it must fail."""
    run = subprocess.run([sys.executable, "-m", "poselift.core.cli", *map(str, args)], capture_output=True, text=True,
                         stdin=subprocess.DEVNULL, timeout=120)  # fmt: skip
    assert run.returncode == 1 and "Traceback" not in run.stderr, run.stderr
    return run.stderr.strip().splitlines()[-1]


def _operator_sentence(operator, **options) -> str:
    """The one ERROR report of an operator that must fail."""
    with pytest.raises(RuntimeError) as error:
        operator(**options)
    (line,) = [line.removeprefix("Error: ") for line in str(error.value).splitlines() if line.strip()]
    return line


def _bad_pose_file(tmp_path, problem: str):
    if problem == "pipe":
        os.mkfifo(tmp_path / "pipe.npz")
        return tmp_path / "pipe.npz"
    return bad_pose_files(tmp_path / "bad")[problem]


@pytest.mark.parametrize("problem", POSE_PROBLEMS)
def test_a_bad_pose_file_is_the_same_sentence_in_check_import_and_retarget(blender, scene, asset, tmp_path, problem):
    bpy = blender.bpy
    rig = rig_builders.mpfb_rig(bpy, asset(rig_builders.MPFB_RIGS["mixamo"]), "hero")
    bpy.context.view_layer.objects.active = rig
    rig.select_set(True)
    path = _bad_pose_file(tmp_path, problem)
    sentence = _command_sentence("check", path)
    assert sentence.startswith(f"{path}: ")
    before = scene_snapshot(bpy)
    assert _operator_sentence(bpy.ops.poselift.import_pose, filepath=str(path)) == sentence
    assert _operator_sentence(bpy.ops.poselift.retarget_pose, filepath=str(path)) == sentence
    assert scene_snapshot(bpy) == before


def _bad_photo(tmp_path, problem: str):
    path = tmp_path / {"text": "holiday.jpg", "cut": "cut.png", "huge": "huge.png", "folder": "album",
                       "missing": "gone.jpg", "pipe": "pipe.jpg"}[problem]  # fmt: skip
    if problem == "text":
        path.write_bytes(b"not a jpeg at all\n" * 10)
    elif problem in ("cut", "huge"):
        side = 64 if problem == "cut" else 13000
        header = side.to_bytes(4, "big") * 2 + bytes((8, 0, 0, 0, 0))
        rows = zlib.compress(b"\0" * (side + 1) * (1 if problem == "huge" else side), 9)
        png = b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", rows) + _chunk(b"IEND", b"")
        path.write_bytes(png[: len(png) // 2] if problem == "cut" else png)
    elif problem == "folder":
        path.mkdir()
    elif problem == "pipe":
        os.mkfifo(path)
    return path


def _chunk(kind: bytes, data: bytes) -> bytes:
    return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")


@pytest.mark.parametrize("problem", PHOTO_PROBLEMS)
def test_a_bad_photo_is_the_same_sentence_in_the_command_and_the_lift_operator(blender, scene, tmp_path, problem):
    bpy = blender.bpy
    path = _bad_photo(tmp_path, problem)
    sentence = _command_sentence("image", path, "-o", tmp_path / "out.npz")
    assert sentence.startswith(f"{path}: ")
    before = scene_snapshot(bpy)
    assert _operator_sentence(bpy.ops.poselift.lift_image, filepath=str(path)) == sentence
    assert scene_snapshot(bpy) == before
    assert not (tmp_path / "out.npz").exists()
