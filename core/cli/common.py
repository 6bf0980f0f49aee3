"""What `poselift image` and `poselift video` share: the one-sentence error, the output check, the options of
the networks and of the 3D lift, and building both from those options (torch is imported only there)."""

from __future__ import annotations

import argparse
import functools
import math
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from ..formats.files import not_regular
from ..formats.posefile import SUFFIXES, PoseFileError
from ..nets.weights import DEFAULT_VARIANT, LANDMARK_FILES

HEIGHTS = (0.5, 2.5)  # metres: the statures --height accepts
MAX_STAGES = 10


class CommandError(Exception):
    """A bad input or setting; the message is one sentence."""


def check_output(path: Path, inputs: Sequence[Path] = ()) -> None:
    """Refuses, in one sentence, a pose-file path of the wrong kind, that is a folder itself, in a folder that is
    not there or cannot be written, or that is one of `inputs`."""
    if path.is_dir():
        raise PoseFileError(f"{path}: is a folder, not a pose file.")
    if path.suffix.lower() not in SUFFIXES:
        raise PoseFileError(f"{path}: a pose file must end in .npz or .json.")
    if not path.parent.is_dir():
        raise PoseFileError(f"{path}: the folder {path.parent} does not exist.")
    check_writable(path, inputs)


def check_writable(path: Path, inputs: Sequence[Path] = ()) -> None:
    """Refuses, in one sentence, an output `path` (in an existing folder) that is one of `inputs` or whose folder
    cannot be written: a file is made there and removed, so a read-only disk shows before the work."""
    if any(_same_file(path, source) for source in inputs):
        raise CommandError(f"{path}: is also an input, and would be overwritten.")
    check_folder(path.parent)


def check_folder(folder: Path) -> None:
    """Refuses, in one sentence, a folder that cannot be written, or made (its nearest existing parent tells)."""
    existing = next(p for p in (folder, *folder.parents) if p.exists())
    if not existing.is_dir():
        raise CommandError(f"{folder}: cannot be a folder, since {existing} is a file.")
    try:
        with tempfile.NamedTemporaryFile(dir=existing, prefix=".poselift-"):
            pass
    except OSError as e:
        raise CommandError(f"{folder}: cannot be written ({e.strerror or e}).") from None


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return a.resolve() == b.resolve()


def add_model_options(parser: argparse.ArgumentParser, progress: str) -> None:
    """--model, the weight options, --device, --half, --stages, --height, --lifter, --prior, and --progress
    (default `progress`)."""
    parser.add_argument("--model", choices=tuple(LANDMARK_FILES), default=DEFAULT_VARIANT,
                        help=f"BlazePose landmark network (default {DEFAULT_VARIANT})")
    add_weight_options(parser)
    parser.add_argument("--device", choices=("cpu", "cuda"), help="where the networks run (default: cuda if present)")
    parser.add_argument("--half", action="store_true",
                        help="run the networks in float16 (cuda only): faster, landmarks within about a pixel")
    parser.add_argument("--stages", type=int, metavar="N",
                        help="stages of the 2D-3D loop (1: one fit on the network's 2D; default: the lifter's)")
    parser.add_argument("--height", type=float, metavar="METRES",
                        help="stature every person is scaled to, in metres (default: a human average)")
    parser.add_argument("--lifter", choices=("fit", "cascade", "combined"),
                        help="2D to 3D: the prior's fit in the 2D-3D loop, the learned cascade, or both combined "
                             "(default: combined)")  # fmt: skip
    parser.add_argument("--prior", type=Path, metavar="FILE",
                        help="3D pose prior: our .npz or the authors' .mat (default: the shipped prior)")
    parser.add_argument("--progress", choices=("bar", "json", "quiet"), default=progress,
                        help=f"report progress as a bar on stderr, or as JSON lines on stdout (for the add-on); "
                             f"default {progress}")  # fmt: skip


def add_weight_options(parser: argparse.ArgumentParser) -> None:
    """--landmark-weights and --detector-weights: BlazePose files a user names instead of the installed ones."""
    parser.add_argument("--landmark-weights", type=Path, metavar="FILE",
                        help="a BlazePose landmark .tflite of the --model network to use instead of the installed "
                             "one; proven on a built-in picture of a person first")  # fmt: skip
    parser.add_argument("--detector-weights", type=Path, metavar="FILE",
                        help="a BlazePose detector .tflite to use instead of the installed one; proven likewise")


def check_weight_options(args: argparse.Namespace) -> None:
    """Refuses, in one sentence, a weight file named by `add_weight_options` that is not a regular file."""
    for path in (args.landmark_weights, args.detector_weights):
        problem = path and not_regular(path, "a weight file")
        if problem:
            raise CommandError(problem)


def check_model_options(args: argparse.Namespace) -> None:
    """Refuses, in one sentence naming the command, a setting of `add_model_options` out of its range."""
    command = f"poselift {args.command}"
    if args.stages is not None and not 1 <= args.stages <= MAX_STAGES:
        raise CommandError(f"{command}: --stages must be between 1 and {MAX_STAGES}, not {args.stages}.")
    if args.height is not None and not (math.isfinite(args.height) and HEIGHTS[0] <= args.height <= HEIGHTS[1]):
        raise CommandError(
            f"{command}: --height is a stature in metres between {HEIGHTS[0]} and {HEIGHTS[1]}, not {args.height:g}."
        )
    problem = args.prior and not_regular(args.prior, "a pose model file")
    if problem:
        raise CommandError(problem)
    check_weight_options(args)


def build_lifter(args: argparse.Namespace, device=None):
    """The `lifting.Lifter` the options ask for (the prior file read now), on `device` (None: the people's)."""
    try:
        from ..lift.cascade import CascadeFileError
        from ..lift.lifting import Lifter
        from ..lift.ppca import ModelFileError
    except ImportError as e:
        raise CommandError(f"poselift {args.command} needs torch in this Python ({sys.executable}): {e}.") from None
    options = {k: v for k, v in (("stages", args.stages), ("height", args.height), ("lifter", args.lifter))
               if v is not None}  # fmt: skip
    try:
        return Lifter(args.prior, device=device, **options)
    except (ModelFileError, CascadeFileError) as e:
        raise CommandError(str(e)) from None


def build_estimator(args: argparse.Namespace, max_people: int, picture: str, small_people: bool = False):
    """The BlazePose networks of --model on --device for a `picture` ("photo" or "video"), loaded once per process
    and setting (a worker may run several commands). The detector looks at tiles of a picture whose whole shows
    nobody (`pose2d.SEARCH` or `SEARCH_VIDEO`); with `small_people`, at tiles of every picture (`pose2d.SMALL_PEOPLE`
    or `SMALL_PEOPLE_VIDEO`: slower, finds people down to about 6% or 9% of the picture's long side beside bigger
    ones)."""
    try:
        import torch
    except ImportError as e:
        raise CommandError(f"poselift {args.command} needs torch in this Python ({sys.executable}): {e}.") from None
    if args.device == "cuda" and not torch.cuda.is_available():
        raise CommandError(f"poselift {args.command}: --device cuda was asked for, but torch sees no CUDA device here.")
    if args.half and (args.device == "cpu" or not torch.cuda.is_available()):
        raise CommandError(f"poselift {args.command}: --half runs the networks in float16 on a CUDA device, "
                           "and there is none here (or --device cpu was given).")  # fmt: skip
    from ..nets.tflite import TFLiteError
    from ..nets.weights import WeightsError

    try:
        return _estimator(args.model, args.device, max_people, args.half, picture, small_people,
                          args.landmark_weights, args.detector_weights)  # fmt: skip
    except (TFLiteError, WeightsError) as e:
        raise CommandError(str(e)) from None


@functools.lru_cache(maxsize=2)
def _estimator(model: str, device: str | None, max_people: int, half: bool, picture: str, small_people: bool,
               landmark_weights: Path | None, detector_weights: Path | None):  # fmt: skip
    from ..nets.pose2d import SEARCH, SEARCH_VIDEO, SMALL_PEOPLE, SMALL_PEOPLE_VIDEO, PoseEstimator

    options = {("photo", True): SMALL_PEOPLE, ("video", True): SMALL_PEOPLE_VIDEO, ("photo", False): SEARCH,
               ("video", False): SEARCH_VIDEO}[picture, small_people]  # fmt: skip
    return PoseEstimator(variant=model, device=device, max_people=max_people, half=half,
                         landmark_weights=landmark_weights, detector_weights=detector_weights, **options)  # fmt: skip
