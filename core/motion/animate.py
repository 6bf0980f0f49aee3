"""One person's motion over a video: per-frame lifted poses made into a smooth, grounded, travelling track.

`animate_track` runs, in order: spike removal and gap filling (short gaps interpolated, long ones left empty), the
temporal model (temporal.rts_smooth, chosen on data by bench/video.py; `pose_smoother` sets its strength on the
poses), one symmetric length per bone, one size per track (the stature asked for), the camera's pitch and roll
(camera.py, unless given), the root trajectory through that camera (root_motion.py, its glitches bridged by
glitches.py, smoothed the same way), a floor, foot contacts (low, and still in the picture), the body anchored to
its planted feet, and foot locking.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..skeleton import DEFAULT_HEIGHT, H36M_17, POSELIFT, stature
from . import camera as cameras
from . import contacts as feet
from . import glitches, root_motion, temporal

MAX_GAP_S = 0.25
"""Seconds: the longest run of frames without the person that is interpolated. A walking stride lasts about a
second and a foot swings for 40% of it (Winter, Biomechanics and Motor Control of Human Movement, 2009): over a
quarter second, about half a swing, a joint moves nearly in a straight line, so a straight line loses little;
over longer gaps a limb turns and the line would invent motion."""
SETTLE_ROUNDS = 20
"""Rounds of bone-length projection before the lengths are fixed (temporal.fix_bone_lengths' settle), so that
regrowing from the root moves the joints as little as it can. Picked on the rendered test video's per-frame lifts
(no bench prints that choice): the fewest rounds after which more change nothing."""
FLOOR_PERCENTILE = 50.0
"""The floor is the median height of the lowest foot point: the lifted feet are noisy in both directions (a low
percentile would sink the floor under the noise), and a foot is down in most frames of most motion."""
HOLD_HEIGHT_M = 0.3
"""Metres: a foot this near the floor, the person placed through the camera by the picture alone, is taken as
standing on it, and the floor then holds the body up: through a camera looking down, a person's depth and height
above the floor trade against each other, and the floor settles both. The height widens to HOLD_SPREADS robust
deviations of the track's lowest foot point from the floor where the picture places the person that badly (a small
person, a steep camera); a clean track keeps its jumps higher than this."""
HOLD_SPREADS = 4.0
HOLD_ROUNDS = 3  # placements held by the feet found planted in the one before
PELVIS = POSELIFT.index("pelvis")
LEFT_HIP, RIGHT_HIP = POSELIFT.index("left_hip"), POSELIFT.index("right_hip")
_FOOT_POINTS = [[POSELIFT.index(f"{side}_{part}") for part in ("ankle", "heel", "toe")] for side in feet.SIDES]
Smoother = Callable[[np.ndarray, float], np.ndarray]  # (F, J, 3) track and fps -> the smoothed track
_H36M = [POSELIFT.index(name) for name in H36M_17.joints]


PoseNll = Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray], np.ndarray]
"""(N, 27, 2) pixels on POSELIFT (NaN: not seen), (N, 27) confidences, (N,) radians each person is seen below the
horizontal and (N, 27, 3) their poses as lifted -> (N,) nats, how unlikely a 3D pose prior finds them as upright
people (`Lifter.upright_nll`)."""


@dataclass(frozen=True)
class Motion:
    """One track over F frames, in the pose file's frame: X image right, Y away from the camera along the floor, Z
    up, metres, the floor at Z = 0 and the camera above the origin (X = Y = 0) at `camera.height`."""

    joints3d: np.ndarray  # (F, 27, 3) float32, skeleton.POSELIFT joints with the root trajectory; NaN where missing
    root: np.ndarray  # (F, 3) float32 pelvis position; NaN where missing
    contacts: np.ndarray  # (F, 2) bool, left then right foot planted
    filled: np.ndarray  # (F,) bool: frames without the person, interpolated over a short gap
    missing: np.ndarray  # (F,) bool: frames left empty (long gaps, or before the first / after the last sighting)
    camera: cameras.ShotCamera  # the camera that saw it: its pitch and roll (found or given), height above the floor


@dataclass(frozen=True)
class SteadyTrack:
    """One track's poses made steady and sized (`steady_track`), ready to be placed through a camera."""

    relative: np.ndarray  # (F, 27, 3) metres, pelvis at the origin, upright, the camera's level axes; NaN: missing
    joints2d: np.ndarray  # (F, 27, 2) pixels, NaN where not found
    confidence: np.ndarray  # (F, 27) in [0, 1], 0 where not found
    root2d: np.ndarray  # (F, 2) pixels of the pelvis, short gaps filled, the image centre elsewhere
    filled: np.ndarray  # (F,) bool, as Motion.filled
    missing: np.ndarray  # (F,) bool, as Motion.missing
    fps: float
    image_size: tuple[int, int]  # (W, H) pixels
    focal: float  # pixels


def animate_track(joints3d: np.ndarray, joints2d: np.ndarray, confidence: np.ndarray, found: np.ndarray, *,
                  pitch: float | None = None, roll: float | None = None, pose_nll: PoseNll | None = None,
                  **options) -> Motion:  # fmt: skip
    """The Motion of one person from per-frame lifts: `steady_track` (which takes the arrays and `options`: fps,
    image_size, focal_px, height, smoothing), the camera's `pitch` and `roll` in radians (None: `find_camera`'s
    from this track, the roll judged by `pose_nll`), then `place_track`."""
    track = steady_track(joints3d, joints2d, confidence, found, **options)
    camera = find_camera([track], pitch, roll, pose_nll)
    return place_track(track, camera.pitch, camera.roll)


def steady_track(
    joints3d: np.ndarray,
    joints2d: np.ndarray,
    confidence: np.ndarray,
    found: np.ndarray,
    *,
    fps: float,
    image_size: tuple[int, int],
    focal_px: float | None = None,
    height: float = DEFAULT_HEIGHT,
    smoothing: float = 1.0,
) -> SteadyTrack:
    """One person's per-frame lifts made steady (`steady_poses`) and sized, not yet placed.

    joints3d: (F, 27, 3) metres, POSELIFT joints lifted frame by frame (pelvis at X = Y = 0, feet on Z = 0; upright
    on the level axes of the ray the person was seen along, whatever the camera's pitch: X right, Y the ray's
    horizontal direction, Z up, as `lifting.Lifted`), NaN where not found; joints2d: (F, 27, 2) pixels of the (W, H)
    `image_size` image; confidence: (F, 27) in [0, 1]; found: (F,) bool (a frame with too few confident 2D
    joints to be placed, `root_motion.placeable`, counts as not found). `focal_px`: the camera's focal length
    in pixels, else root_motion.default_focal (a 50 mm full-frame equivalent). `height`: the person's stature,
    metres, which sets the size of the track (and so the distance from the camera). `smoothing`: the strength of
    the temporal model on the poses (`pose_smoother`; the root trajectory's is fixed)."""
    smooth = pose_smoother(smoothing)
    joints3d, joints2d, confidence, found = _checked(joints3d, joints2d, confidence, found)
    found = found & root_motion.placeable(joints2d, confidence)  # a pose with no place in the picture: a gap
    focal = root_motion.default_focal(image_size) if focal_px is None else float(focal_px)
    filled, missing = gaps(found, round(MAX_GAP_S * fps))
    root2d = temporal.fill_gaps(joints2d[:, PELVIS : PELVIS + 1], round(MAX_GAP_S * fps))[:, 0]
    root2d = np.nan_to_num(root2d, nan=image_size[0] / 2)
    relative = np.full(joints3d.shape, np.nan)
    if not missing.all():
        relative = steady_poses(joints3d - joints3d[:, PELVIS : PELVIS + 1], missing, fps, smooth)
        relative *= height / _stature(relative)
    return SteadyTrack(relative, joints2d, confidence, root2d, filled, missing, fps, tuple(image_size), focal)


def unrolled(track: SteadyTrack, roll: float) -> SteadyTrack:
    """The track as the camera without its roll of `roll` radians would have seen it: its pixels `camera.unrolled`."""
    if not roll:
        return track
    turn = functools.partial(cameras.unrolled, roll=roll, image_size=track.image_size)
    return dataclasses.replace(track, joints2d=turn(track.joints2d), root2d=turn(track.root2d))


def find_camera(tracks: list[SteadyTrack], pitch: float | None = None, roll: float | None = None,
                pose_nll: PoseNll | None = None) -> cameras.ShotCamera:  # fmt: skip
    """The still camera of one shot from all the tracks it saw (its height NaN: each track's floor gives its own).
    Its pitch: the feet's (`feet_pitch`) through its roll; where the feet leave it level and `pose_nll` is given,
    the people's lean across the picture's (`leaning_pitch`). Its roll: where `pose_nll` is given, the one under
    which the people stand most upright (`upright_roll`) seen through that pitch, the two found in turn (at most
    camera.ROLL_ROUNDS times, until the roll moves less than camera.ROLL_SETTLED) from the feet's pitch without
    roll, and where that finds none from a level camera (through a rolled camera a path lies as flat under some
    steep pitch without roll, which hides the roll from the poses); else none. A `pitch` or `roll` (radians) given
    is kept."""

    def through(turn: float) -> cameras.ShotCamera:
        return cameras.ShotCamera(feet_pitch(tracks, turn) if pitch is None else float(pitch), float("nan"), turn)

    camera = through(0.0 if roll is None else float(roll))
    if pose_nll is None:
        return camera
    if roll is None:
        camera = _rolled(tracks, pose_nll, camera, through, given_pitch=pitch is not None)
    if pitch is None and not camera.pitch:
        camera = dataclasses.replace(camera, pitch=leaning_pitch(tracks, pose_nll, camera.roll))
    return camera


def _rolled(tracks: list[SteadyTrack], pose_nll: PoseNll, camera: cameras.ShotCamera,
            through: Callable[[float], cameras.ShotCamera], given_pitch: bool) -> cameras.ShotCamera:  # fmt: skip
    """`find_camera`'s roll and pitch found in turn from `camera` (no roll), `through` a roll giving the camera with
    the pitch for it; `camera` where no roll is found."""
    starts = [camera] if given_pitch or not camera.pitch else [camera, cameras.ShotCamera(0.0, math.nan)]
    for rolled in starts:
        for _ in range(cameras.ROLL_ROUNDS):
            turn = upright_roll(tracks, pose_nll, rolled.pitch)
            if abs(turn - rolled.roll) < cameras.ROLL_SETTLED:
                break
            rolled, before = through(turn), rolled.pitch
            if rolled.pitch == before:  # the poses would say the same roll again
                break
        if rolled.roll:
            return rolled
    return camera


def feet_pitch(tracks: list[SteadyTrack], roll: float) -> float:
    """Radians down: `camera.choose` of the tracks' spreads (`camera.floor_spreads`) through the camera rolled by
    `roll` radians over camera.PITCHES, each track's averaged with its frames as its weight (a track too short to
    judge by counts for nothing); level where none can judge."""
    total, heights, weight = np.zeros(len(cameras.PITCHES)), np.zeros(len(cameras.PITCHES)), 0
    for track in tracks:
        costs, height = _spreads(track, cameras.PITCHES, np.full(len(cameras.PITCHES), roll))
        if np.isfinite(costs).any():
            frames = int((~track.missing).sum())
            total, heights, weight = total + frames * costs, heights + frames * height, weight + frames
    return cameras.choose(total / weight, heights / weight).pitch if weight else 0.0


def upright_roll(tracks: list[SteadyTrack], pose_nll: PoseNll, pitch: float) -> float:
    """Radians: the roll of the camera that saw `tracks` (`camera.choose_roll`), judged on about camera.ROLL_FRAMES
    of their frames (each track's share by its length, evenly spaced over it), each person's 2D turned back by a
    roll and stood upright (`camera.stood_upright`) as the camera pitched down by `pitch` radians sees them: on
    camera.ROLL_SCREEN first, then, where one of its rolls is kept, on camera.ROLL_GRID; none where they face one
    way (the mean resultant length of their hips' directions camera.ROLL_FACINGS or more)."""
    judged = _judged_frames(tracks)
    if sum(len(frames) for frames in judged) < 2:
        return 0.0
    across = np.concatenate([track.relative[frames, LEFT_HIP, :2] - track.relative[frames, RIGHT_HIP, :2]
                             for track, frames in zip(tracks, judged, strict=True)])  # (F, 2) the hips' line
    if not np.abs(np.exp(1j * np.arctan2(across[:, 1], across[:, 0])).mean()) < cameras.ROLL_FACINGS:
        return 0.0

    def nll(rolls: np.ndarray) -> np.ndarray:  # (R,) radians -> (R, F) nats
        seen = [_judged_people(tracks, judged, turn, pitch) for turn in rolls]
        return pose_nll(*(np.concatenate(a) for a in zip(*seen, strict=True))).reshape(len(rolls), -1)

    if not cameras.choose_roll(nll(cameras.ROLL_SCREEN), cameras.ROLL_SCREEN):
        return 0.0
    return cameras.choose_roll(nll(cameras.ROLL_GRID), cameras.ROLL_GRID)


def leaning_pitch(tracks: list[SteadyTrack], pose_nll: PoseNll, roll: float) -> float:
    """Radians down: the pitch by how the people lean in the picture of a camera rolled by `roll` radians
    (`camera.lean_pitch`), each frame's person turned about its pelvis by camera.LEAN_TURNS to find the turn that
    stands them most upright (`camera.upright_turns`, the lifter seeing them level), on about camera.ROLL_FRAMES of
    the tracks' frames; 0 where they do not say it."""
    judged = _judged_frames(tracks)
    if sum(len(frames) for frames in judged) < cameras.MIN_FRAMES:
        return 0.0
    points, confidence, seen_at, poses = _judged_people(tracks, judged, roll, 0.0)
    root = points[:, PELVIS]  # (F, 2)
    if not cameras.crosses(root, tracks[0].image_size):  # the lean cannot say it: no likelihood computed
        return 0.0
    turned = np.concatenate([cameras.turned_about(points, root[:, None], turn) for turn in cameras.LEAN_TURNS])
    count = len(cameras.LEAN_TURNS)
    nll = pose_nll(turned, np.tile(confidence, (count, 1)), np.tile(seen_at, count), np.tile(poses, (count, 1, 1)))
    turns = cameras.upright_turns(nll.reshape(count, -1), cameras.LEAN_TURNS)
    return cameras.lean_pitch(turns, root, tracks[0].focal, tracks[0].image_size)  # one shot: one lens, one size


def _judged_people(tracks: list[SteadyTrack], judged: list[np.ndarray], roll: float,
                   pitch: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """What a `PoseNll` judges of the tracks' `judged` frames (`_judged_frames`), all tracks' in turn, seen through
    the camera rolled by `roll` and pitched down by `pitch` radians: (F, 27, 2) pixels turned back by the roll and
    stood upright (`camera.stood_upright`), (F, 27) confidences, (F,) radians each person is seen below the
    horizontal, (F, 27, 3) poses."""
    points, confidence, seen_at, poses = [], [], [], []
    for track, frames in zip(tracks, judged, strict=True):
        pixels = cameras.unrolled(track.joints2d[frames], roll, track.image_size)  # (F', 27, 2)
        root = pixels[:, PELVIS]
        points.append(cameras.stood_upright(pixels, root, track.focal, track.image_size, pitch))
        confidence.append(track.confidence[frames])
        seen_at.append(root_motion.view_pitch(root, track.focal, track.image_size, pitch))
        poses.append(track.relative[frames])
    return tuple(np.concatenate(a) for a in (points, confidence, seen_at, poses))


def _judged_frames(tracks: list[SteadyTrack]) -> list[np.ndarray]:
    """Each track's frames the poses judge the camera on: about camera.ROLL_FRAMES of all, each track's share by
    its length, evenly spaced over the frames it is seen in."""
    judged = [np.flatnonzero(~track.missing & np.isfinite(track.joints2d[:, PELVIS]).all(-1)) for track in tracks]
    count = max(1, sum(len(frames) for frames in judged))
    shares = [min(len(frames), max(1, round(cameras.ROLL_FRAMES * len(frames) / count))) for frames in judged]
    return [frames[np.linspace(0, len(frames) - 1, share).astype(int)] if len(frames) else frames
            for frames, share in zip(judged, shares, strict=True)]  # fmt: skip


def _spreads(track: SteadyTrack, pitches: np.ndarray, rolls: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`camera.floor_spreads` of one track through the (C,) cameras of `pitches` and `rolls`."""
    level = root_motion.face_the_camera_ray(track.relative, track.root2d, track.focal, track.image_size)
    return cameras.floor_spreads(level, track.joints2d, track.confidence, ~track.missing, track.focal,
                                 track.image_size, track.fps, pitches, rolls)  # fmt: skip


def place_track(track: SteadyTrack, pitch: float, roll: float = 0.0) -> Motion:
    """The Motion of a steady track: placed through the camera pitched down by `pitch` radians and rolled by `roll`
    (`find_camera`'s, as several tracks of one shot share it), the glitches in its distance bridged
    (`glitches.distance_glitches`), on a floor (the median of its lowest foot point), held on it by the feet planted
    there and wherever a short stretch between gaps floats (`glitches.adrift`; placed again HOLD_ROUNDS times),
    foot contacts (low, and still in the picture), the body anchored to its planted feet, foot locking, and no foot
    below the floor."""
    track = unrolled(track, roll)
    relative, joints2d, confidence, missing = track.relative, track.joints2d, track.confidence, track.missing
    fps, focal, image_size, frames = track.fps, track.focal, track.image_size, len(track.missing)
    if missing.all():
        empty = np.full((frames, len(POSELIFT), 3), np.nan, np.float32)
        unknown = cameras.ShotCamera(float(pitch), float("nan"), float(roll))
        return Motion(empty, empty[:, 0], np.zeros((frames, 2), bool), track.filled, missing, unknown)
    relative = root_motion.face_the_camera_ray(relative, track.root2d, focal, image_size, pitch)
    place = functools.partial(_placed_root, relative, joints2d, confidence, missing, fps, focal, image_size, pitch)
    root, glitch = place()
    floor = feet.floor_height(relative + root[:, None], POSELIFT.joints, FLOOR_PERCENTILE)
    camera = cameras.ShotCamera(float(pitch), -floor, float(roll))
    root[:, 2] -= floor
    pixels, metres_per_pixel = _feet_in_picture(root, joints2d, missing, fps, focal, camera)
    near, feet_up = _hold_height(relative, root), _feet_heights(relative)  # (F, 2) metres up from the pelvis
    adrift = glitches.adrift(_lowest(feet_up) + root[:, 2], near, fps, missing)
    for _ in range(HOLD_ROUNDS):  # placed again, each frame with a foot near the floor holding the body on it
        feet_low = feet_up + root[:, 2:3]  # (F, 2) metres above the floor
        standing = (feet_low < near) | adrift[:, None]
        if not standing.any():
            break
        root, glitch = place(floor - _lowest(np.where(standing, feet_up, np.nan)), glitch)
        root[:, 2] -= floor
    settled = feet.floor_height(relative + root[:, None], POSELIFT.joints, FLOOR_PERCENTILE)
    camera, root = dataclasses.replace(camera, height=camera.height - settled), root - [0.0, 0.0, settled]
    world = relative + root[:, None]
    contacts = feet.foot_contacts(world, POSELIFT.joints, fps, 0.0, image=(pixels, metres_per_pixel))
    shift = _over_runs(feet.anchor_shift(world, POSELIFT.joints, contacts)[:, None], missing,
                       lambda t: temporal.rts_smooth(t, fps, temporal.ROOT_ACCEL_NOISE))[:, 0]  # fmt: skip
    world, root = feet.lock_feet(world + shift[:, None], POSELIFT.joints, contacts, 0.0), root + shift
    world = feet.feet_above_floor(world, POSELIFT.joints, 0.0)
    world[missing], root[missing] = np.nan, np.nan
    return Motion(world.astype(np.float32), root.astype(np.float32), contacts & ~missing[:, None], track.filled,
                  missing, camera)  # fmt: skip


def _placed_root(relative: np.ndarray, joints2d: np.ndarray, confidence: np.ndarray, missing: np.ndarray,
                 fps: float, focal: float, image_size: tuple[int, int], pitch: float,
                 root_height: np.ndarray | None = None,
                 glitch: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """((F, 3) metres, the camera at the origin; (F,) bool): the root placed through the camera
    (`root_motion.place_poses`, held at `root_height` where given), spikes removed, the glitches in its distance
    (`glitches.distance_glitches`, with the frames `glitch` given: a placement held on the floor hides part of a
    step the free one showed) bridged, short gaps filled and smoothed, NaN where `missing`; and those glitches."""
    root = root_motion.place_poses(relative, joints2d, confidence, focal, image_size, pitch, root_height)
    root = temporal.remove_spikes(root[:, None])[:, 0]
    found = glitches.distance_glitches(np.linalg.norm(root, axis=-1), fps, missing)
    glitch = found if glitch is None else glitch | found
    root = temporal.fill_gaps(glitches.bridged(root, glitch, missing)[:, None], round(MAX_GAP_S * fps))
    root = _over_runs(root, missing, lambda t: temporal.rts_smooth(t, fps, temporal.ROOT_ACCEL_NOISE, fill=True))[:, 0]
    root[missing] = np.nan
    return root, glitch


def _feet_in_picture(root: np.ndarray, joints2d: np.ndarray, missing: np.ndarray, fps: float, focal: float,
                     camera: cameras.ShotCamera) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """((F, 27, 2) pixels smoothed, (F,) metres per pixel at the person's distance): how `contacts.foot_contacts`
    judges a foot still in the picture; `root` (F, 3) metres above the floor, the camera at `camera.height`."""
    seen_from = root_motion.to_camera(root - [0.0, 0.0, camera.height], camera.pitch)
    metres_per_pixel = seen_from[:, 1] / focal  # (F,) the root's depth along the optical axis over the focal length
    # The smoother's acceleration noise is in m^2/s^3: in pixels at the person's distance it is that over mpp^2.
    accel_noise = temporal.ACCEL_NOISE / np.nanmedian(metres_per_pixel) ** 2
    pixels = _over_runs(temporal.fill_gaps(joints2d, round(MAX_GAP_S * fps)), missing,
                        lambda track: temporal.rts_smooth(track, fps, accel_noise, fill=True))  # fmt: skip
    return pixels, metres_per_pixel


def _hold_height(relative: np.ndarray, root: np.ndarray) -> float:
    """Metres: HOLD_HEIGHT_M, widened to HOLD_SPREADS robust deviations of the lowest foot point from the floor
    over the track ((F, 27, 3) root-relative poses at (F, 3) roots above the floor)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        spread = 1.4826 * np.nanmedian(np.abs(_lowest(_feet_heights(relative)) + root[:, 2]))
    return max(HOLD_HEIGHT_M, HOLD_SPREADS * float(np.nan_to_num(spread)))


def _lowest(heights: np.ndarray) -> np.ndarray:
    """(F,) the least of (F, 2) heights, NaN where both are."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmin(heights, axis=1)


def _feet_heights(relative: np.ndarray) -> np.ndarray:
    """(F, 2) metres, left then right: the lowest point of each foot of (F, 27, 3) poses (NaN where unseen)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.stack([np.nanmin(relative[:, side, 2], axis=1) for side in _FOOT_POINTS], 1)


def _over_runs(track: np.ndarray, missing: np.ndarray, smooth: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """(F, ...) `track` with `smooth` applied to each run of frames not `missing` on its own."""
    out = np.array(track, dtype=np.float64)
    for start, stop in temporal.runs(~missing):
        out[start:stop] = smooth(out[start:stop])
    return out


def filling_rts(track: np.ndarray, fps: float) -> np.ndarray:
    """The temporal model: `temporal.rts_smooth` with its chosen constant, estimating the samples spikes left."""
    return temporal.rts_smooth(track, fps, fill=True)


def pose_smoother(strength: float) -> Smoother:
    """The temporal model at `strength` S >= 0: `temporal.rts_smooth` with its acceleration noise divided by S (1:
    `filling_rts`'s output bit for bit; larger: smoother); 0: no smoothing, the lifts kept as they are and only the
    samples spikes left estimated (by the S = 1 model)."""
    if not (np.isfinite(strength) and strength >= 0):
        raise ValueError(f"the smoothing strength must be a number from 0 up, not {strength}")
    if strength == 0:
        return lambda track, fps: np.where(np.isfinite(track), track, filling_rts(track, fps))
    return lambda track, fps: temporal.rts_smooth(track, fps, temporal.ACCEL_NOISE / strength, fill=True)


def steady_poses(relative: np.ndarray, missing: np.ndarray, fps: float, smooth: Smoother = filling_rts) -> np.ndarray:
    """(F, 27, 3) root-relative poses, metres, made steady: spikes removed, gaps of at most MAX_GAP_S filled,
    `smooth(track, fps)` over each run of frames not `missing` ((F,) bool), then one symmetric length per bone
    (`temporal.fix_bone_lengths`, settled first over SETTLE_ROUNDS: nearest the smoothed poses), the pelvis at
    the origin."""
    relative = temporal.fill_gaps(temporal.remove_spikes(relative), round(MAX_GAP_S * fps))
    relative = _over_runs(relative, missing, lambda track: smooth(track, fps))
    fixed = temporal.fix_bone_lengths(relative, POSELIFT.parents, mirror=POSELIFT.mirror, settle=SETTLE_ROUNDS)
    return fixed - fixed[:, PELVIS : PELVIS + 1]  # settling moves the pelvis too: back to the origin


def gaps(found: np.ndarray, max_gap: int) -> tuple[np.ndarray, np.ndarray]:
    """(filled, missing), (F,) bool each, from (F,) `found`: runs of frames not found of at most `max_gap` frames
    between two found frames are filled; the others (longer, or at either end) are missing."""
    found = np.asarray(found, bool)
    filled = np.zeros_like(found)
    for start, stop in temporal.runs(~found):
        if 0 < start and stop < len(found) and stop - start <= max_gap:
            filled[start:stop] = True
    return filled, ~found & ~filled


def _stature(relative: np.ndarray) -> float:
    """Metres: the median over frames of the stature of (F, 27, 3) poses (skeleton.stature, from bone lengths)."""
    heights = stature(relative[:, _H36M])
    heights = heights[np.isfinite(heights) & (heights > 0)]
    return float(np.median(heights)) if heights.size else DEFAULT_HEIGHT


def _checked(joints3d, joints2d, confidence, found):
    joints3d = np.asarray(joints3d, np.float64)
    joints2d = np.asarray(joints2d, np.float64)
    confidence = np.asarray(confidence, np.float64)
    found = np.asarray(found, bool)
    frames, joints = len(found), len(POSELIFT)
    expected = {"joints3d": (frames, joints, 3), "joints2d": (frames, joints, 2), "confidence": (frames, joints)}
    for name, array in zip(expected, (joints3d, joints2d, confidence), strict=True):
        if array.shape != expected[name]:
            raise ValueError(f"{name} must be {expected[name]} for {frames} frames, not {array.shape}")
    keep = found[:, None]
    return (np.where(keep[..., None], joints3d, np.nan), np.where(keep[..., None], joints2d, np.nan),
            np.where(keep & np.isfinite(confidence), confidence, 0.0), found)  # fmt: skip
