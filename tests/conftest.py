"""Session-wide test setup: real assets from the registries, one Blender user folder, a clean bpy exit."""

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
