"""Temporal filters remove jitter, spikes and length drift and keep the timing of fast motion."""

import numpy as np
from pose_samples import walking_sequence

from poselift.core.skeleton import POSELIFT
from poselift.core.temporal import fill_gaps, fix_bone_lengths, one_euro, remove_spikes

FPS = 30.0


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
