"""Lift pose from image and animate from video: the worker (a Python with torch) runs the core on a real photo or
the rendered test video, and the pose or the motion appears on an armature; a bad photo or video, or a missing
worker, is one report and leaves the scene as it was."""

from __future__ import annotations

import numpy as np
import pytest
from make_test_video import cached_test_video
from scene_checks import EXTENSION, evaluated_joints, scene_snapshot

from poselift.core.formats.posefile import read_pose_file
from poselift.core.lift.metrics import pa_mpjpe
from poselift.core.skeleton import H36M_17, POSELIFT


def _errors(error: RuntimeError) -> list[str]:
    return [line.removeprefix("Error: ") for line in str(error).splitlines() if line.startswith("Error: ")]


def test_a_photo_becomes_an_armature_in_the_persons_pose(blender, scene, asset):
    bpy = blender.bpy
    assert bpy.ops.poselift.lift_image(filepath=str(asset("messi5.jpg"))) == {"FINISHED"}
    obj = bpy.context.view_layer.objects.active
    assert obj.type == "ARMATURE" and len(obj.data.bones) == len(POSELIFT.joints)
    joints = evaluated_joints(bpy, obj, 1)
    # Feet on the floor, head above hips above ankles, a human's size: BlazePose really ran on the photo (a
    # footballer crouched over the ball, so not standing tall: the hips come down to about knee height).
    assert abs(min(joints["left_ankle"][2], joints["right_ankle"][2])) < 0.15
    assert joints["head_top"][2] > joints["pelvis"][2] > joints["left_ankle"][2]
    assert joints["left_knee"][2] > joints["left_ankle"][2]
    assert 0.8 < joints["head_top"][2] < 2.1
    assert 0.2 < np.linalg.norm(joints["left_shoulder"] - joints["right_shoulder"]) < 0.6


def test_a_photo_lift_stands_at_the_cursor_and_leaves_the_scenes_frame_rate_and_range_alone(blender, scene, asset):
    bpy = blender.bpy
    scene.render.fps, scene.frame_start, scene.frame_end = 24, 10, 250
    scene.cursor.location = (2.0, -3.0, 0.5)
    assert bpy.ops.poselift.lift_image(filepath=str(asset("messi5.jpg"))) == {"FINISHED"}
    assert (scene.render.fps, scene.render.fps_base, scene.frame_start, scene.frame_end) == (24, 1.0, 10, 250)
    assert tuple(bpy.context.view_layer.objects.active.location) == (2.0, -3.0, 0.5), "the armature is at the cursor"


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


def test_a_video_becomes_an_armature_animated_over_its_frames_near_the_truth(blender, scene):
    bpy = blender.bpy
    video, truth_file = cached_test_video(seconds=3.0)
    truth = read_pose_file(truth_file)
    assert bpy.ops.poselift.lift_video(filepath=str(video)) == {"FINISHED"}
    obj = bpy.context.view_layer.objects.active
    assert obj.type == "ARMATURE" and obj.animation_data.action is not None
    assert (scene.frame_start, scene.frame_end, scene.render.fps) == (1, truth.frames, 30)
    errors = []
    for frame in (1, 30, 60, 90):  # the person stands, kneels down and gets up
        joints = evaluated_joints(bpy, obj, frame)
        ours = np.array([joints[name] for name in H36M_17.joints])
        exact = truth.joints3d[frame - 1, 0, [POSELIFT.index(name) for name in H36M_17.joints]]
        errors.append(pa_mpjpe(ours, exact))
    assert max(errors) < 0.1, f"PA-MPJPE at frames 1, 30, 60, 90: {np.round(errors, 3)} m"


def test_a_video_range_is_read_and_a_file_that_is_not_a_video_is_one_report(blender, scene, tmp_path):
    bpy = blender.bpy
    video, _ = cached_test_video(seconds=3.0)
    scene.poselift.start, scene.poselift.end = 1.0, 2.0
    assert bpy.ops.poselift.lift_video(filepath=str(video)) == {"FINISHED"}
    assert scene.frame_end - scene.frame_start + 1 == 30
    bad = tmp_path / "holiday.mp4"
    bad.write_text("not a video\n" * 100)
    before = scene_snapshot(bpy)
    with pytest.raises(RuntimeError) as error:
        bpy.ops.poselift.lift_video(filepath=str(bad))
    (message,) = _errors(error.value)
    assert str(bad) in message and "not a video" in message
    assert scene_snapshot(bpy) == before


def test_showing_on_the_active_armature_without_one_selected_is_one_report_before_any_work(blender, scene, asset):
    bpy = blender.bpy
    bpy.ops.object.select_all(action="DESELECT")
    bpy.context.view_layer.objects.active = None
    before = scene_snapshot(bpy)
    with pytest.raises(RuntimeError) as error:
        scene.poselift.target = "ACTIVE"
        bpy.ops.poselift.lift_image(filepath=str(asset("messi5.jpg")))
    assert _errors(error.value) == ["Select an armature to show the lifted pose on, or choose a new armature."]
    assert scene_snapshot(bpy) == before
