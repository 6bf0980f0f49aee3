"""Which Python can run the core: a Python is asked from outside what it has, and one that lacks packages is
named with all of them in one sentence."""

from __future__ import annotations

import subprocess
import sys

import pytest

from poselift.engine.check import probe
from poselift.engine.packages import EngineError, plan


@pytest.fixture(scope="module")
def bare_python(tmp_path_factory) -> str:
    """A Python 3.11 with nothing installed: a new virtual environment without pip."""
    env = tmp_path_factory.mktemp("bare")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env)], check=True)
    return str(env / "bin" / "python")


def test_a_python_without_the_packages_names_every_one_at_once(bare_python):
    wanted = plan("cpu", "Linux")
    seen = probe(bare_python, list(wanted.versions))
    assert seen.version.startswith("3.11.") and not seen.matches(wanted)
    assert seen.problem(wanted) == (
        f"{bare_python} lacks numpy, torch, scipy, pillow and opencv-contrib-python: install the engine from "
        "PoseLift's preferences, or name a Python that has them."
    )


def test_this_python_has_every_package_though_not_every_build(bare_python):
    wanted = plan("cpu", "Linux")
    seen = probe(sys.executable, list(wanted.versions))
    assert seen.problem(wanted) is None
    assert seen.packages["numpy"] == "1.26.4"


def test_a_file_that_is_not_a_python_is_one_sentence(tmp_path):
    script = tmp_path / "python"
    script.write_text("#!/bin/sh\necho hello\n")
    script.chmod(0o755)
    with pytest.raises(EngineError, match="this is not a Python that PoseLift can use"):
        probe(script, ["numpy"])
    with pytest.raises(EngineError, match="this Python cannot be started"):
        probe(tmp_path / "missing", ["numpy"])
