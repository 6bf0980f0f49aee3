"""The models the lift's tests draw poses from and fit with."""

from __future__ import annotations

import pytest

from poselift.core.lift.ppca import MixturePPCA, train
from poselift.core.synth.evolution import EvolutionConfig, evolve


@pytest.fixture(scope="session")
def evolved_model() -> MixturePPCA:
    """A mixture of PPCA on the Human3.6M 17 joints, as the authors' is (3 components, here of 16 dimensions),
    trained on poses the project evolves itself."""
    poses = evolve(EvolutionConfig(seed=11, initial=600, target=6000, batch=600))
    return train(poses[:, :17], components=3, latent_dim=16, seed=0)


@pytest.fixture(scope="session", params=["evolved", "authors"])
def model(request) -> MixturePPCA:
    """Each model the fit is held to: the evolved one always, the authors' released one where it is given."""
    return request.getfixturevalue(f"{request.param}_model")
