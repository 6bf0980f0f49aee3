"""Our default 3D pose prior trained from evolved synthetic poses, with K and Q chosen on held-out poses.

The recipe is data: the evolution's seed and sizes, the joint-centre noise added to every pose, and the grid of
component counts K and latent sizes Q. Training poses come from `evolve` with the recipe's seed, held-out poses
from an independent population (seed + 1); every (K, Q) of the grid is trained on the first and scored by the
mean log-likelihood of the second (nats per pose, canonical normalised units). The smallest model (fewest
parameters) within `tolerance_nats` of the best score wins. Everything is seeded: the same recipe on the same
platform (numpy, torch, one torch thread) gives the same model, bit for bit.

Joint-centre noise: every coordinate of every evolved joint moves by N(0, joint_noise_m). Joints estimated from
markers or images are uncertain by centimetres, and detectors and mocap rigs place them differently (a nose or
the base of the skull for "neck", a lumbar joint or the mid-trunk for "spine"); without it the prior believes
the evolved skeleton's exact proportions and offsets, its noise term shrinks towards 0 and the held-out score
keeps rising with Q up to the full dimension.
"""

from __future__ import annotations

import platform
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace

import numpy as np
import torch

from ..lift.ppca import MixturePPCA, canonical_poses, train
from .evolution import EvolutionConfig, evolve


@dataclass(frozen=True)
class PriorRecipe:
    seed: int = 0
    poses: int = 100_000  # training poses (mirror images double them)
    held_out: int = 20_000
    joint_noise_m: float = 0.02
    components: tuple[int, ...] = (2, 4, 8)
    latent_dims: tuple[int, ...] = (32, 40, 48, 56)
    tolerance_nats: float = 0.5
    joints: int = 21  # 21: the H36M 17 with heels and toes; 17: the H36M joints alone

    def evolution(self, seed: int, count: int) -> EvolutionConfig:
        """The evolution of `count` poses: a tenth sampled from the postures, the rest grown in tenths."""
        return EvolutionConfig(seed=seed, initial=max(count // 10, 1), target=count, batch=max(count // 10, 1))


@dataclass(frozen=True)
class Candidate:
    components: int
    latent_dim: int
    held_out_log_likelihood: float  # mean nats per held-out pose

    @property
    def parameters(self) -> int:
        return self.components * self.latent_dim


def evolved_poses(recipe: PriorRecipe, seed: int, count: int) -> np.ndarray:
    """(count, J, 3) metres, Z up: evolved poses on the recipe's joints with the joint-centre noise added."""
    poses = evolve(recipe.evolution(seed, count))[:, : recipe.joints].astype(np.float64)
    return poses + np.random.default_rng([seed, 1]).normal(0.0, recipe.joint_noise_m, poses.shape)


def train_prior(recipe: PriorRecipe, log: Callable[[str], None] = lambda line: None) -> MixturePPCA:
    """The chosen model; its metadata holds the recipe, every candidate's held-out score and the choice."""
    training = evolved_poses(recipe, recipe.seed, recipe.poses)
    held_out = canonical_poses(evolved_poses(recipe, recipe.seed + 1, recipe.held_out))
    models: dict[tuple[int, int], MixturePPCA] = {}
    candidates = []
    for k in recipe.components:
        for q in recipe.latent_dims:
            models[k, q] = train(training, k, q, seed=recipe.seed)
            candidates.append(Candidate(k, q, float(models[k, q].log_likelihood(held_out).mean())))
            log(f"K={k:3d} Q={q:3d}  held-out log-likelihood {candidates[-1].held_out_log_likelihood:9.3f}")
    best = max(c.held_out_log_likelihood for c in candidates)
    near = [c for c in candidates if c.held_out_log_likelihood >= best - recipe.tolerance_nats]
    chosen = min(near, key=lambda c: (c.parameters, c.components))
    metadata = {
        "recipe": asdict(recipe) | {"components": list(recipe.components), "latent_dims": list(recipe.latent_dims)},
        "candidates": [asdict(c) for c in candidates],
        "chosen": asdict(chosen),
        "made_with": {"python": platform.python_version(), "numpy": np.__version__, "torch": torch.__version__},
    }
    source = f"evolved synthetic poses, seed {recipe.seed}"
    return replace(models[chosen.components, chosen.latent_dim], source=source, metadata=metadata)
