"""Everyday postures as joint-angle distributions: the first population that evolution grows from.

A person is a set of joint angles in degrees, with anatomy.RANGES_DEG's signs (flexion, abduction and
plantarflexion positive), plus the pelvis's tilt: `pitch` forward, `roll` towards the subject's left. A posture
draws them jointly, with the correlations that make it one: both legs folded in a squat, arms swinging against the
legs through a gait cycle, hips flexing under a forward-tilted pelvis so that the legs stay under the body. The
free posture draws every angle on its own over the whole range of motion, for coverage. The postures and their
shares are hand-chosen (see POSTURES); `body_from_angles` turns angles into a segment tree.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..rotations import euler_xyz_matrix
from .anatomy import arm_bend
from .hierarchy import SEGMENT_BY_NAME, BodyPose

Angles = dict[str, np.ndarray]  # name -> (n,) degrees, or (n, 3) for trunk, head and feet (Euler XYZ)
SIDES = (("left", 1.0), ("right", -1.0))
_DOWN = np.array([0.0, 0.0, -1.0])
_FORWARD = np.array([0.0, -1.0, 0.0])  # the subject faces -Y in its own frames


def _either(rng: np.random.Generator, n: int, parts: list[tuple[float, Callable[[int], np.ndarray]]]) -> np.ndarray:
    """(n, ...) values, each drawn from one of the (share, draw(count)) parts chosen by share."""
    shares = np.array([s for s, _ in parts])
    pick = rng.choice(len(parts), size=n, p=shares / shares.sum())
    draws = [draw(int((pick == k).sum())) for k, (_, draw) in enumerate(parts)]
    out = np.empty((n, *draws[0].shape[1:]))
    for k, values in enumerate(draws):
        out[pick == k] = values
    return out


def _arms(rng: np.random.Generator, n: int, side: str) -> Angles:
    """Arms hanging, gesturing, raised, or anywhere in range. The arm is (flexion forward, abduction) for the
    first three; elbow flexion and humeral rotation with it."""

    def hanging(k: int) -> np.ndarray:
        return np.stack([rng.normal(5, 12, k), rng.normal(8, 6, k), np.abs(rng.normal(10, 15, k)) + 5,
                         rng.normal(10, 20, k)], -1)  # fmt: skip

    def gesturing(k: int) -> np.ndarray:
        return np.stack([rng.uniform(-20, 90, k), rng.uniform(0, 60, k), rng.uniform(20, 130, k),
                         rng.normal(0, 30, k)], -1)  # fmt: skip

    def raised(k: int) -> np.ndarray:
        return np.stack([rng.uniform(60, 170, k), rng.uniform(0, 90, k), np.abs(rng.normal(0, 40, k)),
                         rng.normal(0, 30, k)], -1)  # fmt: skip

    def anywhere(k: int) -> np.ndarray:
        return np.stack([rng.uniform(-50, 170, k), rng.uniform(-20, 120, k), rng.uniform(0, 145, k),
                         rng.normal(0, 30, k)], -1)  # fmt: skip

    arm = _either(rng, n, [(0.45, hanging), (0.3, gesturing), (0.1, raised), (0.15, anywhere)])
    keys = ("arm_flexion", "arm_abduction", "elbow_flexion", "humeral_rotation")
    return {f"{side}_{key}": arm[:, i] for i, key in enumerate(keys)}


def free(rng: np.random.Generator, n: int) -> Angles:
    """Every angle on its own: trunk, head and feet near neutral, legs and arms over most of their range."""
    angles: Angles = {
        "pitch": rng.normal(0, 8, n),
        "roll": rng.normal(0, 4, n),
        "trunk": np.stack([rng.normal(5, 15, n), rng.normal(0, 6, n), rng.normal(0, 10, n)], -1),
        "head": rng.normal(0, [12.0, 6.0, 20.0], (n, 3)),
    }
    for side, _ in SIDES:
        angles[f"{side}_hip_flexion"] = rng.uniform(-25, 115, n)
        angles[f"{side}_hip_abduction"] = rng.normal(3, 8, n)
        angles[f"{side}_knee_flexion"] = rng.uniform(0, 140, n)
        angles[f"{side}_knee_rotation"] = rng.normal(0, 15, n)
        angles[f"{side}_foot"] = rng.normal(0, [12.0, 8.0, 10.0], (n, 3))
        angles |= _arms(rng, n, side)
    return angles


def standing(rng: np.random.Generator, n: int) -> Angles:
    """Upright on both legs, now and then the weight on one leg with the other knee bent."""
    angles = free(rng, n)
    angles["pitch"], angles["roll"] = rng.normal(0, 4, n), rng.normal(0, 3, n)
    angles["trunk"][:, 0] = rng.normal(0, 5, n)
    relaxed = rng.integers(2, size=n) * (rng.random(n) < 0.3)  # 0 or 1: which side, when one is relaxed
    for i, (side, _) in enumerate(SIDES):
        bent = np.where(relaxed == i + 1, rng.normal(15, 8, n), 0.0)
        angles[f"{side}_hip_flexion"] = rng.normal(2, 5, n) + bent / 2
        angles[f"{side}_hip_abduction"] = rng.normal(4, 4, n)
        angles[f"{side}_knee_flexion"] = np.abs(rng.normal(0, 6, n)) + 2 + bent
        angles[f"{side}_foot"] = rng.normal(0, [5.0, 4.0, 8.0], (n, 3))
    return angles


def walking(rng: np.random.Generator, n: int) -> Angles:
    """A point of a gait cycle, from a stroll (speed 0) to a run (speed 1): each hip swings through its cycle, the
    swinging knee folds, the arms swing against the legs and bend more as the speed grows."""
    angles = free(rng, n)
    phase, speed = rng.uniform(0, 2 * np.pi, n), rng.uniform(0, 1, n)
    angles["pitch"], angles["roll"] = rng.normal(3 + 8 * speed, 3, n), rng.normal(0, 3, n)
    angles["trunk"] = np.stack([rng.normal(3 + 8 * speed, 4, n), rng.normal(0, 3, n), rng.normal(0, 5, n)], -1)
    for side, sign in SIDES:
        cycle = phase + (0.0 if sign > 0 else np.pi)
        angles[f"{side}_hip_flexion"] = 8 + (20 + 25 * speed) * np.sin(cycle) + rng.normal(0, 4, n)
        angles[f"{side}_hip_abduction"] = rng.normal(3, 3, n)
        angles[f"{side}_knee_flexion"] = (
            5 + 15 * speed + (45 + 45 * speed) * np.maximum(np.cos(cycle - 0.3), 0) ** 2 + rng.normal(0, 5, n)
        ).clip(0)
        angles[f"{side}_foot"] = np.stack([rng.normal(0, 12, n), rng.normal(0, 4, n), rng.normal(0, 8, n)], -1)
        angles[f"{side}_arm_flexion"] = -(12 + 30 * speed) * np.sin(cycle) + rng.normal(0, 5, n)
        angles[f"{side}_arm_abduction"] = rng.normal(8, 4, n)
        angles[f"{side}_elbow_flexion"] = rng.normal(15 + 70 * speed, 10, n).clip(0)
    return angles


def sitting(rng: np.random.Generator, n: int) -> Angles:
    """On a seat: both hips and knees near a right angle, the pelvis tipped back a little."""
    angles = free(rng, n)
    angles["pitch"] = rng.normal(-8, 10, n)
    angles["trunk"][:, 0] = rng.normal(8, 12, n)
    hip, knee = rng.uniform(70, 110, n), rng.uniform(60, 120, n)
    for side, _ in SIDES:
        angles[f"{side}_hip_flexion"] = hip + rng.normal(0, 8, n)
        angles[f"{side}_hip_abduction"] = rng.normal(6, 8, n)
        angles[f"{side}_knee_flexion"] = knee + rng.normal(0, 12, n)
    return angles


def squatting(rng: np.random.Generator, n: int) -> Angles:
    """Crouched on both feet: hips and knees folded alike, knees apart, ankles bent up, the trunk leaning in."""
    angles = free(rng, n)
    angles["pitch"] = rng.uniform(0, 40, n)
    angles["trunk"][:, 0] = rng.uniform(0, 40, n)
    hip, knee = rng.uniform(80, 125, n), rng.uniform(100, 150, n)
    for side, _ in SIDES:
        angles[f"{side}_hip_flexion"] = hip + rng.normal(0, 6, n)
        angles[f"{side}_hip_abduction"] = rng.normal(15, 8, n)
        angles[f"{side}_knee_flexion"] = knee + rng.normal(0, 6, n)
        angles[f"{side}_foot"] = np.stack([rng.normal(-20, 6, n), rng.normal(0, 5, n), rng.normal(10, 8, n)], -1)
    return angles


def kneeling(rng: np.random.Generator, n: int) -> Angles:
    """On one knee with the other foot planted in front, on both knees upright, or sitting back on the heels."""
    angles = free(rng, n)
    angles["pitch"] = rng.normal(0, 10, n)
    mode = rng.integers(3, size=n)  # 0: on the left knee, 1: on the right knee, 2: on both
    on_heels = rng.random(n) < 0.4
    for i, (side, _) in enumerate(SIDES):
        kneeling_leg = (mode == i) | (mode == 2)
        down_hip = np.where(on_heels & (mode == 2), rng.uniform(30, 70, n), rng.normal(10, 12, n))
        down_knee = np.where(on_heels & (mode == 2), rng.uniform(135, 155, n), rng.uniform(80, 150, n))
        angles[f"{side}_hip_flexion"] = np.where(kneeling_leg, down_hip, rng.uniform(60, 125, n))
        angles[f"{side}_knee_flexion"] = np.where(kneeling_leg, down_knee, rng.uniform(70, 120, n))
        angles[f"{side}_hip_abduction"] = rng.normal(6, 6, n)
        angles[f"{side}_foot"][:, 0] = np.where(kneeling_leg, rng.uniform(-20, 45, n), rng.normal(-10, 8, n))
    return angles


def bending(rng: np.random.Generator, n: int) -> Angles:
    """Bent forward at the hips over straight or soft legs: the hips flex as much as the pelvis tips."""
    angles = free(rng, n)
    angles["pitch"] = rng.uniform(20, 85, n)
    angles["trunk"][:, 0] = rng.uniform(0, 35, n)
    angles["head"][:, 0] = rng.normal(-10, 15, n)
    for side, _ in SIDES:
        angles[f"{side}_hip_flexion"] = angles["pitch"] + rng.normal(0, 10, n)
        angles[f"{side}_hip_abduction"] = rng.normal(5, 5, n)
        angles[f"{side}_knee_flexion"] = np.abs(rng.normal(0, 15, n))
        angles[f"{side}_foot"][:, 0] = rng.normal(-5, 6, n)
    return angles


POSTURES: dict[str, tuple[float, Callable[[np.random.Generator, int], Angles]]] = {
    "standing": (0.25, standing),
    "walking": (0.2, walking),
    "sitting": (0.1, sitting),
    "squatting": (0.08, squatting),
    "kneeling": (0.07, kneeling),
    "bending": (0.1, bending),
    "free": (0.2, free),
}


def sample_angles(rng: np.random.Generator, n: int) -> Angles:
    """n people's angles, each from a posture drawn by POSTURES' shares."""
    shares = np.array([share for share, _ in POSTURES.values()])
    pick = rng.choice(len(POSTURES), size=n, p=shares / shares.sum())
    parts = [draw(rng, int((pick == k).sum())) for k, (_, draw) in enumerate(POSTURES.values())]
    out = {}
    for name, first in parts[0].items():
        out[name] = np.empty((n, *first.shape[1:]))
        for k, part in enumerate(parts):
            out[name][pick == k] = part[name]
    return out


def _swing(flexion: np.ndarray, abduction: np.ndarray, sign: float) -> np.ndarray:
    """(n, 3) unit direction of a limb hanging down, swung forward by `flexion` and out by `abduction` (radians)."""
    return np.stack(
        [sign * np.sin(abduction), -np.sin(flexion) * np.cos(abduction), -np.cos(flexion) * np.cos(abduction)], -1
    )


def _hinge(theta: np.ndarray, rotation: np.ndarray, axis: np.ndarray, bend: np.ndarray, sign: float) -> np.ndarray:
    """(n, 3) unit direction bent by theta from `axis` towards `bend`, turned by `rotation` about the axis."""
    raw = rotation * sign
    side = np.cross(axis, bend)
    return np.cos(theta)[:, None] * axis + np.sin(theta)[:, None] * (
        np.cos(raw)[:, None] * bend + np.sin(raw)[:, None] * side
    )


def body_from_angles(angles: Angles, shape: dict[str, np.ndarray]) -> BodyPose:
    """The segment tree of people with these angles and segment shapes, pelvis at the origin, facing -Y."""
    deg = np.radians
    n = len(angles["pitch"])
    pelvis = euler_xyz_matrix(deg(np.stack([angles["pitch"], angles["roll"], np.zeros(n)], -1)))
    pose = BodyPose(np.zeros((n, 3)), pelvis, shape=shape)
    pose.local["upper_torso"] = euler_xyz_matrix(deg(angles["trunk"]))
    pose.local["head"] = euler_xyz_matrix(deg(angles["head"]))
    for side, s in SIDES:
        a = {key.removeprefix(f"{side}_"): value for key, value in angles.items() if key.startswith(f"{side}_")}
        pose.local[f"{side}_thigh"] = _swing(deg(a["hip_flexion"]), deg(a["hip_abduction"]), s)
        pose.local[f"{side}_shin"] = _hinge(deg(a["knee_flexion"]), deg(a["knee_rotation"]), _DOWN, -_FORWARD, s)
        pose.local[f"{side}_upper_arm"] = _swing(deg(a["arm_flexion"]), deg(a["arm_abduction"]), s)
        origin = np.asarray(SEGMENT_BY_NAME[f"{side}_upper_arm"].swing_origin)
        rotation = deg(np.clip(a["humeral_rotation"], -85, 65))
        pose.local[f"{side}_forearm"] = _hinge(deg(a["elbow_flexion"]), rotation, origin, arm_bend(origin), s)
        pose.local[f"{side}_foot"] = euler_xyz_matrix(deg(a["foot"]))
    return pose
