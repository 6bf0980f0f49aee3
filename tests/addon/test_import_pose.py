"""Importing a pose file in Blender: an armature whose evaluated joints are the file's, one action, and a scene
left exactly as it was when the file is bad."""

from __future__ import annotations

import numpy as np
import pytest
from pose_samples import bad_pose_files, walking_sequence
from scene_checks import evaluated_joints, scene_snapshot, with_jittered_bones

from poselift.core.formats.posefile import PoseSequence, write_pose_file
from poselift.core.skeleton import POSELIFT

TOLERANCE = 1e-4  # metres


def _import(bpy, path, **options):
    assert bpy.ops.poselift.import_pose(filepath=str(path), **options) == {"FINISHED"}
    return bpy.context.view_layer.objects.active


def _max_error(bpy, obj, pose: PoseSequence, frame: int, person: int = 0) -> float:
    """The largest distance between the armature's joints and the file's, moved so the person starts on the
    floor at the 3D cursor (the world origin here)."""
    got = evaluated_joints(bpy, obj, frame)
    assert set(got) == set(pose.joint_names)
    start = pose.joints3d[0, person, POSELIFT.index("pelvis")] * np.array([1.0, 1.0, 0.0])
    want = pose.joints3d[frame - 1, person] - start
    return max(float(np.abs(got[name] - want[j]).max()) for j, name in enumerate(pose.joint_names))


@pytest.mark.parametrize("bones", ["wobbling", "fixed"])
def test_the_evaluated_joints_are_the_files_at_every_checked_frame(blender, scene, tmp_path, bones):
    bpy = blender.bpy
    pose = walking_sequence(48)
    if bones == "wobbling":
        pose = with_jittered_bones(pose, amount=0.08)
        lengths = np.linalg.norm(pose.joints3d[:, 0, 2] - pose.joints3d[:, 0, 1], axis=-1)
        assert lengths.max() - lengths.min() > 0.02, "the right thigh's length must vary by centimetres"
    obj = _import(bpy, write_pose_file(tmp_path / "walk.npz", pose))
    for frame in (1, 2, 13, 30, 48):
        assert _max_error(bpy, obj, pose, frame) < TOLERANCE, f"frame {frame}"


def test_a_bone_per_parent_child_pair_named_after_the_child_and_a_root_bone_at_the_pelvis(blender, scene, tmp_path):
    bpy = blender.bpy
    obj = _import(bpy, write_pose_file(tmp_path / "walk.npz", walking_sequence(4)))
    bones = obj.data.bones
    assert obj.type == "ARMATURE" and len(bones) == len(POSELIFT.joints)
    assert bones["pelvis"].parent is None
    for parent, child in POSELIFT.bones:
        bone = bones[POSELIFT.joints[parent]]
        assert bones[POSELIFT.joints[child]].parent == bone
    assert bones["left_knee"].use_connect and not bones["left_hip"].use_connect
    assert tuple(obj.location) == (0.0, 0.0, 0.0) and tuple(obj.rotation_euler) == (0.0, 0.0, 0.0)


def test_one_action_keys_every_frame_and_the_scene_takes_the_files_frames_and_fps(blender, scene, tmp_path):
    bpy = blender.bpy
    keyframes = blender.module("addon.keyframes")
    pose = walking_sequence(30)
    pose.fps = 29.97
    obj = _import(bpy, write_pose_file(tmp_path / "walk.npz", pose))
    assert len(bpy.data.actions) == 1 and obj.animation_data.action == bpy.data.actions[0]
    fcurves = keyframes.object_fcurves(obj)
    assert len(fcurves) == 3 + 5 * (len(POSELIFT.joints) - 1), "root location; rotation and stretch of the rest"
    for fcurve in fcurves:
        np.testing.assert_array_equal(keyframes.keys(fcurve)[:, 0], np.arange(1, 31))
    scene = bpy.context.scene
    assert (scene.frame_start, scene.frame_end) == (1, 30)
    assert scene.render.fps / scene.render.fps_base == pytest.approx(29.97)
    assert bpy.context.view_layer.objects.active == obj
    assert [o.name for o in bpy.context.view_layer.objects if o.select_get()] == [obj.name]


def test_frames_without_the_person_have_no_keys_and_hide_the_armature_and_a_joint_never_seen_gets_no_bone(
    blender, scene, tmp_path
):
    bpy = blender.bpy
    keyframes = blender.module("addon.keyframes")
    pose = with_jittered_bones(walking_sequence(20))
    joints = pose.joints3d[:, 0]
    joints[5:8] = np.nan  # the person is lost for three frames (6 to 8 in the scene)
    joints[10:14, POSELIFT.index("left_wrist")] = np.nan  # and a wrist for four
    joints[:, POSELIFT.index("right_pinky")] = np.nan  # a joint the network never gives
    obj = _import(bpy, write_pose_file(tmp_path / "gaps.npz", pose))
    assert "right_pinky" not in obj.data.bones and "right_index" in obj.data.bones
    fcurves = keyframes.object_fcurves(obj)
    for fcurve in (f for f in fcurves if f.data_path.startswith("pose.bones")):
        frames = keyframes.keys(fcurve)[:, 0].tolist()
        assert frames == [*range(1, 6), *range(9, 21)], fcurve.data_path
    shown = []
    for frame in range(1, 21):
        scene.frame_set(frame)
        shown.append(not obj.hide_viewport and not obj.hide_render)
    assert shown == [True] * 5 + [False] * 3 + [True] * 12
    wrist, elbow, hand = (POSELIFT.index(n) for n in ("left_wrist", "left_elbow", "left_index"))
    at_12 = evaluated_joints(bpy, obj, 12)
    np.testing.assert_allclose(at_12["left_elbow"], joints[11, elbow], atol=TOLERANCE)
    np.testing.assert_allclose(at_12["left_index"], joints[11, hand], atol=TOLERANCE)
    # The lost wrist keeps its last offset from the elbow, which still moves.
    np.testing.assert_allclose(
        at_12["left_wrist"] - at_12["left_elbow"], joints[9, wrist] - joints[9, elbow], atol=TOLERANCE
    )


def test_the_person_option_picks_a_person_and_a_missing_person_is_reported(blender, scene, tmp_path):
    bpy = blender.bpy
    one = walking_sequence(10).joints3d[:, 0]
    two = one + np.array([1.5, 0.0, 0.0], dtype=np.float32)
    pose = PoseSequence.from_joints3d(np.stack([one, two], axis=1), POSELIFT.joints, fps=24.0)
    path = write_pose_file(tmp_path / "pair.json", pose)
    obj = _import(bpy, path, person=1)
    assert _max_error(bpy, obj, pose, 4, person=1) < TOLERANCE
    before = scene_snapshot(bpy)
    with pytest.raises(RuntimeError) as error:
        bpy.ops.poselift.import_pose(filepath=str(path), person=2)
    assert _error_lines(error.value) == [f"{path}: it holds 2 person slot(s), so there is no person 2."]
    assert scene_snapshot(bpy) == before


BAD = ["truncated", "wrong_version", "wrong_shapes", "all_nan", "unknown_joints", "not_npz", "bad_json"]


@pytest.mark.parametrize("problem", [*BAD, "directory", "missing"])
def test_a_bad_pose_file_gets_one_error_naming_it_and_leaves_the_scene_as_it_was(blender, scene, tmp_path, problem):
    bpy = blender.bpy
    _import(bpy, write_pose_file(tmp_path / "earlier.npz", walking_sequence(6)))
    bpy.ops.object.empty_add()
    scene.frame_end = 99
    before = scene_snapshot(bpy)
    path = bad_pose_files(tmp_path / "bad")[problem]
    with pytest.raises(RuntimeError) as error:
        bpy.ops.poselift.import_pose(filepath=str(path))
    lines = _error_lines(error.value)
    assert len(lines) == 1 and lines[0].startswith(str(path)), lines
    assert scene_snapshot(bpy) == before


def test_a_failure_after_the_armature_exists_removes_everything_it_made(blender, scene, tmp_path, monkeypatch):
    bpy = blender.bpy
    bpy.ops.object.empty_add()
    before = scene_snapshot(bpy)

    def disk_full(*args, **kwargs):
        raise OSError("no space left on device")

    # The failure is injected into the last step, after the armature and its bones exist.
    monkeypatch.setattr(blender.module("addon.keyframes"), "new_action", disk_full)
    path = write_pose_file(tmp_path / "walk.npz", walking_sequence(5))
    with pytest.raises(RuntimeError) as error:
        bpy.ops.poselift.import_pose(filepath=str(path))
    assert _error_lines(error.value) == [
        f"{path}: the import failed and was undone (OSError: no space left on device)."
    ]
    assert scene_snapshot(bpy) == before


def _error_lines(error: RuntimeError) -> list[str]:
    """The operator's ERROR reports, one per line, as bpy.ops raises them."""
    return [line.removeprefix("Error: ") for line in str(error).splitlines() if line.strip()]


@pytest.mark.parametrize("roll_deg", [0.0, 7.0])
def test_the_camera_that_filmed_the_people_sees_the_armature_where_the_video_did(blender, scene, tmp_path, roll_deg):
    """A pose file made by `poselift video` says which camera saw its people (metadata "camera", its roll turning
    it counter-clockwise seen from behind); the import adds that camera, so the armature seen through it lies where
    the people were in the picture, the video behind."""
    bpy = blender.bpy
    from bpy_extras.object_utils import world_to_camera_view
    from video_samples import write_h264

    pose = walking_sequence(12)
    pose.joints3d[..., 1] += 5.0  # metres in front of the camera, which stands above the origin
    size, focal, pitch, height = (640, 480), 500.0, np.radians(20.0), 2.5
    write_h264(tmp_path / "walk.mp4", np.zeros((12, 480, 640, 3), np.uint8), [83 * i for i in range(12)])
    pose.image_size = size
    camera = {"pitch_deg": 20.0, "roll_deg": roll_deg, "height_m": height, "focal_px": focal}
    pose.metadata = {"camera": camera, "video": {"file": "walk.mp4"}}  # as written: found beside the pose file
    bpy.context.scene.cursor.location = (1.0, 2.0, 0.0)
    obj = _import(bpy, write_pose_file(tmp_path / "walk.npz", pose))
    camera = bpy.data.objects[f"{obj.name}_camera"]
    assert camera.type == "CAMERA" and camera.data.background_images[0].clip.filepath.endswith("walk.mp4")
    scene = bpy.context.scene
    assert (scene.render.resolution_x, scene.render.resolution_y) == size

    def pixels(points: np.ndarray) -> np.ndarray:  # the file's camera: above the origin, pitched down, rolled
        level_x = points[..., 0]
        depth = np.cos(pitch) * points[..., 1] - np.sin(pitch) * (points[..., 2] - height)
        level_up = np.sin(pitch) * points[..., 1] + np.cos(pitch) * (points[..., 2] - height)
        c, s = np.cos(np.radians(roll_deg)), np.sin(np.radians(roll_deg))  # its right side turned up
        x, up = c * level_x + s * level_up, c * level_up - s * level_x
        return np.stack([size[0] / 2 - 0.5 + focal * x / depth, size[1] / 2 - 0.5 - focal * up / depth], -1)

    for frame in (1, 7, 12):
        got = evaluated_joints(bpy, obj, frame)
        for name in ("pelvis", "head_top", "left_ankle", "right_wrist"):
            x, y, _ = world_to_camera_view(scene, camera, blender.module("addon.conversion").vector(got[name]))
            seen = np.array([x * size[0] - 0.5, (1 - y) * size[1] - 0.5])
            want = pixels(pose.joints3d[frame - 1, 0, POSELIFT.index(name)])
            assert np.abs(seen - want).max() < 0.01, (frame, name, seen, want)


def test_a_file_without_a_camera_adds_none(blender, scene, tmp_path):
    bpy = blender.bpy
    _import(bpy, write_pose_file(tmp_path / "walk.npz", walking_sequence(4)))
    assert [o.type for o in bpy.context.scene.objects] == ["ARMATURE"]
