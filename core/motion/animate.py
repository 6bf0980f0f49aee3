"""One person's motion over a video: per-frame lifted poses made into a smooth, grounded, travelling track.

`animate_track` runs, in order: spike removal and gap filling (short gaps interpolated, long ones left empty), the
temporal model (temporal.rts_smooth, chosen on data by bench/video.py; `pose_smoother` sets its strength on the
poses), one symmetric length per bone, one size per track (the stature asked for), the root trajectory through the
camera (root_motion.py, smoothed the same way), a floor, foot contacts (low, and still in the picture), the body
anchored to its planted feet, and foot locking.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..skeleton import DEFAULT_HEIGHT, H36M_17, POSELIFT, stature
from . import contacts as feet
from . import root_motion, temporal

MAX_GAP_S = 0.25
"""Seconds: the longest run of frames without the person that is interpolated. A walking stride lasts about a
second and a foot swings for 40% of it (Winter, Biomechanics and Motor Control of Human Movement, 2009): over a
quarter second, about half a swing, a joint moves nearly in a straight line, so a straight line loses little;
over longer gaps a limb turns and the line would invent motion."""
SETTLE_ROUNDS = 20
"""Rounds of bone-length projection before the lengths are fixed (temporal.fix_bone_lengths' settle), so that
regrowing from the root moves the joints as little as it can. Picked on the rendered test video's per-frame lifts
(no bench prints that choice): the fewest rounds after which more change nothing."""
FLOOR_PERCENTILE = 50.0
"""The floor is the median height of the lowest foot point: the lifted feet are noisy in both directions (a low
percentile would sink the floor under the noise), and a foot is down in most frames of most motion."""
PELVIS = POSELIFT.index("pelvis")
Smoother = Callable[[np.ndarray, float], np.ndarray]  # (F, J, 3) track and fps -> the smoothed track
_H36M = [POSELIFT.index(name) for name in H36M_17.joints]


@dataclass(frozen=True)
class Motion:
    """One track over F frames, in the pose file's frame: X image right, Y away from the camera, Z up, metres,
    the floor at Z = 0 and the camera above the origin (X = Y = 0)."""

    joints3d: np.ndarray  # (F, 27, 3) float32, skeleton.POSELIFT joints with the root trajectory; NaN where missing
    root: np.ndarray  # (F, 3) float32 pelvis position; NaN where missing
    contacts: np.ndarray  # (F, 2) bool, left then right foot planted
    filled: np.ndarray  # (F,) bool: frames without the person, interpolated over a short gap
    missing: np.ndarray  # (F,) bool: frames left empty (long gaps, or before the first / after the last sighting)


def animate_track(
    joints3d: np.ndarray,
    joints2d: np.ndarray,
    confidence: np.ndarray,
    found: np.ndarray,
    *,
    fps: float,
    image_size: tuple[int, int],
    focal_px: float | None = None,
    height: float = DEFAULT_HEIGHT,
    smoothing: float = 1.0,
) -> Motion:
    """The Motion of one person from per-frame lifts.

    joints3d: (F, 27, 3) metres, POSELIFT joints lifted frame by frame (pelvis at X = Y = 0, feet on Z = 0, axes
    of the camera's view of the person), NaN where not found; joints2d: (F, 27, 2) pixels of the (W, H)
    `image_size` image; confidence: (F, 27) in [0, 1]; found: (F,) bool (a frame with too few confident 2D
    joints to be placed, `root_motion.placeable`, counts as not found). `focal_px`: the camera's focal length
    in pixels, else root_motion.default_focal (a 50 mm full-frame equivalent). `height`: the person's stature,
    metres, which sets the size of the track (and so the distance from the camera). `smoothing`: the strength of
    the temporal model on the poses (`pose_smoother`; the root trajectory's is fixed)."""
    smooth = pose_smoother(smoothing)
    joints3d, joints2d, confidence, found = _checked(joints3d, joints2d, confidence, found)
    found = found & root_motion.placeable(joints2d, confidence)  # a pose with no place in the picture: a gap
    frames = len(found)
    focal = root_motion.default_focal(image_size) if focal_px is None else float(focal_px)
    filled, missing = gaps(found, round(MAX_GAP_S * fps))
    if missing.all():
        empty = np.full((frames, len(POSELIFT), 3), np.nan, np.float32)
        return Motion(empty, empty[:, 0], np.zeros((frames, 2), bool), filled, missing)

    relative = steady_poses(joints3d - joints3d[:, PELVIS : PELVIS + 1], missing, fps, smooth)
    relative *= height / _stature(relative)
    max_gap = round(MAX_GAP_S * fps)
    root2d = np.nan_to_num(temporal.fill_gaps(joints2d[:, PELVIS : PELVIS + 1], max_gap)[:, 0], nan=image_size[0] / 2)
    relative = root_motion.face_the_camera_ray(relative, root2d, focal, image_size)
    root = root_motion.place_poses(relative, joints2d, confidence, focal, image_size)
    root = temporal.fill_gaps(temporal.remove_spikes(root[:, None]), max_gap)
    root = _over_runs(root, missing, lambda t: temporal.rts_smooth(t, fps, temporal.ROOT_ACCEL_NOISE, fill=True))[:, 0]
    world = relative + root[:, None]
    world[missing], root[missing] = np.nan, np.nan
    floor = feet.floor_height(world, POSELIFT.joints, FLOOR_PERCENTILE)
    world[..., 2] -= floor
    root[:, 2] -= floor
    world, root, contacts = _grounded(world, root, joints2d, missing, fps, focal)
    world[missing] = np.nan
    return Motion(world.astype(np.float32), root.astype(np.float32), contacts & ~missing[:, None], filled, missing)


def _grounded(world: np.ndarray, root: np.ndarray, joints2d: np.ndarray, missing: np.ndarray, fps: float,
              focal: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """(world, root, contacts): feet found planted where low and still in the picture, the body shifted to keep
    them where they landed (smoothed, so it never jumps), and each held by foot locking."""
    metres_per_pixel = root[:, 1] / focal  # (F,) the camera at the origin looking along Y: the root's depth is its Y
    # The smoother's acceleration noise is in m^2/s^3: in pixels at the person's distance it is that over mpp^2.
    accel_noise = temporal.ACCEL_NOISE / np.nanmedian(metres_per_pixel) ** 2
    pixels = _over_runs(temporal.fill_gaps(joints2d, round(MAX_GAP_S * fps)), missing,
                        lambda track: temporal.rts_smooth(track, fps, accel_noise, fill=True))  # fmt: skip
    contacts = feet.foot_contacts(world, POSELIFT.joints, fps, 0.0, image=(pixels, metres_per_pixel))
    shift = _over_runs(feet.anchor_shift(world, POSELIFT.joints, contacts)[:, None], missing,
                       lambda track: temporal.rts_smooth(track, fps, temporal.ROOT_ACCEL_NOISE))[:, 0]  # fmt: skip
    world, root = world + shift[:, None], root + shift
    return feet.lock_feet(world, POSELIFT.joints, contacts, 0.0), root, contacts


def _over_runs(track: np.ndarray, missing: np.ndarray, smooth: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """(F, ...) `track` with `smooth` applied to each run of frames not `missing` on its own."""
    out = np.array(track, dtype=np.float64)
    for start, stop in temporal.runs(~missing):
        out[start:stop] = smooth(out[start:stop])
    return out


def filling_rts(track: np.ndarray, fps: float) -> np.ndarray:
    """The temporal model: `temporal.rts_smooth` with its chosen constant, estimating the samples spikes left."""
    return temporal.rts_smooth(track, fps, fill=True)


def pose_smoother(strength: float) -> Smoother:
    """The temporal model at `strength` S >= 0: `temporal.rts_smooth` with its acceleration noise divided by S (1:
    `filling_rts`'s output bit for bit; larger: smoother); 0: no smoothing, the lifts kept as they are and only the
    samples spikes left estimated (by the S = 1 model)."""
    if not (np.isfinite(strength) and strength >= 0):
        raise ValueError(f"the smoothing strength must be a number from 0 up, not {strength}")
    if strength == 0:
        return lambda track, fps: np.where(np.isfinite(track), track, filling_rts(track, fps))
    return lambda track, fps: temporal.rts_smooth(track, fps, temporal.ACCEL_NOISE / strength, fill=True)


def steady_poses(relative: np.ndarray, missing: np.ndarray, fps: float, smooth: Smoother = filling_rts) -> np.ndarray:
    """(F, 27, 3) root-relative poses, metres, made steady: spikes removed, gaps of at most MAX_GAP_S filled,
    `smooth(track, fps)` over each run of frames not `missing` ((F,) bool), then one symmetric length per bone
    (`temporal.fix_bone_lengths`, settled first over SETTLE_ROUNDS: nearest the smoothed poses), the pelvis at
    the origin."""
    relative = temporal.fill_gaps(temporal.remove_spikes(relative), round(MAX_GAP_S * fps))
    relative = _over_runs(relative, missing, lambda track: smooth(track, fps))
    fixed = temporal.fix_bone_lengths(relative, POSELIFT.parents, mirror=POSELIFT.mirror, settle=SETTLE_ROUNDS)
    return fixed - fixed[:, PELVIS : PELVIS + 1]  # settling moves the pelvis too: back to the origin


def gaps(found: np.ndarray, max_gap: int) -> tuple[np.ndarray, np.ndarray]:
    """(filled, missing), (F,) bool each, from (F,) `found`: runs of frames not found of at most `max_gap` frames
    between two found frames are filled; the others (longer, or at either end) are missing."""
    found = np.asarray(found, bool)
    filled = np.zeros_like(found)
    for start, stop in temporal.runs(~found):
        if 0 < start and stop < len(found) and stop - start <= max_gap:
            filled[start:stop] = True
    return filled, ~found & ~filled


def _stature(relative: np.ndarray) -> float:
    """Metres: the median over frames of the stature of (F, 27, 3) poses (skeleton.stature, from bone lengths)."""
    heights = stature(relative[:, _H36M])
    heights = heights[np.isfinite(heights) & (heights > 0)]
    return float(np.median(heights)) if heights.size else DEFAULT_HEIGHT


def _checked(joints3d, joints2d, confidence, found):
    joints3d = np.asarray(joints3d, np.float64)
    joints2d = np.asarray(joints2d, np.float64)
    confidence = np.asarray(confidence, np.float64)
    found = np.asarray(found, bool)
    frames, joints = len(found), len(POSELIFT)
    expected = {"joints3d": (frames, joints, 3), "joints2d": (frames, joints, 2), "confidence": (frames, joints)}
    for name, array in zip(expected, (joints3d, joints2d, confidence), strict=True):
        if array.shape != expected[name]:
            raise ValueError(f"{name} must be {expected[name]} for {frames} frames, not {array.shape}")
    keep = found[:, None]
    return (np.where(keep[..., None], joints3d, np.nan), np.where(keep[..., None], joints2d, np.nan),
            np.where(keep & np.isfinite(confidence), confidence, 0.0), found)  # fmt: skip
