"""Following people through a video (core/video/tracking.py) with the real BlazePose weights, on the rendered test video
with exact ground truth, and on videos made from it: two people side by side, a person who leaves and returns."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from make_test_video import cached_test_video

from poselift.core import skeleton
from poselift.core.formats.posefile import read_pose_file
from poselift.core.nets.pose2d import PoseEstimator
from poselift.core.video.tracking import PoseTracker
from poselift.core.video.video_io import VideoFrames, probe_video

TO_POSELIFT = skeleton.mapping(skeleton.BLAZEPOSE_33, skeleton.POSELIFT)
H36M = [skeleton.POSELIFT.index(name) for name in skeleton.H36M_17.joints]
HIPS = [skeleton.BLAZEPOSE_33.index("left_hip"), skeleton.BLAZEPOSE_33.index("right_hip")]


@pytest.fixture(scope="module")
def clip():
    """(frames (90, 384, 512, 3) uint8 RGB, ground truth PoseSequence) of the 3-second test video."""
    video, truth = cached_test_video(seconds=3.0)
    frames = np.concatenate([batch.pixels for batch in VideoFrames(probe_video(video))])
    return frames, read_pose_file(truth)


@pytest.fixture(scope="module")
def estimator():
    return PoseEstimator(variant="lite", device="cpu")


def error_px(found, truth, first: int = 0) -> np.ndarray:
    """(N, 17) pixels from each person found to the ground truth's joints in the same frame."""
    joints2d = TO_POSELIFT.apply(found.people.keypoints.numpy())
    return np.linalg.norm(joints2d - truth.joints2d[first + found.frame, 0], axis=-1)[:, H36M]


def test_the_rendered_person_is_one_track_across_batches_near_the_ground_truth(clip, estimator):
    frames, truth = clip
    tracker = PoseTracker(estimator)
    found = [tracker.track(frames[:20]), tracker.track(frames[20:40])]  # the second batch carries the person on
    assert [f.frame.tolist() for f in found] == [list(range(20))] * 2  # one person in every frame
    assert [set(f.track) for f in found] == [{0}, {0}] and tracker.tracks[0].frames == 40
    error = np.concatenate([error_px(found[0], truth), error_px(found[1], truth, 20)])
    # BlazePose's landmarks are not the rig's joint centres (a hip landmark sits on the skin, the head top is
    # made from face points): about 6.6 px on average with the lite model on a person 262 px tall.
    assert error.mean() < 10.0 and error.mean(axis=1).max() < 20.0, (error.mean(), error.mean(axis=1).max())


def test_following_segments_in_lockstep_is_as_near_the_truth_as_following_frame_by_frame(clip, estimator):
    frames, truth = clip
    lockstep = PoseTracker(estimator, detect_every=4).track(frames[:12])  # three segments side by side
    in_order = PoseTracker(estimator, detect_every=12).track(frames[:12])  # one segment: MediaPipe's own order
    assert lockstep.frame.tolist() == in_order.frame.tolist() == list(range(12))
    assert set(lockstep.track) == set(in_order.track) == {0}
    difference = torch.linalg.vector_norm(lockstep.people.keypoints - in_order.people.keypoints, dim=-1)
    assert difference[in_order.people.visibility > 0.5].mean() < 3.0  # pixels: each segment starts a new region
    assert error_px(lockstep, truth).mean() < error_px(in_order, truth).mean() + 0.5


def test_two_people_side_by_side_keep_a_track_each_across_segments_and_batches(clip, estimator):
    frames, _ = clip
    near = frames[:8, :, 123:379]  # the 256 px around the person (their hips are at x = 251 here)
    pairs = np.concatenate([near, near[:, :, ::-1]], axis=2)  # (8, 384, 512, 3): the person and a mirror image
    tracker = PoseTracker(estimator, detect_every=2)
    found = [tracker.track(pairs[:4]), tracker.track(pairs[4:])]
    frame = np.concatenate([found[0].frame, found[1].frame + 4])
    track = np.concatenate([f.track for f in found])
    hips_x = np.concatenate([f.people.keypoints[:, HIPS, 0].mean(-1).numpy() for f in found])
    assert np.bincount(frame).tolist() == [2] * 8
    assert sorted(tracker.tracks) == [0, 1] and [t.frames for t in tracker.tracks.values()] == [8, 8]
    for t in (0, 1):
        sides = hips_x[track == t] > 256
        assert sides.all() or not sides.any(), f"track {t} jumped from one person to the other"


def test_a_person_who_leaves_for_a_moment_resumes_their_track_and_after_long_is_a_new_one(clip, estimator):
    frames, _ = clip
    away = frames[:16].copy()
    away[6:10] = frames[0, :1, :1]  # four frames of the empty background's colour
    found = PoseTracker(estimator, detect_every=4).track(away)
    assert found.frame.tolist() == [*range(6), *range(10, 16)] and set(found.track) == {0}
    found = PoseTracker(estimator, detect_every=4, relink_frames=2).track(away)
    assert found.track.tolist() == [0] * 6 + [1] * 6


def test_a_frame_with_nobody_gives_nobody_and_the_detector_finds_the_person_who_comes_in(clip, estimator):
    frames, _ = clip
    arriving = frames[:8].copy()
    arriving[:3] = frames[0, :1, :1]
    found = PoseTracker(estimator, detect_every=8).track(arriving)
    assert found.frame.tolist() == list(range(3, 8)) and set(found.track) == {0}
    nobody = PoseTracker(estimator).track(arriving[:3])
    assert len(nobody.frame) == 0 and nobody.people.keypoints.shape == (0, 33, 2)


def test_a_person_the_detector_misses_at_a_segments_first_frame_is_still_followed_from_the_segment_before(
        clip, estimator):
    frames, _ = clip
    near = frames[32:64, :, 123:379]
    pairs = np.concatenate([near, near[:, :, ::-1]], axis=2)  # (32, 384, 512, 3): the kneeling person, mirrored
    assert estimator.estimate([pairs[8], pairs[16]]).image_index.tolist() == [0, 1], "the detector finds one"
    tracker = PoseTracker(estimator)  # segments start at 0, 8 (missed), and at 16 (missed) in the second batch
    found = [tracker.track(pairs[:16]), tracker.track(pairs[16:])]
    in_order = PoseTracker(estimator, detect_every=32).track(pairs)  # one segment: followed frame by frame
    frame = np.concatenate([found[0].frame, found[1].frame + 16])
    track = np.concatenate([f.track for f in found])
    keypoints = torch.cat([f.people.keypoints for f in found])
    assert frame.tolist() == in_order.frame.tolist() == [f for f in range(32) for _ in range(2)]
    assert sorted(tracker.tracks) == [0, 1] and [t.frames for t in tracker.tracks.values()] == [32, 32]
    for t in (0, 1):
        sides = keypoints[track == t][:, HIPS, 0].mean(-1) > 256
        assert sides.all() or not sides.any(), f"track {t} jumped from one person to the other"
    assert (track == in_order.track).all()  # rows in frame, then track order: the same person in the same row
    difference = torch.linalg.vector_norm(keypoints - in_order.people.keypoints, dim=-1)
    assert difference[in_order.people.visibility > 0.5].mean() < 3.0  # pixels
