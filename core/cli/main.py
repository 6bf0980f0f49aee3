"""The `poselift` command line: photos and videos to pose files (`image`, `video`), who is in a video (`scan`),
pose files checked and converted; no Blender.

Every failure prints one sentence on stderr and exits with status 1 (2 for a usage error).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from ..formats.posefile import PoseFileError, PoseSequence, read_pose_file, write_pose_file
from .batch_command import add_batch_command
from .image_command import add_image_command
from .progress import end_bar_line
from .scan_command import add_scan_command
from .threads import passive_openmp_waits
from .video_command import add_video_command


def _summary(path: Path, pose: PoseSequence) -> str:
    present = np.isfinite(pose.joints3d).all(axis=-1).any(axis=-1)
    return (
        f"{path}: {pose.frames} frames at {pose.fps:g} fps, {pose.people} people slots, {pose.joints} joints, "
        f"person present in {int(present.any(axis=1).sum())} frames"
    )


def _check(args: argparse.Namespace) -> int:
    status = 0
    for path in args.files:
        try:
            print(_summary(path, read_pose_file(path)))
        except PoseFileError as e:
            print(e, file=sys.stderr)
            status = 1
    return status


def _convert(args: argparse.Namespace) -> int:
    write_pose_file(args.output, read_pose_file(args.input))
    print(f"wrote {args.output}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="poselift", description="Photo or video of a person to 3D joints.")
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="validate pose files and summarise them")
    check.add_argument("files", nargs="+", type=Path, metavar="POSEFILE")
    check.set_defaults(run=_check)
    convert = commands.add_parser("convert", help="rewrite a pose file as .npz or as its .json mirror")
    convert.add_argument("input", type=Path, metavar="IN")
    convert.add_argument("-o", "--output", type=Path, required=True, metavar="OUT")
    convert.set_defaults(run=_convert)
    add_image_command(commands)
    add_video_command(commands)
    add_scan_command(commands)
    add_batch_command(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    passive_openmp_waits()  # before the commands import torch
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except PoseFileError as e:
        print(e, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        end_bar_line()
        print("poselift: interrupted; no partial file was written.", file=sys.stderr)
        return 130

