"""Seconds for `poselift video`'s pipeline with torch's OpenMP threads spinning (OpenMP's default) or sleeping
as soon as they wait (OMP_WAIT_POLICY=PASSIVE, what the command line sets: core/cli/threads.py), on a quiet machine
and beside one busy process (a Python loop), in the same run.

    python bench/threads.py [--seconds 3] [--model full] [--threads 2] [--rounds 2]

Each timing is one fresh interpreter tracking and lifting the rendered test video (scripts/make_test_video.py)
with `threads` torch threads; the settings take turns over `rounds` rounds and the best of each counts. Prints a
table and one JSON line with the ratios default / passive (above 1: passive is faster).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))

from make_test_video import cached_test_video  # noqa: E402

POLICIES = {"default": None, "passive": "PASSIVE"}


def run_pipeline(video: Path, model: str, threads: int) -> None:
    """The subprocess's job: load the networks, then time the video end to end and print the seconds."""
    import torch

    from poselift.core.lift.lifting import Lifter
    from poselift.core.nets.pose2d import PoseEstimator
    from poselift.core.video.tracking import PoseTracker
    from poselift.core.video.video_io import VideoFrames, probe_video
    from poselift.core.video.video_poses import track_video

    torch.set_num_threads(threads)
    tracker, lifter = PoseTracker(PoseEstimator(variant=model)), Lifter(lifter="fit")
    start = time.perf_counter()
    track_video(VideoFrames(probe_video(video)), tracker, lifter)
    print(time.perf_counter() - start)


def timed(video: Path, model: str, threads: int, policy: str | None) -> float:
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    if policy is not None:
        env["OMP_WAIT_POLICY"] = policy
    command = [sys.executable, __file__, "--run", str(video), "--model", model, "--threads", str(threads)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    return float(done.stdout.split()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="length of the test video (default 3)")
    parser.add_argument("--model", default="full")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--run", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        run_pipeline(args.run, args.model, args.threads)
        return
    video, _ = cached_test_video(seconds=args.seconds)
    seconds: dict[str, dict[str, float]] = {}
    for load in ("quiet", "one busy process"):
        busy = None if load == "quiet" else subprocess.Popen([sys.executable, "-c", "while True: pass"])
        try:
            for _ in range(args.rounds):
                for name, policy in POLICIES.items():
                    t = timed(video, args.model, args.threads, policy)
                    seconds.setdefault(load, {})[name] = min(t, seconds.get(load, {}).get(name, float("inf")))
        finally:
            if busy is not None:
                busy.kill()
    print(f"{video.parent.name}: BlazePose {args.model}, {args.threads} torch threads, {os.cpu_count()} CPUs; "
          f"seconds for the whole video, best of {args.rounds}")
    print(f"{'machine':18} {'default':>9} {'passive':>9} {'default/passive':>16}")
    ratios = {}
    for load, row in seconds.items():
        ratios[load] = row["default"] / row["passive"]
        print(f"{load:18} {row['default']:9.1f} {row['passive']:9.1f} {ratios[load]:16.2f}")
    print(json.dumps({"bench": "threads", "model": args.model, "threads": args.threads, "seconds": seconds,
                      "default_over_passive": ratios}))  # fmt: skip


if __name__ == "__main__":
    main()
