"""The extension: its zip holds the package and nothing else, installs into Blender 5.0 and registers its UI."""

from __future__ import annotations

import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

from scene_checks import EXTENSION, REPO


def _toml(path: Path) -> dict:
    with path.open("rb") as f:
        return tomllib.load(f)


def test_the_manifest_names_the_extension_and_its_version_is_the_package_version():
    manifest = _toml(REPO / "blender_manifest.toml")
    assert (manifest["id"], manifest["name"], manifest["type"]) == ("poselift", "PoseLift", "add-on")
    assert manifest["version"] == _toml(REPO / "pyproject.toml")["project"]["version"]
    assert manifest["blender_version_min"] == "4.2.0"
    assert manifest["license"] == ["SPDX:GPL-3.0-or-later"]
    assert "network" not in manifest.get("permissions", {})


def test_the_zip_holds_the_manifest_the_root_package_the_python_files_and_their_data(extension_zip):
    assert extension_zip.name == f"poselift-{_toml(REPO / 'blender_manifest.toml')['version']}.zip"
    with zipfile.ZipFile(extension_zip) as z:
        names = set(z.namelist())
    sources = [path for package in ("addon", "core", "engine", "rigs") for path in (REPO / package).rglob("*.py")]
    expected = {"blender_manifest.toml", "__init__.py", "core/lift/data/default_prior.npz",
                "core/lift/data/cascade_lifter.npz", "core/nets/data/test_person.jpg",
                "core/nets/data/test_person.json", "core/cli/batch/ray-requirements.txt", "engine/requirements.txt"}
    assert names == expected | {path.relative_to(REPO).as_posix() for path in sources}


def test_building_without_bpy_says_so_in_one_sentence(tmp_path):
    # -S: no site-packages, so no bpy.
    done = subprocess.run(
        [sys.executable, "-S", str(REPO / "build_addon.py"), "--output-dir", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1
    assert len(done.stderr.strip().splitlines()) == 1 and "bpy is not installed" in done.stderr
    assert not list(tmp_path.iterdir())


def test_the_zip_installs_into_the_temporary_user_folder_and_is_enabled(blender, scene):
    import addon_utils

    assert blender.bpy.app.version[:2] == (5, 0)
    assert addon_utils.check(EXTENSION) == (True, True)
    installed = Path(blender.module("addon").__file__).resolve()
    assert installed.is_relative_to(blender.user_resources.resolve())
    assert not installed.is_relative_to(REPO)


def test_the_sidebar_panel_the_import_operator_and_the_import_menu_entry_are_registered(blender, scene):
    bpy = blender.bpy
    panel = bpy.types.POSELIFT_PT_image
    assert (panel.bl_space_type, panel.bl_region_type, panel.bl_category) == ("VIEW_3D", "UI", "Pose")
    assert panel.bl_label == "Lift pose from image"
    operator = bpy.types.POSELIFT_OT_import_pose
    assert operator.__module__.startswith(EXTENSION)
    assert bpy.ops.poselift.import_pose.poll()
    # Blender keeps menu draw functions in this list; ours comes from the installed extension.
    import_menu = bpy.types.TOPBAR_MT_file_import.draw._draw_funcs
    assert any(f.__module__.startswith(EXTENSION) for f in import_menu)


def test_the_import_is_one_undo_step(blender, scene):
    # Blender pushes one undo step for an operator with UNDO in bl_options and none for the operators it calls;
    # the undo stack does not exist in background mode, so this is what can be checked here.
    operator = blender.bpy.types.POSELIFT_OT_import_pose
    assert operator.bl_options == {"REGISTER", "UNDO"}


def test_disabling_removes_the_panel_operator_and_menu_entry_and_enabling_brings_them_back(blender, scene):
    import addon_utils

    bpy = blender.bpy
    addon_utils.disable(EXTENSION, default_set=True)
    ours = [f for f in bpy.types.TOPBAR_MT_file_import.draw._draw_funcs if f.__module__.startswith(EXTENSION)]
    assert not hasattr(bpy.types, "POSELIFT_PT_image") and not hasattr(bpy.types, "POSELIFT_OT_import_pose")
    assert not ours
    addon_utils.enable(EXTENSION, default_set=True)
    assert hasattr(bpy.types, "POSELIFT_PT_image") and bpy.ops.poselift.import_pose.poll()
