"""`poselift batch`: short real videos (cut from the rendered test video) and a broken one, lifted by worker
processes on this machine and by Ray actors (Ray started here); the manifest tells what was done and why what
failed failed; a second run does nothing new, a changed setting does everything again; Ctrl-C leaves a true
manifest and no partial file."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import numpy as np
import pytest
from make_test_video import cached_test_video
from video_samples import write_mjpg

from poselift.core.cli.main import main
from poselift.core.formats.bvh import read_bvh
from poselift.core.formats.posefile import read_pose_file
from poselift.core.video.video_io import VideoFrames, probe_video

FRAMES = 8  # each short clip's


@pytest.fixture(scope="module")
def shoot(tmp_path_factory):
    """A folder of two short clips that share a name, a/take1.avi and b/take1.avi, and broken.mp4 (the test
    video cut in half: its index was at the end)."""
    video, _ = cached_test_video(seconds=3.0)
    frames = np.concatenate([batch.pixels for batch in VideoFrames(probe_video(video))])
    folder = tmp_path_factory.mktemp("shoot")
    for take, start in (("a", 0), ("b", 40)):
        (folder / take).mkdir()
        write_mjpg(folder / take / "take1.avi", frames[start : start + FRAMES])
    data = video.read_bytes()
    (folder / "broken.mp4").write_bytes(data[: len(data) // 2])
    return folder


def batch(capfd, *args) -> tuple[int, str, str]:
    """Run `poselift batch` in this process (its workers in their own): (exit status, stdout, stderr)."""
    status = main(["batch", *map(str, args), "--model", "lite", "--device", "cpu", "--progress", "quiet"])
    out, err = capfd.readouterr()
    return status, out, err


def manifest(outdir) -> dict[str, dict]:
    return {r["name"]: r for r in map(json.loads, (outdir / "manifest.jsonl").read_text().splitlines())}


def check_first_run(shoot, outdir, status, out, err, exported: str | None = None) -> dict[str, dict]:
    """Two pose files and BVH (and animations `exported` as), the broken video's sentence on stderr and in the
    manifest."""
    sentence = f"{shoot / 'broken.mp4'}: the MP4/MOV file is damaged or truncated; no frame could be read."
    assert status == 1 and err == sentence + "\n", err
    assert out.startswith("poselift batch: 2 done, 1 failed, 0 done before, in ")
    records = manifest(outdir)
    assert {name: r["status"] for name, r in records.items()} == {"a_take1": "done", "b_take1": "done",
                                                                  "broken": "failed"}  # fmt: skip
    assert records["broken"]["error"] == sentence and records["broken"]["outputs"] == []
    for name in ("a_take1", "b_take1"):
        record = records[name]
        assert (record["frames"], record["people"], record["tracks"], record["error"]) == (FRAMES, 1, [0], None)
        animation = [f"{name}.{exported}"] if exported else []
        assert record["outputs"] == [f"{name}.npz", f"{name}.bvh", *animation]
        assert record["input"].endswith("/take1.avi")
        assert read_pose_file(outdir / f"{name}.npz").frames == FRAMES
        assert read_bvh(outdir / f"{name}.bvh").frames == FRAMES
    made = [f"{name}.{kind}" for name in ("a_take1", "b_take1") for kind in ("bvh", exported, "npz") if kind]
    assert sorted(p.name for p in outdir.iterdir()) == [*sorted(made), "manifest.jsonl"]
    return records


def test_a_local_pool_lifts_the_good_videos_into_animations_too_and_a_second_run_does_nothing_new(
    shoot, capfd, tmp_path
):
    status, out, err = batch(capfd, shoot, "-o", tmp_path, "--workers", "2", "--threads", "1", "--export-as", "fbx")
    first = check_first_run(shoot, tmp_path, status, out, err, exported="fbx")
    assert (tmp_path / "a_take1.fbx").read_bytes().startswith(b"Kaydara FBX Binary")  # Blender's joint armature
    written = {p.name: p.stat().st_mtime_ns for p in tmp_path.glob("*_take1.*")}
    status, out, err = batch(capfd, shoot, "-o", tmp_path, "--export-as", "fbx")
    assert status == 1 and out.startswith("poselift batch: 0 done, 1 failed, 2 done before, in "), err
    assert {p.name: p.stat().st_mtime_ns for p in tmp_path.glob("*_take1.*")} == written
    again = manifest(tmp_path)
    assert again["a_take1"] == first["a_take1"] and again["b_take1"] == first["b_take1"]


def test_on_ray_the_same_and_a_changed_setting_lifts_every_video_again(shoot, capfd, tmp_path):
    ray = pytest.importorskip("ray")  # the ray extra: scripts/setup.sh installs it with the test extra
    ray.init(num_cpus=2, include_dashboard=False, logging_level="error")
    try:
        status, out, err = batch(capfd, shoot, "-o", tmp_path, "--ray", "local", "--threads", "1")
        check_first_run(shoot, tmp_path, status, out, err)
        status, out, err = batch(capfd, shoot, "-o", tmp_path, "--ray", "local")
        assert status == 1 and out.startswith("poselift batch: 0 done, 1 failed, 2 done before, in "), err
        status, out, err = batch(capfd, shoot, "-o", tmp_path, "--ray", "local", "--threads", "1", "--smoothing", "0.5")
        assert status == 1 and out.startswith("poselift batch: 2 done, 1 failed, 0 done before, in "), err
    finally:
        ray.shutdown()
    records = manifest(tmp_path)
    assert {r["settings"]["smoothing"] for r in records.values()} == {0.5}
    assert read_pose_file(tmp_path / "a_take1.npz").metadata["smoothing"] == 0.5


def test_ctrl_c_leaves_what_finished_in_a_true_manifest_and_no_partial_file(shoot, tmp_path):
    outdir = tmp_path / "out"
    command = [sys.executable, "-m", "poselift.core.cli", "batch", str(shoot / "a"), str(shoot / "b"), "-o",
               str(outdir), "--model", "lite", "--device", "cpu", "--workers", "1", "--progress", "json"]  # fmt: skip
    # Ctrl-C at a terminal reaches the command and its workers, one process group; its default action even when
    # this run was started in the background (which ignores it).
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # fmt: skip
    for line in process.stdout:
        if json.loads(line)["event"] == "video":  # one video is done, the other being lifted
            break
    os.killpg(process.pid, signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert stderr == (f"poselift batch: interrupted; the videos finished are in {outdir / 'manifest.jsonl'}, "
                      "whole, and the same command goes on from there.\n")  # fmt: skip
    records = manifest(outdir)
    assert len(records) == 1 and all(r["status"] == "done" for r in records.values())
    [record] = records.values()
    assert not list(outdir.glob(".*")), "no temporary file is left"
    for name in record["outputs"]:
        assert (outdir / name).is_file()
    read_pose_file(outdir / record["outputs"][0])


def test_bad_batches_are_one_sentence_before_any_work(shoot, capfd, tmp_path):
    (tmp_path / "empty").mkdir()
    cases = [
        ((tmp_path / "empty", "-o", tmp_path / "out"), f"poselift batch: no videos in {tmp_path / 'empty'}."),
        ((shoot, "-o", shoot / "broken.mp4"),
         f"{shoot / 'broken.mp4'}: is a file, not a folder for the batch's outputs."),
        ((shoot, "-o", tmp_path / "out", "--workers", "0"), "poselift batch: --workers must be 1 or more, not 0."),
        ((shoot, "-o", tmp_path / "out", "--smoothing", "20"),
         "poselift batch: --smoothing must be between 0 (none) and 10, not 20."),
        ((shoot, "-o", tmp_path / "out", "--ray", "127.0.0.1:1"),
         "poselift batch: cannot join the Ray cluster at 127.0.0.1:1 (nothing answers there: Connection refused)."),
    ]  # fmt: skip
    for args, sentence in cases:
        status, out, err = batch(capfd, *args)
        assert (status, out, err) == (1, "", sentence + "\n")
    (tmp_path / "out").mkdir(exist_ok=True)
    (tmp_path / "out" / "manifest.jsonl").write_text("{}\n")
    status, _, err = batch(capfd, shoot, "-o", tmp_path / "out")
    assert status == 1 and err == (f"{tmp_path / 'out' / 'manifest.jsonl'}: line 1 is not a batch record; move the "
                                   "file away to start the batch afresh.\n")  # fmt: skip


def test_networks_that_cannot_load_stop_the_batch_in_one_sentence_with_nothing_recorded(shoot, capfd, tmp_path):
    prior = tmp_path / "prior.npz"
    prior.write_bytes(b"not a prior")
    status, out, err = batch(capfd, shoot / "a", "-o", tmp_path / "out", "--prior", prior)
    assert status == 1 and out == "" and err.startswith(f"{prior}: ") and err.count("\n") == 1, err
    assert not (tmp_path / "out" / "manifest.jsonl").exists()
