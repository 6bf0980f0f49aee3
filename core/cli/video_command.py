"""`poselift video IN -o OUT.npz [--bvh OUT.bvh] [--track ID|ID,ID,...|all]`: a video in, people's motions out as a
pose file (and BVH).

The video is probed and every setting checked before the networks load; a video that cannot be read stops
the run with one sentence naming it. The frames are streamed (memory does not grow with the video's length),
everybody is tracked and lifted, and the longest track becomes the motion, or the tracks `--track` names: one
person slot each, in the order named (`all`: every track, by id; a track with no frame to place is then left out,
said on stderr). `--smoothing S` sets the strength of the temporal model on the poses (1: the chosen one; 0:
none). The camera's focal length is --focal-px, else --focal-mm, else the one in the video's own metadata
(`lens.lens_from_file`: an iPhone's), else a 50 mm full-frame equivalent; the pose file's metadata says which
("focal_source"). With several people, `--bvh OUT.bvh` writes OUT_track<ID>.bvh per person. A damaged file
that ends early is read as far as it goes, said on stderr. All files are written atomically and together at the
end, so an interrupted run (Ctrl-C) leaves no partial file. `poselift scan` shares the reading and tracking
(`open_range`, `tracked_range`), so its tracks are these.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..formats.atomic import write_together
from ..formats.bvh_export import BvhExportError
from ..formats.posefile import PoseFileError, pose_file_writer
from ..nets.weights import WeightsNotFoundError
from .common import (
    CommandError,
    add_model_options,
    build_estimator,
    build_lifter,
    check_model_options,
    check_output,
    check_writable,
)
from .nobody import what_to_try
from .progress import Progress, end_bar_line

SMOOTHING = (0.0, 10.0)  # the strengths --smoothing accepts


def add_video_command(commands: argparse._SubParsersAction) -> None:
    video = commands.add_parser("video", help="track the people in a video and write their motions to a pose file")
    video.add_argument("video", type=Path, metavar="IN", help="video file (MP4, MOV, AVI, MKV, WebM, ...)")
    video.add_argument("-o", "--output", type=Path, required=True, metavar="OUT", help="pose file, .npz or .json")
    video.add_argument("--bvh", type=Path, metavar="OUT.bvh",
                       help="also write the motion as a BVH file (several people: OUT_track<ID>.bvh each)")  # fmt: skip
    add_motion_options(video, progress="bar")
    video.set_defaults(run=run_video)


def add_motion_options(parser: argparse.ArgumentParser, progress: str) -> None:
    """The options of the motion made of a video (tracks, range, lens, camera pitch, smoothing) and of the networks
    (`common.add_model_options`, --progress defaulting to `progress`), which `check_settings` checks."""
    parser.add_argument("--track", type=_tracks, metavar="ID[,ID...]|all",
                        help="the track to keep, tracks separated by commas (a person slot each, in that order) or "
                             "all (default: the longest)")  # fmt: skip
    add_range_options(parser)
    lens = parser.add_mutually_exclusive_group()
    lens.add_argument("--focal-px", type=float, metavar="F",
                      help="the camera's focal length in pixels (default: the focal length in the video's own "
                           "metadata where it has one, else a 50 mm full-frame equivalent)")  # fmt: skip
    lens.add_argument("--focal-mm", type=float, metavar="MM",
                      help="the camera's focal length in mm, 35 mm equivalent (a full-frame sensor 36 mm "
                           "wide)")  # fmt: skip
    parser.add_argument("--camera-pitch", type=float, metavar="DEG",
                        help="how far the camera looks down, degrees (default: found from the people's feet on one "
                             "floor)")  # fmt: skip
    parser.add_argument("--camera-roll", type=float, metavar="DEG",
                        help="how far the camera is turned about its optical axis, degrees counter-clockwise seen "
                             "from behind it (default: found from the people's feet on one floor where they cross "
                             "the picture, else 0)")  # fmt: skip
    parser.add_argument("--smoothing", type=float, default=1.0, metavar="S",
                        help=f"strength of the temporal smoothing of the poses, {SMOOTHING[0]:g} (none) to "
                             f"{SMOOTHING[1]:g}; larger is smoother (default 1)")  # fmt: skip
    add_model_options(parser, progress=progress)


def add_range_options(parser: argparse.ArgumentParser) -> None:
    """--start and --end, seconds of the video, and --small-people, who is looked for in it."""
    parser.add_argument("--start", type=float, default=0.0, metavar="S", help="first second to read (default 0)")
    parser.add_argument("--end", type=float, metavar="S", help="second to stop reading at (default: the end)")
    parser.add_argument("--small-people", action="store_true",
                        help="also find people down to about 9%% of the picture's long side tall beside bigger ones "
                             "(the detector looks at tiles of every frame it runs on, not only where the whole frame "
                             "shows nobody: slower)")  # fmt: skip


def run_video(args: argparse.Namespace) -> int:
    return run_guarded(args, _run)


def run_guarded(args: argparse.Namespace, run: Callable[[argparse.Namespace], int]) -> int:
    """`run(args)` for a command that reads a video: every failure one sentence on stderr (and a JSON error
    event), exit status 1."""
    try:
        from ..video.video_io import VideoReadError
    except ImportError as e:
        print(f"poselift {args.command} needs OpenCV (opencv-contrib-python) in this Python ({sys.executable}): {e}.",
              file=sys.stderr)  # fmt: skip
        return 1
    from ..video.video_poses import VideoPoseError

    try:
        return run(args)
    except (CommandError, VideoReadError, VideoPoseError, WeightsNotFoundError, PoseFileError, BvhExportError) as e:
        Progress(0, "frames", args.progress).error(str(e))
        print(e, file=sys.stderr)
        return 1


def _run(args: argparse.Namespace) -> int:
    """The command itself; torch and OpenCV are imported here, so `check` and `convert` need neither."""
    check_output(args.output, [args.video])
    if args.bvh is not None:
        _check_bvh(args.bvh, args.video)
    check_settings(args)
    lifted = lift_video(args)
    print(lifted.summary)
    return 0


@dataclass(frozen=True)
class LiftedVideo:
    """What `lift_video` wrote: its files, the frames of the pose file, the tracks kept, and the sentence saying
    so."""

    files: list[Path]
    frames: int
    people: list[int]
    summary: str


def lift_video(args: argparse.Namespace, lifter_for=build_lifter) -> LiftedVideo:
    """`args.video`'s people lifted as `args` asks (settings checked) and written to `args.output` (and
    `args.bvh`) together. The lifter is `lifter_for(args)`, asked for once the video is probed: a worker that
    lifts many videos gives one it loaded once."""
    from ..formats.bvh_export import bvh_writer
    from ..video.video_poses import choose_tracks, video_pose_sequence

    info, frames = open_range(args)
    focal_px, focal_source = _focal(args, info)
    lifter = lifter_for(args)  # on the people's device, the estimator's
    tracked, progress = tracked_range(args, frames, lifter)
    if not tracked.tracks:
        raise CommandError(nobody_found(args.video, tracked.frames, info.size, "so no pose file was written"))
    tracks = choose_tracks(tracked, args.track, str(args.video))
    pose = video_pose_sequence(tracked, tracks, info=info, nominal_fps=info.fps, model=args.model,
                               lifted_with=lifter.description, height=lifter.height, focal_px=focal_px,
                               start=args.start, end=args.end, smoothing=args.smoothing,
                               pitch=None if args.camera_pitch is None else math.radians(args.camera_pitch),
                               roll=None if args.camera_roll is None else math.radians(args.camera_roll),
                               left_out=_say if args.track == "all" else None)  # fmt: skip
    pose.metadata["focal_source"] = focal_source
    people = pose.metadata["people"]
    bvhs = _bvh_paths(args.bvh, people)
    files = [(args.output, pose_file_writer(args.output, pose))]
    files += [(path, bvh_writer(path, pose.joints3d[:, p], pose.joint_names, pose.fps)) for p, path in enumerate(bvhs)]
    try:
        write_together(files)  # every file or none
    except OSError as e:
        raise CommandError(f"{e.filename or args.output}: cannot be written ({e.strerror or e}).") from None
    progress.finish(str(args.output))
    others = len(tracked.tracks) - len(people)
    found = [int((pose.track_id[:, p] >= 0).sum()) for p in range(len(people))]
    written = " and ".join([str(args.output), ", ".join(map(str, bvhs))] if bvhs else [str(args.output)])
    what = (f"track {people[0]}, {found[0]} of {pose.frames} frames" if len(people) == 1 else "tracks " + ", ".join(
        f"{t} ({n} of {pose.frames} frames)" for t, n in zip(people, found, strict=True)))  # fmt: skip
    summary = (f"wrote {written}: {what} at {pose.fps:g} fps"
               f"{f' ({others} other track{_s(others)} left out)' if others else ''}")  # fmt: skip
    return LiftedVideo([path for path, _ in files], pose.frames, people, summary)


def open_range(args: argparse.Namespace):
    """(VideoInfo, VideoFrames) of `args.video` from --start to --end, checked (a range past the end: one
    sentence)."""
    from ..video.video_io import VideoFrames, probe_video

    info = probe_video(args.video)
    if args.start >= max(info.duration, 1e-9) and info.frames:
        raise CommandError(f"{args.video}: --start {args.start:g} s is past the video's end ({info.duration:.2f} s).")
    return info, VideoFrames(info, start=args.start, end=args.end)


def tracked_range(args: argparse.Namespace, frames, lifter=None, look=None):
    """(TrackedVideo, Progress): everybody in `frames` (`video_poses.track_video` with the tracker of --model on
    --device, lifted by `lifter` unless None, `look` at each batch), progress reported as --progress asks; a range
    with no frame, one sentence; a file that ends early, said on stderr."""
    from ..nets.pose2d import MAX_PEOPLE
    from ..video.tracking import PoseTracker
    from ..video.video_poses import track_video

    tracker = PoseTracker(build_estimator(args, MAX_PEOPLE, "video", args.small_people))
    progress = Progress(frames.expected, "frames", args.progress)  # its clock starts once the networks are loaded
    progress.update(0, "networks loaded")

    def on_batch(done: int, people: int) -> None:
        if progress.total:  # an estimate from the header; 0 when the header does not say
            progress.total = max(progress.total, done)
        progress.update(done, f"{done} frames, {people} {'person' if people == 1 else 'people'} in the last batch")

    height = None if lifter is None else args.height
    tracked = track_video(frames, tracker, lifter, height=height, on_batch=on_batch, look=look)
    if tracked.frames == 0:
        raise CommandError(f"{args.video}: no frame lies between {args.start:g} s and the end asked for.")
    if tracked.truncated:
        end_bar_line()
        print(f"{args.video}: the file ends early (damaged or truncated): read {tracked.frames} of the "
              f"{frames.expected} frames its header promises.", file=sys.stderr)  # fmt: skip
    return tracked, progress


def nobody_found(video: Path, frames: int, size: tuple[int, int], so: str) -> str:
    """The sentence for a video of `frames` frames of (W, H) `size` in which nobody was found; `so` says what
    follows ("so no pose file was written")."""
    return f"{video}: no person found in any of its {frames} frames, {so}; {what_to_try(size, 'video')}."


def check_range(args: argparse.Namespace) -> None:
    """Refuses, in one sentence, a --start or --end that is no range."""
    command = f"poselift {args.command}"
    if not (math.isfinite(args.start) and args.start >= 0):
        raise CommandError(f"{command}: --start must be a finite number of seconds from 0 up, not {args.start:g}.")
    if args.end is not None and not math.isfinite(args.end):
        raise CommandError(f"{command}: --end must be a finite number of seconds (leave it out to read to the end), "
                           f"not {args.end:g}.")  # fmt: skip
    if args.end is not None and args.end <= args.start:
        raise CommandError(f"{command}: --end ({args.end:g} s) must come after --start ({args.start:g} s).")


def _check_bvh(bvh: Path, video: Path) -> None:
    if bvh.is_dir():
        raise CommandError(f"{bvh}: is a folder, not a BVH file.")
    if bvh.suffix.lower() != ".bvh":
        raise CommandError(f"{bvh}: a BVH file must end in .bvh.")
    if not bvh.parent.is_dir():
        raise CommandError(f"{bvh}: the folder {bvh.parent} does not exist.")
    check_writable(bvh, [video])


def check_settings(args: argparse.Namespace) -> None:
    """Refuses, in one sentence naming the command, a setting of the motion (range, lens, camera pitch,
    smoothing, the networks' and lift's options) out of its range."""
    command = f"poselift {args.command}"
    check_range(args)
    if args.focal_px is not None and not (math.isfinite(args.focal_px) and args.focal_px > 0):
        raise CommandError(f"{command}: --focal-px must be a positive number of pixels, not {args.focal_px:g}.")
    if args.focal_mm is not None and not (math.isfinite(args.focal_mm) and args.focal_mm > 0):
        raise CommandError(f"{command}: --focal-mm must be a positive number of millimetres, not "
                           f"{args.focal_mm:g}.")  # fmt: skip
    if args.camera_pitch is not None and not (math.isfinite(args.camera_pitch) and -90 < args.camera_pitch < 90):
        raise CommandError(f"{command}: --camera-pitch must be degrees between -90 and 90 (down), not "
                           f"{args.camera_pitch:g}.")  # fmt: skip
    if args.camera_roll is not None and not (math.isfinite(args.camera_roll) and -45 <= args.camera_roll <= 45):
        raise CommandError(f"{command}: --camera-roll must be degrees between -45 and 45, not "
                           f"{args.camera_roll:g}.")  # fmt: skip
    if not (math.isfinite(args.smoothing) and SMOOTHING[0] <= args.smoothing <= SMOOTHING[1]):
        raise CommandError(f"{command}: --smoothing must be between {SMOOTHING[0]:g} (none) and "
                           f"{SMOOTHING[1]:g}, not {args.smoothing:g}.")  # fmt: skip
    check_model_options(args)


def _focal(args: argparse.Namespace, info) -> tuple[float | None, str]:
    """(pixels or None, where they came from): --focal-px, else --focal-mm on the video's size, else the focal
    length in the video's own metadata (`lens.lens_from_file`), else None, the default lens."""
    from ..formats.lens import lens_from_file
    from ..motion.root_motion import LENS_MM, focal_pixels

    if args.focal_px is not None:
        return args.focal_px, "--focal-px"
    if args.focal_mm is not None:
        return focal_pixels(args.focal_mm, info.size), "--focal-mm"
    lens = lens_from_file(info.path)
    if lens is not None:
        return focal_pixels(lens.focal_mm, info.size), f"{lens.source}: {lens.focal_mm:g} mm"
    return None, f"default: {LENS_MM:g} mm full-frame equivalent"


def _tracks(text: str) -> tuple[int, ...] | str:
    """--track's value: "all", or track ids separated by commas (each once, in the order given)."""
    if text.strip().lower() == "all":
        return "all"
    try:
        return tuple(dict.fromkeys(int(part) for part in text.split(",")))
    except ValueError:
        message = f"expected a track id, ids separated by commas, or all, not {text!r}"
        raise argparse.ArgumentTypeError(message) from None


def _bvh_paths(bvh: Path | None, people: list[int]) -> list[Path]:
    """The BVH files to write: none, `bvh` itself for one person, else <stem>_track<ID>.bvh beside it per person."""
    if bvh is None:
        return []
    return [bvh] if len(people) == 1 else [bvh.with_name(f"{bvh.stem}_track{t}{bvh.suffix}") for t in people]


def _say(sentence: str) -> None:
    end_bar_line()
    print(sentence, file=sys.stderr)


def _s(count: int) -> str:
    return "" if count == 1 else "s"
