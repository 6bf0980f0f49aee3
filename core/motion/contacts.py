"""Feet and floor: a floor height, foot contacts, and foot locking by two-bone IK on the legs.

Joints are (F, J, 3) metres, Z up, in a joint set that has hips, knees, ankles and (optionally) heels and
toes by their `core.skeleton` names.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from ..rotations import normalize
from .temporal import runs

SIDES = ("left", "right")


@dataclass(frozen=True)
class ContactSettings:
    """Thresholds of foot contact: near the floor and nearly still, for a while."""

    height_m: float = 0.06
    speed_m_s: float = 0.35
    min_frames: int = 3
    blend_frames: int = 4


def _foot_points(names: tuple[str, ...], side: str) -> list[int]:
    return [names.index(f"{side}_{p}") for p in ("ankle", "heel", "toe") if f"{side}_{p}" in names]


def floor_height(joints: np.ndarray, names: tuple[str, ...], percentile: float = 10.0) -> float:
    """The floor's height in metres: a percentile over frames of the lowest foot point (0 when no foot is seen).
    The default, a low one, is robust to jumps in clean motion; the median (50) also to noise in either
    direction, which biases a low percentile downwards, as long as a foot is down in most frames."""
    feet = [j for side in SIDES for j in _foot_points(names, side)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        lowest = np.nanmin(joints[:, feet, 2], axis=1)
    return float(np.nanpercentile(lowest, percentile)) if np.isfinite(lowest).any() else 0.0


def foot_contacts(
    joints: np.ndarray,
    names: tuple[str, ...],
    fps: float,
    floor: float,
    settings: ContactSettings = ContactSettings(),
    *,
    image: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """(F, 2) bool, left then right: the foot's lowest point is near the floor and its ankle nearly still,
    for at least `min_frames` frames in a row.

    Still is judged in 3D, or with `image` = ((F, J, 2) pixels of the same joints, (F,) metres per pixel at the
    person's distance) by the ankle's speed in the picture: a still camera sees a planted foot still, and 2D
    joints are surer than a monocular lift's depth."""
    out = np.zeros((len(joints), 2), dtype=bool)
    if len(joints) < 2:
        return out
    for s, side in enumerate(SIDES):
        points = _foot_points(names, side)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            low = np.nanmin(joints[:, points, 2], axis=1) - floor < settings.height_m
        ankle = names.index(f"{side}_ankle")
        if image is None:
            speed = np.linalg.norm(np.gradient(joints[:, ankle, :2], axis=0), axis=-1) * fps
        else:
            pixels, metres_per_pixel = image
            speed = np.linalg.norm(np.gradient(pixels[:, ankle], axis=0), axis=-1) * fps * metres_per_pixel
        out[:, s] = _at_least(low & (np.nan_to_num(speed, nan=np.inf) < settings.speed_m_s), settings.min_frames)
    return out


def _at_least(mask: np.ndarray, frames: int) -> np.ndarray:
    """The runs of True in `mask` that last at least `frames`."""
    out = np.zeros_like(mask)
    start = None
    for f, value in enumerate(np.append(mask, False)):
        if value and start is None:
            start = f
        elif not value and start is not None:
            if f - start >= frames:
                out[start:f] = True
            start = None
    return out


def lock_feet(
    joints: np.ndarray,
    names: tuple[str, ...],
    contacts: np.ndarray,
    floor: float,
    settings: ContactSettings = ContactSettings(),
) -> np.ndarray:
    """(F, J, 3) with each foot held in place during its contacts: its points keep their position at the
    contact's middle frame (feet not below the floor), the knee bends by two-bone IK to reach it, and the
    hold fades in and out over `blend_frames` so nothing pops. Leg bone lengths are kept."""
    out = np.array(joints, dtype=np.float64)
    for s, side in enumerate(SIDES):
        points = _foot_points(names, side)
        hip, knee, ankle = (names.index(f"{side}_{p}") for p in ("hip", "knee", "ankle"))
        shift = np.zeros((len(out), 3))
        weight = np.zeros(len(out))
        for start, stop in runs(contacts[:, s]):
            middle = (start + stop) // 2
            target = out[middle, ankle].copy()
            lowest = np.nanmin(out[middle, points, 2])
            target[2] += max(floor - lowest, 0.0)
            lo, hi = max(start - settings.blend_frames, 0), min(stop + settings.blend_frames, len(out))
            for f in range(lo, hi):
                w = min(1.0, (f - start + settings.blend_frames + 1) / (settings.blend_frames + 1),
                        (stop + settings.blend_frames - f) / (settings.blend_frames + 1))  # fmt: skip
                if w > weight[f]:
                    weight[f], shift[f] = w, target - out[f, ankle]
        _reach(out, (hip, knee, ankle), points, weight > 0, weight[:, None] * shift)
    return out


def feet_above_floor(joints: np.ndarray, names: tuple[str, ...], floor: float) -> np.ndarray:
    """(F, J, 3) with each foot whose lowest point is below the floor raised onto it in that frame, the knee
    bending by two-bone IK (leg bone lengths kept); the body does not move. A foot cannot go through the floor."""
    out = np.array(joints, dtype=np.float64)
    for side in SIDES:
        points = _foot_points(names, side)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            below = np.nan_to_num(floor - np.nanmin(out[:, points, 2], axis=1), nan=0.0)
        _reach(out, tuple(names.index(f"{side}_{p}") for p in ("hip", "knee", "ankle")), points, below > 0,
               np.stack([np.zeros_like(below), np.zeros_like(below), below], -1))  # fmt: skip
    return out


def _reach(joints: np.ndarray, leg: tuple[int, int, int], foot: list[int], frames: np.ndarray,
           shift: np.ndarray) -> None:  # fmt: skip
    """Move, in place, the foot points of (F, J, 3) `joints` by (F, 3) `shift` on `frames` ((F,) bool), as far as
    the leg (hip, knee, ankle indices) reaches with its bone lengths kept, the knee bending by two-bone IK."""
    if not frames.any():
        return
    hip, knee, ankle = leg
    goal = joints[frames, ankle] + shift[frames]
    new_knee, reached = two_bone_ik(joints[frames, hip], joints[frames, knee], joints[frames, ankle], goal)
    joints[np.ix_(frames, foot)] += (reached - joints[frames, ankle])[:, None]
    joints[frames, knee] = new_knee


def anchor_shift(joints: np.ndarray, names: tuple[str, ...], contacts: np.ndarray) -> np.ndarray:
    """(F, 3) metres: the horizontal shift of the whole body each frame that keeps every planted ankle where it
    was planted (Z untouched). A planted foot anchors the body: where it drifts, the body's estimated position
    drifted (a monocular root is surest across the picture, least sure in depth). Between contacts the shift holds
    its last value, so the body never jumps; two planted feet share the correction. NaN frames keep the shift."""
    ankles = [names.index(f"{side}_ankle") for side in SIDES]
    shift = np.zeros((len(joints), 3))
    current = np.zeros(2)
    anchors: list[np.ndarray | None] = [None, None]
    for f in range(len(joints)):
        pulls = []
        for s, ankle in enumerate(ankles):
            foot = joints[f, ankle, :2]
            if not contacts[f, s] or not np.isfinite(foot).all():
                anchors[s] = None
                continue
            if anchors[s] is None:
                anchors[s] = foot + current
            pulls.append(anchors[s] - foot)
        if pulls:
            current = np.mean(pulls, axis=0)
        shift[f, :2] = current
    return shift


def two_bone_ik(
    root: np.ndarray, middle: np.ndarray, end: np.ndarray, goal: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """New (middle, end) joints, (N, 3) each, so that root-middle-end reaches `goal` with both bone lengths
    kept, bending in the plane the chain had (all (N, 3) metres). A goal out of reach is approached as far as
    the chain goes."""
    upper = np.linalg.norm(middle - root, axis=-1)
    lower = np.linalg.norm(end - middle, axis=-1)
    to_goal = goal - root
    reach = np.clip(np.linalg.norm(to_goal, axis=-1), np.abs(upper - lower) + 1e-9, upper + lower - 1e-9)
    axis = normalize(to_goal)
    bend = (middle - root) - np.sum((middle - root) * axis, -1, keepdims=True) * axis
    bend = normalize(np.where(np.linalg.norm(bend, axis=-1, keepdims=True) > 1e-9, bend, _any_perpendicular(axis)))
    along = (upper**2 - lower**2 + reach**2) / (2 * reach)
    across = np.sqrt(np.maximum(upper**2 - along**2, 0.0))
    return root + along[:, None] * axis + across[:, None] * bend, root + reach[:, None] * axis


def _any_perpendicular(axis: np.ndarray) -> np.ndarray:
    other = np.where(np.abs(axis[..., :1]) < 0.9, np.array([1.0, 0.0, 0.0]), np.array([0.0, 1.0, 0.0]))
    return np.cross(axis, other)
