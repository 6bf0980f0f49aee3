"""Images per second of our 2D pipeline (detector + ROI crops + landmark network) against MediaPipe's runtime.

    python bench/detector2d.py [--models lite,full,heavy] [--repeat 7] [--threads N] [--cpus 0,1] [--chunk 4]

Same photos (opencv-doc and scikit-image photos from the asset cache, cycled to 16 images), same CPU, one run.
The reference is MediaPipe 0.10.21's legacy `solutions.pose` in static image mode (XNNPACK, its own threads),
one image per call as it works, and only the best person. Ours runs `PoseEstimator.estimate` on one image per
call (batch 1) and on all 16 at once (batch 16), with `threads` torch threads (default: as many as MediaPipe
keeps busy, measured), and runs the landmark network on every person found; "one person" is batch 16 with
max_people=1, the same work as MediaPipe's. `--cpus` pins the whole process (both runtimes) to those cores,
for a comparison on equal hardware whatever threads each runtime starts.

On a shared machine the load changes from second to second, so the runners take turns: each of `repeat` rounds
times every runner once, in an order that rotates from round to round, and a ratio is taken within each round
(ours / MediaPipe, same seconds of the machine's life); the table gives the median over rounds, and the
same ratio of CPU seconds (all threads). Ours runs with OMP_WAIT_POLICY=PASSIVE unless the environment sets
it, as the command line does (core/cli/threads.py; bench/threads.py measures why): torch's OpenMP threads then sleep
while they wait instead of spinning, as XNNPACK's threads mostly do. The threads
each runtime keeps busy are counted from /proc (threads that did at least a tenth of the work). Prints the
machine's load, a table, then one JSON line with images per second and the ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

from poselift.core.cli.threads import passive_openmp_waits

passive_openmp_waits()  # our side runs as the command line runs it: set before torch loads OpenMP

import torch  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))

from fetch_assets import asset_path  # noqa: E402

from poselift.core.image.image_io import read_image  # noqa: E402
from poselift.core.nets.pose2d import PoseEstimator  # noqa: E402

PHOTOS = ["messi5.jpg", "basketball1.png", "basketball2.png", "astronaut.png", "camera.png"]
COMPLEXITY = {"lite": 0, "full": 1, "heavy": 2}
BATCH = 16
OURS = ("ours_batch1", "ours_batch16", "ours_batch16_one_person")


def _thread_ticks() -> dict[str, int]:
    """CPU time (clock ticks, user + system) of each thread of this process, by thread id."""
    ticks = {}
    for tid in os.listdir("/proc/self/task"):
        try:
            fields = Path(f"/proc/self/task/{tid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks[tid] = int(fields[11]) + int(fields[12])
    return ticks


def busy_threads(run) -> int | None:
    """How many threads of this process do at least a tenth of the work of `run` (None without /proc)."""
    if not Path("/proc/self/task").is_dir():
        return None
    before = _thread_ticks()
    run()
    after = _thread_ticks()
    work = [after[t] - before.get(t, 0) for t in after]
    total = sum(work)
    return sum(w >= total / 10 for w in work) if total else None


def _seconds(run) -> tuple[float, float]:
    """Wall-clock and CPU seconds (all threads of this process) of `run`."""
    wall, cpu = time.perf_counter(), time.process_time()
    run()
    return time.perf_counter() - wall, time.process_time() - cpu


def bench(model: str, images: list, repeat: int, chunk: int | None) -> dict:
    """Median images per second of each runner and median per-round ratios to MediaPipe (see the docstring)."""
    import mediapipe as mp

    chunked = {} if chunk is None else {"batch_size": chunk}
    estimator = PoseEstimator(variant=model, device="cpu", **chunked)
    single = PoseEstimator(variant=model, device="cpu", max_people=1, **chunked)
    with mp.solutions.pose.Pose(static_image_mode=True, model_complexity=COMPLEXITY[model]) as pose:
        runners = {
            "mediapipe": lambda: [pose.process(image) for image in images],
            "ours_batch1": lambda: [estimator.estimate([image]) for image in images],
            "ours_batch16": lambda: estimator.estimate(images),
            "ours_batch16_one_person": lambda: single.estimate(images),
        }
        threads = {name: busy_threads(run) for name, run in runners.items()}  # also the warm-up
        seconds = {name: [] for name in runners}
        names = list(runners)
        for r in range(repeat):
            for name in names[r % len(names):] + names[: r % len(names)]:
                seconds[name].append(_seconds(runners[name]))
    row = {"model": model, "busy_threads": threads}
    for name, times in seconds.items():
        row[name] = len(images) / statistics.median(wall for wall, _ in times)
    for name in OURS:
        key = name.removeprefix("ours_")
        pairs = list(zip(seconds["mediapipe"], seconds[name], strict=True))
        ratios = [mp[0] / ours[0] for mp, ours in pairs]
        row[f"ratio_{key}"] = statistics.median(ratios)
        row[f"ratio_{key}_range"] = (min(ratios), max(ratios))
        row[f"cpu_ratio_{key}"] = statistics.median(mp[1] / ours[1] for mp, ours in pairs)
    row["people_found_ours"] = len(estimator.estimate(images).score)
    row["people_found_mediapipe"] = len(images)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="lite,full,heavy", help="comma-separated: lite, full, heavy")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--threads", type=int, default=None,
                        help="torch threads (default: as many as MediaPipe keeps busy, at most one a core)")
    parser.add_argument("--cpus", default=None, help="comma-separated core ids to pin the process to")
    parser.add_argument("--chunk", type=int, default=None,
                        help="images per network call inside a batch (PoseEstimator's batch_size; default its own)")
    args = parser.parse_args()
    if args.cpus is not None:
        os.sched_setaffinity(0, {int(c) for c in args.cpus.split(",")})
    cores = sorted(os.sched_getaffinity(0))
    photos = [read_image(asset_path(name)).pixels for name in PHOTOS]
    images = [photos[i % len(photos)] for i in range(BATCH)]
    if args.threads is None:
        import mediapipe as mp

        with mp.solutions.pose.Pose(static_image_mode=True, model_complexity=COMPLEXITY["full"]) as pose:
            pose.process(images[0])
            busy = busy_threads(lambda: [pose.process(image) for image in images]) or len(cores)
        args.threads = min(busy, len(cores))
    torch.set_num_threads(args.threads)
    load_before = os.getloadavg()
    rows = [bench(model, images, args.repeat, args.chunk) for model in args.models.split(",")]
    load_after = os.getloadavg()
    print(f"CPU: {os.cpu_count()} cores, this process on cores {cores}; load average (1, 5, 15 min) before "
          f"{load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}, "
          f"after {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}")
    print(f"threads: torch {torch.get_num_threads()}, network calls of {args.chunk or 'PoseEstimator default'} "
          f"images; busy threads measured per runner in the table "
          f"(mediapipe / ours b1 / ours b16)")
    print(f"images per second, {BATCH} photos ({', '.join(PHOTOS)} cycled): medians of {args.repeat} rounds; "
          f"ratios ours / mediapipe: median of per-round ratios [min, max]")
    print("CPU-time ratios: mediapipe's CPU seconds / ours, all threads")
    print(f"{'model':6} {'threads':>8} {'mediapipe':>10} {'ours b1':>8} {'ours b16':>9} {'b1/mp':>18} "
          f"{'b16/mp':>18} {'b16 one person/mp':>18} {'CPU-time b1/mp, b16/mp':>23}")
    for r in rows:
        t = r["busy_threads"]
        ratios = " ".join(f"{r[f'ratio_{k}']:5.2f} [{r[f'ratio_{k}_range'][0]:.2f}, {r[f'ratio_{k}_range'][1]:.2f}]"
                          for k in ("batch1", "batch16", "batch16_one_person"))
        print(f"{r['model']:6} {t['mediapipe']}/{t['ours_batch1']}/{t['ours_batch16']:<3} {r['mediapipe']:10.2f} "
              f"{r['ours_batch1']:8.2f} {r['ours_batch16']:9.2f} {ratios} "
              f"{r['cpu_ratio_batch1']:11.2f} {r['cpu_ratio_batch16']:11.2f}")
    print(json.dumps({"bench": "detector2d", "torch_threads": torch.get_num_threads(), "cores": os.cpu_count(),
                      "pinned_to": cores, "chunk": args.chunk, "repeat": args.repeat, "load_before": load_before,
                      "load_after": load_after,
                      "results": rows}))


if __name__ == "__main__":
    main()
