"""The long-term-support Blenders the extension supports (4.2 and 4.5 LTS, each as its bpy module in a Python of
its own, without torch): the zip installs and enables, Check Engine names every part of a Python with torch, and a
pose file imports as an animated armature. Blender 5.0 does all that and more in the rest of tests/addon."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from pose_samples import walking_sequence
from test_engine import blender_session, bpy_python

from poselift.core.formats.posefile import write_pose_file


@pytest.mark.parametrize("version, named", [("4.2.23", "folder"), ("4.5.15", "file")])
def test_an_lts_blender_installs_checks_the_engine_and_imports_a_pose_file(version, named, extension_zip, tmp_path):
    """The Python to use is named by its file, or by its virtual environment's folder."""
    pose = write_pose_file(tmp_path / "walk.npz", walking_sequence(frames=24))
    python = Path(sys.executable)
    report = blender_session(bpy_python(version), extension_zip, tmp_path / "user", "check,import",
                             python=python.parents[1] if named == "folder" else python, pose=pose)  # fmt: skip
    assert report["blender"].startswith(version.rsplit(".", 1)[0]) and not report["torch_here"]
    assert report["install_extension"]["result"] == ["FINISHED"] and report["enabled"]
    check = report["check"]
    assert check["result"] == ["FINISHED"], check["errors"]
    assert check["lines"][0].startswith(f"Python {sys.version.split()[0]}: {python.parent / 'python'}")
    assert check["lines"][1] == "Packages: all 5 there" and check["lines"][2].startswith("torch 2.13.0")
    assert check["lines"][3].startswith("Weights: detector, full, lite, heavy in ")
    assert check["lines"][4].startswith("Core 0.1.0 (the extension's): ")
    imported = report["import"]
    assert imported["result"] == ["FINISHED"], imported["errors"]
    assert imported["armature"] == {"bones": 27, "action": True, "frames": [1, 24]}
