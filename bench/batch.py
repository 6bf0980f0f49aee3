"""Videos per minute for many short videos: today's shell loop (one `poselift video` process per video, each
loading the networks) against `poselift batch` on a local pool (networks loaded once per worker) and on Ray
started on this machine, on the same machine and inputs, in one run.

    python bench/batch.py [--videos 6] [--frames 30] [--model lite] [--rounds 1]

The inputs are `videos` clips of `frames` frames each, cut at different places from the rendered test video
(scripts/make_test_video.py). Every way is timed end to end as a user would see it (interpreter start, Ray's
start for Ray), taking turns over `rounds` rounds, the best of each counting. Prints a table and one JSON line:
videos per minute per way and its ratio to the shell loop (above 1: faster than the loop).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))
sys.path.insert(0, str(REPO / "tests"))

from make_test_video import cached_test_video  # noqa: E402
from video_samples import write_mjpg  # noqa: E402

from poselift.core.video.video_io import VideoFrames, probe_video  # noqa: E402

POSELIFT = [sys.executable, "-m", "poselift.core.cli"]


def clips(folder: Path, count: int, frames: int) -> list[Path]:
    """`count` Motion-JPEG clips of `frames` frames, starting at evenly spread frames of the 3-second test video."""
    video, _ = cached_test_video(seconds=3.0)
    pixels = np.concatenate([batch.pixels for batch in VideoFrames(probe_video(video))])
    starts = np.linspace(0, len(pixels) - frames, count).astype(int)
    return [write_mjpg(folder / f"clip{i}.avi", pixels[s : s + frames]) for i, s in enumerate(starts)]


def shell_loop(videos: list[Path], out: Path, options: list[str]) -> None:
    for video in videos:
        run([*POSELIFT, "video", str(video), "-o", str(out / f"{video.stem}.npz"), "--bvh",
             str(out / f"{video.stem}.bvh"), *options])  # fmt: skip


def batch(folder: Path, out: Path, options: list[str]) -> None:
    run([*POSELIFT, "batch", str(folder), "-o", str(out), *options])


def run(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed: {done.stderr.strip()[-1000:]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--videos", type=int, default=6, help="how many clips (default 6)")
    parser.add_argument("--frames", type=int, default=30, help="frames of each clip (default 30: one second)")
    parser.add_argument("--model", default="lite", help="BlazePose landmark network (default lite)")
    parser.add_argument("--rounds", type=int, default=1, help="rounds of every way, the best counting (default 1)")
    args = parser.parse_args()
    cores = len(os.sched_getaffinity(0))
    options = ["--model", args.model, "--device", "cpu", "--progress", "quiet"]
    ways = {
        "shell loop: one process per video": lambda folder, out: shell_loop(sorted(folder.glob("*.avi")), out, options),
        "batch, local pool (default)": lambda folder, out: batch(folder, out, options),
        f"batch, local pool, {cores} workers x 1 thread": lambda folder, out: batch(
            folder, out, [*options, "--workers", str(cores), "--threads", "1"]),
        f"batch, Ray here, {cores} actors x 1 CPU": lambda folder, out: batch(
            folder, out, [*options, "--ray", "local", "--threads", "1"]),
    }  # fmt: skip
    seconds = {name: float("inf") for name in ways}
    with tempfile.TemporaryDirectory(prefix="poselift-bench-batch-") as temporary:
        folder = Path(temporary) / "videos"
        folder.mkdir()
        clips(folder, args.videos, args.frames)
        for round_ in range(args.rounds):
            for index, (name, way) in enumerate(ways.items()):
                out = Path(temporary) / f"out{round_}_{index}"
                out.mkdir()
                start = time.perf_counter()
                way(folder, out)
                seconds[name] = min(seconds[name], time.perf_counter() - start)
    loop = seconds[next(iter(ways))]
    rates = {name: 60 * args.videos / s for name, s in seconds.items()}
    print(f"{args.videos} videos of {args.frames} frames, --model {args.model}, {cores} cores, best of {args.rounds}")
    print(f"{'way':<42} {'seconds':>8} {'videos/min':>11} {'vs loop':>8}")
    for name, s in seconds.items():
        print(f"{name:<42} {s:>8.1f} {rates[name]:>11.2f} {loop / s:>7.2f}x")
    print(json.dumps({"videos": args.videos, "frames": args.frames, "model": args.model, "cores": cores,
                      "videos_per_minute": {k: round(v, 3) for k, v in rates.items()},
                      "ratio_to_loop": {k: round(loop / s, 3) for k, s in seconds.items()}}))  # fmt: skip


if __name__ == "__main__":
    main()
