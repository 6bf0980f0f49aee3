"""`poselift scan`: who is in a video, for the Blender panel: its tracks (the very tracks `poselift video` reports),
a thumbnail each and a preview, on the rendered test video and the two-person video made of it (conftest); nobody
found or a bad setting is one sentence."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import JOINS
from make_test_video import cached_test_video
from PIL import Image
from video_samples import write_mjpg

from poselift.core.cli.main import main
from poselift.core.cli.scan_command import PREVIEW_SIDE, THUMBNAIL_SIDE, thumbnail
from poselift.core.formats.posefile import read_pose_file

OPTIONS = ("--model", "lite", "--device", "cpu")


def poselift(capfd, *args, progress="quiet") -> tuple[int, str, str]:
    """Run the command line in this process: (exit status, stdout, stderr)."""
    status = main([*map(str, args), *OPTIONS, "--progress", progress])
    out, err = capfd.readouterr()
    return status, out, err


def test_a_scan_lists_the_tracks_poselift_video_reports_with_a_thumbnail_each_and_a_preview(
    two_people, two_motions, capfd, tmp_path
):
    folder = tmp_path / "made" / "scan"
    status, out, err = poselift(capfd, "scan", two_people, "-o", folder, progress="json")
    assert status == 0, err
    events = [json.loads(line) for line in out.splitlines()[:-1]]
    assert events[-1] == {"event": "done", "output": str(folder / "tracks.json")}
    scan = json.loads((folder / "tracks.json").read_text())
    video = read_pose_file(two_motions[0]).metadata
    assert [{"id": t["id"], "frames": t["frames"]} for t in scan["tracks"]] == video["tracks"]  # the panel's contract
    assert {k: v for k, v in scan.items() if k != "tracks"} == {
        "video": str(two_people), "size": [512, 384], "fps": 30.0, "frames": 90, "start_s": 0.0, "end_s": None,
        "model": "blazepose_lite", "preview": "preview.png", "preview_time_s": scan["tracks"][1]["first_s"]}
    first, second = scan["tracks"]
    assert first == {"id": 0, "frames": 90, "seconds": 3.0, "first_s": 0.0, "last_s": pytest.approx(89 / 30, abs=1e-4),
                     "height_px": first["height_px"], "thumbnail": "track_0.png"}  # fmt: skip
    assert second["first_s"] >= JOINS / 30 and second["last_s"] == pytest.approx(89 / 30, abs=1e-4)
    assert second["seconds"] == pytest.approx(second["frames"] / 30, abs=1e-3)
    assert 100 < first["height_px"] < 200 < second["height_px"] < 280, "crouched most of the time; standing"
    assert sorted(p.name for p in folder.iterdir()) == ["preview.png", "track_0.png", "track_1.png", "tracks.json"]
    for name in ("track_0.png", "track_1.png"):
        assert max(Image.open(folder / name).size) <= THUMBNAIL_SIDE
    assert Image.open(folder / "preview.png").size == (512, 384)
    assert out.splitlines()[-1] == f"wrote {folder / 'tracks.json'}: 2 tracks, 0 (90 frames), 1 ({second['frames']} " \
                                   "frames); a thumbnail each and preview.png"


def test_a_range_of_the_test_video_gives_the_tracks_poselift_video_gives(capfd, tmp_path):
    video, _ = cached_test_video(seconds=3.0)
    status, _, err = poselift(capfd, "scan", video, "-o", tmp_path, "--start", "1", "--end", "2")
    assert status == 0, err
    status, _, err = poselift(capfd, "video", video, "-o", tmp_path / "motion.npz", "--start", "1", "--end", "2")
    assert status == 0, err
    scan = json.loads((tmp_path / "tracks.json").read_text())
    assert [{"id": t["id"], "frames": t["frames"]} for t in scan["tracks"]] == read_pose_file(
        tmp_path / "motion.npz").metadata["tracks"] == [{"id": 0, "frames": 30}]
    assert (scan["start_s"], scan["end_s"], scan["tracks"][0]["first_s"]) == (1.0, 2.0, 1.0)


def test_nobody_found_and_every_bad_setting_is_one_sentence_and_writes_nothing(capfd, tmp_path):
    folder = tmp_path / "scan"
    nobody = write_mjpg(tmp_path / "nobody.avi", np.full((10, 576, 768, 3), 128, np.uint8), fps=10.0)
    status, _, err = poselift(capfd, "scan", nobody, "-o", folder)
    assert status == 1 and err == (
        f"{nobody}: no person found in any of its 10 frames, so nothing was written; BlazePose finds people from "
        "about 72 px tall in a 768 x 576 video (looking at tiles of it), so crop the video (or shoot from closer) so "
        "that people fill more of it.\n")
    assert not folder.exists()  # not even the folder is made
    (tmp_path / "file").write_text("")
    video, _ = cached_test_video(seconds=3.0)
    cases = [((video, "-o", tmp_path / "file"), ("file", "is a file")),
             ((video, "-o", folder, "--start", "2", "--end", "1"), ("poselift scan: --end",)),
             ((video, "-o", folder, "--start", "9"), ("--start", "past the video's end")),
             ((tmp_path / "absent.mp4", "-o", folder), ("absent.mp4",))]
    for args, words in cases:
        status, _, err = poselift(capfd, "scan", *args)
        assert status == 1 and err.count("\n") == 1 and all(w in err for w in words), (args, err)
    assert not folder.exists()


def test_a_thumbnail_is_a_square_around_the_person_at_most_256_pixels():
    pixels = np.zeros((1080, 1920, 3), np.uint8)
    points = np.stack([np.linspace(900, 1000, 27), np.linspace(200, 900, 27)], -1)  # 700 px tall, 100 px wide
    pixels[200:901, 900:1001] = 255
    small = thumbnail(pixels, points, np.ones(27))
    assert small.shape == (THUMBNAIL_SIDE, THUMBNAIL_SIDE, 3)
    white = np.flatnonzero((small == 255).all(-1).any(0))
    assert abs((white.min() + white.max()) / 2 - THUMBNAIL_SIDE / 2) < 3, "the person in the middle"
    edge = thumbnail(pixels, points - [880, 0], np.ones(27))  # the person at the frame's left edge: kept inside
    assert edge.shape[0] == THUMBNAIL_SIDE and edge.shape[1] <= THUMBNAIL_SIDE
    assert PREVIEW_SIDE == 1024
