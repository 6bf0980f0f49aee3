"""Videos the command-line tests share, made from the rendered test video's frames."""

from __future__ import annotations

import contextlib
import io

import numpy as np
import pytest
from make_test_video import cached_test_video
from video_samples import write_mjpg

from poselift.core.video.video_io import VideoFrames, probe_video

JOINS = 30  # the frame the second person of `two_people` comes into view at


@pytest.fixture(scope="session")
def two_people(tmp_path_factory):
    """A 3-second 30 fps Motion-JPEG video (512 x 384) of two people side by side, each a 256-pixel-wide strip of
    the test video around its figure: on the left its frames in order, from the first frame; on the right its
    frames backwards, from frame JOINS on (before that, the strip of empty floor and wall beside the figure)."""
    video, _ = cached_test_video(seconds=3.0)
    frames = np.concatenate([batch.pixels for batch in VideoFrames(probe_video(video))])  # (90, 384, 512, 3)
    left = frames[:, :, 128:384]
    right = frames[::-1, :, 128:384].copy()
    right[:JOINS] = np.concatenate([frames[:JOINS, :, :128], frames[:JOINS, :, 384:]], axis=2)
    path = tmp_path_factory.mktemp("two_people") / "two_people.avi"
    return write_mjpg(path, np.concatenate([left, right], axis=2))


@pytest.fixture(scope="session")
def two_motions(two_people, tmp_path_factory):
    """(pose file, BVH path asked for, stdout) of `poselift video --track all --bvh` on `two_people`."""
    from poselift.core.cli.main import main

    folder = tmp_path_factory.mktemp("two_motions")
    out, bvh = folder / "motion.npz", folder / "motion.bvh"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        status = main(["video", str(two_people), "-o", str(out), "--bvh", str(bvh), "--track", "all",
                       "--model", "lite", "--device", "cpu", "--progress", "quiet"])  # fmt: skip
    assert status == 0
    return out, bvh, printed.getvalue()
