"""Feet: the floor is found, planted feet are detected (in 3D or in the picture), the body is anchored to them,
locking holds them without stretching legs, and a foot below the floor is raised onto it."""

import numpy as np
from pose_samples import standing_pose

from poselift.core.motion.contacts import (
    ContactSettings,
    anchor_shift,
    feet_above_floor,
    floor_height,
    foot_contacts,
    lock_feet,
    two_bone_ik,
)
from poselift.core.skeleton import POSELIFT

FPS = 30.0
NAMES = POSELIFT.joints
LEFT_FOOT = [NAMES.index(n) for n in ("left_ankle", "left_heel", "left_toe")]
LEFT_LEG = [NAMES.index(n) for n in ("left_hip", "left_knee", "left_ankle")]


def _stepping(frames=90):
    """(F, J, 3): a person standing with feet on a floor at z = 0.04, the left foot planted but sliding 4 cm,
    lifted and swung forwards between frames 40 and 55; the body above the feet bobs 3 cm."""
    base = standing_pose() + np.array([0.0, 0.0, 0.02])
    joints = np.repeat(base[None], frames, axis=0)
    t = np.arange(frames)
    slide = 0.04 * np.sin(2 * np.pi * t / frames)
    joints[:, LEFT_FOOT, 1] += slide[:, None]
    swing = (t >= 40) & (t < 55)
    lift = np.where(swing, 0.15 * np.sin(np.pi * (t - 40) / 15), 0.0)
    forward = np.clip((t - 40) / 15, 0, 1) * -0.3
    joints[:, LEFT_FOOT, 2] += lift[:, None]
    joints[:, LEFT_FOOT, 1] += forward[:, None]
    feet = [NAMES.index(f"{side}_{p}") for side in ("left", "right") for p in ("ankle", "heel", "toe")]
    joints[:, :, 2] += 0.03 * np.sin(2 * np.pi * t / 30)[:, None] * ~np.isin(np.arange(len(NAMES)), feet)
    return joints, swing


def test_the_floor_is_under_the_feet_and_contacts_are_the_planted_frames():
    joints, swing = _stepping()
    floor = floor_height(joints, NAMES)
    assert abs(floor - 0.04) < 0.005
    contacts = foot_contacts(joints, NAMES, FPS, floor)
    assert not contacts[swing, 0].any()
    assert contacts[:35, 0].mean() > 0.9 and contacts[60:, 0].mean() > 0.9
    assert contacts[:, 1].mean() > 0.9, "the right foot never moves"


def test_locked_feet_stay_put_and_keep_leg_lengths():
    joints, swing = _stepping()
    floor = floor_height(joints, NAMES)
    contacts = foot_contacts(joints, NAMES, FPS, floor)
    locked = lock_feet(joints, NAMES, contacts, floor)
    settings = ContactSettings()
    held = contacts[:, 0].copy()
    held[np.flatnonzero(held)[:1]] = False
    inside = held & np.roll(held, settings.blend_frames) & np.roll(held, -settings.blend_frames)

    def speed(track):
        return np.linalg.norm(np.diff(track[:, LEFT_FOOT[0], :2], axis=0), axis=-1)[inside[1:]] * FPS

    # A straight leg cannot reach a planted foot when the hips rise: the foot may then creep by a hair.
    assert speed(joints).max() > 0.05 and speed(locked).max() < 0.005
    before = np.linalg.norm(np.diff(joints[:, LEFT_LEG], axis=1), axis=-1)
    after = np.linalg.norm(np.diff(locked[:, LEFT_LEG], axis=1), axis=-1)
    np.testing.assert_allclose(after, before, atol=1e-9)

    def largest_step(track):
        return np.linalg.norm(np.diff(track, axis=0), axis=-1).max()

    assert largest_step(locked) < 1.5 * largest_step(joints), "locking fades in and out"
    assert (locked[:, LEFT_FOOT, 2].min(axis=1)[contacts[:, 0]] >= floor - 1e-9).all()


def test_a_foot_below_the_floor_is_raised_onto_it_with_the_leg_bent():
    joints, _ = _stepping()
    sunk = joints - [0.0, 0.0, 0.1] * np.isin(np.arange(len(NAMES)), [NAMES.index("pelvis"), *LEFT_LEG, *LEFT_FOOT,
                                                                      NAMES.index("right_hip")])[:, None]  # fmt: skip
    raised = feet_above_floor(sunk, NAMES, 0.0)
    lowest = raised[:, LEFT_FOOT, 2].min(axis=1)
    np.testing.assert_allclose(lowest, np.maximum(sunk[:, LEFT_FOOT, 2].min(axis=1), 0.0), atol=1e-9)
    np.testing.assert_allclose(np.linalg.norm(np.diff(raised[:, LEFT_LEG], axis=1), axis=-1),
                               np.linalg.norm(np.diff(sunk[:, LEFT_LEG], axis=1), axis=-1), atol=1e-9)  # fmt: skip
    untouched = [j for j in range(len(NAMES)) if j not in [*LEFT_FOOT, NAMES.index("left_knee")]]
    np.testing.assert_array_equal(raised[:, untouched], sunk[:, untouched])


def test_two_bone_ik_reaches_a_goal_in_reach_and_stretches_towards_one_out_of_reach():
    root, middle, end = np.array([[0.0, 0, 1]]), np.array([[0.0, 0.05, 0.5]]), np.array([[0.0, 0, 0]])
    knee, reached = two_bone_ik(root, middle, end, np.array([[0.0, -0.3, 0.2]]))
    np.testing.assert_allclose(reached, [[0.0, -0.3, 0.2]], atol=1e-9)
    np.testing.assert_allclose(np.linalg.norm(knee - root), np.linalg.norm(middle - root))
    np.testing.assert_allclose(np.linalg.norm(reached - knee), np.linalg.norm(end - middle))
    assert knee[0, 1] > -0.15, "bends the way the chain bent"
    _, far = two_bone_ik(root, middle, end, np.array([[0.0, 0.0, -2.0]]))
    assert np.linalg.norm(far - root) <= np.linalg.norm(middle - root) + np.linalg.norm(end - middle) + 1e-9


def test_a_foot_still_in_the_picture_is_planted_though_its_depth_wobbles():
    joints, swing = _stepping()
    floor = floor_height(joints, NAMES)
    wobbly = joints.copy()
    wobbly[:, :, 1] += 0.05 * np.sin(np.arange(len(joints)) * 2.0)[:, None]  # a monocular depth, 1 m/s of wobble
    assert foot_contacts(wobbly, NAMES, FPS, floor)[:, 1].mean() < 0.5, "in 3D the wobble hides the planted foot"
    metres_per_pixel = np.full(len(joints), 0.005)
    pixels = joints[:, :, [0, 2]] * [1, -1] / metres_per_pixel[0]  # what a camera along Y sees, v down
    contacts = foot_contacts(wobbly, NAMES, FPS, floor, image=(pixels, metres_per_pixel))
    assert contacts[:, 1].mean() > 0.9 and not contacts[swing, 0].any()


def test_the_body_is_shifted_so_that_planted_feet_stay_where_they_landed():
    joints, swing = _stepping()
    drift = np.zeros_like(joints)
    drift[:, :, 1] = np.linspace(0.0, 0.4, len(joints))[:, None]  # the whole body drifts 40 cm away in depth
    drifting = joints + drift
    contacts = np.zeros((len(joints), 2), bool)
    contacts[:, 1] = True
    contacts[:35, 0] = contacts[60:, 0] = True
    shift = anchor_shift(drifting, NAMES, contacts)
    anchored = drifting + shift[:, None]
    right_ankle = anchored[:, NAMES.index("right_ankle")]
    np.testing.assert_allclose(right_ankle, right_ankle[:1].repeat(len(joints), 0), atol=0.03)
    assert np.all(shift[:, 2] == 0), "heights are left alone"
    assert np.abs(np.diff(shift, axis=0)).max() < 0.03, "no jump when a foot lifts or lands"
