"""Rotations on batches of 3D vectors and 3x3 matrices, in numpy (float64, right-handed).

Matrices act on column vectors (`R @ v`); a frame is a rotation whose columns are its axes in the
enclosing frame. Every function broadcasts over leading dimensions.
"""

from __future__ import annotations

import numpy as np

_EPS = 1e-12


def normalize(v: np.ndarray) -> np.ndarray:
    """(..., 3) unit vectors (zero vectors stay zero)."""
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    return v / np.maximum(n, _EPS)


def axis_angle_matrix(axis: np.ndarray, angle: np.ndarray) -> np.ndarray:
    """(..., 3, 3) rotation by `angle` radians (...) about unit `axis` (..., 3) (Rodrigues)."""
    x, y, z = np.moveaxis(axis, -1, 0)
    c, s = np.cos(angle), np.sin(angle)
    t = 1 - c
    return np.stack(
        [
            np.stack([t * x * x + c, t * x * y - s * z, t * x * z + s * y], -1),
            np.stack([t * x * y + s * z, t * y * y + c, t * y * z - s * x], -1),
            np.stack([t * x * z - s * y, t * y * z + s * x, t * z * z + c], -1),
        ],
        -2,
    )


def rotation_between(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(..., 3, 3) the smallest rotation taking unit vector a to unit vector b (singular only at b = -a)."""
    a, b = np.broadcast_arrays(a, b)
    axis = np.cross(a, b)
    s = np.linalg.norm(axis, axis=-1)
    c = np.einsum("...i,...i->...", a, b)
    return axis_angle_matrix(normalize(axis), np.arctan2(s, c))


def frame_from(primary: np.ndarray, secondary: np.ndarray, primary_axis: int, secondary_axis: int) -> np.ndarray:
    """(..., 3, 3) the frame whose axis `primary_axis` is along `primary` and whose axis `secondary_axis`
    lies in the plane of both vectors, on the side of `secondary` (Gram-Schmidt). Axes: 0 x, 1 y, 2 z."""
    p = normalize(primary)
    s = normalize(secondary - np.einsum("...i,...i->...", secondary, p)[..., None] * p)
    third = 3 - primary_axis - secondary_axis
    # The third axis completes a right-handed frame: x = y cross z, y = z cross x, z = x cross y.
    cyclic = (primary_axis + 1) % 3 == secondary_axis
    t = np.cross(p, s) if cyclic else np.cross(s, p)
    axes = [None, None, None]
    axes[primary_axis], axes[secondary_axis], axes[third] = p, s, t
    return np.stack(axes, axis=-1)


def euler_xyz(r: np.ndarray) -> np.ndarray:
    """(..., 3) angles (a, b, c) in radians with r = Rx(a) @ Ry(b) @ Rz(c); b in [-pi/2, pi/2]."""
    b = np.arcsin(np.clip(r[..., 0, 2], -1.0, 1.0))
    a = np.arctan2(-r[..., 1, 2], r[..., 2, 2])
    c = np.arctan2(-r[..., 0, 1], r[..., 0, 0])
    return np.stack([a, b, c], -1)


def euler_xyz_matrix(angles: np.ndarray) -> np.ndarray:
    """(..., 3, 3) Rx(a) @ Ry(b) @ Rz(c) from angles (..., 3) in radians."""
    eye = np.eye(3)
    rx = axis_angle_matrix(np.broadcast_to(eye[0], angles.shape), angles[..., 0])
    ry = axis_angle_matrix(np.broadcast_to(eye[1], angles.shape), angles[..., 1])
    rz = axis_angle_matrix(np.broadcast_to(eye[2], angles.shape), angles[..., 2])
    return rx @ ry @ rz


def random_rotation_near_identity(rng: np.random.Generator, n: int, sigma: float) -> np.ndarray:
    """(n, 3, 3) rotations about uniformly random axes by angles ~ N(0, sigma) radians."""
    axis = normalize(rng.normal(size=(n, 3)))
    return axis_angle_matrix(axis, rng.normal(0.0, sigma, n))


def quaternion_from_matrix(r: np.ndarray) -> np.ndarray:
    """(..., 3, 3) rotations -> (..., 4) unit quaternions (w, x, y, z) with w >= 0."""
    m = r
    trace = m[..., 0, 0] + m[..., 1, 1] + m[..., 2, 2]
    # Each candidate is 4x one component's square; take the largest for a well-conditioned square root.
    squares = np.stack(
        [1 + trace, 1 + 2 * m[..., 0, 0] - trace, 1 + 2 * m[..., 1, 1] - trace, 1 + 2 * m[..., 2, 2] - trace], -1
    )
    k = np.argmax(squares, axis=-1)
    big = np.sqrt(np.maximum(np.take_along_axis(squares, k[..., None], -1)[..., 0], _EPS)) / 2
    w = np.stack([big, (m[..., 2, 1] - m[..., 1, 2]) / (4 * big), (m[..., 0, 2] - m[..., 2, 0]) / (4 * big),
                  (m[..., 1, 0] - m[..., 0, 1]) / (4 * big)], -1)  # fmt: skip
    x = np.stack([(m[..., 2, 1] - m[..., 1, 2]) / (4 * big), big, (m[..., 0, 1] + m[..., 1, 0]) / (4 * big),
                  (m[..., 0, 2] + m[..., 2, 0]) / (4 * big)], -1)  # fmt: skip
    y = np.stack([(m[..., 0, 2] - m[..., 2, 0]) / (4 * big), (m[..., 0, 1] + m[..., 1, 0]) / (4 * big), big,
                  (m[..., 1, 2] + m[..., 2, 1]) / (4 * big)], -1)  # fmt: skip
    z = np.stack([(m[..., 1, 0] - m[..., 0, 1]) / (4 * big), (m[..., 0, 2] + m[..., 2, 0]) / (4 * big),
                  (m[..., 1, 2] + m[..., 2, 1]) / (4 * big), big], -1)  # fmt: skip
    q = np.choose(k[..., None], [w, x, y, z])
    q = q / np.linalg.norm(q, axis=-1, keepdims=True)
    return np.where(q[..., :1] < 0, -q, q)


def quaternion_matrix(q: np.ndarray) -> np.ndarray:
    """(..., 4) quaternions (w, x, y, z), normalised here as Blender does -> (..., 3, 3) rotations."""
    q = q / np.linalg.norm(q, axis=-1, keepdims=True)
    w, x, y, z = np.moveaxis(q, -1, 0)
    return np.stack(
        [
            np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)], axis=-1),
            np.stack([2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)], axis=-1),
            np.stack([2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)], axis=-1),
        ],
        axis=-2,
    )


def continuous_quaternions(q: np.ndarray) -> np.ndarray:
    """(F, ..., 4) quaternions with signs flipped so consecutive frames lie in the same hemisphere."""
    flips = np.einsum("f...i,f...i->f...", q[1:], q[:-1]) < 0
    sign = np.concatenate([np.ones((1,) + flips.shape[1:]), np.where(np.cumsum(flips, axis=0) % 2, -1.0, 1.0)])
    return q * sign[..., None]
