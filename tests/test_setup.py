"""Setup and CI: the README's two commands, what .ci/run calls, and the assets the tests fetch."""

import hashlib
import re
import subprocess
from pathlib import Path

import fetch_assets
import pytest

REPO = Path(__file__).resolve().parents[1]


def _readme_commands() -> list[str]:
    return re.findall(r"```bash\n(.+?)\n```", (REPO / "README.md").read_text())


def test_the_readme_starts_with_the_two_commands_for_a_fresh_machine():
    assert _readme_commands()[:2] == [
        "bash scripts/setup.sh && .venv/bin/python scripts/demo.py",
        "bash scripts/setup.sh && .venv/bin/python -m pytest",
    ]
    head = (REPO / "README.md").read_text().split("```bash")[0]
    assert "```" not in head, "no other command comes before them"


def test_ci_runs_the_readmes_test_command_and_keeps_its_exit_status():
    lines = [ln for ln in (REPO / ".ci" / "run").read_text().splitlines() if ln and not ln.startswith("#")]
    assert lines[-1] == _readme_commands()[1]
    assert "set -euo pipefail" in lines and not any("|| true" in ln for ln in lines)


@pytest.mark.parametrize("script", [".ci/run", "scripts/setup.sh"])
def test_the_shell_scripts_parse(script):
    subprocess.run(["bash", "-n", str(REPO / script)], check=True)


def test_the_held_out_bvh_clips_are_never_fetched():
    members = [a.member for a in fetch_assets.ASSETS.values()]
    assert not [m for m in members if m.endswith(("/test.bvh", "/test2.bvh"))]
    assert len(set(fetch_assets.ASSETS)) == len(members)


def test_a_fetched_asset_is_the_file_its_table_names(asset):
    path = asset("test_mocapbank.bvh")
    entry = fetch_assets.ASSETS["test_mocapbank.bvh"]
    assert path.stat().st_size == entry.size
    assert hashlib.sha256(path.read_bytes()).hexdigest() == entry.sha256


def test_an_unknown_asset_is_one_clear_error():
    with pytest.raises(fetch_assets.AssetError, match=r"^unknown asset 'nothing\.bvh'; known assets: .*test3\.bvh"):
        fetch_assets.asset_path("nothing.bvh")
