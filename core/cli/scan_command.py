"""`poselift scan VIDEO -o DIR [--start S] [--end S]`: who is in a video, at a glance (for the Blender panel).

Everybody is tracked as `poselift video` tracks them (the same reading and tracker: `video_command.open_range`,
`tracked_range`), so the track ids and frame counts are those `poselift video` reports in its metadata "tracks"
for the same video, range, --model and --device; nobody is lifted to 3D. Written into DIR (made if missing), each
file atomically, all of them together at the end:
  tracks.json      {"video": the path given, "size": [W, H] pixels, "fps": frames per second, "frames": frames
                   read, "start_s", "end_s": the range asked (end_s null: to the end), "model": "blazepose_<model>",
                   "tracks": [{"id", "frames", "seconds": frames / fps, "first_s", "last_s": the video's times of
                   the first and last frame the person is in, "height_px": the median over those frames of the
                   height of their 2D joints (full-resolution pixels), "thumbnail": "track_<id>.png"}, ...] by id,
                   "preview": "preview.png", "preview_time_s": the preview frame's time};
  track_<id>.png   the person at their best frame (the greatest height x mean joint confidence), cropped around
                   them with their skeleton drawn, long side at most THUMBNAIL_SIDE pixels;
  preview.png      the frame with the most people (the earliest on a tie), every skeleton drawn and labelled with
                   its track id, long side at most PREVIEW_SIDE pixels.
Progress as the other commands report it; with --progress json the last event is {"event": "done", "output":
"DIR/tracks.json"}. When nobody is found, one sentence says how small a person BlazePose finds.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..formats.atomic import write_together
from ..nets.weights import DEFAULT_VARIANT, LANDMARK_FILES
from .common import CommandError, add_weight_options, check_folder, check_weight_options
from .video_command import add_range_options, check_range, nobody_found, open_range, run_guarded, tracked_range

THUMBNAIL_SIDE = 256  # pixels, the long side of a thumbnail at most
PREVIEW_SIDE = 1024  # pixels, the long side of the preview at most
MARGIN = 0.15  # share of a person's box's long side kept around them in their thumbnail


def add_scan_command(commands: argparse._SubParsersAction) -> None:
    scan = commands.add_parser("scan", help="find who is in a video: their tracks, a thumbnail each, a preview")
    scan.add_argument("video", type=Path, metavar="VIDEO", help="video file (MP4, MOV, AVI, MKV, WebM, ...)")
    scan.add_argument("-o", "--output", type=Path, required=True, metavar="DIR",
                      help="folder for tracks.json, track_<id>.png and preview.png (made if missing)")
    add_range_options(scan)
    scan.add_argument("--model", choices=tuple(LANDMARK_FILES), default=DEFAULT_VARIANT,
                      help=f"BlazePose landmark network; poselift video's gives its tracks (default {DEFAULT_VARIANT})")
    add_weight_options(scan)
    scan.add_argument("--device", choices=("cpu", "cuda"), help="where the networks run (default: cuda if present)")
    scan.add_argument("--half", action="store_true", help="run the networks in float16 (cuda only)")
    scan.add_argument("--progress", choices=("bar", "json", "quiet"), default="bar",
                      help="report progress as a bar on stderr, or as JSON lines on stdout; default bar")
    scan.set_defaults(run=run_scan)


def run_scan(args: argparse.Namespace) -> int:
    return run_guarded(args, _run)


def _run(args: argparse.Namespace) -> int:
    """The command itself; torch, OpenCV and Pillow are imported here."""
    check_range(args)
    check_weight_options(args)
    _check_folder(args.output)
    info, frames = open_range(args)
    album = Album()
    tracked, progress = tracked_range(args, frames, look=album.look)
    if not tracked.tracks:
        raise CommandError(nobody_found(args.video, tracked.frames, info.size, "so nothing was written"))
    summary = scan_summary(args, info, tracked, album.preview_time)
    out = args.output / "tracks.json"
    files = [(out, lambda f: f.write((json.dumps(summary, indent=2) + "\n").encode()))]
    files += [(args.output / f"track_{t}.png", _png(album.thumbnails[t])) for t in sorted(tracked.tracks)]
    files.append((args.output / "preview.png", _png(album.preview())))
    try:
        args.output.mkdir(parents=True, exist_ok=True)
        write_together(files)
    except OSError as e:
        raise CommandError(f"{e.filename or out}: cannot be written ({e.strerror or e}).") from None
    progress.finish(str(out))
    tracks = ", ".join(f"{t['id']} ({t['frames']} frames)" for t in summary["tracks"])
    print(f"wrote {out}: {len(summary['tracks'])} track{'' if len(summary['tracks']) == 1 else 's'}, {tracks}; "
          f"a thumbnail each and preview.png")
    return 0


def scan_summary(args: argparse.Namespace, info, tracked, preview_time: float) -> dict:
    """tracks.json's content (see the module) for the `video_poses.TrackedVideo` of `info`'s video."""
    from ..video.video_io import frame_rate

    fps = frame_rate(tracked.times, info.fps)[0]
    tracks = []
    for t, record in sorted(tracked.tracks.items()):
        at = np.concatenate(record.frames)
        heights = np.ptp(np.concatenate(record.joints2d)[..., 1], axis=1)
        tracks.append({"id": t, "frames": record.length, "seconds": round(record.length / fps, 3),
                       "first_s": round(float(tracked.times[at.min()]), 5),
                       "last_s": round(float(tracked.times[at.max()]), 5),
                       "height_px": round(float(np.nanmedian(heights)), 1), "thumbnail": f"track_{t}.png"})
    return {"video": str(args.video), "size": list(info.size), "fps": fps, "frames": tracked.frames,
            "start_s": args.start, "end_s": args.end, "model": f"blazepose_{args.model}", "tracks": tracks,
            "preview": "preview.png", "preview_time_s": round(preview_time, 5)}


@dataclass
class Album:
    """What a scan keeps of the frames as it goes (`look` at every batch): each track's thumbnail, from its best
    view so far, and the frame with the most people so far, reduced, with their skeletons."""

    thumbnails: dict[int, np.ndarray] = field(default_factory=dict)  # (h, w, 3) uint8 RGB, skeleton drawn
    scores: dict[int, float] = field(default_factory=dict)  # each thumbnail's height x mean confidence
    most: int = 0  # people in the preview frame
    preview_time: float = 0.0  # seconds, the video's time of the preview frame
    _preview: tuple = ()  # (pixels (h, w, 3) uint8, joints2d (P, J, 2) its pixels, confidence (P, J), labels)

    def look(self, seen) -> None:
        """Take what is worth keeping of one batch's people (`video_poses.BatchPeople`)."""
        heights = np.nan_to_num(np.ptp(seen.joints2d[..., 1], axis=1))
        scores = heights * seen.confidence.mean(axis=1)
        for track in np.unique(seen.track).tolist():
            rows = np.flatnonzero(seen.track == track)
            best = rows[np.argmax(scores[rows])]
            if scores[best] > self.scores.get(track, -1.0):
                self.scores[track] = float(scores[best])
                pixels, points = _working(seen, seen.frame[best], seen.joints2d[best])
                self.thumbnails[track] = thumbnail(pixels, points, seen.confidence[best])
        counts = np.bincount(seen.frame, minlength=len(seen.batch.index))
        frame = int(np.argmax(counts))
        if counts[frame] > self.most:
            rows = np.flatnonzero(seen.frame == frame)
            pixels, points = _working(seen, frame, seen.joints2d[rows])
            pixels, points = _reduced(pixels, points, PREVIEW_SIDE)
            self.most, self.preview_time = int(counts[frame]), float(seen.batch.time[frame])
            self._preview = (pixels, points, seen.confidence[rows], [str(t) for t in seen.track[rows]])

    def preview(self) -> np.ndarray:
        """(h, w, 3) uint8 RGB: the frame with the most people, their skeletons drawn and labelled by track id."""
        from ..image.overlay import draw_skeletons

        pixels, points, confidence, labels = self._preview
        return draw_skeletons(pixels, points, confidence, labels=labels)


def thumbnail(pixels: np.ndarray, points: np.ndarray, confidence: np.ndarray) -> np.ndarray:
    """(h, w, 3) uint8 RGB: the (H, W, 3) `pixels` cropped to a square around one person's (J, 2) `points`
    (pixels of `pixels`) with MARGIN to spare (less where the frame ends), reduced to at most THUMBNAIL_SIDE, the
    skeleton drawn."""
    from ..image.overlay import draw_skeletons

    known = points[np.isfinite(points).all(-1)]
    if not len(known):  # no point to crop around: the whole frame
        known = np.array([[0.0, 0.0], pixels.shape[1::-1]]) - 0.5
    low, high = known.min(axis=0), known.max(axis=0)
    side = (1 + 2 * MARGIN) * (high - low).max()
    frame = np.array(pixels.shape[1::-1])
    start = np.clip(np.round((low + high) / 2 - side / 2), 0, np.maximum(frame - side, 0)).astype(int)
    stop = np.minimum(start + int(np.ceil(side)) + 1, frame)
    crop, moved = _reduced(pixels[start[1] : stop[1], start[0] : stop[0]], points - start, THUMBNAIL_SIDE)
    return draw_skeletons(crop, moved[None], confidence[None])


def _working(seen, frame: int, joints2d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Frame `frame` of the batch `seen` holds and (..., 2) full-resolution `joints2d` in its pixels."""
    scale = np.asarray(seen.batch.scale)
    return seen.batch.pixels[frame], (np.asarray(joints2d, np.float64) + 0.5) / scale - 0.5


def _reduced(pixels: np.ndarray, points: np.ndarray, side: int) -> tuple[np.ndarray, np.ndarray]:
    """(h, w, 3) `pixels` reduced to at most `side` on the long side (never enlarged), and (..., 2) `points`, its
    pixels, moved with them."""
    from PIL import Image

    h, w = pixels.shape[:2]
    factor = min(1.0, side / max(h, w))
    if factor == 1.0:
        return pixels, points
    size = max(1, round(w * factor)), max(1, round(h * factor))
    reduced = np.asarray(Image.fromarray(np.ascontiguousarray(pixels)).resize(size, Image.LANCZOS))
    return reduced, (points + 0.5) * np.array([size[0] / w, size[1] / h]) - 0.5


def _png(pixels: np.ndarray):
    """What writes (h, w, 3) uint8 RGB `pixels` as a PNG into an open binary file."""
    from PIL import Image

    return lambda out: Image.fromarray(pixels).save(out, format="PNG")


def _check_folder(folder: Path) -> None:
    """Refuses, in one sentence, an output folder that is a file or cannot be made or written; nothing is made."""
    if folder.exists() and not folder.is_dir():
        raise CommandError(f"{folder}: is a file, not a folder for the scan.")
    check_folder(folder)
