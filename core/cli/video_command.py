"""`poselift video IN -o OUT.npz [--bvh OUT.bvh]`: a video in, one person's motion out as a pose file (and BVH).

The video is probed and every setting checked before the networks load; a video that cannot be read stops
the run with one sentence naming it. The frames are streamed (memory does not grow with the video's length),
everybody is tracked and lifted, and the longest track (or `--track ID`) becomes the motion. A damaged file
that ends early is read as far as it goes, said on stderr. The pose file and the BVH are written atomically at
the end, so an interrupted run (Ctrl-C) leaves no partial file.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from ..formats.atomic import write_together
from ..formats.bvh_export import BvhExportError
from ..formats.posefile import PoseFileError, pose_file_writer
from ..nets.weights import WeightsNotFoundError
from .common import CommandError, add_model_options, build_estimator, build_lifter, check_model_options, check_output
from .progress import Progress, end_bar_line


def add_video_command(commands: argparse._SubParsersAction) -> None:
    video = commands.add_parser("video", help="track the people in a video and write one's motion to a pose file")
    video.add_argument("video", type=Path, metavar="IN", help="video file (MP4, MOV, AVI, MKV, WebM, ...)")
    video.add_argument("-o", "--output", type=Path, required=True, metavar="OUT", help="pose file, .npz or .json")
    video.add_argument("--bvh", type=Path, metavar="OUT.bvh", help="also write the motion as a BVH file")
    video.add_argument("--track", type=int, metavar="ID", help="the track to keep (default: the longest)")
    video.add_argument("--start", type=float, default=0.0, metavar="S", help="first second to read (default 0)")
    video.add_argument("--end", type=float, metavar="S", help="second to stop reading at (default: the end)")
    video.add_argument("--focal-px", type=float, metavar="F",
                       help="the camera's focal length in pixels (default: a 50 mm full-frame equivalent)")
    add_model_options(video, progress="bar")
    video.set_defaults(run=run_video)


def run_video(args: argparse.Namespace) -> int:
    try:
        from ..video.video_io import VideoReadError
    except ImportError as e:
        print(f"poselift video needs OpenCV (opencv-contrib-python) in this Python ({sys.executable}): {e}.",
              file=sys.stderr)
        return 1
    from ..video.video_poses import VideoPoseError

    try:
        return _run(args)
    except (CommandError, VideoReadError, VideoPoseError, WeightsNotFoundError, PoseFileError, BvhExportError) as e:
        Progress(0, "frames", args.progress).error(str(e))
        print(e, file=sys.stderr)
        return 1


def _run(args: argparse.Namespace) -> int:
    """The command itself; torch and OpenCV are imported here, so `check` and `convert` need neither."""
    from ..formats.bvh_export import bvh_writer
    from ..video.video_io import VideoFrames, probe_video
    from ..video.video_poses import choose_track, track_video, video_pose_sequence

    _check_settings(args)
    check_model_options(args)
    info = probe_video(args.video)
    if args.start >= max(info.duration, 1e-9) and info.frames:
        raise CommandError(f"{args.video}: --start {args.start:g} s is past the video's end ({info.duration:.2f} s).")
    frames = VideoFrames(info, start=args.start, end=args.end)
    tracker, lifter = _models(args)
    progress = Progress(frames.expected, "frames", args.progress)  # its clock starts once the networks are loaded
    progress.update(0, "networks loaded")

    def on_batch(done: int, people: int) -> None:
        if progress.total:  # an estimate from the header; 0 when the header does not say
            progress.total = max(progress.total, done)
        progress.update(done, f"{done} frames, {people} {'person' if people == 1 else 'people'} in the last batch")

    tracked = track_video(frames, tracker, lifter, height=args.height, on_batch=on_batch)
    if tracked.frames == 0:
        raise CommandError(f"{args.video}: no frame lies between {args.start:g} s and the end asked for.")
    if tracked.truncated:
        end_bar_line()
        print(f"{args.video}: the file ends early (damaged or truncated): read {tracked.frames} of the "
              f"{frames.expected} frames its header promises.", file=sys.stderr)
    track = choose_track(tracked, args.track, str(args.video))
    pose = video_pose_sequence(tracked, track, info=info, nominal_fps=info.fps, model=args.model,
                               lifted_with=lifter.description, height=lifter.height, focal_px=args.focal_px,
                               start=args.start, end=args.end)
    files = [(args.output, pose_file_writer(args.output, pose))]
    if args.bvh is not None:
        files.append((args.bvh, bvh_writer(args.bvh, pose.joints3d[:, 0], pose.joint_names, pose.fps)))
    try:
        write_together(files)  # both files or neither
    except OSError as e:
        raise CommandError(f"{e.filename or args.output}: cannot be written ({e.strerror or e}).") from None
    progress.finish(str(args.output))
    found = int((pose.track_id[:, 0] >= 0).sum())
    others = len(tracked.tracks) - 1
    print(f"wrote {args.output}{f' and {args.bvh}' if args.bvh else ''}: track {track}, {found} of {pose.frames} "
          f"frames at {pose.fps:g} fps{f' ({others} other tracks left out)' if others else ''}")
    return 0


def _check_settings(args: argparse.Namespace) -> None:
    check_output(args.output)
    if args.bvh is not None:
        if args.bvh.is_dir():
            raise CommandError(f"{args.bvh}: is a folder, not a BVH file.")
        if args.bvh.suffix.lower() != ".bvh":
            raise CommandError(f"{args.bvh}: a BVH file must end in .bvh.")
        if not args.bvh.parent.is_dir():
            raise CommandError(f"{args.bvh}: the folder {args.bvh.parent} does not exist.")
    if not (math.isfinite(args.start) and args.start >= 0):
        raise CommandError(f"poselift video: --start must be a number of seconds from 0 up, not {args.start:g}.")
    if args.end is not None and not (math.isfinite(args.end) and args.end > args.start):
        raise CommandError(f"poselift video: --end ({args.end:g} s) must come after --start ({args.start:g} s).")
    if args.focal_px is not None and not (math.isfinite(args.focal_px) and args.focal_px > 0):
        raise CommandError(f"poselift video: --focal-px must be a positive number of pixels, not {args.focal_px:g}.")


def _models(args: argparse.Namespace):
    """The tracker (with its estimator) and the lifter, on the device asked for."""
    from ..nets.pose2d import MAX_PEOPLE
    from ..video.tracking import PoseTracker

    lifter = build_lifter(args)  # on the people's device, the estimator's
    return PoseTracker(build_estimator(args, MAX_PEOPLE)), lifter
