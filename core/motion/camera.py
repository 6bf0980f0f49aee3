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
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from ..skeleton import POSELIFT
from . import root_motion, temporal

PITCHES = np.radians(np.arange(-20.0, 60.01, 1.0))  # (P,) radians down: the grid the pitch is searched on
FOOT_SHARE = 0.8  # the share of frames, nearest the floor's height, whose feet judge a pitch
SPREAD_FLOOR_M = 0.01  # metres added to every spread: below a centimetre a spread is the feet's own noise
LEVEL_MARGIN = 0.25  # how much less the log spread of the best pitch must be than the level camera's to be taken
LEVEL_GAIN_M = 0.015  # and how many metres less its spread (bench/camera's tilted videos gain 0.025 to 0.10 m)
MIN_HEIGHT_M = 0.2  # a camera nearer the floor than this, or under it, is not one that filmed a person
MIN_FRAMES = 10  # a track placed in fewer frames leaves the camera level
MAX_FRAMES = 600  # a longer track is judged on every k-th frame, so the search's memory stays bounded
_FEET = [POSELIFT.index(f"{side}_{part}") for side in ("left", "right") for part in ("ankle", "heel", "toe")]


@dataclass(frozen=True)
class ShotCamera:
    """A still camera, in the pose file's frame: above the origin, looking along +Y pitched down, no roll."""

    pitch: float  # radians, the optical axis below the horizontal (positive: looking down)
    height: float  # metres, above the floor (NaN where nothing stood on it)


def pitch_costs(relative: np.ndarray, joints2d: np.ndarray, confidence: np.ndarray, present: np.ndarray,
                focal: float, image_size: tuple[int, int], fps: float) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """((P,) metres, (P,) metres): for each of PITCHES, how far the lowest feet of one track are from one floor
    (the trimmed spread, see the module; NaN where the track is placed in under MIN_FRAMES frames) and the
    camera's height above that floor. The track: (F, 27, 3) metres root-relative poses on the pose file's axes
    (turned to face the camera ray), their (F, 27, 2) pixels and (F, 27) confidences, (F,) bool frames to judge by;
    then the focal length in pixels, the image's (W, H) and the frame rate."""
    pitches, stride = len(PITCHES), -(-len(present) // MAX_FRAMES)
    usable = np.asarray(present, bool) & root_motion.placeable(joints2d, confidence)
    if usable.sum() < MIN_FRAMES:
        return np.full(pitches, np.nan), np.full(pitches, np.nan)
    relative, joints2d, fps = relative[::stride], joints2d[::stride], fps / stride
    confidence = np.where(usable[:, None], confidence, 0.0)[::stride]  # a frame not judged places nobody: NaN
    count = len(relative)
    tiled = np.broadcast_to(PITCHES[:, None], (pitches, count)).reshape(-1)  # (P * F',) pitch of each placement
    root = root_motion.place_poses(np.tile(relative, (pitches, 1, 1)), np.tile(joints2d, (pitches, 1, 1)),
                                   np.tile(confidence, (pitches, 1)), focal, image_size, tiled)  # fmt: skip
    root = root.reshape(pitches, count, 3).transpose(1, 0, 2)  # (F', P, 3): the pitches as the smoother's joints
    root = temporal.rts_smooth(temporal.remove_spikes(root), fps, temporal.ROOT_ACCEL_NOISE, fill=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a frame with no foot seen: NaN, and not judged
        lowest = root[..., 2] + np.nanmin(relative[:, _FEET, 2], axis=1)[:, None]  # (F', P) metres, camera at 0
        floor = np.nanmedian(lowest, axis=0)
        deviation = np.abs(lowest - floor)
        kept = deviation <= np.nanquantile(deviation, FOOT_SHARE, axis=0)
        spread = np.nanmean(np.where(kept, deviation, np.nan), axis=0)
    return spread, -floor


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
    pitch, step = PITCHES[best], PITCHES[1] - PITCHES[0]
    if 0 < best < len(total) - 1 and np.isfinite(total[best - 1 : best + 2]).all():
        before, here, after = total[best - 1 : best + 2]
        bend = before - 2 * here + after
        if bend > 0:
            pitch += step * float(np.clip((before - after) / (2 * bend), -0.5, 0.5))
    return ShotCamera(float(pitch), float(np.interp(pitch, PITCHES, heights)))


@dataclass(frozen=True)
class FileCamera:
    """The camera a pose file says saw its people (metadata "camera", written by `poselift video`): above the
    pose file's origin, looking along +Y pitched down, no roll."""

    pitch: float  # radians, down
    height: float  # metres above the floor
    focal_px: float  # pixels
    image_size: tuple[int, int]  # (W, H) pixels
    video: str | None  # the video's file as the command was given it, None where the file does not say

    @property
    def lens_mm(self) -> float:
        """Millimetres: the focal length on a 36 mm sensor spanning the picture's long side (as
        root_motion.focal_pixels)."""
        return self.focal_px / max(self.image_size) * root_motion.SENSOR_MM


def file_camera(metadata: dict, image_size: tuple[int, int]) -> FileCamera | None:
    """The FileCamera of a pose file's `metadata` and (W, H) `image_size`; None where the metadata has no camera with
    a finite pitch, height and focal length (a photo's, an older file's)."""
    camera = metadata.get("camera")
    if not isinstance(camera, dict):
        return None
    try:
        pitch, height, focal = (float(camera[key]) for key in ("pitch_deg", "height_m", "focal_px"))
    except (KeyError, TypeError, ValueError):
        return None
    if not (np.isfinite([pitch, height, focal]).all() and focal > 0 and min(image_size) > 0):
        return None
    video = metadata.get("video", {}).get("file") if isinstance(metadata.get("video"), dict) else None
    return FileCamera(np.radians(pitch), height, focal, tuple(image_size), video if isinstance(video, str) else None)
