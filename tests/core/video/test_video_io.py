"""Reading videos: probing, streaming in bounded batches with the container's times, a range in seconds, and one
sentence for each kind of unreadable file. Videos are made here with OpenCV and PyAV (a test-only dependency,
for what OpenCV cannot write: timestamps of our choosing and an MP4 with its index at the front)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from make_test_video import cached_test_video
from video_samples import bad_videos, write_h264, write_mjpg

from poselift.core.video import video_io
from poselift.core.video.video_io import VideoFrames, VideoReadError, frame_rate, probe_video


def ramp(frames: int, h: int = 48, w: int = 64) -> np.ndarray:
    """(F, H, W, 3) frames whose grey level says their number (10 per frame)."""
    return np.repeat(np.arange(frames, dtype=np.uint8)[:, None, None, None] * 10, h * w * 3).reshape(frames, h, w, 3)


def all_frames(frames: VideoFrames) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    batches = list(frames)
    return tuple(np.concatenate([getattr(b, key) for b in batches]) for key in ("pixels", "index", "time"))


def test_the_test_video_streams_in_batches_as_opencv_decodes_it():
    video, _ = cached_test_video(seconds=3.0)
    info = probe_video(video)
    assert (info.size, info.fps, info.frames, info.codec, info.duration) == ((512, 384), 30.0, 90, "h264", 3.0)
    frames = VideoFrames(info, batch_frames=32)
    batches = list(frames)
    assert [len(b.index) for b in batches] == [32, 32, 26] and frames.read == 90 and not frames.truncated
    index = np.concatenate([b.index for b in batches])
    times = np.concatenate([b.time for b in batches])
    np.testing.assert_array_equal(index, np.arange(90))
    np.testing.assert_allclose(times, np.arange(90) / 30, atol=1e-3)
    capture = cv2.VideoCapture(str(video))
    capture.set(cv2.CAP_PROP_POS_FRAMES, 40)
    _, bgr = capture.read()
    np.testing.assert_array_equal(batches[1].pixels[8], cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    assert batches[0].scale == (1.0, 1.0)


def test_start_and_end_in_seconds_pick_the_frames_shown_in_that_range():
    video, _ = cached_test_video(seconds=3.0)
    _, index, times = all_frames(VideoFrames(probe_video(video), start=1.0, end=2.0))
    np.testing.assert_array_equal(index, np.arange(30, 60))
    assert times[0] == pytest.approx(1.0, abs=1e-3) and times[-1] < 2.0


def test_batches_hold_a_bounded_number_of_pixels_whatever_the_frame_size():
    for size, working in [((640, 480), (640, 480)), ((3840, 2160), (1920, 1080)), ((1080, 7680), (270, 1920))]:
        info = video_io.VideoInfo(None, size, 30.0, 100_000, "avc1")
        assert info.working_size == working
        frames = VideoFrames(info)
        assert frames.batch_frames * working[0] * working[1] <= video_io.PIXELS_PER_BATCH
        assert 1 <= frames.batch_frames <= video_io.MAX_FRAMES_PER_BATCH


def test_a_4k_video_is_reduced_on_decode_and_its_points_map_back_to_full_resolution(tmp_path):
    frames = np.zeros((3, 2160, 3840, 3), np.uint8)
    frames[:, 1000:1160, 2000:2160] = 255  # a white square at x 2000..2159, y 1000..1159
    info = probe_video(write_mjpg(tmp_path / "4k.avi", frames, fps=25.0))
    assert info.size == (3840, 2160)
    (batch,) = list(VideoFrames(info))
    assert batch.pixels.shape == (3, 1080, 1920, 3) and batch.scale == (2.0, 2.0)
    rows, cols = np.nonzero(batch.pixels[0, :, :, 0] > 128)
    corners = batch.to_full(np.array([[cols.min(), rows.min()], [cols.max(), rows.max()]]))
    np.testing.assert_allclose(corners, [[2000.5, 1000.5], [2158.5, 1158.5]], atol=1.0)


def test_a_variable_frame_rate_keeps_each_frames_own_time(tmp_path):
    times_ms = [0, 33, 67, 100, 133, 200, 267, 333, 400, 467, 500, 533]  # 30 fps, then 15 fps, then 30 again
    info = probe_video(write_h264(tmp_path / "vfr.mp4", ramp(12), times_ms))
    pixels, index, times = all_frames(VideoFrames(info))
    np.testing.assert_array_equal(index, np.arange(12))
    np.testing.assert_allclose(times * 1000, times_ms, atol=1.0)
    assert np.all(np.abs(pixels.mean(axis=(1, 2, 3)) - np.arange(12) * 10) < 3)  # each frame is itself
    fps, variable = frame_rate(times, info.fps)
    assert variable and fps == pytest.approx(11 / 0.533, rel=0.01)
    assert frame_rate(np.arange(10) / 25, 25.0) == (25.0, False)
    assert frame_rate(np.zeros(1), 24.0) == (24.0, False)


@pytest.mark.parametrize("container", ["mp4", "mkv"])
def test_a_start_in_a_variable_frame_rate_video_is_found_by_time_and_the_file_is_whole(tmp_path, container):
    times_ms = [i * 100 for i in range(15)] + [1500 + round(i * 1000 / 30) for i in range(10)]  # 10 fps, then 30
    info = probe_video(write_h264(tmp_path / f"vfr.{container}", ramp(25), times_ms))
    for start, first in ((0.8, 8), (1.5, 15)):
        frames = VideoFrames(info, start=start)
        pixels, index, times = all_frames(frames)
        assert index[0] == first and times[0] == pytest.approx(start, abs=0.002), (start, index[0], times[0])
        assert abs(pixels[0].mean() - first * 10) < 3  # the frame is itself, not a later one
        assert len(index) == 25 - first and not frames.truncated


def test_a_file_cut_short_yields_the_frames_it_holds_and_says_it_is_truncated(tmp_path):
    noise = np.random.default_rng(0).integers(0, 256, (60, 96, 128, 3), dtype=np.uint8)  # frames that fill the file
    whole = write_h264(tmp_path / "whole.mp4", noise, [round(i * 1000 / 30) for i in range(60)],
                       faststart=True)  # the index first, as streaming MP4s have it
    data = whole.read_bytes()
    (tmp_path / "cut.mp4").write_bytes(data[: len(data) // 2])
    info = probe_video(tmp_path / "cut.mp4")
    assert info.frames == 60
    frames = VideoFrames(info)
    _, index, _ = all_frames(frames)
    assert 5 < len(index) < 55 and frames.read == len(index) and frames.truncated


def test_each_unreadable_file_is_one_sentence_naming_it(tmp_path, capfd):
    video, _ = cached_test_video(seconds=3.0)
    for case, (path, words) in bad_videos(tmp_path, video, ramp(4)).items():
        with pytest.raises(VideoReadError) as failed:
            probe_video(path)
        sentence = str(failed.value)
        assert sentence.startswith(f"{path}: ") and sentence.endswith(".") and "\n" not in sentence, case
        assert all(word in sentence for word in words), (case, sentence)
    assert capfd.readouterr().err == "", "OpenCV and FFmpeg print nothing of their own"


def test_an_empty_range_is_refused():
    info = video_io.VideoInfo(None, (64, 48), 30.0, 10, "MJPG")
    with pytest.raises(ValueError, match="empty"):
        VideoFrames(info, start=2.0, end=1.0)
    with pytest.raises(ValueError, match="negative"):
        VideoFrames(info, start=-1.0)
