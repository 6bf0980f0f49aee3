"""A variable-frame-rate track resampled to evenly spaced frames: the motion keeps the video's own timing."""

from __future__ import annotations

import numpy as np

from poselift.core.video.video_poses import resample, uniform_times


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
