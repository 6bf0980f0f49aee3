"""Two people who cross keep their identities (core/video/tracking.py), with the real BlazePose weights, on a rendered
clip with exact truth (scripts/people_video.py): they walk towards each other and the farther one passes behind
the nearer, hidden for a moment."""

from __future__ import annotations

import numpy as np
import pytest
from people_video import cached_people_video

from poselift.core import skeleton
from poselift.core.formats.posefile import read_pose_file
from poselift.core.nets.pose2d import SMALL_PEOPLE_VIDEO, PoseEstimator
from poselift.core.video.tracking import MIN_LIKENESS, PoseTracker, colours, likeness
from poselift.core.video.video_io import VideoFrames, probe_video

TO_POSELIFT = skeleton.mapping(skeleton.BLAZEPOSE_33, skeleton.POSELIFT)
H36M = [skeleton.POSELIFT.index(name) for name in skeleton.H36M_17.joints]
PELVIS = skeleton.POSELIFT.index("pelvis")
HIPS = [skeleton.BLAZEPOSE_33.index("left_hip"), skeleton.BLAZEPOSE_33.index("right_hip")]
BATCH = 30  # frames: the clip is tracked in three batches, as `poselift video` streams it


@pytest.fixture(scope="module")
def crossing():
    """(frames (90, 360, 640, 3) uint8 RGB, truth PoseSequence of its 2 people) of the 3-second clip."""
    video, truth = cached_people_video(seed=0, seconds=3.0, people=2)
    frames = np.concatenate([batch.pixels for batch in VideoFrames(probe_video(video))])
    return frames, read_pose_file(truth)


@pytest.fixture(scope="module")
def tracked(crossing):
    """(frame (N,), track (N,), truth person (N,), -1 where none is near) of everybody followed in the clip, by the
    tracker `poselift video --small-people` builds, with the lite landmark model."""
    frames, truth = crossing
    tracker = PoseTracker(PoseEstimator(variant="lite", device="cpu", **SMALL_PEOPLE_VIDEO))
    found = [tracker.track(frames[start : start + BATCH]) for start in range(0, len(frames), BATCH)]
    frame = np.concatenate([f.frame + k * BATCH for k, f in enumerate(found)])
    track = np.concatenate([f.track for f in found])
    joints2d = np.concatenate([TO_POSELIFT.apply(f.people.keypoints.numpy()) for f in found])  # (N, 27, 2) pixels
    exact = truth.joints2d[frame][:, :, H36M]  # (N, 2, 17, 2) pixels
    distance = np.linalg.norm(joints2d[:, None, H36M] - exact, axis=-1).mean(-1)  # (N, 2) pixels
    near = distance.min(axis=1) < 0.2 * np.ptp(exact[..., 1], axis=-1).min(axis=1)
    return frame, track, np.where(near, distance.argmin(axis=1), -1)


def test_the_clip_has_the_farther_person_hidden_while_they_cross(crossing):
    frames, truth = crossing
    hidden = truth.metadata["people"][1]["hidden"]
    assert truth.people == 2 and len(frames) == 90 and not truth.metadata["people"][0]["hidden"]
    assert hidden and hidden[0][0] > 10 and hidden[-1][1] < len(frames) - 1  # apart at the start and at the end


def test_two_people_who_cross_keep_one_track_each(tracked):
    frame, track, person = tracked
    assert (person >= 0).all(), "everybody followed is one of the two people"
    tracks = [set(track[person == p]) for p in (0, 1)]
    assert [len(t) for t in tracks] == [1, 1] and tracks[0] != tracks[1], tracks
    nearer, farther = (frame[person == p] for p in (0, 1))
    assert len(nearer) >= 75  # of 90: the nearer person is in sight all along
    assert farther.min() < 10 and farther.max() > 80  # the farther one is found again after passing behind


def test_a_persons_colours_are_like_their_own_and_unlike_the_others(crossing):
    frames, truth = crossing
    estimator = PoseEstimator(variant="lite", device="cpu", **SMALL_PEOPLE_VIDEO)
    people = estimator.estimate([frames[0], frames[-1]])
    hips = people.keypoints[:, HIPS, 0].mean(-1).numpy()  # (N,) pixels across
    looks = {}
    for i, (image, x) in enumerate(zip(people.image_index.tolist(), hips, strict=True)):
        frame = [0, -1][image]
        nearest = int(np.argmin(np.abs(truth.joints2d[frame, :, PELVIS, 0] - x)))
        looks[image, nearest] = colours(frames[frame], people.keypoints[i].numpy())
    assert sorted(looks) == [(0, 0), (0, 1), (1, 0), (1, 1)]
    same = [likeness(looks[0, p], looks[1, p]) for p in (0, 1)]
    other = [likeness(looks[0, p], looks[1, 1 - p]) for p in (0, 1)]
    assert min(same) > MIN_LIKENESS > max(other), (same, other)
