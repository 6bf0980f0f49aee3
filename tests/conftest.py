"""Session-wide test setup: real assets from the registries, and a clean exit from the bpy module."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))

from fetch_assets import asset_path  # noqa: E402
from pose_samples import bad_pose_files as _bad_pose_files  # noqa: E402

_exit_status = 0


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
    # bpy may crash or hang at interpreter exit; leave with pytest's own status once it has reported.
    if "bpy" in sys.modules:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(_exit_status)
