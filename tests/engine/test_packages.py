"""What the engine installs: the pinned list that pyproject's worker extra reads too, and torch's build by device
and system."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from poselift.engine.packages import REQUIREMENTS, TORCH_CPU_INDEX, EngineError, pinned, plan, python_in

REPO = Path(__file__).resolve().parents[2]


def test_the_worker_extra_and_the_installer_read_one_list():
    with open(REPO / "pyproject.toml", "rb") as f:
        project = tomllib.load(f)
    dynamic = project["tool"]["setuptools"]["dynamic"]["optional-dependencies"]["worker"]
    assert REPO / dynamic["file"][0] == REQUIREMENTS
    assert "worker" not in project["project"].get("optional-dependencies", {})
    names = [line.split("==")[0] for line in pinned()]
    assert names == ["numpy", "torch", "scipy", "pillow", "opencv-contrib-python"]


@pytest.mark.parametrize("system", ["Linux", "Windows"])
def test_the_cpu_build_comes_from_pytorchs_own_index_where_pypi_has_another(system):
    cpu = plan("cpu", system)
    assert cpu.torch_build == "cpu" and cpu.extra_index_urls == (TORCH_CPU_INDEX,)
    assert [r for r in cpu.requirements if r.startswith("torch==")] == ["torch==2.13.0+cpu"]
    assert cpu.versions["torch"] == "2.13.0+cpu" and cpu.versions["numpy"] == "1.26.4"


def test_the_gpu_build_is_pypis_torch_on_linux_only():
    cuda = plan("cuda", "Linux")
    assert cuda.torch_build == "cuda" and cuda.extra_index_urls == ()
    assert "torch==2.13.0" in cuda.requirements
    assert cuda.key != plan("cpu", "Linux").key, "each build is an engine of its own"
    for system in ("Windows", "Darwin"):
        with pytest.raises(EngineError, match=f"GPU build is offered on Linux only, not on {system}"):
            plan("cuda", system)
    assert plan("cpu", "Darwin").extra_index_urls == () and "torch==2.13.0" in plan("cpu", "Darwin").requirements


def test_a_list_with_a_line_that_is_not_a_pin_is_refused_naming_the_line(tmp_path):
    listing = tmp_path / "requirements.txt"
    listing.write_text("# a comment\nnumpy==1.26.4\n\ntorch>=2\n")
    with pytest.raises(EngineError, match=r"requirements\.txt, line 4: 'torch>=2' is not a pinned requirement"):
        pinned(listing)
    with pytest.raises(EngineError, match="cannot be read"):
        pinned(tmp_path / "none.txt")


def test_a_virtual_environments_folder_names_its_python(tmp_path):
    python = tmp_path / "venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text("")
    assert python_in(tmp_path / "venv") == python
    assert python_in(python) == python
    with pytest.raises(EngineError, match="the folder has no Python in it"):
        python_in(tmp_path)
    with pytest.raises(EngineError, match="no such Python"):
        python_in(tmp_path / "nowhere")
