"""A track's frames made a pose file: several tracks a person slot each (in one camera frame, each animated as if
alone), tracks that cannot be placed left out or refused; and a variable-frame-rate track resampled to evenly
spaced frames, so the motion keeps the video's own timing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from make_test_video import cached_test_video

from poselift.core.formats.posefile import read_pose_file
from poselift.core.motion.animate import PELVIS
from poselift.core.skeleton import POSELIFT
from poselift.core.video.video_io import VideoInfo
from poselift.core.video.video_poses import (
    TrackedVideo,
    TrackRecord,
    VideoPoseError,
    choose_tracks,
    resample,
    uniform_times,
    video_pose_sequence,
)


def test_evenly_spaced_frames_are_interpolated_between_the_frames_around_them():
    times = np.array([0, 1, 2, 4, 6, 7]) / 30  # 30 fps with a stretch at 15 fps
    position = np.array([0.0, 1, 2, 4, 6, 7])  # metres: moving at one per 30 fps frame, steadily
    joints3d = np.repeat(position[:, None, None], 3, axis=2).astype(np.float32)  # (F, 1, 3)
    joints2d, confidence, found = joints3d[..., :2] * 10, np.ones((6, 1), np.float32), np.ones(6, bool)
    grid = uniform_times(times, 30.0)
    np.testing.assert_allclose(grid * 30, np.arange(8), atol=1e-9)
    nearest, j3, j2, c, ok = resample(times, grid, joints3d, joints2d, confidence, found)
    assert ok.all() and nearest[[0, 1, 2, 4, 6, 7]].tolist() == [0, 1, 2, 3, 4, 5]  # the frames themselves
    np.testing.assert_allclose(j3[:, 0, 0], np.arange(8), atol=1e-6)  # the steady motion, at its own speed
    np.testing.assert_allclose(j2[:, 0, 1], np.arange(8) * 10, atol=1e-5)


def test_a_grid_time_beside_a_missing_frame_takes_the_nearer_found_one_or_stays_missing():
    times = np.array([0, 1, 3, 6]) / 30
    joints3d = np.arange(4, dtype=np.float32)[:, None, None].repeat(3, axis=2)
    found = np.array([True, True, False, True])
    nearest, j3, _, c, ok = resample(times, uniform_times(times, 30.0), joints3d, joints3d[..., :2],
                                     np.ones((4, 1), np.float32), found)
    assert ok.tolist() == [True, True, False, False, False, False, True]  # frames 2-5 are nearer frame 3, lost
    assert np.isnan(j3[2:6]).all() and (c[2:6] == 0).all() and j3[6, 0, 0] == 3


def test_frames_far_apart_in_time_are_not_bridged():
    times = np.array([0.0, 1 / 30, 1.0, 1 + 1 / 30])  # the video holds no frame for most of a second
    joints3d = np.arange(4, dtype=np.float32)[:, None, None].repeat(3, axis=2)
    grid = uniform_times(times, 30.0)
    _, j3, _, _, ok = resample(times, grid, joints3d, joints3d[..., :2], np.ones((4, 1), np.float32),
                               np.ones(4, bool), max_span=0.25)  # fmt: skip
    assert ok[:2].all() and ok[-2:].all() and not ok[2:-2].any() and np.isnan(j3[2:-2]).all()


@pytest.fixture(scope="module")
def tracked():
    """A TrackedVideo of the rendered test video's ground truth as its per-frame lifts, under several track ids:
    0 (the truth), 2 (the same 100 px to the right), 4 (never lifted) and 6 (no confident joint), each in all 90
    frames; and the VideoInfo it was read from."""
    _, truth = cached_test_video(seconds=3.0)
    pose = read_pose_file(truth)
    joints3d, joints2d = pose.joints3d[:, 0], pose.joints2d[:, 0]
    relative = joints3d - joints3d[:, PELVIS : PELVIS + 1] * [1, 1, 0]
    frames, ones = np.arange(90), np.ones((90, len(POSELIFT)), np.float32)

    def record(shift=0.0, ok=True, confidence=1.0):
        return TrackRecord([frames], [joints2d + [shift, 0]], [ones * confidence], [relative], [np.full(90, ok)])

    tracks = {0: record(), 2: record(shift=100.0), 4: record(ok=False), 6: record(confidence=0.0)}
    info = VideoInfo(Path("clip.mp4"), (512, 384), 30.0, 90, "avc1")
    return TrackedVideo(frames / 30.0, frames, np.full(90, 4, np.int32), tracks, False), info


def sequence(tracked, tracks, **options):
    video, info = tracked
    return video_pose_sequence(video, tracks, info=info, nominal_fps=30.0, model="full", lifted_with="truth",
                               height=1.75, focal_px=None, start=0.0, end=None, **options)  # fmt: skip


def test_each_slot_is_the_track_animated_alone_through_one_camera_and_the_people_keep_their_places(tracked):
    found = sequence(tracked, [2, 0])
    shot = found.metadata["camera"]
    assert -3 < shot["pitch_deg"] < 3 and shot["height_m"] > 0, "the test video's camera is level"
    alone = sequence(tracked, 0, pitch=0.05)
    both = sequence(tracked, [2, 0], pitch=0.05)
    assert both.metadata["camera"]["pitch_deg"] == pytest.approx(np.degrees(0.05))
    assert both.metadata["people"] == [2, 0] and both.metadata["track"] == 2 and both.track_id[0].tolist() == [2, 0]
    for field in ("joints3d", "joints2d", "confidence", "track_id", "root"):
        np.testing.assert_array_equal(getattr(both, field)[:, 1], getattr(alone, field)[:, 0], err_msg=field)
    assert both.metadata["by_person"][1] == {key: alone.metadata[key] for key in ("missing", "filled", "contacts")} | {
        "track": 0}
    assert np.all(both.root[:, 0, 0] > both.root[:, 1, 0] + 0.3), "100 px to the right is farther right"


def test_a_track_with_no_frame_to_place_is_left_out_of_all_and_an_error_when_named(tracked):
    said = []
    pose = sequence(tracked, [0, 4, 6], left_out=said.append)
    assert pose.metadata["people"] == [0] and pose.people == 1
    assert said == ["clip.mp4: track 4 could not be lifted to 3D in any frame, so it is left out.",
                    "clip.mp4: track 6 has too few confident joints to be placed in any frame, so it is left out."]
    with pytest.raises(VideoPoseError, match=r"^clip.mp4: track 4 could not be lifted to 3D in any frame, so no pose"):
        sequence(tracked, [0, 4])
    with pytest.raises(VideoPoseError, match=r"^clip.mp4: none of the tracks 4, 6 can be placed in any frame"):
        sequence(tracked, [4, 6], left_out=said.append)


def test_tracks_are_chosen_as_asked_all_by_id_or_the_longest(tracked):
    video, _ = tracked
    assert choose_tracks(video, "all", "clip.mp4") == [0, 2, 4, 6]
    assert choose_tracks(video, (6, 0), "clip.mp4") == [6, 0] and choose_tracks(video, None, "clip.mp4") == [0]
    with pytest.raises(VideoPoseError, match=r"there is no track 1 or 3; its tracks are 0 \(90 frames\), 2 \(90"):
        choose_tracks(video, (1, 0, 3), "clip.mp4")


class _Relifter:
    """A stand-in for lifting.Lifter: lifts every frame to one (27, 3) pose and records the 2D and the pitches it
    was asked to see each frame through; every roll of the camera leaves the poses as likely (so none is found)."""

    def __init__(self, pose: np.ndarray):
        self.pose, self.pitches, self.points = pose, [], []

    def lift_points(self, points, confidence, height, world, *, pitch, network_points):
        from poselift.core.lift.lifting import Lifted

        self.pitches.append(np.asarray(pitch))
        self.points.append(np.asarray(points))
        n = len(points)
        return Lifted(np.repeat(self.pose[None], n, 0), points, confidence, network_points, world, np.zeros(n),
                      np.ones(n, bool))  # fmt: skip

    def upright_nll(self, points, confidence, pitch, poses):
        return np.zeros(len(points))


def test_a_pitched_shot_is_lifted_again_frame_by_frame_through_the_pitch_each_person_is_seen_at(tracked):
    """Once the camera is pitched, each frame is lifted again through the pitch of the ray to its pelvis, its 2D
    stood upright about the pelvis (off the picture's centre the pitched camera sees an upright person lean); a
    level camera keeps the lifts as they are."""
    from poselift.core.motion.camera import stood_upright
    from poselift.core.motion.root_motion import default_focal, view_pitch

    video, info = tracked
    record = video.tracks[0]
    record = TrackRecord(record.frames, record.joints2d, record.confidence, record.joints3d, record.ok,
                         record.joints2d, [np.zeros((90, 33, 3), np.float32)])  # fmt: skip
    standing = record.joints3d[0][0]
    lifter = _Relifter(standing)
    again = TrackedVideo(video.times, video.index, video.people, {0: record}, False, lifter)
    level = sequence((again, info), 0, pitch=0.0)
    assert not lifter.pitches and np.isfinite(level.joints3d).any()
    pitched = sequence((again, info), 0, pitch=0.3)
    pelvis, focal = record.joints2d[0][:, PELVIS], default_focal(info.size)
    np.testing.assert_allclose(lifter.pitches[0], view_pitch(pelvis, focal, info.size, 0.3))
    upright = stood_upright(record.joints2d[0], pelvis, focal, info.size, 0.3)
    np.testing.assert_allclose(lifter.points[0], upright, atol=1e-3)
    assert np.abs(upright - record.joints2d[0]).max() > 1.0, "the person is off the centre: stood upright"
    reach = np.linalg.norm(pitched.joints3d[:, 0, :17] - pitched.joints3d[:, 0, PELVIS : PELVIS + 1], axis=-1)
    assert np.abs(reach - reach[:1]).max() < 0.05, "every frame the one pose it was lifted again to"
