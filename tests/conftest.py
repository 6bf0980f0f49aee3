"""Session-wide test setup: real assets from the registries, the authors' model where one is given, one Blender
user folder, a clean bpy exit."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))

from fetch_assets import asset_path  # noqa: E402
from pose_samples import bad_pose_files as _bad_pose_files  # noqa: E402

AUTHORS_MODEL = "POSELIFT_AUTHORS_MODEL"  # the environment variable that names the authors' released model
_exit_status = 0
_blender_user: Path | None = None


def pytest_configure(config):
    # Blender reads its user folder when bpy is first imported: point it at a temporary one before any test can.
    global _blender_user
    _blender_user = Path(tempfile.mkdtemp(prefix="poselift-blender-user-"))
    os.environ["BLENDER_USER_RESOURCES"] = str(_blender_user)


@pytest.fixture(scope="session")
def blender_user() -> Path:
    """The temporary Blender user folder of this test session (extensions install there)."""
    return _blender_user


@pytest.fixture(scope="session")
def asset():
    """asset(name) -> Path of a fetched asset (see scripts/fetch_assets.py), fetching it when missing."""
    return asset_path


@pytest.fixture(scope="session")
def authors_model_path() -> Path:
    """The authors' released 3D pose model (lftd_prob_model_params.mat), which $POSELIFT_AUTHORS_MODEL names. It is
    research-only and never part of the repository: a test that needs it skips when it is not given."""
    path = Path(os.environ.get(AUTHORS_MODEL, ""))
    if not os.environ.get(AUTHORS_MODEL) or not path.is_file():
        pytest.skip(f"the authors' released model is not here: set {AUTHORS_MODEL} to lftd_prob_model_params.mat")
    return path


@pytest.fixture(scope="session")
def authors_model(authors_model_path):
    """The authors' released model, read onto our joints and frame."""
    from poselift.core.lift.ppca import MixturePPCA

    return MixturePPCA.from_authors_mat(authors_model_path)


@pytest.fixture(scope="session")
def bad_pose_files(tmp_path_factory) -> dict[str, Path]:
    """{what is wrong: path} for one broken pose file per failure the reader must name."""
    return _bad_pose_files(tmp_path_factory.mktemp("bad_pose_files"))


def pytest_sessionfinish(session, exitstatus):
    global _exit_status
    _exit_status = int(exitstatus)


def pytest_unconfigure(config):
    if _blender_user is not None:
        shutil.rmtree(_blender_user, ignore_errors=True)
    # bpy may crash or hang at interpreter exit; leave with pytest's own status once it has reported.
    if "bpy" in sys.modules:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(_exit_status)
