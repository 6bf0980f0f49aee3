"""Where a lifted person stands in the user's scene, and on which frames they have keys: maths on pose arrays.

The pose file's frame puts the camera above the origin, so a person filmed 8 m away stands 8 m along +Y. In the
scene the person starts at the 3D cursor instead: `start_point` is where they start on the floor, and a group
keeps its members' places relative to each other about the group's centre (`group_offsets`). Shapes: joints
(F, J, 3) metres, pose-file frame (X image right, Y away from the camera, Z up, floor at Z = 0), NaN where the
person is missing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core.motion.temporal import hold_nearest, runs
from .retarget import SOURCE_FEET, feet_locked


@dataclass(frozen=True)
class Settling:
    """What the user asked of the motion itself: travel dropped (`in_place`), feet never below the floor
    (`keep_above_floor`), planted feet held still (`lock_feet`)."""

    in_place: bool = False
    keep_above_floor: bool = False
    lock_feet: bool = False


def present(joints: np.ndarray) -> np.ndarray:
    """(F,) bool: frames where any joint of (F, J, 3) `joints` has a position."""
    return np.isfinite(joints).all(axis=-1).any(axis=-1)


def start_point(joints: np.ndarray, names: tuple[str, ...]) -> np.ndarray:
    """(3,) metres: where the person first stands on the floor, the pelvis (else the mean of the joints seen) at
    the first frame they are present, Z = 0; the origin when they never are."""
    frames = np.flatnonzero(present(joints))
    if not frames.size:
        return np.zeros(3)
    first = joints[frames[0]]
    pelvis = first[names.index("pelvis")] if "pelvis" in names else np.full(3, np.nan)
    point = pelvis if np.isfinite(pelvis).all() else np.nanmean(np.where(np.isfinite(first), first, np.nan), axis=0)
    return np.array([point[0], point[1], 0.0])


def group_offsets(people: np.ndarray, names: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """(P, 3) start points of (F, P, J, 3) `people`, and (P, 3) where each start lies from the group's centre
    (the mean start): a group placed at the cursor keeps its members' places relative to each other."""
    starts = np.stack([start_point(people[:, p], names) for p in range(people.shape[1])])
    return starts, starts - starts.mean(axis=0)


def settled(joints: np.ndarray, names: tuple[str, ...], settling: Settling, fps: float) -> np.ndarray:
    """(F, J, 3) `joints` with `settling` applied: planted feet held still first (over each run of frames where
    every foot point is seen), then the pelvis's travel across the floor removed (it stays where it starts),
    then each frame raised where its lowest foot point is below the floor (Z = 0). Missing frames stay missing."""
    out = np.array(joints, dtype=np.float64)
    feet = [names.index(n) for n in SOURCE_FEET if n in names]
    if settling.lock_feet and feet:
        for start, stop in runs(np.isfinite(out[:, feet]).all(axis=(1, 2))):
            out[start:stop] = feet_locked(out[start:stop], names, fps)
    if settling.in_place and "pelvis" in names:
        pelvis = hold_nearest(out[:, names.index("pelvis")])
        out[..., :2] -= (pelvis[:, :2] - pelvis[_first(out), :2])[:, None]
    if settling.keep_above_floor and feet:
        heights = out[:, feet, 2]
        low = np.min(np.where(np.isfinite(heights), heights, np.inf), axis=1)
        out[..., 2] += np.where(np.isfinite(low), np.maximum(-low, 0.0), 0.0)[:, None]
    return out


def scene_frames(frames: np.ndarray, file_fps: float, scene_fps: float, first: int) -> np.ndarray:
    """(K,) scene frames (fractional where the rates differ) of the pose file's (K,) frame numbers: the file's
    frame 0 on the scene's `first`, played at the file's own speed in a scene running at `scene_fps`."""
    return first + np.asarray(frames, dtype=np.float64) * (scene_fps / file_fps)


def slot_tracks(track_id: np.ndarray) -> list[int]:
    """The track id of each person slot of a pose file's (F, P) `track_id` (-1 where missing): the slot's first
    id, else the slot's index."""
    return [int(ids[ids >= 0][0]) if (ids >= 0).any() else p for p, ids in enumerate(np.asarray(track_id).T)]


def visibility_keys(shown: np.ndarray) -> list[tuple[int, bool]]:
    """[(frame offset, hidden)] that show an object exactly on the frames where (F,) `shown` holds and hide it
    elsewhere, for keys held constant; empty when it is shown throughout."""
    if shown.all():
        return []
    keys = [] if shown[0] else [(0, True)]
    for start, stop in runs(shown):
        keys.append((start, False))
        if stop < len(shown):
            keys.append((stop, True))
    return keys


def _first(joints: np.ndarray) -> int:
    frames = np.flatnonzero(present(joints))
    return int(frames[0]) if frames.size else 0


def scene_visibility(shown: np.ndarray, file_fps: float, scene_fps: float, first: int) -> list[tuple[float, bool]]:
    """`visibility_keys` of (F,) `shown` at their scene frames (see `scene_frames`)."""
    keys = visibility_keys(shown)
    frames = scene_frames(np.array([k for k, _ in keys], dtype=np.int64), file_fps, scene_fps, first)
    return [(float(f), hidden) for f, (_, hidden) in zip(frames, keys, strict=True)]
