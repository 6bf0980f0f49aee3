"""The camera of a shot: its pitch and height above the floor, found from the people it saw standing on one floor.

A still camera pitched down sees a person walking away rise in the picture; placed through a level camera they
would rise in the world too, and float. Through the true camera the lowest foot stays on one floor. So the pitch
is the one, on a grid of PITCHES refined by a parabola, under which every frame's lowest foot point (the feet of
`root_motion.place_poses`' placement, its root smoothed as the motion's is) lies nearest one height: the spread
is the mean absolute deviation from the median height over the frames whose deviation is below the FOOT_SHARE
quantile (a foot in the air, a jump, a bad frame do not count). A person who does not move in depth says little
about the pitch (every pitch puts them on some floor); the spread is then flat, so what is compared is the
logarithm of the spread (plus SPREAD_FLOOR_M, the feet's own noise), and the camera stays level unless the best
pitch beats it by LEVEL_MARGIN and lowers the spread by LEVEL_GAIN_M: the feet must say clearly that it is
tilted (a ratio alone would take a centimetre's spread halved for a tilt). The camera's height is how far above
that floor it is; a pitch that puts the camera under MIN_HEIGHT_M is not considered.

A camera rolled about its optical axis (a phone held askew) tilts that floor across the picture: a person walking
across it climbs or sinks. The roll is found by the same spread, the 2D first turned as the camera would have seen
it without the roll (`unrolled`), over pitches and ROLLS together (a straight path is as flat under some pitch
without roll as under the true pair, so the two are not searched one after the other): on a coarse grid
(`rolled_grids`), then a fine one around its best (`fine_grids`), and kept only where it beats the best camera
without roll by ROLL_MARGIN (`choose_rolled`). A person who does not cross the picture says nothing about the
roll: it is searched only where some track's pelvis crosses CROSSING_SHARE of its width.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from ..skeleton import POSELIFT
from . import root_motion, temporal

PITCHES = np.radians(np.arange(-20.0, 60.01, 1.0))  # (P,) radians down: the grid the pitch is searched on
ROLLS = np.radians(np.arange(-15.0, 15.01, 1.0))  # (R,) radians, counter-clockwise seen from behind the camera
FOOT_SHARE = 0.8  # the share of frames, nearest the floor's height, whose feet judge a pitch
SPREAD_FLOOR_M = 0.01  # metres added to every spread: below a centimetre a spread is the feet's own noise
LEVEL_MARGIN = 0.25  # how much less the log spread of the best pitch must be than the level camera's to be taken
LEVEL_GAIN_M = 0.015  # and how many metres less its spread (bench/camera's tilted videos gain 0.025 to 0.10 m)
ROLL_MARGIN = 0.5  # the same for the best rolled camera against the best without roll: a second angle must lower
#                    it by two fifths (on vtest.avi a 4 degree roll lowered it by a sixth and lifted some feet 0.6 m)
MIN_HEIGHT_M = 0.2  # a camera nearer the floor than this, or under it, is not one that filmed a person
MIN_FRAMES = 10  # a track placed in fewer frames leaves the camera level
MAX_FRAMES = 600  # a longer track is judged on every k-th frame, so the search's memory stays bounded
CROSSING_SHARE = 0.2  # the share of the picture's width some track's pelvis must cross for the roll to be searched
_FEET = [POSELIFT.index(f"{side}_{part}") for side in ("left", "right") for part in ("ankle", "heel", "toe")]


@dataclass(frozen=True)
class ShotCamera:
    """A still camera, in the pose file's frame: above the origin, looking along +Y pitched down, then rolled."""

    pitch: float  # radians, the optical axis below the horizontal (positive: looking down)
    height: float  # metres, above the floor (NaN where nothing stood on it)
    roll: float = 0.0  # radians about the optical axis, counter-clockwise seen from behind: its right side up


def floor_spreads(relative: np.ndarray, joints2d: np.ndarray, confidence: np.ndarray, present: np.ndarray,
                  focal: float, image_size: tuple[int, int], fps: float, pitches: np.ndarray, rolls: np.ndarray,
                  max_frames: int = MAX_FRAMES) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """((C,) metres, (C,) metres): for each of the C cameras pitched down by (C,) `pitches` and rolled by (C,)
    `rolls` radians (the track's pixels seen `unrolled`), how far the lowest feet of one track are from one floor
    (the trimmed spread, see the module; NaN where the track is placed in under MIN_FRAMES frames) and the camera's
    height above that floor, judged on at most `max_frames` of its frames. The track: (F, 27, 3) metres
    root-relative poses on the pose file's axes (turned to face the camera ray), their (F, 27, 2) pixels and
    (F, 27) confidences, (F,) bool frames to judge by; then the focal length in pixels, the image's (W, H) and the
    frame rate."""
    cameras, stride = len(pitches), -(-len(present) // max_frames)
    usable = np.asarray(present, bool) & root_motion.placeable(joints2d, confidence)
    if usable.sum() < MIN_FRAMES:
        return np.full(cameras, np.nan), np.full(cameras, np.nan)
    relative, joints2d, fps = relative[::stride], joints2d[::stride], fps / stride
    confidence = np.where(usable[:, None], confidence, 0.0)[::stride]  # a frame not judged places nobody: NaN
    count = len(relative)
    pixels = np.concatenate([unrolled(joints2d, roll, image_size) for roll in rolls])  # (C * F', 27, 2)
    tiled = np.repeat(pitches, count)  # (C * F',) pitch of each placement
    root = root_motion.place_poses(np.tile(relative, (cameras, 1, 1)), pixels, np.tile(confidence, (cameras, 1)),
                                   focal, image_size, tiled)  # fmt: skip
    root = root.reshape(cameras, count, 3).transpose(1, 0, 2)  # (F', C, 3): the cameras as the smoother's joints
    root = temporal.rts_smooth(temporal.remove_spikes(root), fps, temporal.ROOT_ACCEL_NOISE, fill=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a frame with no foot seen: NaN, and not judged
        lowest = root[..., 2] + np.nanmin(relative[:, _FEET, 2], axis=1)[:, None]  # (F', C) metres, camera at 0
        floor = np.nanmedian(lowest, axis=0)
        deviation = np.abs(lowest - floor)
        kept = deviation <= np.nanquantile(deviation, FOOT_SHARE, axis=0)
        spread = np.nanmean(np.where(kept, deviation, np.nan), axis=0)
    return spread, -floor


def unrolled(pixels: np.ndarray, roll: float, image_size: tuple[int, int]) -> np.ndarray:
    """(..., 2) pixels of a (W, H) picture taken by a camera rolled by `roll` radians (see ShotCamera) -> where the
    same camera without its roll sees those points: turned by the roll about the picture's centre (NaN stays NaN).
    `unrolled(unrolled(p, r, size), -r, size)` is p."""
    pixels = np.asarray(pixels, np.float64)
    cx, cy = image_size[0] / 2 - 0.5, image_size[1] / 2 - 0.5
    du, dv = pixels[..., 0] - cx, cy - pixels[..., 1]  # from the centre, v up
    c, s = np.cos(roll), np.sin(roll)
    return np.stack([cx + c * du - s * dv, cy - (s * du + c * dv)], axis=-1)


def unrolled_world(world: np.ndarray, roll: float) -> np.ndarray:
    """(..., 3) BlazePose world landmarks (metres; x right, y down, z away, on the camera's axes) of a camera rolled
    by `roll` radians -> on the axes of the same camera without its roll (as `unrolled` turns the pixels)."""
    world = np.asarray(world, np.float64)
    x, down, z = np.moveaxis(world, -1, 0)
    c, s = np.cos(roll), np.sin(roll)
    return np.stack([c * x + s * down, -(s * x - c * down), z], axis=-1)


def choose(costs: np.ndarray, heights: np.ndarray) -> ShotCamera:
    """The ShotCamera of the least log((P,) `costs` + SPREAD_FLOOR_M) (one track's spreads, or several tracks'
    averaged) among pitches that leave the camera MIN_HEIGHT_M above the floor, refined by a parabola through its
    neighbours, at the (P,) `heights` interpolated there; level where it beats level by less than LEVEL_MARGIN or
    its spread is not LEVEL_GAIN_M under level's, and level at no height (NaN) where no pitch is left."""
    heights = np.asarray(heights, np.float64)
    with np.errstate(invalid="ignore"):
        total = np.where(heights >= MIN_HEIGHT_M, np.log(np.asarray(costs, np.float64) + SPREAD_FLOOR_M), np.nan)
    if not np.isfinite(total).any():
        return ShotCamera(0.0, float("nan"))
    best, level = int(np.nanargmin(total)), int(np.argmin(np.abs(PITCHES)))
    gain = np.exp(total[level]) - np.exp(total[best])  # metres of spread: SPREAD_FLOOR_M cancels
    if np.isfinite(total[level]) and (total[level] - total[best] < LEVEL_MARGIN or gain < LEVEL_GAIN_M):
        return ShotCamera(0.0, float(heights[level]))
    pitch = _vertex(PITCHES, total, best)
    return ShotCamera(float(pitch), float(np.interp(pitch, PITCHES, heights)))


def rolled_grids(pitch: float | None) -> tuple[np.ndarray, np.ndarray]:
    """(C,) pitches and (C,) rolls, radians: the coarse grid a rolled camera is first searched on, every third of
    PITCHES (or only `pitch` where it is known) by every third of ROLLS but 0."""
    pitches = PITCHES[::3] if pitch is None else np.array([float(pitch)])
    rolls = ROLLS[::3][ROLLS[::3] != 0]
    return np.repeat(pitches, len(rolls)), np.tile(rolls, len(pitches))


def fine_grids(pitch: float, roll: float, pitch_known: bool) -> tuple[np.ndarray, np.ndarray]:
    """(C,) pitches and (C,) rolls, radians: PITCHES and ROLLS within two coarse steps of a coarse grid's best (the
    pitch alone where it is known)."""
    near_pitch = PITCHES[np.abs(PITCHES - pitch) <= 2 * (PITCHES[3] - PITCHES[0]) + 1e-9]
    pitches = np.array([pitch]) if pitch_known else near_pitch
    rolls = ROLLS[(np.abs(ROLLS - roll) <= 2 * (ROLLS[3] - ROLLS[0]) + 1e-9) & (ROLLS != 0)]
    return np.repeat(pitches, len(rolls)), np.tile(rolls, len(pitches))


def choose_rolled(level: float, spreads: np.ndarray, heights: np.ndarray, pitches: np.ndarray,
                  rolls: np.ndarray) -> ShotCamera | None:  # fmt: skip
    """The rolled camera of least spread among (C,) cameras (`spreads` and `heights` at (C,) `pitches` and `rolls`,
    radians) that leave the camera MIN_HEIGHT_M above the floor, or None where it does not beat the best camera
    without roll, whose spread is `level` metres, by ROLL_MARGIN in log spread and LEVEL_GAIN_M in metres: the
    feet must say clearly that the camera is rolled."""
    spreads = np.where(np.asarray(heights) >= MIN_HEIGHT_M, spreads, np.nan)
    if not (np.isfinite(spreads).any() and np.isfinite(level)):
        return None
    best = int(np.nanargmin(spreads))
    margin = np.log(level + SPREAD_FLOOR_M) - np.log(spreads[best] + SPREAD_FLOOR_M)
    if margin < ROLL_MARGIN or level - spreads[best] < LEVEL_GAIN_M:
        return None
    return ShotCamera(float(pitches[best]), float(heights[best]), float(rolls[best]))


def _vertex(grid: np.ndarray, total: np.ndarray, best: int) -> float:
    """The (G,) evenly spaced `grid`'s point `best`, moved to the vertex of the parabola through its (G,) `total`
    and its neighbours' (at most half a step), where they are finite and bend upwards."""
    point, step = float(grid[best]), float(grid[1] - grid[0])
    if 0 < best < len(total) - 1 and np.isfinite(total[best - 1 : best + 2]).all():
        before, here, after = total[best - 1 : best + 2]
        bend = before - 2 * here + after
        if bend > 0:
            point += step * float(np.clip((before - after) / (2 * bend), -0.5, 0.5))
    return point


@dataclass(frozen=True)
class FileCamera:
    """The camera a pose file says saw its people (metadata "camera", written by `poselift video`): above the
    pose file's origin, looking along +Y pitched down, then rolled (as ShotCamera)."""

    pitch: float  # radians, down
    height: float  # metres above the floor
    focal_px: float  # pixels
    image_size: tuple[int, int]  # (W, H) pixels
    video: str | None  # the video's file as the command was given it, None where the file does not say
    roll: float = 0.0  # radians, counter-clockwise seen from behind the camera (0 where an older file does not say)

    @property
    def lens_mm(self) -> float:
        """Millimetres: the focal length on a 36 mm sensor spanning the picture's long side (as
        root_motion.focal_pixels)."""
        return self.focal_px / max(self.image_size) * root_motion.SENSOR_MM


def file_camera(metadata: dict, image_size: tuple[int, int]) -> FileCamera | None:
    """The FileCamera of a pose file's `metadata` and (W, H) `image_size`; None where the metadata has no camera with
    a finite pitch, height and focal length (a photo's, an older file's) or its roll is not finite (none: 0)."""
    camera = metadata.get("camera")
    if not isinstance(camera, dict):
        return None
    try:
        pitch, height, focal = (float(camera[key]) for key in ("pitch_deg", "height_m", "focal_px"))
        roll = float(camera.get("roll_deg", 0.0))
    except (KeyError, TypeError, ValueError):
        return None
    if not (np.isfinite([pitch, height, focal, roll]).all() and focal > 0 and min(image_size) > 0):
        return None
    video = metadata.get("video", {}).get("file") if isinstance(metadata.get("video"), dict) else None
    return FileCamera(np.radians(pitch), height, focal, tuple(image_size), video if isinstance(video, str) else None,
                      np.radians(roll))  # fmt: skip
