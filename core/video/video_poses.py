"""A video to people's motions: frames streamed, everybody tracked and lifted batch by batch, tracks animated.

`track_video` decodes the video in batches (`video_io.VideoFrames`), follows everybody (`tracking.PoseTracker`)
and lifts every person of a batch to 3D in one call (`lifting.Lifter`), keeping per track only its per-frame
joints (2D in the video's full-resolution pixels, confidence, the per-frame 3D, and what lifts them again: the
network's own 2D and BlazePose's world landmarks): belief maps and frames are let go
batch by batch, so memory does not grow with the video's length beyond these few numbers per frame. Without a
lifter it only tracks (the network's 2D, no 3D: `poselift scan`), and a caller may look at each batch's people
with their pixels (`BatchPeople`). The tracks and their frame counts do not depend on the lifter.
`choose_tracks` picks tracks (the longest unless some are asked for) and `video_pose_sequence` makes each a motion
(`motion.animate_track`: spikes, gaps, smoothing, bone lengths, floor, feet, root trajectory), all in the one
camera frame, so people stand where they stood relative to each other. The lifts assume a level camera; once the
shot's camera is found pitched or rolled, every track is lifted again (`relift`, one stage on its kept 2D seen
without the roll), each frame through the pitch at which its person is seen (`root_motion.view_pitch`), before it
is made a motion. The pose file has one person slot per track, in the order asked; frame f = the f-th frame read
from the range, NaN and track id -1 where a person is missing (frames interpolated over a short gap keep the id
and are listed in the metadata). A variable-frame-rate video is first resampled by time to evenly spaced frames
at its nominal rate (`resample`), so that it plays at its own speed.

Metadata of the pose file: "track" (slot 0's track id), "people" (the track id of every slot, in slot order),
"tracks" (every track of the range: [{"id", "frames"}], by id), "smoothing" (the temporal model's strength),
"missing", "filled" and "contacts" (slot 0's, as [[first, last], ...] frame runs; contacts {"left", "right"}),
and "by_person": per slot, in slot order, {"track": id, "missing": runs, "filled": runs, "contacts": {"left":
runs, "right": runs}} (its entry 0 repeats the slot-0 keys); besides the video's description, frame times and
indices, and "nobody" (the runs of frames with nobody found), and "camera": the still camera found for the shot
({"pitch_deg": down, "roll_deg": counter-clockwise seen from behind, "height_m": above the floor, "focal_px": the
one used, "looks_along"}), every person placed through it (`motion.animate.find_camera`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from .. import skeleton
from ..formats.posefile import PoseSequence
from ..motion.temporal import runs
from .video_io import FrameBatch, VideoFrames, VideoInfo, frame_rate

if TYPE_CHECKING:
    from ..motion.animate import Motion, SteadyTrack
    from ..motion.camera import ShotCamera

J = len(skeleton.POSELIFT)
_FROM_BLAZEPOSE = skeleton.mapping(skeleton.BLAZEPOSE_33, skeleton.POSELIFT)


class VideoPoseError(ValueError):
    """A video that gives no pose file (nobody in it, no such track); the message is one sentence."""


@dataclass
class TrackRecord:
    """One person's per-frame lifts, appended batch by batch (n frames in all, in frame order)."""

    frames: list[np.ndarray] = field(default_factory=list)  # (n,) int64 positions in the range read
    joints2d: list[np.ndarray] = field(default_factory=list)  # (n, J, 2) float32 full-resolution pixels
    confidence: list[np.ndarray] = field(default_factory=list)  # (n, J) float32 in [0, 1]
    joints3d: list[np.ndarray] = field(default_factory=list)  # (n, J, 3) float32 metres, pose frame, per frame
    ok: list[np.ndarray] = field(default_factory=list)  # (n,) bool: lifted (all False when tracked without a lifter)
    network2d: list[np.ndarray] = field(default_factory=list)  # (n, J, 2) float32 full-resolution pixels, network's
    world: list[np.ndarray] = field(default_factory=list)  # (n, 33, 3) float32 metres, BlazePose world landmarks

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

    def lift_inputs(self, frames: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(F,) bool, (F, J, 2), (F, 33, 3) over all `frames` read: where the person was tracked, the network's own
        2D and BlazePose's world landmarks there (NaN and 0 elsewhere): with `arrays`' 2D and confidence, what
        `lifting.Lifter.lift_points` lifts them again from."""
        tracked = np.zeros(frames, bool)
        network2d = np.full((frames, J, 2), np.nan, np.float32)
        world = np.zeros((frames, len(skeleton.BLAZEPOSE_33), 3), np.float32)
        if self.frames:
            at = np.concatenate(self.frames)
            tracked[at], network2d[at], world[at] = True, np.concatenate(self.network2d), np.concatenate(self.world)
        return tracked, network2d, world


@dataclass
class TrackedVideo:
    """Everybody in a range of a video: F frames read, each track's record."""

    times: np.ndarray  # (F,) float64 seconds, the container's time of each frame read
    index: np.ndarray  # (F,) int64 frame numbers in the file
    people: np.ndarray  # (F,) int32 people found in each frame
    tracks: dict[int, TrackRecord]
    truncated: bool
    lifter: object | None = None  # the `lifting.Lifter` that lifted the tracks (None: only tracked), to lift again

    @property
    def frames(self) -> int:
        return len(self.times)


@dataclass(frozen=True)
class BatchPeople:
    """The N people of one batch of frames with the batch itself, for a caller that wants their pixels."""

    batch: FrameBatch
    frame: np.ndarray  # (N,) int64 position of each one's frame in the batch
    track: np.ndarray  # (N,) int64 track ids
    joints2d: np.ndarray  # (N, J, 2) float32 full-resolution pixels (the lift's, or the network's without a lifter)
    confidence: np.ndarray  # (N, J) float32 in [0, 1]


def track_video(frames: VideoFrames, tracker, lifter=None, *, height: float | None = None,
                on_batch: Callable[[int, int], None] | None = None,
                look: Callable[[BatchPeople], None] | None = None) -> TrackedVideo:
    """Everybody in `frames`, tracked by `tracker` (`tracking.PoseTracker`) and lifted by `lifter`
    (`lifting.Lifter`, `height` metres; None: not lifted, the network's 2D kept); `on_batch(frames done, people
    (tracks) seen in the batch)` and `look(BatchPeople)` after each batch."""
    times, index, people, tracks = [], [], [], {}
    done = 0
    for batch in frames:
        found = tracker.track(list(batch.pixels))
        times.append(batch.time)
        index.append(batch.index)
        people.append(np.bincount(found.frame, minlength=len(batch.index)).astype(np.int32))
        if len(found.frame):
            joints2d, confidence, joints3d, ok, network2d, world = _lifted(found.people, lifter, height)
            joints2d, network2d = batch.to_full(joints2d), batch.to_full(network2d)
            for track in np.unique(found.track):
                mine = found.track == track
                record = tracks.setdefault(int(track), TrackRecord())
                record.frames.append(done + found.frame[mine])
                record.joints2d.append(joints2d[mine])
                record.confidence.append(confidence[mine])
                record.joints3d.append(joints3d[mine])
                record.ok.append(ok[mine])
                record.network2d.append(network2d[mine])
                record.world.append(world[mine])
            if look is not None:
                look(BatchPeople(batch, found.frame, found.track, joints2d, confidence))
        done += len(batch.index)
        if on_batch is not None:
            on_batch(done, len(np.unique(found.track)))
    empty = [np.zeros(0)]
    return TrackedVideo(np.concatenate(times or empty).astype(np.float64), np.concatenate(index or empty).astype(
        np.int64), np.concatenate(people or empty).astype(np.int32), tracks, frames.truncated, lifter)


def _lifted(people, lifter, height: float | None) -> tuple[np.ndarray, ...]:
    """(N, J, 2) pixels of the frames tracked, (N, J) confidence, (N, J, 3) metres, (N,) bool lifted, (N, J, 2)
    pixels of the network's own 2D and (N, 33, 3) metres of its world landmarks, of N `pose2d.People2D` on POSELIFT
    joints: `lifter`'s, or without one the network's 2D, no 3D (NaN), none lifted and no world landmarks (0)."""
    if lifter is not None:
        lifted = lifter.lift(people, height)
        return (lifted.joints2d, lifted.confidence, lifted.joints3d, lifted.ok.astype(bool), lifted.network2d,
                lifted.world)  # fmt: skip
    joints2d = _FROM_BLAZEPOSE.apply(people.keypoints.cpu().numpy()).astype(np.float32)
    confidence = _FROM_BLAZEPOSE.apply_confidence(people.confidence.cpu().numpy()).astype(np.float32)
    return (joints2d, confidence, np.full((*joints2d.shape[:2], 3), np.nan, np.float32), np.zeros(len(joints2d), bool),
            joints2d, np.zeros((len(joints2d), len(skeleton.BLAZEPOSE_33), 3), np.float32))  # fmt: skip


def choose_tracks(tracked: TrackedVideo, asked: Sequence[int] | str | None, source: str) -> list[int]:
    """The ids of the tracks `asked` for (in that order; "all": every track, by id), or of the longest (most
    frames; the first found on a tie) when None."""
    if not tracked.tracks:
        raise VideoPoseError(f"{source}: no person found in any of its {tracked.frames} frames, "
                             "so no pose file was written.")
    if asked is None:
        return [max(tracked.tracks, key=lambda t: (tracked.tracks[t].length, -t))]
    if asked == "all":
        return sorted(tracked.tracks)
    unknown = [t for t in asked if t not in tracked.tracks]
    if unknown:
        known = ", ".join(f"{t} ({r.length} frames)" for t, r in sorted(tracked.tracks.items()))
        raise VideoPoseError(f"{source}: there is no track {' or '.join(map(str, unknown))}; its tracks are {known}.")
    return list(asked)


def choose_track(tracked: TrackedVideo, track: int | None, source: str) -> int:
    """The id of the track asked for, or of the longest (most frames; the first found on a tie)."""
    return choose_tracks(tracked, None if track is None else [track], source)[0]


@dataclass(frozen=True)
class _Frames:
    """The frames a pose file is made on: those read, or evenly spaced times (`grid`) for a variable rate."""

    fps: float
    variable: bool
    times: np.ndarray  # (F,) seconds
    index: np.ndarray  # (F,) int64 frame numbers in the file (the nearest, on a grid)
    people: np.ndarray  # (F,) int32 people found (in the nearest frame, on a grid)
    grid: np.ndarray | None  # (F,) seconds to resample the frames read at; None: the frames read themselves


@dataclass(frozen=True)
class _Person:
    """One track made a motion, on the pose file's F frames."""

    track: int
    motion: Motion
    joints2d: np.ndarray  # (F, J, 2) full-resolution pixels, NaN where not found
    confidence: np.ndarray  # (F, J) in [0, 1], 0 where not found


class _NotPlaced(Exception):
    """A track with no frame to make a motion of; the message is the clause that says why."""


def video_pose_sequence(tracked: TrackedVideo, tracks: int | Sequence[int], *, info: VideoInfo, nominal_fps: float,
                        model: str, lifted_with: str, height: float, focal_px: float | None, start: float,
                        end: float | None, smoothing: float = 1.0, pitch: float | None = None,
                        roll: float | None = None, left_out: Callable[[str], None] | None = None) -> PoseSequence:
    """The pose file of the track `tracks` (or of several, a person slot each) of `tracked`, read from the video
    `info` describes, the poses smoothed at strength `smoothing` (`animate.pose_smoother`), every track placed
    through the camera pitched down by `pitch` radians and rolled by `roll` (None: as `animate.find_camera` finds
    them from the tracks). A track that cannot be lifted or placed in any frame stops it (VideoPoseError), unless
    `left_out` is given: then it is left out and `left_out` gets one sentence saying so; when no track is left,
    VideoPoseError."""
    from ..motion.animate import find_camera, place_track

    tracks = [int(tracks)] if np.ndim(tracks) == 0 else list(tracks)
    frames = _frames(tracked, nominal_fps)
    steady = {}
    for track in tracks:
        try:
            steady[track] = _steady(tracked, track, frames, info, focal_px, height, smoothing)
        except _NotPlaced as e:
            if left_out is None or len(tracks) == 1:
                raise VideoPoseError(f"{info.path}: track {track} {e}, so no pose file was written.") from None
            left_out(f"{info.path}: track {track} {e}, so it is left out.")
    if not steady:
        raise VideoPoseError(f"{info.path}: none of the tracks {', '.join(map(str, tracks))} can be placed in any "
                             "frame, so no pose file was written.")
    pose_nll = None if tracked.lifter is None else tracked.lifter.upright_nll
    camera = find_camera(list(steady.values()), pitch, roll, pose_nll)
    if (camera.pitch or camera.roll) and tracked.lifter is not None:  # lifted again through the camera
        for track in steady:  # (where that fails, as lifted level)
            try:
                steady[track] = _steady(tracked, track, frames, info, focal_px, height, smoothing, camera)
            except _NotPlaced:
                pass
    persons = [_Person(track, place_track(one, camera.pitch, camera.roll), one.joints2d, one.confidence)
               for track, one in steady.items()]  # fmt: skip
    return PoseSequence(
        joint_names=skeleton.POSELIFT.joints,
        joints3d=np.stack([p.motion.joints3d for p in persons], 1),
        joints2d=np.stack([p.joints2d for p in persons], 1),
        confidence=np.stack([np.clip(p.confidence, 0, 1) for p in persons], 1),
        track_id=np.stack([np.where(p.motion.missing, -1, p.track) for p in persons], 1).astype(np.int32),
        fps=frames.fps,
        image_size=info.size,
        source=info.path.name,
        root=np.stack([p.motion.root for p in persons], 1),
        metadata=_metadata(tracked, persons, frames, info=info, nominal_fps=nominal_fps, model=model,
                           lifted_with=lifted_with, height=height, focal_px=focal_px, start=start, end=end,
                           smoothing=smoothing),  # fmt: skip
    )


def _frames(tracked: TrackedVideo, nominal_fps: float) -> _Frames:
    """The frames read, or at a variable rate evenly spaced times at `nominal_fps` (the motion is made on evenly
    spaced frames, so a stretch at a lower rate keeps its speed)."""
    fps, variable = frame_rate(tracked.times, nominal_fps)
    if not variable:
        return _Frames(fps, False, tracked.times, tracked.index, tracked.people, None)
    grid = uniform_times(tracked.times, nominal_fps)
    nearest = _neighbours(tracked.times, grid)[3]
    return _Frames(nominal_fps, True, grid, tracked.index[nearest], tracked.people[nearest], grid)


def _steady(tracked: TrackedVideo, track: int, frames: _Frames, info: VideoInfo, focal_px: float | None,
            height: float, smoothing: float, camera: ShotCamera | None = None) -> SteadyTrack:
    """Track `track` on `frames` made steady (`motion.animate.steady_track`: its 2D NaN and confidence 0 where it
    was not found), as lifted, or lifted again through `camera`'s pitch and roll (`relift`); _NotPlaced where it
    has no frame to place. Its 2D stays the picture's."""
    from ..motion.animate import MAX_GAP_S, steady_track
    from ..motion.root_motion import default_focal

    joints3d, joints2d, confidence, found = tracked.tracks[track].arrays(tracked.frames)
    if camera is not None:
        focal = default_focal(info.size) if focal_px is None else float(focal_px)
        joints3d, found = relift(tracked.lifter, tracked.tracks[track], joints2d, confidence, camera.pitch, focal,
                                 info.size, height, camera.roll)  # fmt: skip
    if not found.any():
        raise _NotPlaced("could not be lifted to 3D in any frame")
    if frames.grid is not None:
        _, joints3d, joints2d, confidence, found = resample(tracked.times, frames.grid, joints3d, joints2d,
                                                            confidence, found, max_span=MAX_GAP_S)  # fmt: skip
    steady = steady_track(joints3d, joints2d, confidence, found, fps=frames.fps, image_size=info.size,
                          focal_px=focal_px, height=height, smoothing=smoothing)  # fmt: skip
    if steady.missing.all():
        raise _NotPlaced("has too few confident joints to be placed in any frame")
    return steady


def relift(lifter, record: TrackRecord, joints2d: np.ndarray, confidence: np.ndarray, pitch: float, focal: float,
           image_size: tuple[int, int], height: float, roll: float = 0.0) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """(F, J, 3) metres (level pose frame, as `lifting.Lifted.joints3d`) and (F,) bool over all F frames read: one
    person's tracked frames lifted again by `lifter` (`Lifter.lift_points`: one stage on the last stage's 2D, the
    cascade on the network's) from `record`'s (F, J, 2) `joints2d` and (F, J) `confidence` (`TrackRecord.arrays`),
    each seen at the pitch of the ray to its pelvis from the camera pitched down by `pitch` radians
    (`root_motion.view_pitch`; `focal` pixels, (W, H) `image_size`), its 2D first seen without the camera's roll
    of `roll` radians (`camera.unrolled`) and stood upright about its pelvis (`camera.leans`: off the picture's
    centre a pitched camera sees an upright person lean), at stature `height` metres; NaN and False where it was
    not tracked or is not lifted, as `TrackRecord.arrays`."""
    from ..motion.camera import leans, turned_about, unrolled, unrolled_world
    from ..motion.root_motion import view_pitch

    frames = len(joints2d)
    tracked, network2d, world = record.lift_inputs(frames)
    if roll:
        joints2d, network2d = unrolled(joints2d, roll, image_size), unrolled(network2d, roll, image_size)
        world = unrolled_world(world, roll)
    joints3d, found = np.full((frames, J, 3), np.nan, np.float32), np.zeros(frames, bool)
    if tracked.any():
        pelvis = joints2d[tracked, skeleton.POSELIFT.index("pelvis")]  # (N, 2) pixels
        lean = leans(pelvis, focal, image_size, pitch)[:, None]  # (N, 1) radians
        points, network_points = (turned_about(p[tracked], pelvis[:, None], lean) for p in (joints2d, network2d))
        lifted = lifter.lift_points(points, confidence[tracked], height, unrolled_world(world[tracked], lean),
                                    pitch=view_pitch(pelvis, focal, image_size, pitch),
                                    network_points=network_points)  # fmt: skip
        joints3d[tracked] = np.where(lifted.ok[:, None, None], lifted.joints3d, np.nan)
        found[tracked] = lifted.ok
    return joints3d, found


def _metadata(tracked: TrackedVideo, persons: list[_Person], frames: _Frames, *, info: VideoInfo,
              nominal_fps: float, model: str, lifted_with: str, height: float, focal_px: float | None, start: float,
              end: float | None, smoothing: float) -> dict:
    """The pose file's metadata (see the module)."""
    by_person = [{"track": p.track, "missing": _runs(p.motion.missing), "filled": _runs(p.motion.filled),
                  "contacts": {"left": _runs(p.motion.contacts[:, 0]), "right": _runs(p.motion.contacts[:, 1])}}
                 for p in persons]  # fmt: skip
    return {
        "model": f"blazepose_{model}",
        "joints2d": f"blazepose_{model} landmarks fused in the 3D loop, full-resolution pixels of the video",
        "joints3d": f"{lifted_with}; animated: temporal model, fixed bones, floor, foot locking, root trajectory",
        "track": persons[0].track,
        "people": [p.track for p in persons],
        "tracks": [{"id": t, "frames": r.length} for t, r in sorted(tracked.tracks.items())],
        "video": {"file": str(info.path), "size": list(info.size), "codec": info.codec, "nominal_fps": nominal_fps,
                  "frames_in_header": info.frames, "frames_read": tracked.frames, "start_s": start, "end_s": end,
                  "variable_frame_rate": frames.variable, "truncated": tracked.truncated},
        "frame_times_s": np.round(frames.times, 5).tolist(),
        "frame_index": frames.index.tolist(),
        "nobody": _runs(frames.people == 0),
        "missing": by_person[0]["missing"],
        "filled": by_person[0]["filled"],
        "contacts": by_person[0]["contacts"],
        "by_person": by_person,
        "smoothing": smoothing,
        "height_m": height,
        "focal_px": focal_px,
        "camera": _camera_metadata(persons, info, focal_px),
    }


def _camera_metadata(persons: list[_Person], info: VideoInfo, focal_px: float | None) -> dict:
    """The camera: its pitch and roll (found or given, shared by every person), height above the floor (the median
    of each person's floor) and the focal length used, in the pose file's frame (above the origin, along +Y)."""
    from ..motion.root_motion import default_focal

    heights = [p.motion.camera.height for p in persons if np.isfinite(p.motion.camera.height)]
    return {"pitch_deg": float(np.degrees(persons[0].motion.camera.pitch)),
            "roll_deg": float(np.degrees(persons[0].motion.camera.roll)),
            "height_m": round(float(np.median(heights)), 4) if heights else None,
            "focal_px": float(default_focal(info.size) if focal_px is None else focal_px),
            "looks_along": "+Y, pitched down by pitch_deg, then rolled by roll_deg (counter-clockwise seen from "
                           "behind), from (0, 0, height_m)"}  # fmt: skip


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
    before, after, w, nearest = _neighbours(times, grid)
    span = times[after] - times[before]
    step = (grid[1] - grid[0]) if len(grid) > 1 else np.inf
    both = found[before] & found[after] & (span <= max_span)
    alone = ~both & found[nearest] & (np.abs(times[nearest] - grid) <= step / 2 + 1e-6)

    def at_grid(values: np.ndarray, empty: float) -> np.ndarray:
        shape = (-1,) + (1,) * (values.ndim - 1)
        mixed = (1 - w).reshape(shape) * values[before] + w.reshape(shape) * values[after]
        out = np.where(alone.reshape(shape), values[nearest], np.full_like(values[nearest], empty))
        return np.where(both.reshape(shape), mixed, out).astype(values.dtype)

    return (nearest, at_grid(joints3d, np.nan), at_grid(joints2d, np.nan), at_grid(confidence, 0.0), both | alone)


def _neighbours(times: np.ndarray, grid: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """For (G,) `grid` times among (F,) increasing `times`: (G,) the frame before and the frame after each (the
    same frame at the ends), its weight in [0, 1] towards the one after, and the nearer of the two."""
    after = np.clip(np.searchsorted(times, grid), 1, len(times) - 1) if len(times) > 1 else np.zeros(len(grid), int)
    before = np.maximum(after - 1, 0)
    span = times[after] - times[before]
    w = np.clip(np.divide(grid - times[before], span, out=np.zeros_like(grid), where=span > 0), 0, 1)
    return before, after, w, np.where(w < 0.5, before, after)


def _runs(mask: np.ndarray) -> list[list[int]]:
    """[[first, last], ...] frame ranges (inclusive, as the pose file's metadata lists them) where (F,) `mask` holds."""
    return [[start, stop - 1] for start, stop in runs(mask)]
