"""`poselift batch INPUT... -o OUTDIR [--workers N] [--threads N] [--ray auto|local|ADDRESS]`: many videos to
pose files and BVH, with `poselift video`'s options.

INPUTs are videos, folders (searched recursively for videos) and .txt files listing paths (`batch.inputs`). Each
video gives OUTDIR/<name>.npz and <name>.bvh (<name>_track<ID>.bvh per person with several), its name unique in
OUTDIR. OUTDIR/manifest.jsonl records every video tried (`batch.manifest`); a video that fails is recorded with
its sentence and the batch goes on; running the same command again skips what is done with the same input
bytes and settings, and lifts again what failed, changed or lost its outputs. Workers load the networks once and
take one video after another: processes on this machine (default: one per GPU, else one per `THREADS` cores),
or actors on Ray. Ctrl-C stops the workers; what finished is in the manifest, whole, and nothing half-written
is left. Exit status 0 when every video is done, 1 when one failed or the batch could not start, 130 when
interrupted.
"""

from __future__ import annotations

import argparse
import glob
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .batch.blender import add_blender_options, blender_command
from .batch.inputs import find_videos, output_names
from .batch.ledger import Ledger
from .batch.manifest import MANIFEST, Item, is_done, read_manifest
from .batch.settings import settings_of, sha256_of
from .common import CommandError, check_folder
from .progress import end_bar_line
from .video_command import add_motion_options, check_settings

THREADS = 2  # CPU threads per local worker by default (bench/batch.py compares)
HASHING_THREADS = 4


def add_batch_command(commands: argparse._SubParsersAction) -> None:
    batch = commands.add_parser("batch", help="many videos to pose files and BVH, on this machine or on Ray")
    batch.add_argument("inputs", nargs="+", type=Path, metavar="INPUT",
                       help="videos, folders (searched recursively for videos) or .txt files listing paths, one a "
                            "line")  # fmt: skip
    batch.add_argument("-o", "--output", type=Path, required=True, metavar="OUTDIR",
                       help=f"folder for the pose files, BVH files and {MANIFEST} (made if missing)")  # fmt: skip
    batch.add_argument("--workers", type=int, metavar="N",
                       help=f"workers lifting at once (default: one per GPU, else one per {THREADS} cores; on Ray: "
                            "as many as the cluster holds)")  # fmt: skip
    batch.add_argument("--threads", type=int, metavar="N",
                       help=f"CPU threads of each worker (default {THREADS}; with GPUs, the cores shared "
                            "out)")  # fmt: skip
    batch.add_argument("--ray", metavar="auto|local|ADDRESS",
                       help="run the workers on Ray: auto (the cluster this machine is in), local (start Ray here) "
                            "or a cluster's address (ray://HOST:10001)")  # fmt: skip
    add_motion_options(batch, progress="bar")
    add_blender_options(batch)
    batch.set_defaults(run=run_batch)


def run_batch(args: argparse.Namespace) -> int:
    items: list[Item] = []
    try:
        return _run(args, items)
    except CommandError as e:
        end_bar_line()
        print(e, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        end_bar_line()
        _remove_partial_files(args.output, items)
        print(f"poselift batch: interrupted; the videos finished are in {args.output / MANIFEST}, whole, and the "
              "same command goes on from there.", file=sys.stderr)  # fmt: skip
        return 130


def _run(args: argparse.Namespace, items: list[Item]) -> int:
    """The command; `items` is filled with the videos to lift once known (for Ctrl-C's clean-up)."""
    _check(args)
    videos = find_videos(args.inputs)
    if not videos:
        raise CommandError(f"poselift batch: no videos in {', '.join(map(str, args.inputs))}.")
    args.output.mkdir(parents=True, exist_ok=True)
    records = read_manifest(args.output)
    names = output_names(videos, {video: record["name"] for video, record in records.items()})
    settings = settings_of(args)
    with ThreadPoolExecutor(HASHING_THREADS) as pool:
        hashes = list(pool.map(sha256_of, videos))
    batch = [Item(video, names[video], sha) for video, sha in zip(videos, hashes, strict=True)]
    items += [item for item in batch if not is_done(records.get(item.video), item, settings, args.output)]
    items.sort(key=_size, reverse=True)  # the longest first: no worker is left with one long video at the end
    ledger = Ledger(args.output, records, videos, settings, len(items), args.progress)
    if items and args.ray:
        from .batch.ray_pool import run_ray

        run_ray(items, args, args.output, args.ray, args.workers, args.threads or THREADS, ledger.record)
    elif items:
        from .batch.local_pool import run_local

        workers, threads, gpus = _machine(args)
        run_local(items, args, args.output, workers, threads, gpus, ledger.record)
    ledger.progress.finish(str(args.output / MANIFEST))
    print(ledger.summary(len(batch) - len(items)), file=sys.stderr if args.progress == "json" else sys.stdout)
    return 1 if ledger.failed else 0


def _check(args: argparse.Namespace) -> None:
    check_settings(args)
    for option, value in (("--workers", args.workers), ("--threads", args.threads)):
        if value is not None and value < 1:
            raise CommandError(f"poselift batch: {option} must be 1 or more, not {value}.")
    if args.output.exists() and not args.output.is_dir():
        raise CommandError(f"{args.output}: is a file, not a folder for the batch's outputs.")
    check_folder(args.output)
    blender_command(args)


def _machine(args: argparse.Namespace) -> tuple[int, int, int]:
    """(workers, threads each, GPUs) of the local pool: the options, else one worker per GPU (the cores shared
    out), else one per THREADS cores."""
    import torch

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    gpus = 0 if args.device == "cpu" else torch.cuda.device_count()
    threads = args.threads or (max(1, cores // gpus) if gpus else min(THREADS, cores))
    return args.workers or gpus or max(1, cores // threads), threads, gpus


def _size(item: Item) -> int:
    try:
        return item.video.stat().st_size
    except OSError:
        return 0


def _remove_partial_files(outdir: Path, items: list[Item]) -> None:
    """Any temporary file of an unfinished video a worker stopped too hard to remove itself."""
    for item in items:
        for part in outdir.glob(f".{glob.escape(item.name)}[._]*.part"):
            part.unlink(missing_ok=True)
