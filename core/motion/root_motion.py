"""Where a person is: the root trajectory from 2D joints and a lifted 3D pose, through a level pinhole camera.

The camera frame is the pose file's: the camera at the origin looking along +Y, X image right, Z up; image
pixels (u, v) with v down, pixel i's centre at i, the principal point at the image centre. A lifted pose is
metric (its size comes from an assumed stature), so the distance follows from the ratio of its 3D size to its
2D size, and the position across from where it is in the picture.
"""

from __future__ import annotations

import numpy as np

LENS_MM, SENSOR_MM = 50.0, 36.0
"""The focal length assumed when none is given: a 50 mm lens on a 36 mm wide (full-frame) sensor, the "normal"
lens (a 40-degree horizontal field of view) that most video is shot near; the distance scales with it."""
MIN_WEIGHT = 0.1  # joints less confident than this do not place the person
MIN_JOINTS = 4  # a pose with fewer placed joints gets no position (NaN)


def focal_pixels(lens_mm: float, image_size: tuple[int, int]) -> float:
    """Pixels: the focal length of a `lens_mm` lens (35 mm equivalent) for an image of `image_size` (W, H): the
    sensor's 36 mm side is the picture's long side, so a portrait video held upright gets the same lens as a
    landscape one."""
    return lens_mm / SENSOR_MM * max(image_size)


def default_focal(image_size: tuple[int, int]) -> float:
    """Pixels: the focal length of the assumed lens (`focal_pixels` of LENS_MM) for an image of `image_size`."""
    return focal_pixels(LENS_MM, image_size)


def placeable(joints2d: np.ndarray, confidence: np.ndarray) -> np.ndarray:
    """(F,) bool: frames with enough joints ((F, J, 2) pixels, finite, (F, J) confidence at least MIN_WEIGHT) for
    `place_poses` to give a position."""
    return _placing_joints(joints2d, confidence).sum(-1) >= MIN_JOINTS


def _placing_joints(joints2d: np.ndarray, confidence: np.ndarray) -> np.ndarray:
    """(F, J) bool: the joints that can place a pose: finite in 2D and confident at least MIN_WEIGHT."""
    return np.isfinite(np.asarray(joints2d, np.float64)).all(-1) & (np.asarray(confidence) >= MIN_WEIGHT)


def place_poses(
    relative: np.ndarray, joints2d: np.ndarray, confidence: np.ndarray, focal: float, image_size: tuple[int, int]
) -> np.ndarray:
    """(F, 3) metres, camera frame: the translation T of each pose that best projects it onto its 2D joints.

    relative: (F, J, 3) metres, camera axes, root at the origin (NaN: unknown joint); joints2d: (F, J, 2)
    pixels; confidence: (F, J) in [0, 1]. Projection u = cx + f (X + Tx) / (Y + Ty), v = cy - f (Z + Tz) /
    (Y + Ty) is linear in T once multiplied out; the weighted least-squares solution is refined once with each
    equation divided by its joint's depth, which makes it the minimiser of the reprojection error in pixels to
    first order. NaN for a frame with under MIN_JOINTS usable joints.
    """
    relative = np.asarray(relative, np.float64)
    joints2d = np.asarray(joints2d, np.float64)
    cx, cy = image_size[0] / 2 - 0.5, image_size[1] / 2 - 0.5
    du, dv = joints2d[..., 0] - cx, cy - joints2d[..., 1]  # (F, J) pixels from the centre, v up
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
    translation = _weighted_solve(rows, targets, weights)
    depth = np.maximum(y + translation[:, 1:2], 1e-3)  # (F, J) metres
    translation = _weighted_solve(rows, targets, weights / np.concatenate([depth, depth], axis=1) ** 2)
    return np.where(usable[:, None], translation, np.nan)


def _weighted_solve(rows: np.ndarray, targets: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """(F, 3) least-squares solutions of (F, N, 3) rows against (F, N) targets with (F, N) weights."""
    normal = np.einsum("fn,fni,fnj->fij", weights, rows, rows) + 1e-9 * np.eye(3)
    return np.linalg.solve(normal, np.einsum("fn,fni,fn->fi", weights, rows, targets)[..., None])[..., 0]


def face_the_camera_ray(relative: np.ndarray, root2d: np.ndarray, focal: float, image_size: tuple[int, int]):
    """(F, J, 3) poses turned about Z from the axes of the ray they were seen along to the camera's axes.

    An orthographic lift sees each person straight on, along the ray from the camera to them; a person off the
    centre of a pinhole camera is seen obliquely, by the ray's azimuth atan((u - cx) / f). root2d: (F, 2)
    pixels of the root joint."""
    azimuth = np.arctan2(np.asarray(root2d, np.float64)[:, 0] - (image_size[0] / 2 - 0.5), focal)
    c, s = np.cos(azimuth)[:, None], np.sin(azimuth)[:, None]
    x, y, z = np.moveaxis(np.asarray(relative, np.float64), -1, 0)
    return np.stack([c * x + s * y, -s * x + c * y, z], axis=-1)
