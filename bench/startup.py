"""Start-up: a fresh process's time from its first line to the first person found in a photo, ours against
MediaPipe's legacy pose solution (what `poselift image` and a photo lifted from the panel pay before any work).

    python bench/startup.py [--runs 5] [--model full]

Each run is a new Python process (the two take turns): importing what it needs, building the networks (ours:
BlazePose's detector and landmark network from the TFLite files, into PyTorch; MediaPipe: its graph), then one
photo, core/nets/data/test_person.jpg. The table gives the median seconds of each phase and the ratio of the
medians of the whole (MediaPipe's over ours: above 1 is faster than MediaPipe); a JSON line follows.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

PHOTO = Path(__file__).resolve().parents[1] / "core" / "nets" / "data" / "test_person.jpg"
COMPLEXITY = {"lite": 0, "full": 1, "heavy": 2}

OURS = """
import time; began = time.perf_counter()
import cv2, torch
from poselift.core.nets.pose2d import PoseEstimator
imported = time.perf_counter()
estimator = PoseEstimator(variant={model!r}, device="cpu", max_people=1)
built = time.perf_counter()
people = estimator.estimate([cv2.imread({photo!r})[..., ::-1].copy()])
assert len(people.score) == 1
print(imported - began, built - imported, time.perf_counter() - built)
"""
MEDIAPIPE = """
import time; began = time.perf_counter()
import cv2, mediapipe as mp
imported = time.perf_counter()
pose = mp.solutions.pose.Pose(static_image_mode=True, model_complexity={complexity})
built = time.perf_counter()
result = pose.process(cv2.imread({photo!r})[..., ::-1].copy())
assert result.pose_landmarks is not None
print(imported - began, built - imported, time.perf_counter() - built)
"""


def run(code: str) -> list[float]:
    """(import, build, first photo) seconds of one fresh process running `code`."""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return [float(v) for v in done.stdout.split()[-3:]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--model", choices=tuple(COMPLEXITY), default="full")
    args = parser.parse_args()
    codes = {"poselift": OURS.format(model=args.model, photo=str(PHOTO)),
             "mediapipe": MEDIAPIPE.format(complexity=COMPLEXITY[args.model], photo=str(PHOTO))}  # fmt: skip
    phases = {name: [] for name in codes}
    for _ in range(args.runs):
        for name, code in codes.items():
            phases[name].append(run(code))
    medians = {name: [statistics.median(p[i] for p in runs) for i in range(3)] for name, runs in phases.items()}
    totals = {name: statistics.median(sum(p) for p in runs) for name, runs in phases.items()}
    print(f"start-up to the first photo, {args.model} model, median of {args.runs} fresh processes each (seconds)")
    print(f"{'':10} {'import':>7} {'build':>7} {'photo':>7} {'total':>7}")
    for name, (imported, built, photo) in medians.items():
        print(f"{name:10} {imported:7.2f} {built:7.2f} {photo:7.2f} {totals[name]:7.2f}")
    ratio = totals["mediapipe"] / totals["poselift"]
    print(f"ratio mediapipe / poselift: {ratio:.2f}x")
    print(json.dumps({"bench": "startup", "model": args.model, "runs": args.runs, "seconds": medians,
                      "total": totals, "ratio_mediapipe_over_ours": round(ratio, 3)}))  # fmt: skip


if __name__ == "__main__":
    main()
