"""3D pose errors as pure functions on (..., J, 3) arrays, in the unit of the ground truth.

MPJPE (protocol #1): mean Euclidean distance per joint, no alignment. PA-MPJPE (protocol #2): the same after
the prediction is aligned to the ground truth by the similarity (rotation, uniform scale, translation) that
minimises the squared error (Procrustes; Umeyama, 1991), reflections excluded. Scaled MPJPE (N-MPJPE, Rhodin et
al. 2018): root-relative poses, the prediction scaled by the least-squares factor, nothing else aligned.
"""

from __future__ import annotations

import numpy as np


def _check(pred: np.ndarray, gt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    pred, gt = np.asarray(pred, dtype=np.float64), np.asarray(gt, dtype=np.float64)
    if pred.shape != gt.shape or pred.ndim < 2 or pred.shape[-1] != 3:
        raise ValueError(f"poses must both be (..., J, 3), not {pred.shape} and {gt.shape}")
    return pred, gt


def joint_errors(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """(..., J) distances between (..., J, 3) predicted and true joints."""
    pred, gt = _check(pred, gt)
    return np.linalg.norm(pred - gt, axis=-1)


def mpjpe(pred: np.ndarray, gt: np.ndarray) -> float:
    """Mean per-joint position error of (..., J, 3) poses, no alignment."""
    return float(joint_errors(pred, gt).mean())


def procrustes_align(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """(..., J, 3) predictions moved onto (..., J, 3) ground truth by the best rotation, scale and translation."""
    pred, gt = _check(pred, gt)
    mp, mg = pred.mean(axis=-2, keepdims=True), gt.mean(axis=-2, keepdims=True)
    p, g = pred - mp, gt - mg
    u, s, vt = np.linalg.svd(np.swapaxes(p, -1, -2) @ g)  # (..., 3, 3) cross-covariance
    sign = np.sign(np.linalg.det(u @ vt))  # -1 where the best orthogonal map would be a reflection
    s[..., -1] *= sign
    u[..., :, -1] *= sign[..., None]
    rotation = u @ vt  # applied on the right: p @ rotation
    scale = s.sum(axis=-1) / np.maximum((p**2).sum(axis=(-2, -1)), 1e-300)
    return scale[..., None, None] * (p @ rotation) + mg


def pa_mpjpe(pred: np.ndarray, gt: np.ndarray) -> float:
    """Mean per-joint position error of (..., J, 3) poses after Procrustes alignment with scale."""
    return mpjpe(procrustes_align(pred, gt), gt)


def scale_align(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """(..., J, 3) root-relative predictions (root at the origin, as gt's) scaled by the least-squares factor onto
    (..., J, 3) root-relative ground truth; no rotation, no translation."""
    pred, gt = _check(pred, gt)
    scale = (pred * gt).sum(axis=(-2, -1)) / np.maximum((pred**2).sum(axis=(-2, -1)), 1e-300)
    return scale[..., None, None] * pred


def scaled_mpjpe(pred: np.ndarray, gt: np.ndarray) -> float:
    """Mean per-joint position error of (..., J, 3) root-relative poses after the prediction's scale alone is
    fitted (N-MPJPE): errors of orientation and depth count, the size the fit cannot see does not."""
    return mpjpe(scale_align(pred, gt), gt)


def left_right_swapped(pred: np.ndarray, gt: np.ndarray, mirror: tuple[int, ...]) -> np.ndarray:
    """(...,) True where (..., J, 3) predictions lie nearer (..., J, 3) ground truth, after Procrustes alignment,
    with their left and right exchanged (`mirror`: each joint's other-side twin, e.g. a JointSet's mirror)."""
    own = joint_errors(procrustes_align(pred, gt), gt).mean(axis=-1)
    exchanged = joint_errors(procrustes_align(np.asarray(pred)[..., list(mirror), :], gt), gt).mean(axis=-1)
    return exchanged < own
