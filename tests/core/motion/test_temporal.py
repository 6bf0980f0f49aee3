"""Temporal filters remove jitter, spikes and length drift and keep the timing of fast motion."""

import numpy as np
import pytest
from pose_samples import walking_sequence

from poselift.core.motion.temporal import fill_gaps, fix_bone_lengths, one_euro, remove_spikes, rts_smooth
from poselift.core.skeleton import POSELIFT

FPS = 30.0
SIDES = ("left", "right")


def _track(frames=300):
    """(F, 1, 3) metres: slow sway, then a fast 0.5 m swing at 2 Hz."""
    t = np.arange(frames) / FPS
    x = 0.05 * np.sin(2 * np.pi * 0.3 * t) + np.where(t > 5, 0.5 * np.sin(2 * np.pi * 2 * (t - 5)), 0)
    return np.stack([x, np.zeros_like(x), np.ones_like(x)], -1)[:, None]


def test_one_euro_removes_jitter_without_lagging_fast_motion():
    clean = _track()
    noisy = clean + np.random.default_rng(0).normal(0, 0.01, clean.shape)
    smooth = one_euro(noisy, FPS)
    slow, fast = slice(0, 150), slice(160, 300)

    def error(track, part):
        return np.sqrt(np.mean((track[part] - clean[part]) ** 2))

    assert error(smooth, slow) < 0.6 * error(noisy, slow)
    assert error(smooth, fast) < error(noisy, fast)
    lag = np.argmax(np.correlate(smooth[fast, 0, 0], clean[fast, 0, 0], "full")) - (fast.stop - fast.start - 1)
    assert abs(lag) <= 1


def test_missing_samples_stay_missing_and_restart_the_filter():
    track = _track(60)
    track[20:25] = np.nan
    out = one_euro(track, FPS)
    assert np.isnan(out[20:25]).all() and np.isfinite(out[:20]).all() and np.isfinite(out[25:]).all()


def test_spikes_become_gaps_and_short_gaps_are_filled():
    track = _track(100)
    track[40, 0, 0] += 0.8
    cleaned = remove_spikes(track)
    assert np.isnan(cleaned[40]).all() and np.isfinite(np.delete(cleaned, 40, axis=0)).all()
    noisy = _track(3000) + np.random.default_rng(0).normal(0, 0.01, (3000, 1, 3))
    assert np.isnan(remove_spikes(noisy)).any(axis=-1).mean() < 0.01, "noise is not a spike"
    filled = fill_gaps(cleaned, max_gap=3)
    np.testing.assert_allclose(filled[40], _track(100)[40], atol=0.02)
    long_gap = track.copy()
    long_gap[50:70] = np.nan
    assert np.isnan(fill_gaps(long_gap, max_gap=3)[50:70]).all()


def test_fixed_bone_lengths_keep_directions():
    joints = walking_sequence(20).joints3d[:, 0].astype(np.float64)
    stretch = 1 + 0.1 * np.random.default_rng(1).normal(size=(20, 1, 1))
    wobbly = joints[:, :1] + (joints - joints[:, :1]) * stretch
    fixed = fix_bone_lengths(wobbly, POSELIFT.parents)
    for j, p in POSELIFT.bones:
        lengths = np.linalg.norm(fixed[:, j] - fixed[:, p], axis=-1)
        np.testing.assert_allclose(lengths, lengths[0], rtol=1e-9)
        before = wobbly[:, j] - wobbly[:, p]
        after = fixed[:, j] - fixed[:, p]
        cos = np.sum(before * after, -1) / np.linalg.norm(before, axis=-1) / np.linalg.norm(after, axis=-1)
        np.testing.assert_allclose(cos, 1.0, atol=1e-9)


def test_the_kalman_smoother_removes_noise_and_leaves_a_clean_fast_track_alone():
    clean = _track()
    noisy = clean + np.random.default_rng(0).normal(0, 0.01, clean.shape)
    smooth = rts_smooth(noisy, FPS)

    def error(track, part):
        return np.sqrt(np.mean((track[part] - clean[part]) ** 2))

    slow, fast = slice(0, 150), slice(160, 300)
    assert error(smooth, slow) < 0.7 * error(noisy, slow) and error(smooth, fast) < error(noisy, fast)
    lag = np.argmax(np.correlate(smooth[fast, 0, 0], clean[fast, 0, 0], "full")) - (fast.stop - fast.start - 1)
    assert lag == 0
    # The noise is measured on the track itself: a clean track, however fast, passes through untouched.
    assert np.linalg.norm(rts_smooth(clean, FPS) - clean, axis=-1).mean() < 1e-3


def test_the_kalman_smoother_bridges_missing_samples_only_when_asked():
    track = _track(60)
    track[20:25] = np.nan
    kept = rts_smooth(track, FPS)
    assert np.isnan(kept[20:25]).all() and np.isfinite(kept[:20]).all() and np.isfinite(kept[25:]).all()
    filled = rts_smooth(track, FPS, fill=True)
    np.testing.assert_allclose(filled[20:25], _track(60)[20:25], atol=0.005)
    never = np.full((10, 1, 3), np.nan)
    assert np.isnan(rts_smooth(never, FPS, fill=True)).all(), "a joint never seen stays unknown"


def test_bone_lengths_can_be_symmetric_and_settled_near_the_poses():
    joints = walking_sequence(20).joints3d[:, 0].astype(np.float64)
    rng = np.random.default_rng(2)
    noisy = joints + rng.normal(0, 0.02, joints.shape)
    regrown = fix_bone_lengths(noisy, POSELIFT.parents, mirror=POSELIFT.mirror)
    settled = fix_bone_lengths(noisy, POSELIFT.parents, mirror=POSELIFT.mirror, settle=20)
    for fixed in (regrown, settled):
        for side in SIDES:
            knee, hip = (POSELIFT.index(f"{side}_{j}") for j in ("knee", "hip"))
            lengths = np.linalg.norm(fixed[:, knee] - fixed[:, hip], axis=-1)
            np.testing.assert_allclose(lengths, lengths[0], rtol=1e-9)
        shins = [fixed[0, POSELIFT.index(f"{s}_ankle")] - fixed[0, POSELIFT.index(f"{s}_knee")] for s in SIDES]
        assert np.linalg.norm(shins[0]) == pytest.approx(np.linalg.norm(shins[1]))

    def error(fixed):
        return np.linalg.norm(fixed - noisy, axis=-1).mean()

    assert error(settled) < 0.8 * error(regrown), "settling moves the joints less than regrowing from the root"


def test_a_bone_whose_twin_is_never_seen_keeps_its_own_length():
    joints = walking_sequence(10).joints3d[:, 0].astype(np.float64)
    joints[:, POSELIFT.index("left_wrist")] = np.nan  # the left forearm is never seen
    fixed = fix_bone_lengths(joints, POSELIFT.parents, mirror=POSELIFT.mirror)
    elbow, wrist = POSELIFT.index("right_elbow"), POSELIFT.index("right_wrist")
    seen = np.linalg.norm(joints[:, wrist] - joints[:, elbow], axis=-1)
    np.testing.assert_allclose(np.linalg.norm(fixed[:, wrist] - fixed[:, elbow], axis=-1), np.median(seen))
    assert np.isnan(fixed[:, POSELIFT.index("left_wrist")]).all()
