"""Where the authors' released 3D pose model is: the file $POSELIFT_AUTHORS_MODEL names (their
lftd_prob_model_params.mat; research-only, so never part of the repository)."""

from __future__ import annotations

import os
from pathlib import Path

AUTHORS_MODEL = "POSELIFT_AUTHORS_MODEL"


def authors_model_path() -> Path | None:
    """The authors' model file, or None when the environment names none or it is not there."""
    path = Path(os.environ.get(AUTHORS_MODEL) or "")
    return path if os.environ.get(AUTHORS_MODEL) and path.is_file() else None


def required_authors_model_path() -> Path:
    """The authors' model file, or exit with one sentence saying how to give it."""
    path = authors_model_path()
    if path is None:
        raise SystemExit(
            f"this bench needs the authors' released model: set {AUTHORS_MODEL} to their lftd_prob_model_params.mat"
        )
    return path
