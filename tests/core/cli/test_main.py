"""The poselift command: pose files checked and converted; bad input is one sentence and exit status 1."""

import os
import subprocess
import sys

from pose_samples import walking_sequence

from poselift.core.formats.posefile import read_pose_file, write_pose_file


def _poselift(*args):
    return subprocess.run(
        [sys.executable, "-m", "poselift.core.cli", *map(str, args)], capture_output=True, text=True, timeout=60
    )


def test_check_summarises_a_good_file_and_convert_writes_the_json_mirror(tmp_path):
    path = write_pose_file(tmp_path / "walk.npz", walking_sequence(8))
    run = _poselift("check", path)
    assert run.returncode == 0 and "8 frames at 24 fps" in run.stdout
    run = _poselift("convert", path, "-o", tmp_path / "walk.json")
    assert run.returncode == 0
    assert read_pose_file(tmp_path / "walk.json").frames == 8


def test_every_bad_file_is_one_sentence_on_stderr_and_a_failure(bad_pose_files):
    for what, path in bad_pose_files.items():
        run = _poselift("check", path)
        assert run.returncode == 1, what
        assert run.stderr.count("\n") == 1 and str(path) in run.stderr, what
        assert "Traceback" not in run.stderr, what


def test_the_command_lets_torchs_threads_sleep_while_waiting_unless_told_otherwise(tmp_path, monkeypatch):
    from poselift.core.cli.main import main

    path = write_pose_file(tmp_path / "walk.npz", walking_sequence(2))
    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    assert main(["check", str(path)]) == 0
    assert os.environ["OMP_WAIT_POLICY"] == "PASSIVE"  # read by OpenMP when the command first imports torch
    monkeypatch.setenv("OMP_WAIT_POLICY", "ACTIVE")
    assert main(["check", str(path)]) == 0
    assert os.environ["OMP_WAIT_POLICY"] == "ACTIVE"
