"""Our default prior: trained from evolved poses with K and Q chosen on held-out poses, regenerated bit for bit from
its recipe, shipped small with the command that remakes it, and good at lifting real mocap."""

from __future__ import annotations

import math
from dataclasses import asdict

import numpy as np
import pytest

from poselift.core.formats.bvh import read_bvh
from poselift.core.formats.mocap_names import pose_from_bvh
from poselift.core.lift import priors
from poselift.core.lift.fit import fit_upright, model_inputs
from poselift.core.lift.metrics import pa_mpjpe
from poselift.core.lift.ppca import MixturePPCA
from poselift.core.skeleton import BODY
from poselift.core.synth.evolution import evolve
from poselift.core.synth.prior_training import PriorRecipe, evolved_poses, train_prior

SMALL = PriorRecipe(seed=5, poses=1500, held_out=400, components=(1, 2), latent_dims=(6, 12), joint_noise_m=0.02)


@pytest.fixture(scope="module")
def small_prior() -> MixturePPCA:
    return train_prior(SMALL)


def test_the_same_recipe_gives_the_same_file_bit_for_bit(small_prior, tmp_path):
    again = train_prior(SMALL)
    first, second = small_prior.save(tmp_path / "a.npz"), again.save(tmp_path / "b.npz")
    assert first.read_bytes() == second.read_bytes()
    other = train_prior(PriorRecipe(**(asdict(SMALL) | {"seed": 6})))
    assert other.save(tmp_path / "c.npz").read_bytes() != first.read_bytes()


def test_k_and_q_are_the_smallest_within_the_tolerance_of_the_best_held_out_score(small_prior):
    meta = small_prior.metadata
    scores = {(c["components"], c["latent_dim"]): c["held_out_log_likelihood"] for c in meta["candidates"]}
    assert set(scores) == {(k, q) for k in SMALL.components for q in SMALL.latent_dims}
    chosen = (meta["chosen"]["components"], meta["chosen"]["latent_dim"])
    assert (small_prior.components, small_prior.latent_dim) == chosen
    near = [kq for kq, s in scores.items() if s >= max(scores.values()) - SMALL.tolerance_nats]
    assert chosen in near and all(k * q >= chosen[0] * chosen[1] for k, q in near)
    assert meta["recipe"] == asdict(SMALL) | {"components": [1, 2], "latent_dims": [6, 12]}


def test_training_poses_carry_the_joint_centre_noise_on_top_of_the_evolved_ones():
    noisy = evolved_poses(SMALL, 5, 300)
    clean = evolve(SMALL.evolution(5, 300))[:, : SMALL.joints]
    assert noisy.shape == (300, 21, 3)
    assert np.std(noisy - clean) == pytest.approx(SMALL.joint_noise_m, rel=0.05)


def test_the_shipped_default_is_small_and_names_the_command_that_regenerates_it():
    assert priors.DEFAULT_PRIOR.is_file() and priors.DEFAULT_PRIOR.stat().st_size < 300_000
    model = priors.default_prior()
    assert model.joint_names == BODY.joints
    meta = model.metadata
    assert meta["regenerate"] == "python scripts/train_prior.py"
    # The command's defaults are the recipe the file was made with.
    assert meta["recipe"] == asdict(PriorRecipe()) | {
        "components": list(PriorRecipe().components),
        "latent_dims": list(PriorRecipe().latent_dims),
    }
    assert (model.components, model.latent_dim) == (meta["chosen"]["components"], meta["chosen"]["latent_dim"])
    assert priors.fit_settings(model) == meta["fit"]
    assert set(meta["dev_check"]) >= {"clean", "noisy"}


def test_load_prior_reads_ours_and_defaults_to_ours(tmp_path, small_prior):
    assert priors.load_prior() is priors.default_prior()
    path = small_prior.save(tmp_path / "mine.npz")
    assert priors.load_prior(path).metadata == small_prior.metadata


def test_load_prior_reads_the_authors_released_model(authors_model_path):
    authors = priors.load_prior(authors_model_path)
    assert (authors.components, authors.latent_dim, priors.fit_settings(authors)) == (3, 25, {})


def photograph(poses: np.ndarray, yaw: np.ndarray) -> np.ndarray:
    """(N, J, 3) metres, Z up, turned by (N,) yaw and projected orthographically -> (N, J, 2) pixels, y down."""
    c, s = np.cos(yaw)[:, None], np.sin(yaw)[:, None]
    x = c * poses[..., 0] - s * poses[..., 1]
    return np.stack([960 + 500 * x, 900 - 500 * poses[..., 2]], axis=-1)


def unseen_mocap_error(model: MixturePPCA, asset) -> float:
    """PA-MPJPE (mm, 17 joints) of `model`'s fit on development clip test3.bvh (toes, no heels), seen
    orthographically at random yaws: real mocap that no prior was trained on."""
    pose = pose_from_bvh(read_bvh(asset("test3.bvh")))
    joints = pose.joints3d[::30, 0].astype(np.float64)
    pixels = photograph(joints, np.random.default_rng(0).uniform(-math.pi, math.pi, len(joints)))
    points, weights = model_inputs(model, pose.joint_names, pixels, np.ones(pixels.shape[:2]))
    fit = fit_upright(model, points, weights, **priors.fit_settings(model))
    assert fit.joints3d.shape == (len(joints), len(model.joint_names), 3) and fit.ok.float().mean() > 0.9
    return 1000 * pa_mpjpe(fit.joints3d.numpy()[:, :17], joints[:, :17] - joints[:, :1])


def test_the_default_prior_lifts_real_mocap_it_never_saw_within_4_cm(asset):
    assert unseen_mocap_error(priors.default_prior(), asset) < 40.0


def test_the_default_prior_lifts_real_mocap_better_than_the_authors(asset, authors_model_path):
    """bench/lift.py measures both under perspective cameras and 2D noise."""
    ours = unseen_mocap_error(priors.default_prior(), asset)
    assert ours < unseen_mocap_error(priors.load_prior(authors_model_path), asset)
