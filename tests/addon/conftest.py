"""Real Blender (the bpy module) for the add-on tests: one process, the extension built and installed once.

The extension is built by build_addon.py and installed from its zip into a user folder under pytest's
temporary directory (BLENDER_USER_RESOURCES, set before bpy is imported), so nothing touches a real Blender
config. Test modules never import bpy or the add-on at import time: they take them from these fixtures, and a
missing bpy makes them fail, not skip.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest
from scene_checks import EXTENSION, REPO


@dataclass(frozen=True)
class Blender:
    """The bpy module with PoseLift installed as an extension from `zip_path` into `user_resources`."""

    bpy: ModuleType
    zip_path: Path
    user_resources: Path

    def module(self, name: str) -> ModuleType:
        """A module of the installed extension, e.g. module("addon.pose_import")."""
        return importlib.import_module(f"{EXTENSION}.{name}")


@pytest.fixture(scope="session")
def extension_zip(tmp_path_factory) -> Path:
    """The extension zip, built by build_addon.py with Blender's own tool."""
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run(
        [sys.executable, str(REPO / "build_addon.py"), "--output-dir", str(out)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return Path(done.stdout.strip())


@pytest.fixture(scope="session")
def blender(blender_user, extension_zip) -> Blender:
    user = blender_user
    import bpy

    bpy.ops.wm.read_factory_settings(use_empty=True)
    result = bpy.ops.extensions.package_install_files(
        filepath=str(extension_zip), repo="user_default", enable_on_install=True
    )
    assert result == {"FINISHED"}
    return Blender(bpy=bpy, zip_path=extension_zip, user_resources=user)


@pytest.fixture
def scene(blender):
    """An empty factory scene with PoseLift enabled, before each test."""
    import addon_utils

    blender.bpy.ops.wm.read_factory_settings(use_empty=True)
    if not addon_utils.check(EXTENSION)[1]:
        addon_utils.enable(EXTENSION, default_set=True)
    assert addon_utils.check(EXTENSION)[1], "PoseLift could not be enabled again after the factory reset"
    return blender.bpy.context.scene
