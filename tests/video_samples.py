"""Videos the tests write: Motion-JPEG AVI, H.264 MP4 at given frame times, and one broken file per failure."""

from __future__ import annotations

import fractions
from pathlib import Path

import av
import cv2
import numpy as np


def write_mjpg(path: Path, frames: np.ndarray, fps: float = 30.0) -> Path:
    """(F, H, W, 3) uint8 RGB frames as a Motion-JPEG AVI."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (frames.shape[2], frames.shape[1]))
    for frame in frames:
        writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    writer.release()
    return path


def write_h264(path: Path, frames: np.ndarray, times_ms: list[int], *, faststart: bool = False) -> Path:
    """(F, H, W, 3) uint8 RGB frames as H.264 in MP4, each frame shown at its time in milliseconds; with
    `faststart` the index (moov) comes before the frames, so a file cut short keeps it."""
    with av.open(str(path), "w", options={"movflags": "faststart"} if faststart else {}) as out:
        stream = out.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = frames.shape[2], frames.shape[1], "yuv420p"
        stream.codec_context.time_base = fractions.Fraction(1, 1000)
        for frame, ms in zip(frames, times_ms, strict=True):
            picture = av.VideoFrame.from_ndarray(frame, format="rgb24")
            picture.pts, picture.time_base = ms, fractions.Fraction(1, 1000)
            out.mux(stream.encode(picture))
        out.mux(stream.encode())
    return path


def bad_videos(folder: Path, video: Path, frames: np.ndarray) -> dict[str, tuple[Path, tuple[str, ...]]]:
    """{case: (path, words its one sentence must hold)}, written into `folder` from an MP4 `video` whose index is
    at the end and two or more of its (F, H, W, 3) uint8 RGB `frames`."""
    data = video.read_bytes()
    (folder / "cut.mp4").write_bytes(data[: len(data) // 2])  # its index (moov) was at the end: lost
    (folder / "empty.mp4").write_bytes(b"")
    (folder / "notes.mp4").write_text("not a video\n" * 100)
    mjpg = write_mjpg(folder / "mjpg.avi", frames[:2]).read_bytes()
    (folder / "codec.avi").write_bytes(mjpg.replace(b"MJPG", b"ZZZZ"))
    write_mjpg(folder / "none.avi", frames[:0])
    return {
        "missing": (folder / "absent.mp4", ("absent.mp4", "no such file")),
        "folder": (folder, ("folder",)),
        "truncated": (folder / "cut.mp4", ("cut.mp4", "damaged or truncated")),
        "empty": (folder / "empty.mp4", ("empty.mp4", "empty", "0 bytes")),
        "not a video": (folder / "notes.mp4", ("notes.mp4", "not a video")),
        "unsupported codec": (folder / "codec.avi", ("codec.avi", "codec (ZZZZ)", "cannot be decoded")),
        "no frames": (folder / "none.avi", ("none.avi", "no frames")),
    }


def two_people_video(path: Path, frames: np.ndarray, enters: int = 20) -> Path:
    """A Motion-JPEG AVI of two people side by side, made of the (F, H, W, 3) uint8 RGB `frames` of a one-person
    video: on the left the person throughout, on the right the same video from its start, entering at frame
    `enters` (a grey stage before), so each person has a frame range of their own."""
    right = np.full_like(frames, 90)
    right[enters:] = frames[: len(frames) - enters]
    return write_mjpg(path, np.concatenate([frames, right], axis=2))
