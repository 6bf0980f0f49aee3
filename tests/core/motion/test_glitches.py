"""Glitches in a person's distance from the camera: a step there and back faster than anyone moves is the picture's,
and a short stretch between gaps that floats is placed wrong. Series of distances at 10 and 30 frames a second."""

import numpy as np
import pytest

from poselift.core.motion.glitches import adrift, bridged, distance_glitches


def walking_away(fps: float, seconds: float = 6.0, start: float = 8.0, speed: float = 1.4, spread: float = 0.02):
    """(F,) metres: a person walking away from the camera, with `spread` (a fraction) of noise a frame."""
    t = np.arange(round(seconds * fps)) / fps
    noise = np.random.default_rng(0).normal(0.0, spread, len(t))
    return (start + speed * t) * np.exp(noise)


@pytest.mark.parametrize("fps", [10.0, 30.0])
def test_a_stretch_placed_a_third_nearer_for_half_a_second_is_a_glitch(fps):
    distance = walking_away(fps)
    glitch = np.zeros(len(distance), bool)
    glitch[round(2 * fps) : round(2.5 * fps)] = True
    distance[glitch] /= 1.4
    found = distance_glitches(distance, fps, np.zeros(len(distance), bool))
    np.testing.assert_array_equal(found, glitch)


@pytest.mark.parametrize("fps", [10.0, 30.0])
def test_a_glitch_that_ends_a_run_is_found_and_the_run_beside_a_gap_judged_alone(fps):
    distance = walking_away(fps)
    missing = np.zeros(len(distance), bool)
    missing[round(3 * fps) : round(3.5 * fps)] = True  # a gap: two runs
    glitch = np.zeros(len(distance), bool)
    glitch[round(2.2 * fps) : round(3 * fps)] = True  # the first run's last 0.8 s
    distance[glitch] /= 1.5
    distance[missing] = np.nan
    np.testing.assert_array_equal(distance_glitches(distance, fps, missing), glitch)


def test_of_two_stretches_between_steps_the_one_farther_from_both_sides_is_the_glitch():
    """As on vtest.avi: a walker placed 8% near, then 8% far (the region's size wobbling), then for 2 s two fifths
    nearer (on a nearer walker). The stretch 8% far also lies beyond both its sides, but less than the glitch."""
    fps, t = 10.0, np.arange(80) / 10.0
    distance = (10.0 + 0.5 * t) * np.select([t < 2.0, t < 3.5, t < 5.5], [0.92, 1.08, 1 / 1.4], 1.0)
    distance *= np.exp(np.random.default_rng(0).normal(0.0, 0.02, len(t)))
    found = distance_glitches(distance, fps, np.zeros(len(t), bool))
    np.testing.assert_array_equal(np.flatnonzero(found), np.arange(35, 55))


def test_motion_a_person_makes_is_no_glitch():
    fps, t = 30.0, np.arange(180) / 30.0
    running_in_and_back = 2.0 + 2.5 * np.abs(t - 3.0)  # 2.5 m/s towards the camera to 2 m away, and back
    steady_noise = walking_away(fps, spread=0.03)
    moved_for_good = np.where(t < 3.0, 6.0, 4.0)  # a step that does not come back: another person's track
    small_step = np.where((t > 2.0) & (t < 2.5), 8.0 / 1.12, 8.0)  # 12% nearer and back: within what size can say
    for distance in (running_in_and_back, steady_noise, moved_for_good, small_step):
        assert not distance_glitches(distance, fps, np.zeros(len(t), bool)).any()


def test_a_glitch_is_bridged_between_the_frames_either_side_and_held_at_a_run_end():
    root = np.stack([np.linspace(0.0, 1.0, 11), np.full(11, 8.0), np.full(11, -1.5)], -1)
    glitch = np.zeros(11, bool)
    glitch[[4, 5, 10]] = True
    wrong = root.copy()
    wrong[glitch] = [0.0, 5.0, 0.0]
    fixed = bridged(wrong, glitch, np.zeros(11, bool))
    np.testing.assert_allclose(fixed[:10], root[:10])
    np.testing.assert_allclose(fixed[10], root[9], err_msg="held at the nearest where the glitch ends the run")


def test_a_short_stretch_between_gaps_that_floats_is_adrift_and_a_long_one_is_not():
    fps = 10.0
    heights = np.zeros(120)
    missing = np.zeros(120, bool)
    missing[[3, 40, 60, 100]] = True  # runs 0..2 (0.3 s), 4..39 (3.6 s), 41..59 (1.9 s), 61..99, 101..119
    heights[:3] = [0.0, 0.5, 0.9]  # too short to judge by its distance's steps: held whatever it does
    heights[4:40] = heights[41:60] = 0.8  # floating: for longer than a glitch lasts, and within it
    heights[70:73] = 0.8  # a jump within a long run
    found = adrift(heights, 0.3, fps, missing)
    assert found[:3].all() and found[41:60].all() and found.sum() == 3 + 19
