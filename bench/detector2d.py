"""Images per second of our 2D pipeline (detector + ROI crops + landmark network) against MediaPipe's runtime.

    python bench/detector2d.py [--models full] [--repeat 5] [--threads N]

Same photos (opencv-doc and scikit-image photos from the asset cache, cycled to 16 images), same CPU, one run.
The reference is MediaPipe 0.10.21's legacy `solutions.pose` in static image mode (XNNPACK, its own threading),
one image per call as it works, and only the best person. Ours runs `PoseEstimator.estimate` on one image per
call (batch 1) and on all 16 at once (batch 16), with `threads` torch threads, and runs the landmark network on
every person found; "one person" is batch 16 with max_people=1, the same work as MediaPipe's. The runners
take turns in each of `repeat` rounds, so a change in the machine's load falls on all of them alike; the best
round of each counts. Prints the machine's load, a table, then one JSON line with images per second and the
ratios ours / MediaPipe.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))

from fetch_assets import asset_path  # noqa: E402

from poselift.core.image_io import read_image  # noqa: E402
from poselift.core.pose2d import PoseEstimator  # noqa: E402

PHOTOS = ["messi5.jpg", "basketball1.png", "basketball2.png", "astronaut.png", "camera.png"]
COMPLEXITY = {"lite": 0, "full": 1, "heavy": 2}
BATCH = 16


def _seconds(run) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def bench(model: str, images: list, repeat: int) -> dict:
    """Images per second of each runner, best of `repeat` rounds in which the runners take turns."""
    import mediapipe as mp

    estimator = PoseEstimator(variant=model, device="cpu")
    single = PoseEstimator(variant=model, device="cpu", max_people=1)
    with mp.solutions.pose.Pose(static_image_mode=True, model_complexity=COMPLEXITY[model]) as pose:
        runners = {
            "mediapipe": lambda: [pose.process(image) for image in images],
            "ours_batch1": lambda: [estimator.estimate([image]) for image in images],
            "ours_batch16": lambda: estimator.estimate(images),
            "ours_batch16_one_person": lambda: single.estimate(images),
        }
        best = {name: float("inf") for name in runners}
        for run in runners.values():  # warm-up
            run()
        for _ in range(repeat):
            for name, run in runners.items():
                best[name] = min(best[name], _seconds(run))
    rates = {name: len(images) / seconds for name, seconds in best.items()}
    return {"model": model, **rates, "ratio_batch1": rates["ours_batch1"] / rates["mediapipe"],
            "ratio_batch16": rates["ours_batch16"] / rates["mediapipe"],
            "ratio_batch16_one_person": rates["ours_batch16_one_person"] / rates["mediapipe"],
            "people_found_ours": len(estimator.estimate(images).score), "people_found_mediapipe": len(images)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="full", help="comma-separated: lite, full, heavy")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    photos = [read_image(asset_path(name)).pixels for name in PHOTOS]
    images = [photos[i % len(photos)] for i in range(BATCH)]
    load_before = os.getloadavg()
    rows = [bench(model, images, args.repeat) for model in args.models.split(",")]
    load_after = os.getloadavg()
    print(f"CPU: {os.cpu_count()} cores, torch threads {args.threads}; load average (1, 5, 15 min) "
          f"before {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}, after {load_after[0]:.2f} "
          f"{load_after[1]:.2f} {load_after[2]:.2f}")
    print(f"images per second, {BATCH} photos ({', '.join(PHOTOS)} cycled), best of {args.repeat} rounds")
    print(f"{'model':6} {'mediapipe':>10} {'ours b1':>8} {'ours b16':>9} {'b1/mp':>6} {'b16/mp':>7} "
          f"{'b16 one person/mp':>18}")
    for r in rows:
        print(f"{r['model']:6} {r['mediapipe']:10.2f} {r['ours_batch1']:8.2f} {r['ours_batch16']:9.2f} "
              f"{r['ratio_batch1']:6.2f} {r['ratio_batch16']:7.2f} {r['ratio_batch16_one_person']:18.2f}")
    print(json.dumps({"bench": "detector2d", "threads": args.threads, "cores": os.cpu_count(),
                      "load_before": load_before, "load_after": load_after, "results": rows}))


if __name__ == "__main__":
    main()
