"""Synthetic 3D poses by kinematic sampling and evolution (after EvoSkeleton, CVPR 2020).

A first population is sampled from everyday postures (core/synth/postures.py: standing, walking, sitting, squatting,
kneeling, bending, and every joint on its own), each person with a body of their own. It then grows by
crossover (two parents swap a limb or a body part with its bone lengths) and mutation (a segment turns by a
small random angle); a child is kept only if every joint of it is within range. The pelvis keeps the tilt its
posture gave it. Everything is drawn from one seeded generator, so a seed gives the same poses bit for bit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..rotations import axis_angle_matrix, normalize, random_rotation_near_identity
from ..skeleton import DEFAULT_HEIGHT
from .anatomy import is_valid, neutral_body
from .hierarchy import SEGMENTS, BodyPose, decode, encode, subtree
from .postures import body_from_angles, sample_angles

# Parts two parents may swap: each segment with everything below it.
CROSSOVER_PARTS = tuple(s.name for s in SEGMENTS if s.parent is not None)


@dataclass(frozen=True)
class EvolutionConfig:
    seed: int = 0
    initial: int = 4000
    target: int = 40000
    batch: int = 4000
    mutation_deg: float = 10.0
    height_m: float = DEFAULT_HEIGHT
    height_sd_m: float = 0.08
    segment_sd: float = 0.04


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
    """n people in everyday postures (postures.POSTURES), each with a body of its own; not yet checked."""
    shape = _shapes(rng, n, config)
    return body_from_angles(sample_angles(rng, n), shape)


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
    population.frame = axis_angle_matrix(np.broadcast_to(np.array([0.0, 0.0, 1.0]), (config.target, 3)), yaw) @ (
        population.frame
    )
    return on_ground(decode(population)).astype(np.float32)
