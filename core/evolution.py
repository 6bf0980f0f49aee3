"""Synthetic 3D poses by kinematic sampling and evolution (after EvoSkeleton, CVPR 2020).

A first population is sampled joint by joint inside the ranges of motion, with more weight near everyday
poses. It then grows by crossover (two parents swap a limb or a body part with its bone lengths) and
mutation (a segment turns by a small random angle); a child is kept only if every joint of it is within
range. Everything is drawn from one seeded generator, so a seed gives the same poses bit for bit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .anatomy import DEFAULT_HEIGHT_M, arm_bend, is_valid, neutral_body
from .hierarchy import SEGMENT_BY_NAME, SEGMENTS, BodyPose, decode, encode, subtree
from .rotations import axis_angle_matrix, euler_xyz_matrix, normalize, random_rotation_near_identity

# Parts two parents may swap: each segment with everything below it.
CROSSOVER_PARTS = tuple(s.name for s in SEGMENTS if s.parent is not None)


@dataclass(frozen=True)
class EvolutionConfig:
    seed: int = 0
    initial: int = 4000
    target: int = 40000
    batch: int = 4000
    mutation_deg: float = 10.0
    height_m: float = DEFAULT_HEIGHT_M
    height_sd_m: float = 0.08
    segment_sd: float = 0.04


def _mixture(rng: np.random.Generator, n: int, parts: list[tuple[float, object]]) -> np.ndarray:
    """Draw n values, each from one of the (weight, sampler(size)) parts chosen by weight."""
    weights = np.array([w for w, _ in parts])
    pick = rng.choice(len(parts), size=n, p=weights / weights.sum())
    out = np.empty(n)
    for k, (_, draw) in enumerate(parts):
        idx = np.flatnonzero(pick == k)
        out[idx] = draw(len(idx))  # type: ignore[operator]
    return out


def _bend(rng: np.random.Generator, n: int, share_small: float, sd: float, high: float) -> np.ndarray:
    """(n,) angles in degrees: |N(0, sd)| with probability share_small, else uniform in [0, high]."""
    return _mixture(
        rng,
        n,
        [(share_small, lambda k: np.abs(rng.normal(0, sd, k))), (1 - share_small, lambda k: rng.uniform(0, high, k))],
    )


def _hinge(theta: np.ndarray, rotation: np.ndarray, axis: np.ndarray, bend: np.ndarray, sign: float) -> np.ndarray:
    """(n, 3) unit direction bent by theta from `axis` towards `bend`, turned by `rotation` about the axis."""
    raw = rotation * sign
    side = np.cross(axis, bend)
    return np.cos(theta)[:, None] * axis + np.sin(theta)[:, None] * (
        np.cos(raw)[:, None] * bend + np.sin(raw)[:, None] * side
    )


def _shapes(rng: np.random.Generator, n: int, config: EvolutionConfig) -> dict[str, np.ndarray]:
    """Per-person segment shapes: the neutral body scaled by a height and by per-segment factors."""
    neutral = encode(neutral_body(1.0)[None])
    height = np.clip(rng.normal(config.height_m, config.height_sd_m, n), 1.45, 2.0)
    shapes = {}
    factors: dict[str, np.ndarray] = {}
    for seg in SEGMENTS:
        base = seg.name.removeprefix("left_").removeprefix("right_")
        if base not in factors:
            factors[base] = rng.normal(1.0, config.segment_sd, n)
        scale = height * factors[base]
        value = neutral.shape[seg.name]
        shapes[seg.name] = value * scale.reshape((n,) + (1,) * (value.ndim - 1))
    return shapes


def sample_bodies(rng: np.random.Generator, n: int, config: EvolutionConfig) -> BodyPose:
    """n people with joint angles drawn inside the ranges of motion, everyday poses more often."""
    deg = np.radians
    pose = BodyPose(np.zeros((n, 3)), np.repeat(np.eye(3)[None], n, axis=0), shape=_shapes(rng, n, config))
    trunk_flexion = _mixture(rng, n, [(0.8, lambda k: rng.normal(0, 10, k)), (0.2, lambda k: rng.uniform(0, 70, k))])
    trunk = np.stack([trunk_flexion, rng.normal(0, 6, n), rng.normal(0, 10, n)], -1)
    pose.local["upper_torso"] = euler_xyz_matrix(deg(trunk))
    pose.local["head"] = euler_xyz_matrix(deg(rng.normal(0, [12.0, 6.0, 20.0], (n, 3))))
    down = np.array([0.0, 0.0, -1.0])
    for side, s in (("left", 1.0), ("right", -1.0)):
        flexion = deg(_mixture(rng, n, [
            (0.6, lambda k: rng.normal(0, 15, k)), (0.25, lambda k: rng.uniform(20, 100, k)),
            (0.15, lambda k: rng.uniform(-25, 115, k)),
        ]))  # fmt: skip
        abduction = deg(rng.normal(3, 8, n))
        pose.local[f"{side}_thigh"] = np.stack(
            [s * np.sin(abduction), -np.sin(flexion) * np.cos(abduction), -np.cos(flexion) * np.cos(abduction)], -1
        )
        knee = deg(_bend(rng, n, 0.5, 20, 130))
        pose.local[f"{side}_shin"] = _hinge(knee, deg(rng.normal(0, 15, n)), down, np.array([0.0, 1.0, 0.0]), s)
        elevation = deg(_bend(rng, n, 0.6, 25, 170))
        plane = deg(rng.uniform(-30, 120, n))
        pose.local[f"{side}_upper_arm"] = np.stack(
            [s * np.sin(elevation) * np.cos(plane), -np.sin(elevation) * np.sin(plane), -np.cos(elevation)], -1
        )
        origin = np.asarray(SEGMENT_BY_NAME[f"{side}_upper_arm"].swing_origin)
        elbow = deg(_bend(rng, n, 0.5, 25, 145))
        rotation = deg(np.clip(rng.normal(0, 30, n), -85, 65))
        pose.local[f"{side}_forearm"] = _hinge(elbow, rotation, origin, arm_bend(origin), s)
        pose.local[f"{side}_foot"] = euler_xyz_matrix(deg(rng.normal(0, [12.0, 8.0, 10.0], (n, 3))))
    return pose


def crossover(rng: np.random.Generator, a: BodyPose, b: BodyPose) -> BodyPose:
    """Children of parent pairs (a[i], b[i]): a's body with one part of b, that part's bone lengths included."""
    child = a.take(np.arange(len(a)))
    part = rng.integers(len(CROSSOVER_PARTS), size=len(a))
    for k, name in enumerate(CROSSOVER_PARTS):
        swap = part == k
        for seg in subtree(name):
            child.local[seg][swap] = b.local[seg][swap]
            child.shape[seg][swap] = b.shape[seg][swap]
    return child


def mutate(rng: np.random.Generator, pose: BodyPose, sigma_deg: float) -> BodyPose:
    """Each person with one segment turned by a random angle ~ N(0, sigma) about a random axis."""
    out = pose.take(np.arange(len(pose)))
    names = list(out.local)
    which = rng.integers(len(names), size=len(out))
    turn = random_rotation_near_identity(rng, len(out), np.radians(sigma_deg))
    for k, name in enumerate(names):
        m = which == k
        value = out.local[name]
        value[m] = normalize(np.einsum("nij,nj->ni", turn[m], value[m])) if value.ndim == 2 else value[m] @ turn[m]
    return out


def on_ground(joints: np.ndarray) -> np.ndarray:
    """(N, J, 3) metres with each person moved so their lowest joint touches the floor (z = 0)."""
    return joints - np.array([0.0, 0.0, 1.0]) * np.nanmin(joints[..., 2], axis=1)[:, None, None]


def evolve(config: EvolutionConfig = EvolutionConfig()) -> np.ndarray:
    """(config.target, 21, 3) float32 metres, Z up, facing a random yaw, feet on the floor, `BODY` order."""
    rng = np.random.default_rng(config.seed)
    population = sample_bodies(rng, config.initial, config)
    population = population.take(is_valid(population))
    size = len(population)
    while size < config.target:
        a = population.take(rng.integers(size, size=config.batch))
        b = population.take(rng.integers(size, size=config.batch))
        children = mutate(rng, crossover(rng, a, b), config.mutation_deg)
        children = children.take(is_valid(children))
        population = BodyPose.concatenate([population, children])
        size = len(population)
    population = population.take(np.arange(config.target))
    yaw = rng.uniform(0, 2 * np.pi, config.target)
    population.frame = axis_angle_matrix(np.broadcast_to(np.array([0.0, 0.0, 1.0]), (config.target, 3)), yaw)
    return on_ground(decode(population)).astype(np.float32)
