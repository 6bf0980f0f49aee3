"""Where a person is: the root trajectory from 2D joints and a lifted 3D pose, through a pinhole camera.

The frame is the pose file's: the camera at the origin, X image right, Y away from the camera along the floor, Z
up; the camera looks along +Y pitched down by `pitch` radians (0: level), with no roll. Its own axes: image right
(X), the optical axis (Y tilted down by the pitch) and image up (Z tilted back by it). Image pixels (u, v) with v
down, pixel i's centre at i, the principal point at the image centre. A lifted pose is metric (its size comes
from an assumed stature), so the distance follows from the ratio of its 3D size to its 2D size, and the position
across and up from where it is in the picture.
"""

from __future__ import annotations

import numpy as np

LENS_MM, SENSOR_MM = 50.0, 36.0
"""The focal length assumed when none is given: a 50 mm lens on a 36 mm wide (full-frame) sensor, the "normal"
lens (a 40-degree horizontal field of view) that most video is shot near; the distance scales with it."""
MIN_WEIGHT = 0.1  # joints less confident than this do not place the person
MIN_JOINTS = 4  # a pose with fewer placed joints gets no position (NaN)
FLOOR_WEIGHT = 1.0  # a held root height's weight, over all the joints': the floor settles what the picture cannot


def focal_pixels(lens_mm: float, image_size: tuple[int, int]) -> float:
    """Pixels: the focal length of a `lens_mm` lens (35 mm equivalent) for an image of `image_size` (W, H): the
    sensor's 36 mm side is the picture's long side, so a portrait video held upright gets the same lens as a
    landscape one."""
    return lens_mm / SENSOR_MM * max(image_size)


def default_focal(image_size: tuple[int, int]) -> float:
    """Pixels: the focal length of the assumed lens (`focal_pixels` of LENS_MM) for an image of `image_size`."""
    return focal_pixels(LENS_MM, image_size)


def from_centre(pixels: np.ndarray, image_size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """(...,) and (...,) pixels: where (..., 2) pixels (image y down) of a (W, H) picture lie from its centre, the
    principal point, across (u right) and up (v up)."""
    pixels = np.asarray(pixels, np.float64)
    return pixels[..., 0] - (image_size[0] / 2 - 0.5), (image_size[1] / 2 - 0.5) - pixels[..., 1]


def placeable(joints2d: np.ndarray, confidence: np.ndarray) -> np.ndarray:
    """(F,) bool: frames with enough joints ((F, J, 2) pixels, finite, (F, J) confidence at least MIN_WEIGHT) for
    `place_poses` to give a position."""
    return _placing_joints(joints2d, confidence).sum(-1) >= MIN_JOINTS


def _placing_joints(joints2d: np.ndarray, confidence: np.ndarray) -> np.ndarray:
    """(F, J) bool: the joints that can place a pose: finite in 2D and confident at least MIN_WEIGHT."""
    return np.isfinite(np.asarray(joints2d, np.float64)).all(-1) & (np.asarray(confidence) >= MIN_WEIGHT)


def to_camera(points: np.ndarray, pitch: float | np.ndarray) -> np.ndarray:
    """(..., 3) points on the pose file's axes -> the camera's own axes (X image right, Y optical axis, Z image up)
    for a camera pitched down by `pitch` radians (a scalar, or one per point: shape (...,) of the points' first
    axes, broadcast)."""
    x, y, z = np.moveaxis(np.asarray(points, np.float64), -1, 0)
    c, s = np.cos(pitch), np.sin(pitch)
    return np.stack([x, c * y - s * z, s * y + c * z], axis=-1)


def from_camera(points: np.ndarray, pitch: float | np.ndarray) -> np.ndarray:
    """(..., 3) points on a camera's own axes (as `to_camera`) -> the pose file's axes."""
    x, y, z = np.moveaxis(np.asarray(points, np.float64), -1, 0)
    c, s = np.cos(pitch), np.sin(pitch)
    return np.stack([x, c * y + s * z, -s * y + c * z], axis=-1)


def place_poses(
    relative: np.ndarray,
    joints2d: np.ndarray,
    confidence: np.ndarray,
    focal: float,
    image_size: tuple[int, int],
    pitch: float | np.ndarray = 0.0,
    root_height: np.ndarray | None = None,
) -> np.ndarray:
    """(F, 3) metres, the pose file's axes, camera at the origin: the position T of each pose's root that best
    projects it onto its 2D joints through the camera pitched down by `pitch` radians (a scalar or (F,)).

    relative: (F, J, 3) metres, the pose file's axes (upright), root at the origin (NaN: unknown joint); joints2d:
    (F, J, 2) pixels; confidence: (F, J) in [0, 1]. On the camera's axes, projection u = cx + f (X + Tx) / (Y +
    Ty), v = cy - f (Z + Tz) / (Y + Ty) is linear in T once multiplied out; the weighted least-squares solution is
    refined once with each equation divided by its joint's depth, which makes it the minimiser of the reprojection
    error in pixels to first order. `root_height`: (F,) metres, the height (camera at 0) each root must be at, as
    when a planted foot holds the body on a floor the camera sees (NaN: free); held by an equation weighing
    FLOOR_WEIGHT times all the joints together. NaN for a frame with under MIN_JOINTS usable joints.
    """
    pitch = np.asarray(pitch, np.float64)
    relative = to_camera(relative, pitch[..., None] if pitch.ndim else pitch)
    joints2d = np.asarray(joints2d, np.float64)
    du, dv = from_centre(joints2d, image_size)  # (F, J) pixels from the centre, v up
    x, y, z = np.moveaxis(relative, -1, 0)
    weight = np.where(np.isfinite(x + y + z) & _placing_joints(joints2d, confidence), confidence, 0.0)
    du, dv, x, y, z = (np.nan_to_num(a) for a in (du, dv, x, y, z))
    zero = np.zeros_like(du)
    # Rows (Tx, Ty, Tz) . coefficients = target: f Tx - du Ty = du Y - f X and f Tz - dv Ty = dv Y - f Z.
    rows = np.concatenate([np.stack([np.full_like(du, focal), -du, zero], -1),
                           np.stack([zero, -dv, np.full_like(dv, focal)], -1)], axis=1)  # fmt: skip
    targets = np.concatenate([du * y - focal * x, dv * y - focal * z], axis=1)  # (F, 2J)
    usable = (weight > 0).sum(axis=1) >= MIN_JOINTS
    weights = np.concatenate([weight, weight], axis=1)
    if root_height is not None:  # the world height of T, -sin(pitch) Ty + cos(pitch) Tz, times f, in pixels
        held = np.isfinite(root_height)
        floor_row = focal * np.stack(np.broadcast_arrays(np.zeros(len(du)), -np.sin(pitch), np.cos(pitch)), -1)
        rows = np.concatenate([rows, floor_row[:, None]], axis=1)
        targets = np.concatenate([targets, focal * np.nan_to_num(root_height)[:, None]], axis=1)
        weights = np.concatenate([weights, np.where(held, FLOOR_WEIGHT * weight.sum(1), 0.0)[:, None]], axis=1)
    translation = _weighted_solve(rows, targets, weights)
    depth = np.maximum(y + translation[:, 1:2], 1e-3)  # (F, J) metres
    by_row = [depth, depth] + ([np.maximum(translation[:, 1:2], 1e-3)] if root_height is not None else [])
    translation = _weighted_solve(rows, targets, weights / np.concatenate(by_row, axis=1) ** 2)
    return np.where(usable[:, None], from_camera(translation, pitch), np.nan)


def _weighted_solve(rows: np.ndarray, targets: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """(F, 3) least-squares solutions of (F, N, 3) rows against (F, N) targets with (F, N) weights."""
    weighted = np.swapaxes(rows * weights[..., None], 1, 2)  # (F, 3, N)
    return np.linalg.solve(weighted @ rows + 1e-9 * np.eye(3), weighted @ targets[..., None])[..., 0]


def face_the_camera_ray(relative: np.ndarray, root2d: np.ndarray, focal: float, image_size: tuple[int, int],
                        pitch: float = 0.0) -> np.ndarray:  # fmt: skip
    """(F, J, 3) poses turned about Z from the axes of the ray they were seen along to the pose file's axes.

    An orthographic lift sees each person straight on, along the ray from the camera to them; a person off the
    centre of a pinhole camera is seen obliquely, by the ray's azimuth: atan((u - cx) / f) for a level camera,
    atan((u - cx) / (f cos(pitch) + (cy - v) sin(pitch))) for one pitched down. root2d: (F, 2) pixels of the root
    joint."""
    du, dv = from_centre(root2d, image_size)
    azimuth = np.arctan2(du, focal * np.cos(pitch) + dv * np.sin(pitch))
    c, s = np.cos(azimuth)[:, None], np.sin(azimuth)[:, None]
    x, y, z = np.moveaxis(np.asarray(relative, np.float64), -1, 0)
    return np.stack([c * x + s * y, -s * x + c * y, z], axis=-1)


def view_pitch(root2d: np.ndarray, focal: float, image_size: tuple[int, int], pitch: float) -> np.ndarray:
    """(F,) radians: how far below the horizontal the ray from the camera pitched down by `pitch` radians to each
    (F, 2) root pixel runs, the pitch an orthographic lift sees that person at (the ray's elevation, as
    `face_the_camera_ray` takes its azimuth): the ray (du, f cos p + dv sin p, -f sin p + dv cos p) on the pose
    file's axes, dv up from the image centre."""
    du, dv = from_centre(root2d, image_size)
    along = np.hypot(du, focal * np.cos(pitch) + dv * np.sin(pitch))
    return np.arctan2(focal * np.sin(pitch) - dv * np.cos(pitch), along)
