"""Lift pose from image: the worker (a Python with torch) runs the core on a real photo, and the pose appears
on an armature; a bad photo or a missing worker is one report and leaves the scene as it was."""

from __future__ import annotations

import numpy as np
import pytest
from scene_checks import EXTENSION, evaluated_joints, scene_snapshot

from poselift.core.skeleton import POSELIFT


def _errors(error: RuntimeError) -> list[str]:
    return [line.removeprefix("Error: ") for line in str(error).splitlines() if line.startswith("Error: ")]


def test_a_photo_becomes_an_armature_in_the_persons_pose(blender, scene, asset):
    bpy = blender.bpy
    assert bpy.ops.poselift.lift_image(filepath=str(asset("messi5.jpg"))) == {"FINISHED"}
    obj = bpy.context.view_layer.objects.active
    assert obj.type == "ARMATURE" and len(obj.data.bones) == len(POSELIFT.joints)
    joints = evaluated_joints(bpy, obj, 1)
    # Feet on the floor, head above hips above ankles, a human's size: BlazePose really ran on the photo (a
    # footballer bent over the ball, so not standing tall).
    assert abs(min(joints["left_ankle"][2], joints["right_ankle"][2])) < 0.15
    assert joints["head_top"][2] > joints["pelvis"][2] > joints["left_knee"][2] > joints["left_ankle"][2]
    assert 0.8 < joints["head_top"][2] < 2.1
    assert 0.2 < np.linalg.norm(joints["left_shoulder"] - joints["right_shoulder"]) < 0.6


def test_a_photo_that_is_not_an_image_is_one_report_and_changes_nothing(blender, scene, tmp_path):
    bpy = blender.bpy
    bad = tmp_path / "holiday.jpg"
    bad.write_bytes(b"not a jpeg at all")
    before = scene_snapshot(bpy)
    with pytest.raises(RuntimeError) as error:
        bpy.ops.poselift.lift_image(filepath=str(bad))
    (message,) = _errors(error.value)
    assert str(bad) in message and "Traceback" not in message
    assert scene_snapshot(bpy) == before


def test_a_worker_python_that_does_not_exist_is_named(blender, scene, asset, tmp_path):
    bpy = blender.bpy
    prefs = bpy.context.preferences.addons[EXTENSION].preferences
    prefs.python = str(tmp_path / "no-such-python")
    try:
        with pytest.raises(RuntimeError) as error:
            bpy.ops.poselift.lift_image(filepath=str(asset("messi5.jpg")))
    finally:
        prefs.python = ""
    assert _errors(error.value) == [
        f"{tmp_path / 'no-such-python'}: the worker's Python (PoseLift's preferences) does not exist."
    ]
