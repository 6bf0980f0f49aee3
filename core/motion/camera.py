"""The camera of a shot: its pitch, roll and height above the floor, from the people it saw: upright, on one floor.

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

A camera rolled about its optical axis (a phone held askew) leans every upright person in the picture by the roll.
The feet cannot tell it: a path across a tilted floor lies as flat under some steeper pitch without roll. The
poses can: the roll is the one under which the 3D pose prior finds the people's 2D, turned back by the roll
(`unrolled`) and stood upright as the pitched camera sees them (`stood_upright`), likeliest as upright people
(`choose_roll`, on the per-frame negative log-likelihoods a lifter gives): tried on ROLL_SCREEN, then where that
finds one on ROLL_GRID refined by a parabola, and kept only where it makes them likelier than no roll by ROLL_GAIN
nats a frame, steadily (ROLL_STEADINESS standard errors): a person's own lean and the 2D network's bias, a few
degrees, do not roll the camera. Nor does a lean kept while facing one way (leaning on one leg, the 2D network's
idea of a side seen from one side): a person's own lean turns with them, a camera's roll does not, so the roll is
judged only where the people face about (ROLL_FACINGS). The pitch is then found by the feet through that roll, and
the roll again through that pitch (`motion.animate.find_camera`).

A walk across the picture keeps to one depth: its feet lie on one floor through any pitch. Its people's lean says
the pitch instead: an upright person off the centre of a pitched picture leans outwards in it (`leans`), so where
the feet leave the camera level, the pitch is the one whose leans best explain the turns that stand each frame's
person most upright by the prior's measure (`upright_turns`, `lean_pitch`), up to one lean of their own.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from ..skeleton import POSELIFT
from . import root_motion, temporal

PITCHES = np.radians(np.arange(-20.0, 60.01, 1.0))  # (P,) radians down: the grid the pitch is searched on
ROLL_GRID = np.radians(np.arange(-15.0, 15.01, 3.0))  # (R,) radians, counter-clockwise seen from behind the camera
ROLL_SCREEN = np.radians([-6.0, 0.0, 6.0])  # the rolls tried first: where neither side beats none, no roll
ROLL_FACINGS = 0.8  # the roll is judged only where the people's facings spread: their mean resultant length under it
ROLL_ROUNDS = 4  # the most times the roll (by the poses) and the pitch (by the feet) are found in turn
ROLL_SETTLED = np.radians(1.0)  # a roll that moves less than this from one round to the next has settled
ROLL_FRAMES = 48  # the frames, of all tracks, the roll is judged on
ROLL_GAIN = 0.1  # nats per frame the roll must make the poses likelier by (about what a 5 degree roll costs them)
ROLL_STEADINESS = 3.0  # and that gain's mean must be this many of its standard errors over the frames
LEAN_TURNS = np.radians(np.arange(-12.0, 12.01, 3.0))  # (T,) radians: each person turned by these about the pelvis
LEAN_ACROSS = 0.1  # the share of the picture's width the people must cross for their lean to judge the pitch
LEAN_EVIDENCE = 8.0  # the F statistic a pitch's leans must reach (`lean_pitch`); level walks across: 1
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
    """A still camera, in the pose file's frame: above the origin, looking along +Y pitched down, then rolled."""

    pitch: float  # radians, the optical axis below the horizontal (positive: looking down)
    height: float  # metres, above the floor (NaN where nothing stood on it)
    roll: float = 0.0  # radians about the optical axis, counter-clockwise seen from behind: its right side up


def floor_spreads(relative: np.ndarray, joints2d: np.ndarray, confidence: np.ndarray, present: np.ndarray,
                  focal: float, image_size: tuple[int, int], fps: float, pitches: np.ndarray,
                  rolls: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """((C,) metres, (C,) metres): for each of the C cameras pitched down by (C,) `pitches` and rolled by (C,)
    `rolls` radians (the track's pixels seen `unrolled`), how far the lowest feet of one track are from one floor
    (the trimmed spread, see the module; NaN where the track is placed in under MIN_FRAMES frames) and the camera's
    height above that floor, judged on at most MAX_FRAMES of its frames. The track: (F, 27, 3) metres
    root-relative poses on the pose file's axes (turned to face the camera ray), their (F, 27, 2) pixels and
    (F, 27) confidences, (F,) bool frames to judge by; then the focal length in pixels, the image's (W, H) and the
    frame rate."""
    cameras, stride = len(pitches), -(-len(present) // MAX_FRAMES)
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
    return turned_about(pixels, np.array([image_size[0] / 2 - 0.5, image_size[1] / 2 - 0.5]), roll)


def stood_upright(pixels: np.ndarray, root: np.ndarray, focal: float, image_size: tuple[int, int],
                  pitch: float) -> np.ndarray:  # fmt: skip
    """(N, J, 2) pixels of N people of a (W, H) picture taken by a camera without roll pitched down by `pitch` radians
    (`focal` pixels), each turned about its (N, 2) `root` pixel so that the world's vertical through the root is the
    picture's: off the picture's centre, a pitched camera sees verticals converge (towards the point below it where
    it looks down), and an upright person there leans in the picture."""
    root = np.asarray(root, np.float64)
    return turned_about(pixels, root[:, None], leans(root, focal, image_size, pitch)[:, None])


def leans(root: np.ndarray, focal: float, image_size: tuple[int, int], pitch: float | np.ndarray) -> np.ndarray:
    """(..., N) radians, clockwise: how far an upright person whose (N, 2) root pixel is off the centre of a (W, H)
    picture leans in it, the camera without roll pitched down by `pitch` radians (a scalar, or (...,) pitches
    broadcast against N), `focal` pixels: the world's vertical through the root is seen turned by this."""
    du, dv = root_motion.from_centre(root, image_size)  # (N,) pixels, v up
    pitch = np.asarray(pitch, np.float64)[..., None]
    return np.arctan2(du * np.sin(pitch), focal * np.cos(pitch) + dv * np.sin(pitch))


def upright_turns(nll: np.ndarray, turns: np.ndarray) -> np.ndarray:
    """(F,) radians: each frame's turn of least (T, F) nats over the (T,) evenly spaced `turns`, refined by a
    parabola; NaN where it lies on the grid's edge or a turn could not be judged."""
    nll = np.asarray(nll, np.float64)
    best = np.argmin(np.where(np.isfinite(nll), nll, np.inf), axis=0)
    inside = np.isfinite(nll).all(0) & (best > 0) & (best < len(turns) - 1)
    return np.array([_vertex(turns, nll[:, f], best[f]) if inside[f] else np.nan for f in range(nll.shape[1])])


def lean_pitch(turns: np.ndarray, root: np.ndarray, focal: float, image_size: tuple[int, int]) -> float:
    """Radians down: the pitch of PITCHES whose `leans` of the people at (F, 2) root pixels best explain the (F,)
    turns (radians, NaN: not judged) that stand them most upright (`upright_turns`), up to one turn shared by all
    (a person's own lean, a roll not taken); kept only where the spread it explains is LEAN_EVIDENCE times what it
    leaves per frame judged beyond two (an F statistic of one parameter), else 0. A pitched camera leans the people
    at the picture's sides apart: this sees the pitch where the feet cannot (a walk across the picture keeps to one
    depth). People who do not cross LEAN_ACROSS of the picture's width (between the 10th and 90th percentiles of
    their roots) say nothing of it."""
    seen = np.isfinite(turns)
    root = np.asarray(root, np.float64)[seen]
    if not crosses(root, image_size):
        return 0.0
    predicted = leans(root, focal, image_size, PITCHES)  # (P, F')
    residual = turns[seen] - predicted
    left = ((residual - residual.mean(1, keepdims=True)) ** 2).sum(1)  # (P,) radians^2
    best, level = int(np.argmin(left)), int(np.argmin(np.abs(PITCHES)))
    if (left[level] - left[best]) * (seen.sum() - 2) < LEAN_EVIDENCE * left[best]:
        return 0.0
    return _vertex(PITCHES, left, best)


def crosses(root: np.ndarray, image_size: tuple[int, int]) -> bool:
    """Whether people at (F, 2) root pixels, at least MIN_FRAMES of them, cross LEAN_ACROSS of the (W, H) picture's
    width between the 10th and 90th percentiles of their columns: only then can their lean say the pitch."""
    root = np.asarray(root, np.float64)
    return len(root) >= MIN_FRAMES and np.subtract(*np.percentile(root[:, 0], [90, 10])) >= LEAN_ACROSS * image_size[0]


def turned_about(pixels: np.ndarray, about: np.ndarray, angle: float | np.ndarray) -> np.ndarray:
    """(..., 2) pixels (image y down) turned counter-clockwise as seen by `angle` radians (broadcast against the
    pixels' leading axes) about the pixel `about` (broadcast against the pixels)."""
    pixels, about = np.asarray(pixels, np.float64), np.asarray(about, np.float64)
    x, y = pixels[..., 0] - about[..., 0], about[..., 1] - pixels[..., 1]  # from `about`, v up
    c, s = np.cos(angle), np.sin(angle)
    return np.stack([about[..., 0] + c * x - s * y, about[..., 1] - (s * x + c * y)], axis=-1)


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


def choose_roll(nll: np.ndarray, rolls: np.ndarray) -> float:
    """Radians: the camera's roll from (R, F) nats, the negative log-likelihood of F frames' people seen without
    each of the (R,) evenly spaced `rolls` (radians, 0 among them): the least mean over the frames every roll lifts,
    refined by a parabola, where that roll beats no roll by ROLL_GAIN a frame and ROLL_STEADINESS standard errors of
    that gain; else 0."""
    nll = np.asarray(nll, np.float64)
    nll = nll[:, np.isfinite(nll).all(0)]
    if nll.shape[1] < 2:
        return 0.0
    mean = nll.mean(1)
    best, level = int(np.argmin(mean)), int(np.argmin(np.abs(rolls)))
    gain = nll[level] - nll[best]  # (F',) nats
    error = gain.std(ddof=1) / np.sqrt(len(gain))
    if gain.mean() < ROLL_GAIN or gain.mean() < ROLL_STEADINESS * error:
        return 0.0
    return _vertex(rolls, mean, best)


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
