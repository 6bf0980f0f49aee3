"""Temporal filters for joint tracks: spike removal, gap filling, smoothing, fixed bone lengths.

Tracks are (F, J, D) arrays over F frames (metres for 3D, pixels for 2D), NaN where a joint is missing.
Two smoothers: `rts_smooth` (a Kalman smoother, the one core/motion/animate.py uses: bench/video.py compares them on the
rendered test video) and `one_euro` (forward-backward One-Euro).
"""

from __future__ import annotations

import warnings

import numpy as np

ACCEL_NOISE = 3.0
"""Spectral density of the white acceleration that drives `rts_smooth`, m^2/s^3 for tracks in metres. Chosen on
data by `python bench/video.py --tune`, which prints the grid and the choice: of the values that keep fast motion
(a real fast Mixamo clip, clean and noisy, judged by the bench's KEPT_MM and NEARER), the one of least PA-MPJPE on
the lifted poses of the rendered test video (frames its acceptance checks do not use). One-Euro was tried on the
same frames: its settings that keep fast motion are worse on the video (the bench prints both)."""
ROOT_ACCEL_NOISE = 0.3
"""The same for the root trajectory (m^2/s^3): a body's centre moves more smoothly than its limbs, and its depth,
from the pose's size in the picture, is the noisiest thing measured. Chosen the same way (the --tune root rows: the
least jitter among the values of least root error that keep the clip's pelvis motion)."""
_DIFFUSE = 1e6  # prior variance of the first position and velocity: nothing is assumed
_MIN_NOISE = 1e-6  # floor of a coordinate's noise deviation: a perfectly still track still gets a finite gain


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


def rts_smooth(
    track: np.ndarray, fps: float, accel_noise: float = ACCEL_NOISE, noise: float | None = None, fill: bool = False
) -> np.ndarray:
    """(F, J, D) -> (F, J, D): the Rauch-Tung-Striebel smoother of a constant-velocity model per coordinate.

    Each coordinate is a position driven by white acceleration of spectral density `accel_noise` (track
    unit^2 / s^3), seen through white noise whose deviation is estimated per coordinate from the track itself
    (the median absolute third difference, robust to motion and spikes) unless `noise` gives it (track
    units). The result is the posterior mean
    given every frame, past and future: no lag, and a noisier coordinate is smoothed more. Missing samples
    (NaN) are bridged by the model; they stay missing in the output unless `fill`, which gives every sample of
    a coordinate seen at least once its estimate (interpolated inside, extrapolated at constant velocity at the
    ends).
    """
    track = np.asarray(track, dtype=np.float64)
    frames, shape = track.shape[0], track.shape[1:]
    z = track.reshape(frames, -1)  # (F, C)
    seen = np.isfinite(z)
    r = measurement_noise(z) ** 2 if noise is None else np.full(z.shape[1], noise**2)  # (C,)
    dt = 1.0 / fps
    a = np.array([[1.0, dt], [0.0, 1.0]])
    q = accel_noise * np.array([[dt**3 / 3, dt**2 / 2], [dt**2 / 2, dt]])
    x = np.zeros((z.shape[1], 2))
    p = np.broadcast_to(np.diag([_DIFFUSE, _DIFFUSE]), (z.shape[1], 2, 2)).copy()
    predicted_x, predicted_p = np.empty((frames, *x.shape)), np.empty((frames, *p.shape))
    filtered_x, filtered_p = np.empty_like(predicted_x), np.empty_like(predicted_p)
    for f in range(frames):
        if f:
            x, p = x @ a.T, a @ p @ a.T + q
        predicted_x[f], predicted_p[f] = x, p
        gain = p[:, :, 0] / (p[:, 0, 0] + r)[:, None]  # (C, 2)
        innovation = np.where(seen[f], z[f] - x[:, 0], 0.0)
        gain = np.where(seen[f][:, None], gain, 0.0)
        x = x + gain * innovation[:, None]
        p = p - gain[:, :, None] * p[:, None, 0, :]
        filtered_x[f], filtered_p[f] = x, p
    back = filtered_p[:-1] @ a.T @ np.linalg.inv(predicted_p[1:])  # (F-1, C, 2, 2) the smoother's gains
    smooth = filtered_x.copy()
    for f in range(frames - 2, -1, -1):
        smooth[f] += (back[f] @ (smooth[f + 1] - predicted_x[f + 1])[..., None])[..., 0]
    out = np.where(seen | (fill & seen.any(axis=0)), smooth[..., 0], np.nan)
    return out.reshape(frames, *shape)


def measurement_noise(z: np.ndarray) -> np.ndarray:
    """(F, C) -> (C,) the deviation of white noise on each column, from the median absolute third difference of
    its finite samples (a third difference of white noise has deviation sqrt(20) times the noise's; of smooth
    motion, far less than a second difference has: fast motion is not taken for noise); a column with too few
    samples gets the median of the others (0 when none has)."""
    third = np.abs(z[3:] - 3 * z[2:-1] + 3 * z[1:-2] - z[:-3])
    counts = np.isfinite(third).sum(axis=0)
    sigma = np.full(z.shape[1], np.nan)
    known = counts > 0
    sigma[known] = 1.4826 * np.nanmedian(third[:, known], axis=0) / np.sqrt(20.0)
    fallback = np.nanmedian(sigma) if known.any() else 0.0
    return np.maximum(np.where(known, sigma, fallback), _MIN_NOISE)


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, stop) of each run of True in (F,) `mask`, in order."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], np.asarray(mask, np.int8), [0]])))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


def remove_spikes(track: np.ndarray, window: int = 7, threshold: float = 5.0) -> np.ndarray:
    """(F, J, D) with outliers set to NaN (a Hampel filter): samples farther from their window's median than
    `threshold` times the window's median distance from that median."""
    track = np.asarray(track, dtype=np.float64)
    half = window // 2
    padded = np.pad(track, ((half, half), (0, 0), (0, 0)), mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(padded, window, axis=0)  # (F, J, D, W)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a window with nothing seen: its median is NaN, no spike
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


def fix_bone_lengths(
    joints: np.ndarray, parents: tuple[int, ...], *, mirror: tuple[int, ...] | None = None, settle: int = 0
) -> np.ndarray:
    """(F, J, 3) with every bone set to its median length over the frames, regrown from the roots (parents
    before children, as in a joint set), each bone keeping its direction.

    With `mirror` (each joint's other-side twin, as JointSet.mirror), a bone and its twin both get the mean of
    their two medians: a body is symmetric, and a monocular lift's errors seldom are. With `settle` > 0, the
    joints first take that many rounds of moving both ends of every bone by half its length error, along it
    (projection onto the length constraints, as in position-based dynamics): the pose is brought near the
    nearest one with those lengths, so that regrowing from the root moves the ends of the chains far less.
    """
    joints = np.asarray(joints, dtype=np.float64)
    parent = [max(p, 0) for p in parents]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        lengths = np.nanmedian(np.linalg.norm(joints - joints[:, parent], axis=-1), axis=0)  # (J,), NaN: never seen
    if mirror is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # neither side seen: NaN stays
            lengths = np.nanmean(np.stack([lengths, lengths[list(mirror)]]), axis=0)  # one side seen: its length
    settled = joints.copy()
    bones = [(j, p) for j, p in enumerate(parents) if p >= 0]
    for _ in range(settle):
        for j, p in bones:
            vector = settled[:, j] - settled[:, p]
            length = np.linalg.norm(vector, axis=-1, keepdims=True)
            step = np.nan_to_num(vector * ((length - lengths[j]) / np.where(length > 1e-9, 2 * length, np.nan)))
            settled[:, j] -= step
            settled[:, p] += step
    out = settled.copy()
    for j, p in bones:
        vector = settled[:, j] - settled[:, p]
        length = np.linalg.norm(vector, axis=-1)
        out[:, j] = out[:, p] + vector * (lengths[j] / np.where(length > 1e-9, length, np.nan))[:, None]
    return out
