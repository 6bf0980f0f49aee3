"""`poselift image`: photos to a pose file and overlays; every bad input one sentence, exit 1, nothing written."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time

import numpy as np
from PIL import Image

from poselift.core import skeleton
from poselift.core.formats.posefile import read_pose_file
from poselift.core.image.image_io import read_image
from poselift.core.image.overlay import draw_skeletons
from poselift.core.lift.lifting import Lifter
from poselift.core.lift.priors import DEFAULT_PRIOR
from poselift.core.nets.pose2d import SMALL_PEOPLE, PoseEstimator
from poselift.core.skeleton import stature


def _poselift(*args, **options) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "poselift.core.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=300, **options)


def test_photos_become_one_frame_each_with_every_person_and_overlays(asset, tmp_path):
    photos = [asset("messi5.jpg"), asset("basketball2.png"), asset("home.jpg")]
    run = _poselift("image", *photos, "-o", tmp_path / "poses.npz", "--overlay", tmp_path / "drawn", "--model", "lite")
    assert run.returncode == 0, run.stderr
    assert f"{photos[2]}: no person found" in run.stderr
    pose = read_pose_file(tmp_path / "poses.npz")
    assert (pose.frames, pose.people) == (3, 2) and pose.joint_names == skeleton.POSELIFT.joints
    assert pose.track_id.tolist() == [[0, -1], [0, 1], [-1, -1]]
    assert np.isnan(pose.joints2d[2]).all() and np.isnan(pose.joints3d[0, 1]).all()
    lifter = Lifter()
    assert pose.metadata["joints3d"] == lifter.description and pose.metadata["model"] == "blazepose_lite"
    assert lifter.description.startswith("lifted: default prior, ")
    assert [p["people"] for p in pose.metadata["photos"]] == [1, 2, 0]
    assert [p["lifted_ok"] for p in pose.metadata["photos"]] == [[True], [True, True], []]
    # joints2d and joints3d are the lifting loop's on the pipeline's people, in the photo's pixels.
    people = PoseEstimator(variant="lite", device="cpu", **SMALL_PEOPLE).estimate([read_image(photos[0]).pixels])
    lifted = lifter.lift(people)
    np.testing.assert_allclose(pose.joints2d[0, 0], lifted.joints2d[0], atol=0.05)
    np.testing.assert_allclose(pose.joints3d[0, 0], lifted.joints3d[0], atol=1e-4)
    network = skeleton.mapping("blazepose33", "poselift").apply(people.keypoints[0].numpy())
    moved = np.linalg.norm(pose.joints2d[0, 0] - network, axis=-1)
    assert np.median(moved) < 3 and moved.max() < 40, "the loop re-reads the 2D near where the network put it"
    # joints3d: metres, Z up, feet on the floor, head above the hips.
    names = pose.joint_names
    body = pose.joints3d[1, 0]
    assert np.nanmin(body[:, 2]) == 0.0
    assert body[names.index("head_top"), 2] > body[names.index("pelvis"), 2] > 0.5
    np.testing.assert_allclose(body[names.index("pelvis"), :2], 0.0, atol=1e-6)
    for photo, name in zip(photos, ("messi5_pose.png", "basketball2_pose.png", "home_pose.png"), strict=True):
        assert Image.open(tmp_path / "drawn" / name).size == Image.open(photo).size
    # Each person is numbered by their slot in the pose file, so "person 1" is the one drawn with a 1.
    drawn = np.asarray(Image.open(tmp_path / "drawn" / "basketball2_pose.png"))
    np.testing.assert_array_equal(drawn, draw_skeletons(read_image(photos[1]).pixels, pose.joints2d[1],
                                                        pose.confidence[1], labels=["0", "1"]))  # fmt: skip


def test_the_json_mirror_and_a_heavy_model_work_too(asset, tmp_path):
    run = _poselift("image", asset("messi5.jpg"), "-o", tmp_path / "messi.json", "--model", "heavy", "--device", "cpu")
    assert run.returncode == 0, run.stderr
    pose = read_pose_file(tmp_path / "messi.json")
    assert pose.frames == 1 and pose.image_size == (548, 342) and pose.source == "messi5.jpg"


def test_stages_height_the_lifter_and_the_prior_are_options(asset, tmp_path):
    prior = shutil.copy(DEFAULT_PRIOR, tmp_path / "mine.npz")
    out = tmp_path / "messi.npz"
    run = _poselift("image", asset("messi5.jpg"), "-o", tmp_path / "learned.npz", "--model", "lite", "--lifter",
                    "cascade")  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert read_pose_file(tmp_path / "learned.npz").metadata["joints3d"] == "lifted: cascade"
    run = _poselift("image", asset("messi5.jpg"), "-o", out, "--model", "lite", "--stages", "1", "--height", "1.9",
                    "--prior", prior, "--lifter", "fit")  # fmt: skip
    assert run.returncode == 0, run.stderr
    pose = read_pose_file(out)
    assert pose.metadata["joints3d"] == "lifted: mine.npz, 1 stage"
    assert "mine.npz, 1 stage" in run.stdout
    assert abs(float(stature(pose.joints3d[0, 0, :17].astype(np.float64))) - 1.9) < 1e-3
    # One stage keeps the network's 2D as it is (the pipeline's with more than one person asked for: tiles too).
    estimator = PoseEstimator(variant="lite", device="cpu", **SMALL_PEOPLE)
    people = estimator.estimate([read_image(asset("messi5.jpg")).pixels])
    network = skeleton.mapping("blazepose33", "poselift").apply(people.keypoints[0].numpy())
    np.testing.assert_allclose(pose.joints2d[0, 0], network, atol=0.05)


def test_the_authors_released_prior_is_an_option(asset, tmp_path, authors_model_path):
    out = tmp_path / "messi.npz"
    run = _poselift("image", asset("messi5.jpg"), "-o", out, "--model", "lite", "--prior", authors_model_path)
    assert run.returncode == 0, run.stderr
    assert read_pose_file(out).metadata["joints3d"] == (
        f"lifted: {authors_model_path.name}, 1 stage combined with the cascade"
    )


def _fails_with_one_sentence(run: subprocess.CompletedProcess, *words: str) -> None:
    assert run.returncode == 1, run.stderr
    assert run.stderr.count("\n") == 1 and "Traceback" not in run.stderr, run.stderr
    for word in words:
        assert word in run.stderr, run.stderr


def test_every_bad_input_is_one_sentence_and_writes_nothing(asset, tmp_path):
    corrupt = tmp_path / "noise.png"
    corrupt.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    truncated = tmp_path / "half.jpg"
    truncated.write_bytes(asset("messi5.jpg").read_bytes()[:30000])
    out = tmp_path / "out.npz"
    photo = asset("messi5.jpg")
    _fails_with_one_sentence(_poselift("image", photo, tmp_path / "absent.jpg", "-o", out), "absent.jpg", "no such")
    _fails_with_one_sentence(_poselift("image", corrupt, "-o", out), str(corrupt))
    _fails_with_one_sentence(_poselift("image", truncated, "-o", out), str(truncated), "truncated")
    _fails_with_one_sentence(_poselift("image", tmp_path, "-o", out), "folder")
    _fails_with_one_sentence(_poselift("image", photo, "-o", tmp_path / "out.txt"), "out.txt", ".npz")
    _fails_with_one_sentence(_poselift("image", photo, "-o", tmp_path / "no" / "out.npz"), "does not exist")
    _fails_with_one_sentence(_poselift("image", asset("home.jpg"), "-o", out), "home.jpg", "no person",
                             "from about 32 px tall in a 512 x 384 photo (looking at tiles of it)",
                             "crop the photo")  # fmt: skip
    not_a_prior = tmp_path / "prior.npz"
    not_a_prior.write_bytes(b"no zip here")
    _fails_with_one_sentence(_poselift("image", photo, "-o", out, "--prior", not_a_prior), str(not_a_prior))
    _fails_with_one_sentence(_poselift("image", photo, "-o", out, "--prior", tmp_path / "gone.mat"), "gone.mat",
                             "no such")  # fmt: skip
    _fails_with_one_sentence(_poselift("image", photo, "-o", out, "--stages", "0"), "--stages")
    _fails_with_one_sentence(_poselift("image", photo, "-o", out, "--height", "175"), "--height", "metres")
    _fails_with_one_sentence(_poselift("image", photo, "-o", out, "--half", "--device", "cpu"), "--half", "CUDA")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["half.jpg", "noise.png", "prior.npz"]


def test_an_interrupted_run_leaves_no_pose_file_and_no_partial_file(asset, tmp_path):
    photos = []
    for i in range(40):
        photos.append(tmp_path / f"messi{i:02d}.jpg")
        shutil.copy(asset("messi5.jpg"), photos[-1])
    drawn = tmp_path / "drawn"
    command = [sys.executable, "-m", "poselift.core.cli", "image", *map(str, photos), "-o", str(tmp_path / "out.npz"),
               "--overlay", str(drawn), "--model", "lite"]
    # Ctrl-C's default action in the child even when this run was started in the background (which ignores it).
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    while process.poll() is None and not (drawn.is_dir() and any(drawn.glob("*.png"))):
        time.sleep(0.05)  # until the first batch is done and the run is in its loop
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    assert not (tmp_path / "out.npz").exists()
    assert not list(tmp_path.rglob("*.part"))
    for overlay in drawn.iterdir():
        Image.open(overlay).load()  # every overlay there is whole
