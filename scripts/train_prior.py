"""Train the default 3D pose prior from evolved synthetic poses and write it into the package.

    python scripts/train_prior.py [--out core/lift/data/default_prior.npz] [--seed 0] [--poses 100000]
                                  [--held-out 20000] [--joint-noise 0.02] [--components 2 4 8]
                                  [--latent 32 40 48 56] [--joints 21] [--no-dev-check]

Evolves the poses (core/synth/evolution.py), trains a mixture of PPCA for every (K, Q) of the grid and keeps the
smallest within half a nat of the best held-out log-likelihood (core/synth/prior_training.py), then checks it on the
development mocap clips the way bench/lift.py does (fewer views: every 6th frame, one camera each) and prints the
table. The file's metadata holds the recipe, the candidates, the choice, the dev check, the fit settings the prior
was tuned with, and the command that regenerates it: with the same numpy and torch (one thread, set here) the bytes
are the same. The defaults regenerate the shipped prior; the run prints how long the training took.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from dataclasses import replace
from pathlib import Path

import torch

from poselift.core.lift.priors import DEFAULT_PRIOR
from poselift.core.synth.prior_training import PriorRecipe, train_prior

REPO = Path(__file__).resolve().parents[1]
# The fit settings the default prior was tuned with: the best mean of PA-MPJPE and scaled MPJPE, clean and noisy, over
# noise_scale {0.5, 0.7, 1, 1.5, 2, 3} x tightening {0.3, 0.5, 0.7, 1} on the development views of dev_check.
FIT_SETTINGS = {"noise_scale": 1.0, "tightening": 0.5}


def dev_check(model, log) -> dict:
    """bench/lift.py's measures on fewer views of the development clips (every 6th frame, one camera, seed 1)."""
    sys.path.insert(0, str(REPO / "bench"))
    from dev_clips import CONDITIONS, dev_views, score

    results = score(model, dev_views(stride=6, per_frame=1, seed=1), FIT_SETTINGS)
    for condition in CONDITIONS:
        r = results[condition]
        log(f"dev check, {condition}: PA-MPJPE {r['pa_mpjpe_mm']:.1f} mm, scaled MPJPE {r['scaled_mpjpe_mm']:.1f} mm")
    return {c: {k: round(v, 3) for k, v in results[c].items()} for c in CONDITIONS} | {"views": "stride 6, 1, seed 1"}


def main(argv: list[str] | None = None) -> int:
    defaults = PriorRecipe()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_PRIOR)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--poses", type=int, default=defaults.poses)
    parser.add_argument("--held-out", type=int, default=defaults.held_out)
    parser.add_argument("--joint-noise", type=float, default=defaults.joint_noise_m, help="metres")
    parser.add_argument("--components", type=int, nargs="+", default=list(defaults.components))
    parser.add_argument("--latent", type=int, nargs="+", default=list(defaults.latent_dims))
    parser.add_argument("--joints", type=int, choices=(17, 21), default=defaults.joints)
    parser.add_argument("--no-dev-check", action="store_true", help="skip the check on the development clips")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)  # reductions in one order: the same bytes on every run
    recipe = replace(
        defaults,
        seed=args.seed,
        poses=args.poses,
        held_out=args.held_out,
        joint_noise_m=args.joint_noise,
        components=tuple(args.components),
        latent_dims=tuple(args.latent),
        joints=args.joints,
    )
    start = time.perf_counter()
    model = train_prior(recipe, log=print)
    chosen = model.metadata["chosen"]
    print(f"chosen: K={chosen['components']} Q={chosen['latent_dim']} ({time.perf_counter() - start:.0f} s)")
    metadata = dict(model.metadata, fit=FIT_SETTINGS)
    if not args.no_dev_check:
        metadata["dev_check"] = dev_check(model, print)
    out = args.out.resolve()
    command = ["python", "scripts/train_prior.py", *(argv if argv is not None else sys.argv[1:])]
    metadata["regenerate"] = shlex.join(command)
    out.parent.mkdir(parents=True, exist_ok=True)
    print(replace(model, metadata=metadata).save(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
