"""Temporal filters for joint tracks: spike removal, gap filling, adaptive smoothing, fixed bone lengths.

Tracks are (F, J, D) arrays over F frames (metres for 3D, pixels for 2D), NaN where a joint is missing.
"""

from __future__ import annotations

import numpy as np


def _smoothing_factor(cutoff_hz: np.ndarray | float, fps: float) -> np.ndarray | float:
    tau = 1.0 / (2 * np.pi * cutoff_hz)
    return 1.0 / (1.0 + tau * fps)


def one_euro(
    track: np.ndarray, fps: float, min_cutoff_hz: float = 1.0, beta: float = 10.0, d_cutoff_hz: float = 1.0
) -> np.ndarray:
    """(F, J, D) -> (F, J, D): the One-Euro filter (Casiez et al., CHI 2012) run forwards then backwards.

    A low-pass whose cutoff rises with speed (min_cutoff + beta * |velocity|), so slow jitter is removed and
    fast motion keeps its timing; the backward pass cancels the forward pass's lag. beta is in Hz per (track
    unit / s): the default suits metres. Missing samples (NaN) stay missing and restart the filter.
    """
    forward = _one_euro_pass(np.asarray(track, dtype=np.float64), fps, min_cutoff_hz, beta, d_cutoff_hz)
    return _one_euro_pass(forward[::-1], fps, min_cutoff_hz, beta, d_cutoff_hz)[::-1]


def _one_euro_pass(track: np.ndarray, fps: float, min_cutoff: float, beta: float, d_cutoff: float) -> np.ndarray:
    out = np.full_like(track, np.nan)
    a_d = _smoothing_factor(d_cutoff, fps)
    prev = np.full(track.shape[1:], np.nan)
    speed = np.zeros(track.shape[1:-1])
    for f in range(track.shape[0]):
        x = track[f]
        fresh = np.isnan(prev).any(axis=-1)
        velocity = np.linalg.norm(np.nan_to_num(x - prev), axis=-1) * fps
        speed = np.where(fresh, 0.0, speed + a_d * (velocity - speed))
        a = _smoothing_factor(min_cutoff + beta * speed, fps)[..., None]
        value = np.where(fresh[..., None], x, prev + a * (x - prev))
        out[f] = value
        prev = np.where(np.isnan(x), np.nan, value)
    return out


def remove_spikes(track: np.ndarray, window: int = 7, threshold: float = 5.0) -> np.ndarray:
    """(F, J, D) with outliers set to NaN (a Hampel filter): samples farther from their window's median than
    `threshold` times the window's median distance from that median."""
    track = np.asarray(track, dtype=np.float64)
    half = window // 2
    padded = np.pad(track, ((half, half), (0, 0), (0, 0)), mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(padded, window, axis=0)  # (F, J, D, W)
    median = np.nanmedian(windows, axis=-1)
    spread = np.nanmedian(np.linalg.norm(windows - median[..., None], axis=-2), axis=-1)
    distance = np.linalg.norm(track - median, axis=-1)
    spikes = distance > threshold * np.maximum(spread, 1e-9)
    return np.where(spikes[..., None], np.nan, track)


def hold_nearest(values: np.ndarray) -> np.ndarray:
    """(F, ...) with each frame holding a NaN replaced by the last complete frame before it, else the first
    after it; all-NaN stays NaN."""
    values = np.asarray(values)
    complete = np.isfinite(values.reshape(len(values), -1)).all(axis=-1)
    if not complete.any():
        return values.copy()
    last = np.maximum.accumulate(np.where(complete, np.arange(len(values)), -1))
    return values[np.where(last < 0, np.argmax(complete), last)]


def fill_gaps(track: np.ndarray, max_gap: int) -> np.ndarray:
    """(F, J, D) with runs of at most `max_gap` missing frames linearly interpolated; longer runs and the
    ends stay missing."""
    track = np.asarray(track, dtype=np.float64).copy()
    missing = np.isnan(track).any(axis=-1)
    frames = np.arange(track.shape[0])
    for j in range(track.shape[1]):
        known = np.flatnonzero(~missing[:, j])
        if known.size < 2:
            continue
        gaps = np.diff(known) - 1
        for start, gap in zip(known[:-1], gaps, strict=True):
            if 0 < gap <= max_gap:
                end = start + gap + 1
                t = (frames[start + 1 : end] - start) / (end - start)
                track[start + 1 : end, j] = track[start, j] + t[:, None] * (track[end, j] - track[start, j])
    return track


def fix_bone_lengths(joints: np.ndarray, parents: tuple[int, ...]) -> np.ndarray:
    """(F, J, 3) with every bone set to its median length over the frames, directions kept, regrown from
    the roots (parents before children, as in a joint set)."""
    joints = np.asarray(joints, dtype=np.float64)
    out = joints.copy()
    for j, p in enumerate(parents):
        if p < 0:
            continue
        vector = joints[:, j] - joints[:, p]
        length = np.linalg.norm(vector, axis=-1)
        target = np.nanmedian(length) if np.isfinite(length).any() else np.nan
        out[:, j] = out[:, p] + vector * (target / np.where(length > 1e-9, length, np.nan))[:, None]
    return out
