"""The upright fit as a plain per-person numpy loop: the reference that bench/fit.py times and checks against.

The same estimator as poselift.core.lift.fit.fit_upright (the fit of "Lifting from the Deep"'s 3D pose model to
2D: Tome, Russell & Agapito, CVPR 2017, arXiv:1701.00295), written the direct way: for each person, each component
and each yaw, build the weighted 2J x (Q+1) design matrix, solve its normal equations with the ridge prior and take
the log-determinant. No Woodbury step, no pairing of yaws, no batching.
"""

from __future__ import annotations

import math

import numpy as np

from poselift.core.lift.ppca import JOINTS, MixturePPCA
from poselift.core.skeleton import ANKLE_HEIGHT, DEFAULT_HEIGHT


def fit_people(model: MixturePPCA, joints2d: np.ndarray, weights: np.ndarray, **settings) -> dict[str, np.ndarray]:
    """fit_upright's results for (N, J, 2) pixels and (N, J) weights, one person after the other; `settings` as
    fit_person's keywords."""
    rows = [fit_person(model, y, w, **settings) for y, w in zip(joints2d, weights, strict=True)]
    return {key: np.stack([r[key] for r in rows]) for key in rows[0]}


def fit_person(
    model: MixturePPCA,
    y: np.ndarray,
    w: np.ndarray,
    *,
    height: float = DEFAULT_HEIGHT,
    angles: int = 72,
    fine_angles: int = 9,
    tightening: float = 1.0,
    noise_scale: float = 1.0,
    min_weight: float = 0.1,
    min_joints: int = 5,
    max_residual: float = 0.2,
    max_prior_distance: float = 4.0,
) -> dict:
    """One person: (J, 2) pixels and (J,) weights -> fit_upright's fields for that person, as numpy values."""
    seen = np.isfinite(y).all(-1) & np.isfinite(w) & (w >= min_weight)
    w = np.where(seen, np.clip(np.nan_to_num(w), 0, 1), 0.0)
    y = np.where(seen[:, None], y, 0.0)
    total = max(w.sum(), 1e-300)
    centre = (w[:, None] * y).sum(0) / total
    d = np.where(seen[:, None], (y - centre) * [1.0, -1.0], 0.0)
    image_r2 = (w * (d**2).sum(-1)).sum() / total
    spread = np.linalg.eigvalsh(np.einsum("j,ja,jb->ab", w, d, d))
    if seen.sum() < min_joints or not spread[0] > 1e-6 * spread[1]:
        return _fallback(model, w, centre, image_r2, height)
    basis = np.concatenate([model.means[..., None], model.bases.transpose(0, 2, 3, 1)], axis=-1)  # (K, J, 3, Q+1)
    basis = basis - np.einsum("j,kjdq->kdq", w, basis)[:, None] / total
    mean = basis[..., 0]
    model_r2 = (w * (mean[..., 2] ** 2 + 0.5 * (mean[..., 0] ** 2 + mean[..., 1] ** 2))).sum(-1).mean() / total
    to_model = math.sqrt(model_r2 / image_r2)
    obs = d * to_model
    count = seen.sum()
    step = 2 * math.pi / angles
    best = []
    for k in range(model.components):
        ridge = np.concatenate([[1e-9], (tightening / model.stds[k]) ** 2])
        log_norm = np.log(model.stds[k] / tightening).sum() - math.log(model.weights[k])
        noise = model.noise[k] * noise_scale
        log_norm += 2 * (count - 1) * math.log(noise)
        lam2 = 1.0 / noise**2

        def solve(yaw, k=k, ridge=ridge, log_norm=log_norm, lam2=lam2):
            a = _design(basis[k], yaw)  # (J, 2, Q+1)
            wa = (lam2 * w)[:, None, None] * a
            h = np.einsum("jaq,jap->qp", wa, a) + np.diag(ridge)
            r = np.einsum("jaq,ja->q", wa, obs)
            c = np.linalg.solve(h, r)
            energy = (lam2 * w * (obs**2).sum(-1)).sum()
            nll = 0.5 * (energy - c @ r) + 0.5 * np.linalg.slogdet(h)[1] + log_norm
            return nll, c

        coarse = [solve(i * step) for i in range(angles)]
        centre_yaw = int(np.argmin([n for n, _ in coarse])) * step
        fine_yaws = centre_yaw + np.linspace(-step, step, fine_angles)
        fine = [solve(a) for a in fine_yaws]
        fine_nll = np.array([n for n, _ in fine])
        m = min(max(int(np.argmin(fine_nll)), 1), fine_angles - 2)
        f0, f1, f2 = fine_nll[m - 1 : m + 2]
        curve = f0 - 2 * f1 + f2
        shift = min(max(0.5 * (f0 - f2) / curve, -1.0), 1.0) if curve > 0 else 0.0
        vertex = fine_yaws[m] + shift * (fine_yaws[1] - fine_yaws[0])
        candidates = [(*solve(vertex), vertex), (*fine[int(np.argmin(fine_nll))], fine_yaws[int(np.argmin(fine_nll))])]
        best.append(min(candidates, key=lambda t: t[0]))
    k = int(np.argmin([b[0] for b in best]))
    _, c, yaw = best[k]
    if not c[0] > 1e-3:
        return _fallback(model, w, centre, image_r2, height)
    shape = model.means[k] + np.einsum("q,qjd->jd", c[1:] / c[0], model.bases[k])
    distance = float(((c[1:] / c[0] / model.stds[k]) ** 2).mean())
    turned = _turn(shape, yaw)
    projected = np.einsum("jaq,q->ja", _design(basis[k], yaw), c)
    residual = math.sqrt((w * ((projected - obs) ** 2).sum(-1)).sum() / total / model_r2)
    joints3d = turned - turned[JOINTS.index("pelvis")]
    return {
        "joints3d": joints3d * height / _stature(joints3d),
        "joints2d": centre + projected * [1.0, -1.0] / to_model,
        "component": k,
        "yaw": math.remainder(yaw, 2 * math.pi),
        "residual": residual,
        "prior_distance": distance,
        "ok": residual <= max_residual and distance <= max_prior_distance,
    }


def _design(basis: np.ndarray, yaw: float) -> np.ndarray:
    """(J, 3, Q+1) canonical basis -> (J, 2, Q+1) image-plane (right, up) rows after turning by yaw about Z."""
    c, s = math.cos(yaw), math.sin(yaw)
    return np.stack([c * basis[:, 0] - s * basis[:, 1], basis[:, 2]], axis=1)


def _turn(pose: np.ndarray, yaw: float) -> np.ndarray:
    c, s = math.cos(yaw), math.sin(yaw)
    return np.stack([c * pose[:, 0] - s * pose[:, 1], s * pose[:, 0] + c * pose[:, 1], pose[:, 2]], axis=1)


def _stature(pose: np.ndarray) -> float:
    def length(a: str, b: str) -> float:
        return float(np.linalg.norm(pose[JOINTS.index(a)] - pose[JOINTS.index(b)]))

    legs = sum(length(f"{s}_hip", f"{s}_knee") + length(f"{s}_knee", f"{s}_ankle") for s in ("left", "right")) / 2
    trunk = length("pelvis", "spine") + length("spine", "thorax") + length("thorax", "head_top")
    return (legs + trunk) / (1.0 - ANKLE_HEIGHT)


def _fallback(model, w, centre, image_r2, height):
    """The most likely component's mean pose facing the camera, drawn over the 2D seen (centre, mean square radius)."""
    k = int(np.argmax(model.weights))
    pose = _turn(model.means[k], math.pi)
    draw_w = w / w.sum() if w.sum() > 0 else np.full(len(w), 1.0 / len(w))
    flat = pose[:, [0, 2]] - (draw_w[:, None] * pose[:, [0, 2]]).sum(0)
    flat_r2 = (draw_w * (flat**2).sum(-1)).sum()
    joints3d = pose - pose[JOINTS.index("pelvis")]
    return {
        "joints3d": joints3d * height / _stature(joints3d),
        "joints2d": centre + flat * [1.0, -1.0] * math.sqrt(image_r2 / flat_r2),
        "component": k,
        "yaw": math.pi,
        "residual": math.inf,
        "prior_distance": math.inf,
        "ok": False,
    }
