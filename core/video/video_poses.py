"""A video to one person's motion: frames streamed, everybody tracked and lifted batch by batch, one track animated.

`track_video` decodes the video in batches (`video_io.VideoFrames`), follows everybody (`tracking.PoseTracker`)
and lifts every person of a batch to 3D in one call (`lifting.Lifter`), keeping per track only its per-frame
joints (2D in the video's full-resolution pixels, confidence, the per-frame 3D): belief maps and frames are let go
batch by batch, so memory does not grow with the video's length beyond these few numbers per frame.
`video_pose_sequence` then picks a track (the longest unless one is asked for), makes it a motion
(`motion.animate_track`: spikes, gaps, smoothing, bone lengths, floor, feet, root trajectory) and returns the
pose file: one person slot, frame f = the f-th frame read from the range, NaN and track id -1 where the person
is missing (frames interpolated over a short gap keep the id and are listed in the metadata). A variable-frame-rate
video is first resampled by time to evenly spaced frames at its nominal rate (`resample`), so that it plays at
its own speed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .. import skeleton
from ..formats.posefile import PoseSequence
from ..motion.temporal import runs
from .video_io import VideoFrames, VideoInfo, frame_rate

J = len(skeleton.POSELIFT)


class VideoPoseError(ValueError):
    """A video that gives no pose file (nobody in it, no such track); the message is one sentence."""


@dataclass
class TrackRecord:
    """One person's per-frame lifts, appended batch by batch (n frames in all, in frame order)."""

    frames: list[np.ndarray] = field(default_factory=list)  # (n,) int64 positions in the range read
    joints2d: list[np.ndarray] = field(default_factory=list)  # (n, J, 2) float32 full-resolution pixels
    confidence: list[np.ndarray] = field(default_factory=list)  # (n, J) float32 in [0, 1]
    joints3d: list[np.ndarray] = field(default_factory=list)  # (n, J, 3) float32 metres, pose frame, per frame
    ok: list[np.ndarray] = field(default_factory=list)  # (n,) bool: lifted

    @property
    def length(self) -> int:
        return sum(len(f) for f in self.frames)

    def arrays(self, frames: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(F, J, 3), (F, J, 2), (F, J), (F,) over all `frames` read: joints3d, joints2d, confidence, found
        (NaN, 0 and False where the person was not seen or not lifted)."""
        joints3d = np.full((frames, J, 3), np.nan, np.float32)
        joints2d = np.full((frames, J, 2), np.nan, np.float32)
        confidence = np.zeros((frames, J), np.float32)
        found = np.zeros(frames, bool)
        if self.frames:
            at, ok = np.concatenate(self.frames), np.concatenate(self.ok)
            joints3d[at], joints2d[at] = np.concatenate(self.joints3d), np.concatenate(self.joints2d)
            confidence[at], found[at] = np.concatenate(self.confidence), ok
            joints3d[at[~ok]] = np.nan
        return joints3d, joints2d, confidence, found


@dataclass
class TrackedVideo:
    """Everybody in a range of a video: F frames read, each track's record."""

    times: np.ndarray  # (F,) float64 seconds, the container's time of each frame read
    index: np.ndarray  # (F,) int64 frame numbers in the file
    people: np.ndarray  # (F,) int32 people found in each frame
    tracks: dict[int, TrackRecord]
    truncated: bool

    @property
    def frames(self) -> int:
        return len(self.times)


def track_video(frames: VideoFrames, tracker, lifter, *, height: float | None = None,
                on_batch: Callable[[int, int], None] | None = None) -> TrackedVideo:
    """Everybody in `frames`, tracked by `tracker` (`tracking.PoseTracker`) and lifted by `lifter`
    (`lifting.Lifter`, `height` metres); `on_batch(frames done, people (tracks) seen in the batch)` after each batch."""
    times, index, people, tracks = [], [], [], {}
    done = 0
    for batch in frames:
        found = tracker.track(list(batch.pixels))
        times.append(batch.time)
        index.append(batch.index)
        people.append(np.bincount(found.frame, minlength=len(batch.index)).astype(np.int32))
        if len(found.frame):
            lifted = lifter.lift(found.people, height)
            for track in np.unique(found.track):
                mine = found.track == track
                record = tracks.setdefault(int(track), TrackRecord())
                record.frames.append(done + found.frame[mine])
                record.joints2d.append(batch.to_full(lifted.joints2d[mine]))
                record.confidence.append(lifted.confidence[mine])
                record.joints3d.append(lifted.joints3d[mine])
                record.ok.append(lifted.ok[mine].astype(bool))
        done += len(batch.index)
        if on_batch is not None:
            on_batch(done, len(np.unique(found.track)))
    empty = [np.zeros(0)]
    return TrackedVideo(np.concatenate(times or empty).astype(np.float64), np.concatenate(index or empty).astype(
        np.int64), np.concatenate(people or empty).astype(np.int32), tracks, frames.truncated)


def choose_track(tracked: TrackedVideo, track: int | None, source: str) -> int:
    """The id of the track asked for, or of the longest (most frames; the first found on a tie)."""
    if not tracked.tracks:
        raise VideoPoseError(f"{source}: no person found in any of its {tracked.frames} frames, "
                             "so no pose file was written.")
    if track is None:
        return max(tracked.tracks, key=lambda t: (tracked.tracks[t].length, -t))
    if track not in tracked.tracks:
        known = ", ".join(f"{t} ({r.length} frames)" for t, r in sorted(tracked.tracks.items()))
        raise VideoPoseError(f"{source}: there is no track {track}; its tracks are {known}.")
    return track


def video_pose_sequence(tracked: TrackedVideo, track: int, *, info: VideoInfo, nominal_fps: float, model: str,
                        lifted_with: str, height: float, focal_px: float | None, start: float,
                        end: float | None) -> PoseSequence:
    """The pose file of track `track` of `tracked`, read from the video `info` describes."""
    from ..motion.animate import MAX_GAP_S, animate_track

    joints3d, joints2d, confidence, found = tracked.tracks[track].arrays(tracked.frames)
    if not found.any():
        raise VideoPoseError(f"{info.path}: track {track} could not be lifted to 3D in any frame, "
                             "so no pose file was written.")
    fps, variable = frame_rate(tracked.times, nominal_fps)
    times, index, people = tracked.times, tracked.index, tracked.people
    if variable:  # the motion is made on evenly spaced frames, so a stretch at a lower rate keeps its speed
        fps = nominal_fps
        grid = uniform_times(times, fps)
        nearest, joints3d, joints2d, confidence, found = resample(times, grid, joints3d, joints2d, confidence, found,
                                                                  max_span=MAX_GAP_S)  # fmt: skip
        times, index, people = grid, index[nearest], people[nearest]
    motion = animate_track(joints3d, joints2d, confidence, found, fps=fps, image_size=info.size,
                           focal_px=focal_px, height=height)
    present = ~motion.missing
    if not present.any():
        raise VideoPoseError(f"{info.path}: track {track} has too few confident joints to be placed in any frame, "
                             "so no pose file was written.")
    joints2d[~found], confidence[~found] = np.nan, 0.0
    metadata = {
        "model": f"blazepose_{model}",
        "joints2d": f"blazepose_{model} landmarks fused in the 3D loop, full-resolution pixels of the video",
        "joints3d": f"{lifted_with}; animated: temporal model, fixed bones, floor, foot locking, root trajectory",
        "track": track,
        "tracks": [{"id": t, "frames": r.length} for t, r in sorted(tracked.tracks.items())],
        "video": {"file": str(info.path), "size": list(info.size), "codec": info.codec, "nominal_fps": nominal_fps,
                  "frames_in_header": info.frames, "frames_read": tracked.frames, "start_s": start, "end_s": end,
                  "variable_frame_rate": variable, "truncated": tracked.truncated},
        "frame_times_s": np.round(times, 5).tolist(),
        "frame_index": index.tolist(),
        "nobody": _runs(people == 0),
        "missing": _runs(motion.missing),
        "filled": _runs(motion.filled),
        "contacts": {"left": _runs(motion.contacts[:, 0]), "right": _runs(motion.contacts[:, 1])},
        "height_m": height,
        "focal_px": focal_px,
    }
    return PoseSequence(
        joint_names=skeleton.POSELIFT.joints,
        joints3d=motion.joints3d[:, None],
        joints2d=joints2d[:, None],
        confidence=np.clip(confidence, 0, 1)[:, None],
        track_id=np.where(present, track, -1).astype(np.int32)[:, None],
        fps=fps,
        image_size=info.size,
        source=info.path.name,
        root=motion.root[:, None],
        metadata=metadata,
    )


def uniform_times(times: np.ndarray, fps: float) -> np.ndarray:
    """(G,) seconds every 1/fps from the first of (F,) increasing `times` to (the nearest to) the last."""
    return times[0] + np.arange(int(np.floor((times[-1] - times[0]) * fps + 0.5)) + 1) / fps


def resample(times: np.ndarray, grid: np.ndarray, joints3d: np.ndarray, joints2d: np.ndarray,
             confidence: np.ndarray, found: np.ndarray, max_span: float = np.inf) -> tuple[np.ndarray, ...]:
    """One track's (F, ...) per-frame arrays (see `TrackRecord.arrays`) at the (G,) `grid` times instead of their
    (F,) `times`: each grid time between two found frames at most `max_span` seconds apart gets their linear
    interpolation, else the nearer frame if it was found and lies within half a grid step, else nothing (NaN, 0,
    not found). Returns (G,) the nearest frame of each grid time, then joints3d, joints2d, confidence and found at
    the grid times."""
    after = np.clip(np.searchsorted(times, grid), 1, len(times) - 1) if len(times) > 1 else np.zeros(len(grid), int)
    before = np.maximum(after - 1, 0)
    span = times[after] - times[before]
    w = np.clip(np.divide(grid - times[before], span, out=np.zeros_like(grid), where=span > 0), 0, 1)
    nearest = np.where(w < 0.5, before, after)
    step = (grid[1] - grid[0]) if len(grid) > 1 else np.inf
    both = found[before] & found[after] & (span <= max_span)
    alone = ~both & found[nearest] & (np.abs(times[nearest] - grid) <= step / 2 + 1e-6)

    def at_grid(values: np.ndarray, empty: float) -> np.ndarray:
        shape = (-1,) + (1,) * (values.ndim - 1)
        mixed = (1 - w).reshape(shape) * values[before] + w.reshape(shape) * values[after]
        out = np.where(alone.reshape(shape), values[nearest], np.full_like(values[nearest], empty))
        return np.where(both.reshape(shape), mixed, out).astype(values.dtype)

    return (nearest, at_grid(joints3d, np.nan), at_grid(joints2d, np.nan), at_grid(confidence, 0.0), both | alone)


def _runs(mask: np.ndarray) -> list[list[int]]:
    """[[first, last], ...] frame ranges (inclusive, as the pose file's metadata lists them) where (F,) `mask` holds."""
    return [[start, stop - 1] for start, stop in runs(mask)]
