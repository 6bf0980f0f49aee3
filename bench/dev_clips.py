"""The development clips seen by random cameras, lifted by a prior, and scored: shared by bench/lift.py and
scripts/train_prior.py's check on real data.

Clips: bvhtoolbox's test_mocapbank.bvh and bvhtools' test3.bvh (fetched by scripts/fetch_assets.py). bvhtools'
test.bvh and test2.bvh are held out for independent evaluation: this module refuses them.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from cameras import photograph, random_cameras

from poselift.core.formats.bvh import read_bvh
from poselift.core.formats.mocap_names import pose_from_bvh
from poselift.core.lift import fit, metrics
from poselift.core.lift.ppca import MixturePPCA
from poselift.core.skeleton import H36M_17

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))
from fetch_assets import asset_path  # noqa: E402

CLIPS = ("test_mocapbank.bvh", "test3.bvh")
HELD_OUT = ("test.bvh", "test2.bvh")
CONDITIONS = ("clean", "noisy")
NOISE_PX = 5.0
DROPPED = 0.10
H36M = len(H36M_17)


def clip_poses(name: str, stride: int) -> tuple[tuple[str, ...], np.ndarray]:
    """The clip's joint names (the 17 first) and (F, J, 3) metres, Z up, every `stride`-th frame."""
    if name in HELD_OUT:
        raise SystemExit(f"{name} is held out for independent evaluation: it is never read here.")
    pose = pose_from_bvh(read_bvh(asset_path(name)))
    return pose.joint_names, pose.joints3d[::stride, 0].astype(np.float64)


def views(names: tuple[str, ...], poses: np.ndarray, count: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Each (F, J, 3) pose seen by `count` cameras: "pixels" (V, J, 2), "truth" (V, 17, 3) pelvis-relative in the
    camera frame (metres), "noisy" pixels (5 px per coordinate) and "kept" (V, J) 1, or 0 for the 10% dropped."""
    poses = np.repeat(poses, count, axis=0)
    pixels, camera_frame = photograph(poses, poses[:, names.index("pelvis")], random_cameras(rng, len(poses)))
    truth = camera_frame[:, :H36M] - camera_frame[:, H36M_17.index("pelvis"), None]
    noisy = pixels + rng.normal(0.0, NOISE_PX, pixels.shape)
    kept = (rng.random(pixels.shape[:2]) >= DROPPED).astype(np.float64)
    return {"pixels": pixels, "truth": truth, "noisy": noisy, "kept": kept}


def dev_views(stride: int, per_frame: int, seed: int, clips=CLIPS) -> dict[str, tuple[tuple[str, ...], dict]]:
    """{clip: (joint names, views)} for every `stride`-th frame of each clip, `per_frame` cameras each."""
    rng = np.random.default_rng(seed)
    out = {}
    for clip in clips:
        names, poses = clip_poses(clip, stride)
        out[clip] = (names, views(names, poses, per_frame, rng))
    return out


def errors_mm(pred: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    """PA-MPJPE and scaled MPJPE in mm of (V, J, 3) lifted poses (their first 17 joints) against (V, 17, 3)."""
    pred = pred[:, :H36M]
    return {
        "pa_mpjpe_mm": 1000 * metrics.pa_mpjpe(pred, truth),
        "scaled_mpjpe_mm": 1000 * metrics.scaled_mpjpe(pred, truth),
    }


def lift(model: MixturePPCA, names, pixels, weights, settings: dict) -> tuple[np.ndarray, np.ndarray]:
    """(V, J, 3) lifted poses on the model's joints, and (V,) whether the fit calls each ok."""
    points, w = fit.model_inputs(model, names, pixels, weights)
    result = fit.fit_upright(model, points, w, **settings)
    return result.joints3d.numpy(), result.ok.numpy()


def score(model: MixturePPCA, seen: dict, settings: dict) -> dict[str, dict[str, float]]:
    """{"<clip>/<condition>" and "<condition>": errors and the share ok} of a prior on `dev_views`' views."""
    out: dict[str, dict[str, float]] = {}
    for condition in CONDITIONS:
        preds, truths, oks = [], [], []
        for clip, (names, v) in seen.items():
            clean = condition == "clean"
            pixels, weights = (v["pixels"], np.ones_like(v["kept"])) if clean else (v["noisy"], v["kept"])
            pred, ok = lift(model, names, pixels, weights, settings)
            out[f"{clip}/{condition}"] = errors_mm(pred, v["truth"]) | {"ok": float(ok.mean())}
            preds.append(pred[:, :H36M])
            truths.append(v["truth"])
            oks.append(ok)
        out[condition] = errors_mm(np.concatenate(preds), np.concatenate(truths))
        out[condition]["ok"] = float(np.concatenate(oks).mean())
    return out
