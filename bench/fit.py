"""Fits per second of the batched upright fit against the plain per-person numpy loop, same people, same run.

    python bench/fit.py [--people 1000] [--threads T] [--repeat R] [--model PATH]

Input: people drawn from the authors' mixture of PPCA (the file $POSELIFT_AUTHORS_MODEL names, or --model:
a .mat or one of our .npz), turned by a random yaw and projected orthographically to pixels, 15% of the joints
given zero weight and the rest random weights in [0.5, 1]. Both fits use the same settings (72 + 9 + 1 yaws per
component); the reference is bench/fit_reference.py, run with numpy's BLAS on one thread (its fastest for these
small solves), the batched fit with --threads torch threads (default 1: on a CPU shared with other work, more
threads stall on the fit's many small ops). The batched fit runs again on the same people seen through a camera
pitched PITCH_DEG down and told that pitch (the general per-yaw solve, `fit_upright(pitch=...)`), its rate set
against the reference's level one and its accuracy in the level frame; and both again told a yaw to search near
(`fit_upright(yaw_near=...)`, as the combined lifter tells it the cascade's facing: here the true yaw off by up to
NEAR_OFF_DEG). Prints a table (wall and CPU-time rates and
ratios, agreement of the two fits, accuracy) and one JSON line.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before numpy loads its BLAS

import argparse  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
from authors import required_authors_model_path  # noqa: E402
from fit_reference import fit_people  # noqa: E402

from poselift.core import skeleton  # noqa: E402
from poselift.core.lift import fit, metrics, ppca  # noqa: E402

PITCH_DEG = 20.0  # the pitched run's camera, degrees down
NEAR_OFF_DEG = 15.0  # the yaw the "near" runs are told is the true one off by up to this, uniformly


def load(path: Path) -> ppca.MixturePPCA:
    return ppca.MixturePPCA.from_authors_mat(path) if path.suffix == ".mat" else ppca.MixturePPCA.load(path)


def people(
    model: ppca.MixturePPCA, count: int, seed: int, pitch: float = 0.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(N, J, 2) pixels (image y down) seen by a camera pitched down by `pitch` radians, (N, J) weights, (N, J, 3)
    true poses turned to the camera's level frame and (N,) their yaws (radians, as `fit.UprightFit.yaw`)."""
    rng = np.random.default_rng(seed)
    poses, _ = model.sample(count, rng)
    yaw = rng.uniform(-np.pi, np.pi, count)
    c, s = np.cos(yaw)[:, None], np.sin(yaw)[:, None]
    turned = np.stack([c * poses[..., 0] - s * poses[..., 1], s * poses[..., 0] + c * poses[..., 1], poses[..., 2]], -1)
    up = np.sin(pitch) * turned[..., 1] + np.cos(pitch) * turned[..., 2]
    pixels = np.stack([640 + 400 * turned[..., 0], 360 - 400 * up], -1)
    weights = rng.uniform(0.5, 1.0, pixels.shape[:2]) * (rng.random(pixels.shape[:2]) > 0.15)
    return pixels, weights, turned, yaw


def timed(run) -> tuple[float, float, object]:
    """Wall seconds, CPU seconds of this process (all threads) and the result of run()."""
    wall, cpu = time.perf_counter(), time.process_time()
    out = run()
    return time.perf_counter() - wall, time.process_time() - cpu, out


def pa_mpjpe_mm(pred: np.ndarray, truth: np.ndarray) -> float:
    """PA-MPJPE in mm against the truth scaled to the fit's stature (metres)."""
    truth = truth * (skeleton.DEFAULT_HEIGHT / skeleton.stature(truth))[:, None, None]
    return 1000 * metrics.pa_mpjpe(pred, truth)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=1, help="torch threads for the batched fit")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of the batched fit (best taken)")
    parser.add_argument("--model", type=Path, help="a .mat or one of our .npz (default: $POSELIFT_AUTHORS_MODEL)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    model = load(args.model or required_authors_model_path())
    pixels, weights, truth, yaw = people(model, args.people, args.seed)
    near = yaw + np.radians(np.random.default_rng(args.seed + 1).uniform(-NEAR_OFF_DEG, NEAR_OFF_DEG, len(yaw)))

    settings = {"angles": 72, "fine_angles": 9}

    def batched():
        return fit.fit_upright(model, pixels, weights, **settings)

    pitch = np.radians(PITCH_DEG)
    pitched_pixels, pitched_weights, _, _ = people(model, args.people, args.seed, pitch)

    def pitched():
        return fit.fit_upright(model, pitched_pixels, pitched_weights, pitch=pitch, **settings)

    def batched_near():
        return fit.fit_upright(model, pixels, weights, yaw_near=near, **settings)

    def pitched_near():
        return fit.fit_upright(model, pitched_pixels, pitched_weights, pitch=pitch, yaw_near=near, **settings)

    batched()  # warm-up
    batched_s, batched_cpu, ours = min((timed(batched) for _ in range(args.repeat)), key=lambda t: t[0])
    pitched_s, pitched_cpu, pitched_fit = min((timed(pitched) for _ in range(args.repeat)), key=lambda t: t[0])
    near_s, near_cpu, near_fit = min((timed(batched_near) for _ in range(args.repeat)), key=lambda t: t[0])
    pitched_near_s, pitched_near_cpu, pitched_near_fit = min((timed(pitched_near) for _ in range(args.repeat)),
                                                             key=lambda t: t[0])  # fmt: skip
    reference_s, reference_cpu, ref = timed(lambda: fit_people(model, pixels, weights, **settings))
    n = args.people
    agree_mm = 1000 * float(np.abs(ours.joints3d.numpy() - ref["joints3d"]).max())
    same_component = float((ours.component.numpy() == ref["component"]).mean())
    accuracy = {"batched": pa_mpjpe_mm(ours.joints3d.numpy(), truth), "reference": pa_mpjpe_mm(ref["joints3d"], truth),
                "pitched": pa_mpjpe_mm(pitched_fit.joints3d.numpy(), truth),
                "near": pa_mpjpe_mm(near_fit.joints3d.numpy(), truth),
                "pitched_near": pa_mpjpe_mm(pitched_near_fit.joints3d.numpy(), truth)}  # fmt: skip
    ratio, cpu_ratio = reference_s / batched_s, reference_cpu / batched_cpu

    head = f"upright fit, {n} people, {model.components} components x {model.latent_dim} dims"
    print(f"{head}, cpu, torch threads {args.threads}, {model.source}")
    print(f"{'method':32} {'wall s':>8} {'fits/s':>9} {'ratio':>6} {'cpu s':>8} {'cpu ratio':>9}")
    for name, wall, cpu in (
        ("numpy loop (reference)", reference_s, reference_cpu),
        ("batched torch", batched_s, batched_cpu),
        (f"batched, pitched {PITCH_DEG:g} deg", pitched_s, pitched_cpu),
        ("batched, near a yaw", near_s, near_cpu),
        ("batched, pitched, near a yaw", pitched_near_s, pitched_near_cpu),
    ):
        print(f"{name:32} {wall:8.3f} {n / wall:9.1f} {reference_s / wall:6.1f} {cpu:8.3f} {reference_cpu / cpu:9.1f}")
    print(f"agreement: max |joints3d difference| {agree_mm:.2e} mm, same component {100 * same_component:.1f}%")
    print(
        f"PA-MPJPE (15% of joints unseen, default noise): batched {accuracy['batched']:.1f} mm, "
        f"reference {accuracy['reference']:.1f} mm; batched pitched {PITCH_DEG:g} deg {accuracy['pitched']:.1f} mm; "
        f"near a yaw (off by up to {NEAR_OFF_DEG:g} deg) {accuracy['near']:.1f} mm, "
        f"pitched {accuracy['pitched_near']:.1f} mm"
    )
    result = {"bench": "fit", "people": n, "threads": args.threads, "reference_fits_per_s": n / reference_s}
    result |= {"batched_fits_per_s": n / batched_s, "ratio": ratio, "cpu_ratio": cpu_ratio}
    result |= {"pitched_fits_per_s": n / pitched_s, "pitched_ratio": reference_s / pitched_s}
    result |= {"near_ratio": reference_s / near_s, "pitched_near_ratio": reference_s / pitched_near_s}
    result |= {"max_difference_mm": agree_mm, "same_component": same_component, "pa_mpjpe_mm": accuracy}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
