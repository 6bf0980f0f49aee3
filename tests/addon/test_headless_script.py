"""scripts/poselift_blender.py under plain Python with the bpy module: a pose file in, a .blend out."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
from pose_samples import walking_sequence
from scene_checks import REPO, evaluated_joints, with_jittered_bones

from poselift.core.formats.posefile import write_pose_file

SCRIPT = REPO / "scripts" / "poselift_blender.py"


def _run(blender, *args, user_resources=None):
    env = {**os.environ, "BLENDER_USER_RESOURCES": str(user_resources or blender.user_resources)}
    return subprocess.run([sys.executable, str(SCRIPT), *map(str, args)], capture_output=True, text=True, env=env)


def test_the_script_saves_a_blend_whose_armature_plays_the_pose_file(blender, scene, tmp_path):
    pose = with_jittered_bones(walking_sequence(16))
    out = tmp_path / "walk.blend"
    done = _run(blender, write_pose_file(tmp_path / "walk.npz", pose), "-o", out)
    assert done.returncode == 0, done.stderr
    assert "PoseLift from the extension bl_ext.user_default.poselift" in done.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["walk.blend", "walk.npz"]
    bpy = blender.bpy
    bpy.ops.wm.open_mainfile(filepath=str(out))
    (obj,) = bpy.data.objects
    assert (bpy.context.scene.frame_start, bpy.context.scene.frame_end) == (1, 16)
    got = evaluated_joints(bpy, obj, 9)
    want = pose.joints3d[8, 0]
    assert max(np.abs(got[name] - want[j]).max() for j, name in enumerate(pose.joint_names)) < 1e-4


def test_without_the_extension_the_script_uses_the_poselift_package_of_this_python(blender, tmp_path):
    out = tmp_path / "walk.blend"
    path = write_pose_file(tmp_path / "walk.npz", walking_sequence(3))
    done = _run(blender, path, "-o", out, user_resources=tmp_path / "no_extensions")
    assert done.returncode == 0, done.stderr
    assert f"PoseLift from the package at {REPO}" in done.stdout and out.is_file()


def test_a_bad_pose_file_gives_one_sentence_exit_1_and_leaves_the_old_blend_alone(blender, scene, tmp_path):
    out = tmp_path / "walk.blend"
    out.write_bytes(b"an older result")
    bad = tmp_path / "cut.npz"
    bad.write_bytes(write_pose_file(tmp_path / "good.npz", walking_sequence(4)).read_bytes()[:100])
    done = _run(blender, bad, "-o", out)
    assert done.returncode == 1
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith(f"poselift_blender.py: {bad}: ") and "truncated" in line
    assert out.read_bytes() == b"an older result"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cut.npz", "good.npz", "walk.blend"]


def test_without_bpy_the_script_says_how_to_run_it(tmp_path):
    done = subprocess.run(
        [sys.executable, "-S", str(SCRIPT), "pose.npz", "-o", str(tmp_path / "out.blend")],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1
    assert len(done.stderr.strip().splitlines()) == 1 and "no bpy module" in done.stderr
    assert not list(tmp_path.iterdir())
