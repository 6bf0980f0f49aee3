"""Videos that would take too much or wait forever: a last frame stamped days in, a pipe, a photo named .mp4."""

import os
import resource

import numpy as np
import pytest
from byte_mutations import Tally, flip, splice, truncate
from PIL import Image
from video_samples import write_h264, write_mjpg

from poselift.core.video.video_io import MAX_EVEN_FRAMES, VideoFrames, VideoReadError, probe_video

LATE_MS = 100_000_000  # the last frame's time: over a day in (MP4 muxing takes no larger step)


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def test_a_last_frame_stamped_a_day_in_is_refused_in_one_sentence_before_memory_grows(tmp_path):
    frames = np.zeros((4, 64, 64, 3), np.uint8)
    video = write_h264(tmp_path / "late.mp4", frames, [0, 33, 66, LATE_MS])
    assert video.stat().st_size < 60_000
    info = probe_video(video)
    before = _rss_mb()
    with pytest.raises(VideoReadError, match=rf"late.mp4: its frames span 100000 s, .* over the {MAX_EVEN_FRAMES}"):
        list(VideoFrames(info))
    assert _rss_mb() - before < 200


def test_a_pipe_is_refused_without_waiting_for_a_writer(tmp_path):
    os.mkfifo(tmp_path / "pipe.mp4")
    with pytest.raises(VideoReadError, match="pipe.mp4: is not a regular file"):
        probe_video(tmp_path / "pipe.mp4")


@pytest.mark.parametrize("kind", ["PNG", "JPEG", "BMP", "TIFF"])
def test_a_photo_named_mp4_is_said_to_be_no_video(tmp_path, kind):
    path = tmp_path / "photo.mp4"
    Image.new("RGB", (64, 48)).save(path, format=kind)
    with pytest.raises(VideoReadError, match=f"photo.mp4: is a {kind} image, not a video"):
        probe_video(path)


VIDEO_CASES = int(os.environ.get("POSELIFT_FUZZ_CASES", "2500")) // 25


def _read_all(path) -> None:
    for _ in VideoFrames(probe_video(path)):
        pass


@pytest.mark.parametrize("form", ["avi", "mp4"])
def test_a_mutated_video_is_read_or_refused_in_one_sentence(tmp_path, form):
    """Only VideoReadError leaves the reader, whatever the bytes of a short MJPG AVI or H.264 MP4."""
    rng = np.random.default_rng([int(os.environ.get("POSELIFT_FUZZ_SEED", "0")), len(form)])
    frames = rng.integers(0, 256, (4, 48, 64, 3), np.uint8)
    if form == "avi":
        good = write_mjpg(tmp_path / "good.avi", frames)
    else:
        good = write_h264(tmp_path / "good.mp4", frames, [0, 33, 66, 100])
    path, tally = tmp_path / f"fuzzed.{form}", Tally(_read_all, VideoReadError, "read")
    tally.fuzz(path, good.read_bytes(), (flip, truncate, splice), rng, VIDEO_CASES, form)
    assert tally.refused > 0
