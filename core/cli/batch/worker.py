"""A batch's worker: it loads the networks once, on the first video that gets as far as needing them, then lifts
video after video with them (`poselift video`'s own `lift_video`). A video's failure is that video's outcome, one
sentence; only networks that cannot be loaded end the worker's use (the outcome "fatal": every video would fail
alike)."""

from __future__ import annotations

import argparse
import contextlib
import io
import time
from pathlib import Path

from ...formats.bvh_export import BvhExportError
from ...formats.posefile import PoseFileError
from ...nets.weights import WeightsError
from ..common import CommandError, build_estimator, build_lifter
from ..video_command import lift_video
from .blender import animate, blender_command
from .manifest import Item


class SetupError(Exception):
    """The networks cannot be loaded; the message is one sentence."""


class Worker:
    """Lifts `Item`s into `outdir` with the motion settings of `args` (a `poselift batch` namespace), on
    `threads` CPU threads (None: torch's default)."""

    def __init__(self, args: argparse.Namespace, outdir: Path, threads: int | None = None):
        self.args, self.outdir, self.lifter, self.blender = args, outdir, None, None
        if threads:
            import torch

            torch.set_num_threads(threads)

    def lift(self, item: Item) -> dict:
        """`item`'s outcome: {"status": "done" or "failed", "error": one sentence or None, "seconds", "frames",
        "people", "tracks", "outputs": file names, "notes": what was said on stderr}, or {"status": "fatal",
        "error"} when the networks cannot be loaded."""
        from ...video.video_io import VideoReadError
        from ...video.video_poses import VideoPoseError

        began = time.perf_counter()
        paths = {"output": self.outdir / f"{item.name}.npz", "bvh": self.outdir / f"{item.name}.bvh"}
        args = argparse.Namespace(**{**vars(self.args), **paths, "video": item.video, "progress": "quiet"})
        outcome = {"status": "failed", "error": None, "frames": 0, "people": 0, "tracks": [], "outputs": []}
        said = io.StringIO()
        try:
            with contextlib.redirect_stderr(said):
                lifted = lift_video(args, self._lifter)
            outcome |= {"frames": lifted.frames, "people": len(lifted.people), "tracks": lifted.people}
            animated = animate(self._blender(), args.output, lifted.people, args) if self._blender() else []
            outcome |= {"status": "done", "outputs": [path.name for path in lifted.files + animated]}
        except SetupError as e:
            return {"status": "fatal", "error": str(e)}
        except (CommandError, VideoReadError, VideoPoseError, PoseFileError, BvhExportError) as e:
            outcome["error"] = str(e)
        except Exception as e:  # a bug or a file nobody foresaw: this video fails, the batch goes on
            first = (str(e).strip().splitlines() or [""])[0].rstrip(".")
            outcome["error"] = f"{item.video}: failed unexpectedly ({type(e).__name__}{': ' if first else ''}{first})."
        outcome["seconds"] = round(time.perf_counter() - began, 3)
        outcome["notes"] = said.getvalue().splitlines()
        return outcome

    def _blender(self) -> list[str] | None:
        """The command that runs the Blender stage, None without one (`blender.blender_command`)."""
        if self.blender is None and (self.args.export_as or self.args.blend):
            try:
                self.blender = blender_command(self.args)
            except CommandError as e:
                raise SetupError(str(e)) from None
        return self.blender

    def _lifter(self, args: argparse.Namespace):
        """The lifter, and the 2D networks beside it, loaded on the first call."""
        from ...nets.pose2d import MAX_PEOPLE

        if self.lifter is None:
            try:
                self.lifter = build_lifter(args)
                build_estimator(args, MAX_PEOPLE, "video", args.small_people)  # kept for `tracked_range`
            except (CommandError, WeightsError) as e:
                raise SetupError(str(e)) from None
        return self.lifter
