"""Where the picture places a person where no body goes, and what the track says instead.

A person's distance from the camera comes from the size of their 2D (root_motion.place_poses). When the tracked
region slides onto a nearer person for a moment, or the landmark network stretches the legs, the 2D grows by a
third within a frame and shrinks back a few frames later: the person is placed metres nearer, and through a camera
looking down that is metres up in the air. Such a glitch is found as a step in the distance and a step back, each
too fast for anyone to walk or run, and the person is placed between the frames either side. A short stretch of
frames seen on its own, between gaps, has no such frames to judge by; where it floats it is held on the floor.
"""

from __future__ import annotations

import warnings
from itertools import pairwise

import numpy as np

from . import temporal

MAX_SPEED = 6.0
"""Metres per second: no one walks or runs towards or away from the camera this fast where they turn back within
GLITCH_S (a brisk walk is 1.5 m/s, a jog 3); a step in distance faster than this is the picture's, not the
person's."""
MIN_STEP = 0.15
"""A step in distance smaller than this (log ratio: 16%) is never a glitch. The distance of a small person spreads
by about 2% from frame to frame, with heavy tails (opencv-doc's vtest.avi, 40 tracks of people 54 to 125 px tall:
a robust standard deviation of 2.1% a frame, 1.5% for a median of three); a glitch's step is 30% or more."""
LEVEL_S = 0.3
"""Seconds: the distance before and after each frame is the median over this long, so that a step shows above the
frame-to-frame spread and a single wild frame does not."""
GLITCH_S = 2.5
"""Seconds: the longest stretch taken for a glitch (on vtest.avi a region stayed on a nearer walker for 2 s). A
tracked region that stays on someone else for longer is another person's track, not this one's to correct; a
stretch of frames between gaps no longer than this is too short to judge its motion by."""


def bridged(root: np.ndarray, glitch: np.ndarray, missing: np.ndarray) -> np.ndarray:
    """(F, 3) metres: `root` (F, 3, NaN where not placed) with its (F,) `glitch` frames (`distance_glitches`) placed
    on the straight line between the frames either side, each run of frames not `missing` on its own (held at
    the nearest where a glitch ends a run): in a glitch neither the 2D's size nor its place in the picture is the
    person's."""
    out = np.array(root, np.float64)
    for first, last in temporal.runs(~np.asarray(missing, bool)):
        frames = np.arange(first, last)
        kept = frames[~glitch[first:last] & np.isfinite(out[first:last]).all(-1)]
        fix = frames[glitch[first:last]]
        if len(fix) and len(kept):
            out[fix] = np.stack([np.interp(fix, kept, out[kept, axis]) for axis in range(out.shape[1])], -1)
    return out


def distance_glitches(distance: np.ndarray, fps: float, missing: np.ndarray) -> np.ndarray:
    """(F,) bool: the frames of (F,) metres `distance` from the camera (NaN where not placed) that lie in a glitch,
    each run of frames not `missing` on its own. A step is where the median distance over LEVEL_S after a frame
    differs from that before it by at least MIN_STEP and at more than MAX_SPEED; a glitch is the stretch between
    two steps of opposite sign at most GLITCH_S apart whose own distance lies beyond the levels on both sides, or
    between a run's end and a step at most GLITCH_S from it (and from any other) where the rest of the run is
    longer; of stretches that share a step, the one farther from its nearer side. Its frames are those nearer its
    own median distance than the level either side."""
    distance = np.asarray(distance, np.float64)
    glitch = np.zeros(len(distance), bool)
    for first, last in temporal.runs(~np.asarray(missing, bool)):
        glitch[first:last] = _run_glitches(np.log(distance[first:last]), fps)
    return glitch


def _run_glitches(log_distance: np.ndarray, fps: float) -> np.ndarray:
    """(n,) bool: `distance_glitches` of one run's (n,) log distances (NaN: not placed)."""
    n, span, longest = len(log_distance), _level_frames(fps), GLITCH_S * fps
    glitch = np.zeros(n, bool)
    if np.isfinite(log_distance).sum() < 2 * span:
        return glitch
    padded = np.concatenate([np.full(span, np.nan), log_distance, np.full(span, np.nan)])
    windows = np.lib.stride_tricks.sliding_window_view(padded, span)  # windows[i]: padded[i : i + span]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a window with nothing placed: no level
        before, after = np.nanmedian(windows[:n], axis=1), np.nanmedian(windows[span : span + n], axis=1)
    step = np.nan_to_num(after - before)
    speed = np.nan_to_num(np.abs(np.exp(after) - np.exp(before))) * fps / span
    steps = [start + int(np.argmax(np.abs(step[start:stop])))
             for start, stop in temporal.runs((np.abs(step) >= MIN_STEP) & (speed > MAX_SPEED))]  # fmt: skip
    stretches = [(t0, t1) for t0, t1 in pairwise(steps) if step[t0] * step[t1] < 0 and t1 - t0 <= longest]
    if steps and steps[0] <= longest and (len(steps) == 1 or steps[1] - steps[0] > longest):
        stretches.append((0, steps[0]))
    if steps and n - steps[-1] <= longest and (len(steps) == 1 or steps[-1] - steps[-2] > longest):
        stretches.append((steps[-1], n))
    chosen: list[tuple[int, int]] = []
    for _, start, stop, own, level in sorted(_departures(stretches, log_distance, before, after), reverse=True):
        if all(stop < first or last < start for first, last in chosen):  # a step ends one glitch at most
            chosen.append((start, stop))
            near, far = max(0, start - span), min(n, stop + span)
            around = log_distance[near:far]
            glitch[near:far] |= np.abs(around - own) < np.abs(around - level)
    return glitch


def _level_frames(fps: float) -> int:
    """Frames: LEVEL_S at `fps`, at least two."""
    return max(2, round(LEVEL_S * fps))


def _departures(stretches: list[tuple[int, int]], log_distance: np.ndarray, before: np.ndarray,
                after: np.ndarray) -> list[tuple[float, int, int, float, float]]:  # fmt: skip
    """(how far, start, stop, own level, the sides' level) of each of `stretches` (frames [start, stop) of a run's
    (n,) log distances, `before` and `after` each frame its levels) that lies beyond the level on both its sides,
    or, ending the run, beyond the one side it has and shorter than the rest; how far: from the nearer side."""
    n, out = len(log_distance), []
    for start, stop in stretches:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # nothing placed in it: no level
            own = float(np.nanmedian(log_distance[start:stop]))
        sides = [level for level in (before[start] if start else np.nan, after[stop] if stop < n else np.nan)
                 if np.isfinite(level)]  # fmt: skip
        if not sides or not np.isfinite(own):
            continue
        if len(sides) == 1 and 2 * (stop - start) > n:  # the run's end: only where the rest is longer
            continue
        if len(sides) == 2 and (own - sides[0]) * (own - sides[1]) <= 0:  # a step on its way, not there and back
            continue
        out.append((min(abs(own - side) for side in sides), start, stop, own, float(np.mean(sides))))
    return out


def adrift(heights: np.ndarray, near: float, fps: float, missing: np.ndarray) -> np.ndarray:
    """(F,) bool: the frames of each run of frames not `missing` too short for `distance_glitches` to judge (under
    twice LEVEL_S), and of each at most GLITCH_S long whose (F,) lowest foot heights above the floor (metres, NaN:
    unknown) are on median more than `near`: a short stretch seen between gaps has no motion to judge the
    picture's distance by, and one that floats is placed wrong, not flying."""
    afloat = np.zeros(len(heights), bool)
    for first, last in temporal.runs(~np.asarray(missing, bool)):
        known = heights[first:last][np.isfinite(heights[first:last])]
        unjudged = last - first < 2 * _level_frames(fps)
        if unjudged or (last - first <= GLITCH_S * fps and known.size and np.median(known) > near):
            afloat[first:last] = True
    return afloat
