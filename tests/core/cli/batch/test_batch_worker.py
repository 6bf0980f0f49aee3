"""A batch's worker loads the networks once and lifts video after video with them; a video's failure is its
outcome, one sentence, and the worker goes on."""

from __future__ import annotations

import numpy as np
from make_test_video import cached_test_video
from video_samples import write_mjpg

from poselift.core.cli import common
from poselift.core.cli.batch.manifest import Item
from poselift.core.cli.batch.worker import Worker
from poselift.core.cli.main import build_parser
from poselift.core.formats.posefile import read_pose_file
from poselift.core.video.video_io import VideoFrames, probe_video


def test_one_worker_lifts_several_videos_with_the_networks_it_loaded_once(tmp_path):
    video, _ = cached_test_video(seconds=3.0)
    frames = np.concatenate([batch.pixels for batch in VideoFrames(probe_video(video))])
    first, second = write_mjpg(tmp_path / "first.avi", frames[:6]), write_mjpg(tmp_path / "second.avi", frames[50:56])
    (tmp_path / "notes.mp4").write_text("not a video\n" * 100)
    args = build_parser().parse_args(["batch", str(tmp_path), "-o", str(tmp_path), "--model", "lite"])
    worker = Worker(args, tmp_path)  # torch's threads as they are: this process goes on to other tests
    done = worker.lift(Item(first, "first", None))
    lifter, loads = worker.lifter, common._estimator.cache_info().misses
    failed = worker.lift(Item(tmp_path / "notes.mp4", "notes", None))
    again = worker.lift(Item(second, "second", None))
    assert worker.lifter is lifter and common._estimator.cache_info().misses == loads  # nothing loaded again
    assert done["status"] == again["status"] == "done" and again["outputs"] == ["second.npz", "second.bvh"]
    assert (again["frames"], again["people"], again["tracks"], again["notes"]) == (6, 1, [0], [])
    assert read_pose_file(tmp_path / "second.npz").source == "second.avi"
    assert failed["status"] == "failed" and failed["error"].startswith(f"{tmp_path / 'notes.mp4'}: ")
    assert "not a video" in failed["error"] and failed["outputs"] == []
