"""Which 3D pose prior lifts by default, and where the priors are.

The default is our own mixture of PPCA, trained by scripts/train_prior.py from poses the project evolves itself
(core/synth/evolution.py) and shipped beside this module; its metadata says how to regenerate it bit for bit and the fit
settings it was tuned with. The authors' released model (a .mat a user brings) loads as an equal.

Lifting with a prior, whichever joints it models (17, or 21 with heels and toes):

    model = load_prior(path)  # None: the default
    points, weights = fit.model_inputs(model, skeleton.POSELIFT.joints, joints2d, confidence)
    result = fit.fit_upright(model, points, weights, height=height, **fit_settings(model))
    # result.joints3d (N, J, 3) metres on result.joint_names: place them into the pose file by name
"""

from __future__ import annotations

import functools
import math
import os
from pathlib import Path

from .ppca import MixturePPCA, ModelFileError

DEFAULT_PRIOR = Path(__file__).resolve().parent / "data" / "default_prior.npz"
SUFFIXES = (".npz", ".mat")
# What a prior's metadata "fit" may set: the real-valued keywords of `fit.fit_upright` that tune the fit to the model
# (the height is the lifter's).
FIT_SETTINGS = ("tightening", "noise_scale", "min_weight", "max_residual", "max_prior_distance")


def load_prior(path: str | os.PathLike | None = None) -> MixturePPCA:
    """The prior in `path` (our .npz, or the authors' .mat), or the default when None; ModelFileError (one
    sentence naming the file) when it cannot be read."""
    if path is None:
        return default_prior()
    path = Path(path)
    if path.suffix.lower() not in SUFFIXES:
        raise ModelFileError(f"{path}: not a pose model file (expected our .npz or the authors' .mat).")
    model = MixturePPCA.from_authors_mat(path) if path.suffix.lower() == ".mat" else MixturePPCA.load(path)
    problem = _fit_settings_problem(model.metadata.get("fit", {}))
    if problem:
        raise ModelFileError(f'{path}: its fit settings (metadata "fit") {problem}.')
    return model


@functools.cache
def default_prior() -> MixturePPCA:
    """The shipped default prior (read once)."""
    return MixturePPCA.load(DEFAULT_PRIOR)


def _fit_settings_problem(settings) -> str:
    """What is wrong with a prior's fit settings, or '' when nothing is."""
    if not isinstance(settings, dict):
        return "are not an object"
    unknown = sorted(set(settings) - set(FIT_SETTINGS))
    if unknown:
        return f"name {', '.join(map(repr, unknown))}, which the fit does not take"
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in settings.values()):
        return "are not all finite numbers"
    return ""


def fit_settings(model: MixturePPCA) -> dict[str, float]:
    """The `fit_upright` keywords a prior was tuned with (its metadata's "fit"), {} when it names none."""
    return dict(model.metadata.get("fit", {}))
