"""Videos read for the pose pipeline with OpenCV, streamed in batches; every failure is one sentence.

`probe_video(path)` opens a video and decodes its first frame, so a missing file, a file that is not a video,
an empty or damaged file and a codec OpenCV cannot decode are each told apart in one sentence naming the file
(`VideoReadError`). `VideoFrames(info, start=, end=)` then yields `FrameBatch`es of consecutive frames: (h, w, 3)
uint8 RGB pixels with their frame index in the file and their time in seconds from the container's timestamps
(so a variable-frame-rate file keeps its true times). Frames larger than `MAX_SIDE` on their long side are
reduced on decode (BlazePose looks at 224- and 256-pixel crops; `FrameBatch.to_full` maps pixels back), and a
batch holds at most `PIXELS_PER_BATCH` pixels, so memory does not grow with the video's length or frame size.
A file that ends before its header says (truncated) yields what it holds; `VideoFrames.truncated` says so.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# FFmpeg inside OpenCV reports damaged files on stderr by itself; our one sentence says it instead. Read when the
# first capture opens, so it is set before cv2 is used.
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")

import cv2  # noqa: E402

from ..formats.files import not_regular

MAX_SIDE = 1920  # long side, pixels, of the frames the pipeline works on
PIXELS_PER_BATCH = 48e6  # decoded pixels held at once (uint8 RGB: ~144 MB)
MAX_FRAMES_PER_BATCH = 64
SEEK_TOLERANCE = 0.002  # seconds: a seek lands on the frame nearest the time asked for, give or take this
VARIABLE_RATE_TOLERANCE = 0.05  # frame intervals that differ from the mean by more than this share: variable rate
TIMESTAMP_ROUNDING = 0.0011  # seconds: millisecond timestamps (WebM, MKV) make even intervals differ by this much
_SNIFF_BYTES = 4 << 20
# Frames a video may have once its frame times are evened out at its nominal rate (`video_poses.uniform_times`):
# 4 hours at 60 fps. Each costs the pose arrays a few KB, so a file whose last frame is stamped a million seconds
# in would ask for gigabytes.
MAX_EVEN_FRAMES = 4 * 3600 * 60
# Codecs OpenCV's FFmpeg decodes: a file of one of these that fails is damaged, not of an unknown codec.
_COMMON_CODECS = {"avc1", "avc3", "h264", "x264", "hvc1", "hev1", "hevc", "mp4v", "fmp4", "xvid", "divx", "dx50",
                  "mjpg", "mjpa", "jpeg", "vp80", "vp90", "vp09", "av01", "mpg1", "mpg2", "wmv2", "ffv1"}
_CONTAINERS = {b"ftyp": "MP4/MOV", b"RIFF": "AVI", b"\x1aE\xdf\xa3": "Matroska/WebM"}
# Still images FFmpeg would open as a video of one frame, by the bytes they start with.
_STILLS = {b"\x89PNG": "PNG", b"\xff\xd8\xff": "JPEG", b"BM": "BMP", b"II*\0": "TIFF", b"MM\0*": "TIFF"}


class VideoReadError(ValueError):
    """A file that cannot be read as a video; the message is one sentence naming the file."""


@dataclass(frozen=True)
class VideoInfo:
    """What the container says about a video whose first frame decodes."""

    path: Path
    size: tuple[int, int]  # (W, H) pixels of the frames as stored
    fps: float  # the container's nominal frame rate, frames per second
    frames: int  # the container's frame count (0 when it does not say)
    codec: str  # FOURCC, e.g. "avc1", "MJPG"

    @property
    def duration(self) -> float:
        """Seconds, from the container's frame count and rate."""
        return self.frames / self.fps if self.fps > 0 else 0.0

    @property
    def working_size(self) -> tuple[int, int]:
        """(w, h) pixels of the frames as `VideoFrames` yields them: reduced to at most MAX_SIDE."""
        w, h = self.size
        factor = min(1.0, MAX_SIDE / max(w, h))
        return max(1, round(w * factor)), max(1, round(h * factor))


@dataclass(frozen=True)
class FrameBatch:
    """B consecutive decoded frames."""

    pixels: np.ndarray  # (B, h, w, 3) uint8 RGB, reduced to `VideoInfo.working_size`
    index: np.ndarray  # (B,) int64 frame numbers in the file, from 0
    time: np.ndarray  # (B,) float64 seconds, the container's presentation times
    scale: tuple[float, float]  # full-resolution pixels per working pixel, along x and y

    def to_full(self, points: np.ndarray) -> np.ndarray:
        """(..., 2) working-pixel coordinates -> full-resolution pixels (pixel i's centre at i)."""
        return ((np.asarray(points, np.float64) + 0.5) * np.asarray(self.scale) - 0.5).astype(np.float32)


def probe_video(path: str | os.PathLike) -> VideoInfo:
    """Open `path` and decode its first frame; VideoReadError with one sentence when it cannot be read."""
    path = Path(path)
    capture = _open(path)
    try:
        ok, _ = capture.read()
        frames = max(int(capture.get(cv2.CAP_PROP_FRAME_COUNT)), 0)
        fourcc = int(capture.get(cv2.CAP_PROP_FOURCC))
        codec = "".join(chr((fourcc >> 8 * i) & 0xFF) for i in range(4)).strip("\0 ") or "unknown"
        if not ok:
            if frames == 0:
                raise VideoReadError(f"{path}: the video holds no frames.")
            if codec.lower() in _COMMON_CODECS:
                raise VideoReadError(f"{path}: the file is damaged or truncated; its first frame cannot be decoded.")
            raise VideoReadError(f"{path}: its video codec ({codec}) cannot be decoded by this OpenCV.")
        size = int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)), int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
        fps = float(capture.get(cv2.CAP_PROP_FPS))
    finally:
        capture.release()
    if not (math.isfinite(fps) and fps > 0):
        fps = 30.0
    if frames > MAX_EVEN_FRAMES:
        raise VideoReadError(f"{path}: its header says it has {frames} frames, over the {MAX_EVEN_FRAMES} "
                             "(4 hours at 60 fps) this reads.")  # fmt: skip
    return VideoInfo(path, size, fps, frames, codec)


def _open(path: Path) -> cv2.VideoCapture:
    head = _head(path)
    still = next((name for magic, name in _STILLS.items() if head.startswith(magic)), None)
    if still:
        raise VideoReadError(f"{path}: is a {still} image, not a video (poselift image reads photos).")
    level = cv2.getLogLevel()
    cv2.setLogLevel(0)  # silent
    try:
        capture = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    finally:
        cv2.setLogLevel(level)
    if not capture.isOpened():
        container = next((name for magic, name in _CONTAINERS.items() if magic in head), None)
        codec = _stored_codec(path) if container else None
        if codec and codec.lower() not in _COMMON_CODECS:
            raise VideoReadError(f"{path}: its video codec ({codec}) cannot be decoded by this OpenCV.")
        if container:
            raise VideoReadError(f"{path}: the {container} file is damaged or truncated; no frame could be read.")
        raise VideoReadError(f"{path}: is not a video OpenCV can read.")
    return capture


def _head(path: Path) -> bytes:
    """The first 12 bytes of a regular, non-empty file; one sentence for anything else (a pipe would block)."""
    problem = not_regular(path, "a video")
    if problem:
        raise VideoReadError(problem)
    try:
        with path.open("rb") as file:
            head = file.read(12)
    except FileNotFoundError:
        raise VideoReadError(f"{path}: no such file.") from None
    except OSError as e:
        raise VideoReadError(f"{path}: cannot be read ({e.strerror or e}).") from None
    if not head:
        raise VideoReadError(f"{path}: the file is empty (0 bytes).")
    return head


def _stored_codec(path: Path) -> str | None:
    """The FOURCC of the first video track as an AVI or MP4/MOV header names it, read from the file's first and
    last `_SNIFF_BYTES` (where the headers are), or None where none is found."""
    size = path.stat().st_size
    with path.open("rb") as file:
        data = file.read(_SNIFF_BYTES)
        if size > _SNIFF_BYTES:
            file.seek(max(_SNIFF_BYTES, size - _SNIFF_BYTES))
            data += file.read()
    for pattern in (rb"strh.{4}vids(.{4})", rb"stsd.{12}(.{4})"):
        found = re.search(pattern, data, re.DOTALL)
        if found and found.group(1).isalnum():
            return found.group(1).decode("ascii")
    return None


class VideoFrames:
    """The frames of a probed video from `start` to `end` seconds, streamed as `FrameBatch`es.

    Iterating decodes the file once, front to back (after a seek to `start`, or from the beginning where the
    seek overshoots); `read` counts the frames yielded, `truncated` is True when the file's frames ended well
    before the duration its container gives.
    """

    def __init__(self, info: VideoInfo, *, start: float = 0.0, end: float | None = None,
                 batch_frames: int | None = None):
        if start < 0:
            raise ValueError(f"the start {start:g} s is negative")
        if end is not None and end <= start:
            raise ValueError(f"the range {start:g} s to {end:g} s is empty")
        self.info, self.start, self.end = info, float(start), end
        w, h = info.working_size
        self.batch_frames = batch_frames or int(np.clip(PIXELS_PER_BATCH // (w * h), 1, MAX_FRAMES_PER_BATCH))
        self.read = 0
        self.truncated = False

    @property
    def expected(self) -> int:
        """Frames the range should hold, from the container's count and rate (an estimate: 0 if unknown)."""
        last = self.info.frames if self.end is None else min(self.info.frames, math.ceil(self.end * self.info.fps))
        return max(0, last - round(self.start * self.info.fps))

    def __iter__(self) -> Iterator[FrameBatch]:
        info = self.info
        self.read, self.truncated = 0, False
        capture = _open(info.path)
        try:
            sought = self.start > 0
            if sought:
                capture.set(cv2.CAP_PROP_POS_MSEC, self.start * 1000)
            w, h = info.working_size
            scale = (info.size[0] / w, info.size[1] / h)
            pixels = np.empty((self.batch_frames, h, w, 3), np.uint8)
            index = np.empty(self.batch_frames, np.int64)
            time = np.empty(self.batch_frames, np.float64)
            n, ended, previous, last, first = 0, False, -math.inf, 0.0, None
            while not ended:
                position = int(capture.get(cv2.CAP_PROP_POS_FRAMES))
                ok, image = capture.read()
                seconds = capture.get(cv2.CAP_PROP_POS_MSEC) / 1000
                if seconds <= previous:  # a stream without timestamps: its nominal rate
                    seconds = position / info.fps
                if sought and (not ok or seconds > self.start + 0.5 / info.fps + SEEK_TOLERANCE):
                    # OpenCV seeks by frame count at the nominal rate, which overshoots on a variable frame
                    # rate (even past the end): decode from the beginning, keeping the frames from `start` by time.
                    capture.release()
                    capture = _open(info.path)
                    sought = False
                    continue
                sought, previous = False, seconds
                last = seconds if ok else last
                ended = not ok or (self.end is not None and seconds >= self.end)
                if not ended and seconds >= self.start - 0.5 / info.fps:
                    first = seconds if first is None else first
                    _check_span(info, seconds - first)
                    pixels[n] = _working(image, (w, h))
                    index[n], time[n] = position, seconds
                    n += 1
                if n == self.batch_frames or (ended and n):
                    self.read += n
                    yield FrameBatch(pixels[:n].copy(), index[:n].copy(), time[:n].copy(), scale)
                    n = 0
            # Short by count and by time: a variable-rate container's count may be its duration times a rate.
            self.truncated = (not ok and self.read < self.expected - 1
                              and last + 1.5 / info.fps < info.duration)  # fmt: skip
        finally:
            capture.release()


def _check_span(info: VideoInfo, span: float) -> None:
    """Refuses, in one sentence, frames `span` seconds apart that, evened out at the nominal rate, are too many."""
    if span * info.fps > MAX_EVEN_FRAMES:
        raise VideoReadError(f"{info.path}: its frames span {span:.0f} s, {span * info.fps:.0f} frames at its nominal "
                             f"{info.fps:.3g} fps, over the {MAX_EVEN_FRAMES} (4 hours at 60 fps) this reads.")


def _working(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """A decoded BGR frame as (h, w, 3) uint8 RGB of the working size (area-averaged when reduced)."""
    if image.shape[1] != size[0] or image.shape[0] != size[1]:
        image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def frame_rate(time: np.ndarray, nominal: float) -> tuple[float, bool]:
    """The frame rate of frames at (F,) times in seconds and whether it varies: `nominal` where the frames are
    evenly spaced (up to millisecond rounding; or F < 2), their mean rate where they are not."""
    steps = np.diff(np.asarray(time, np.float64))
    if len(steps) == 0 or steps.mean() <= 0:
        return nominal, False
    if np.abs(steps - steps.mean()).max() <= max(VARIABLE_RATE_TOLERANCE * steps.mean(), TIMESTAMP_ROUNDING):
        return nominal, False
    return float(1.0 / steps.mean()), True
