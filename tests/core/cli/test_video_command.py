"""`poselift video`: a video to people's motions in a pose file (and BVH), with the real networks and the 3D
model, on the rendered test video and on videos made from its frames (one person, or two: conftest.two_people);
every bad video one sentence, exit 1, nothing written; an interrupted run leaves no file."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import av
import cv2
import numpy as np
import pytest
from conftest import JOINS
from make_test_video import cached_test_video
from video_samples import bad_videos, write_h264, write_mjpg

from poselift.core import skeleton
from poselift.core.cli.main import main
from poselift.core.formats.bvh import read_bvh
from poselift.core.formats.lens import QUICKTIME_KEY
from poselift.core.formats.posefile import read_pose_file
from poselift.core.lift.metrics import pa_mpjpe
from poselift.core.video.video_io import VideoFrames, probe_video

H36M = [skeleton.POSELIFT.index(name) for name in skeleton.H36M_17.joints]


@pytest.fixture(scope="module")
def clip():
    """(video path, ground truth PoseSequence, frames (90, 384, 512, 3) uint8 RGB) of the 3-second test video."""
    video, truth = cached_test_video(seconds=3.0)
    frames = np.concatenate([batch.pixels for batch in VideoFrames(probe_video(video))])
    return video, read_pose_file(truth), frames


def poselift(capfd, *args) -> tuple[int, str, str]:
    """Run the command line in this process: (exit status, stdout, stderr as the terminal would show them)."""
    status = main(["video", *map(str, args), "--model", "lite", "--device", "cpu", "--progress", "quiet"])
    out, err = capfd.readouterr()
    return status, out, err


def test_the_test_video_becomes_one_tracked_persons_motion_in_a_pose_file_and_a_bvh(clip, capfd, tmp_path):
    video, truth, _ = clip
    status, out, err = poselift(capfd, video, "-o", tmp_path / "motion.npz", "--bvh", tmp_path / "motion.bvh")
    assert status == 0, err
    assert "track 0, 90 of 90 frames at 30 fps" in out
    pose = read_pose_file(tmp_path / "motion.npz")
    assert (pose.frames, pose.people, pose.fps, pose.image_size) == (90, 1, 30.0, (512, 384))
    assert pose.source == "test_video.mp4" and pose.joint_names == skeleton.POSELIFT.joints
    assert np.all(pose.track_id == 0) and np.isfinite(pose.joints3d).all() and np.isfinite(pose.root).all()
    meta = pose.metadata
    assert meta["tracks"] == [{"id": 0, "frames": 90}] and meta["nobody"] == [] and meta["missing"] == []
    np.testing.assert_allclose(meta["frame_times_s"], np.arange(90) / 30, atol=1e-3)
    assert meta["frame_index"] == list(range(90)) and not meta["video"]["variable_frame_rate"]
    # 2D: the landmarks fused in the 3D loop, near the rig's joints (BlazePose's landmarks are not joint centres).
    error = np.linalg.norm(pose.joints2d[:, 0] - truth.joints2d[:, 0], axis=-1)[:, H36M]
    assert error.mean() < 10.0 and error.mean(axis=1).max() < 20.0, (error.mean(), error.mean(axis=1).max())
    # 3D: metres, Z up, on the floor, and the pose the body played (the lifting's accuracy is bench/video's).
    joints = pose.joints3d[:, 0]
    names = skeleton.POSELIFT.joints
    assert np.all(joints[:, names.index("head_top"), 2] > joints[:, names.index("pelvis"), 2] + 0.1)  # a crouch
    assert abs(np.median(np.nanmin(joints[:, :, 2], axis=1))) < 0.1  # the lowest joint at the floor
    assert pa_mpjpe(joints[:, H36M], truth.joints3d[:, 0, H36M]) < 0.1  # metres; 61 mm when written
    bvh = read_bvh(tmp_path / "motion.bvh")
    assert bvh.frames == 90 and bvh.frame_time == pytest.approx(1 / 30)


def test_a_range_in_seconds_is_read_and_a_track_that_is_not_there_is_one_sentence(clip, capfd, tmp_path):
    video, _, _ = clip
    status, _, err = poselift(capfd, video, "-o", tmp_path / "part.npz", "--start", "2.8", "--track", "3")
    assert status == 1 and err == f"{video}: there is no track 3; its tracks are 0 (6 frames).\n"
    status, _, err = poselift(capfd, video, "-o", tmp_path / "part.npz", "--start", "2.5", "--end", "2.75")
    assert status == 0, err
    pose = read_pose_file(tmp_path / "part.npz")
    assert pose.frames == 8 and pose.metadata["frame_index"] == list(range(75, 83))
    assert pose.metadata["video"]["start_s"] == 2.5 and pose.metadata["track"] == 0


def test_several_tracks_become_a_person_slot_each_where_they_stood(two_motions):
    out, bvh, printed = two_motions
    pose = read_pose_file(out)
    assert (pose.frames, pose.people) == (90, 2)
    meta = pose.metadata
    assert meta["people"] == [0, 1] and meta["track"] == 0 and meta["smoothing"] == 1.0
    late = meta["tracks"][1]["frames"]  # the person on the right comes into view after frame JOINS
    assert meta["tracks"] == [{"id": 0, "frames": 90}, {"id": 1, "frames": late}] and late <= 90 - JOINS
    assert np.all(pose.track_id[:, 0] == 0) and np.all(pose.track_id[: 90 - late, 1] == -1)
    assert np.all(pose.track_id[90 - late :, 1] == 1)
    assert [p["track"] for p in meta["by_person"]] == [0, 1]
    assert meta["by_person"][0] == {"track": 0, "missing": meta["missing"], "filled": meta["filled"],
                                    "contacts": meta["contacts"]}  # fmt: skip
    assert meta["by_person"][1]["missing"] == [[0, 89 - late]] and set(meta["by_person"][1]["contacts"]) == {
        "left", "right"}
    # One camera: the person on the right stands about a metre and a half (256 px at 4.5 m) right of the other.
    apart = np.nanmedian(pose.root[:, 1, 0] - pose.root[:, 0, 0])
    assert 1.0 < apart < 2.5, apart
    for track in (0, 1):
        assert read_bvh(bvh.with_name(f"motion_track{track}.bvh")).frames == 90
    assert not bvh.exists()
    assert printed.splitlines()[-1] == (f"wrote {out} and {bvh.with_name('motion_track0.bvh')}, "
                                        f"{bvh.with_name('motion_track1.bvh')}: tracks 0 (90 of 90 frames), "
                                        f"1 ({late} of 90 frames) at 30 fps")  # fmt: skip


def test_tracks_named_in_a_list_take_their_slots_in_that_order_each_made_as_alone(
    two_people, two_motions, capfd, tmp_path
):
    every = read_pose_file(two_motions[0])
    status, out, err = poselift(capfd, two_people, "-o", tmp_path / "swapped.npz", "--track", "1,0")
    assert status == 0, err
    swapped = read_pose_file(tmp_path / "swapped.npz")
    assert swapped.metadata["people"] == [1, 0] and swapped.metadata["track"] == 1
    for field in ("joints3d", "joints2d", "confidence", "track_id", "root"):
        np.testing.assert_array_equal(getattr(swapped, field), getattr(every, field)[:, ::-1], err_msg=field)
    assert swapped.metadata["missing"] == every.metadata["by_person"][1]["missing"]
    assert "tracks 1 (" in out.splitlines()[-1] and "), 0 (90 of 90 frames) at 30 fps" in out
    status, _, err = poselift(capfd, two_people, "-o", tmp_path / "none.npz", "--track", "0,7,9", "--start", "2.5")
    assert status == 1 and err == f"{two_people}: there is no track 7 or 9; its tracks are 0 (15 frames).\n"
    assert not (tmp_path / "none.npz").exists()


def test_the_smoothing_strength_is_asked_for_and_recorded(clip, capfd, tmp_path):
    video, _, _ = clip
    motion = {}
    for strength in ("1", "0", "6"):
        status, _, err = poselift(capfd, video, "-o", tmp_path / f"s{strength}.npz", "--end", "1", "--smoothing",
                                  strength)  # fmt: skip
        assert status == 0, err
        motion[strength] = read_pose_file(tmp_path / f"s{strength}.npz")
        assert motion[strength].metadata["smoothing"] == float(strength)

    def jitter(pose):  # metres per frame^2: the mean change of each joint's velocity, the pelvis held still
        relative = pose.joints3d[:, 0] - pose.root[:, 0, None]
        return np.linalg.norm(np.diff(relative, 2, axis=0), axis=-1).mean()

    assert jitter(motion["0"]) > jitter(motion["1"]) > jitter(motion["6"])


def test_a_focal_length_in_mm_is_the_35mm_equivalent_on_the_videos_long_side(clip, capfd, tmp_path):
    video, _, _ = clip
    status, _, err = poselift(capfd, video, "-o", tmp_path / "wide.npz", "--end", "0.5", "--focal-mm", "24")
    assert status == 0, err
    assert read_pose_file(tmp_path / "wide.npz").metadata["focal_px"] == pytest.approx(24 / 36 * 512)


def test_a_variable_frame_rate_video_is_resampled_to_even_frames_at_its_own_speed(clip, capfd, tmp_path):
    _, truth, frames = clip
    source = [0, 1, 2, 4, 6, 7, 8, 10]  # frames of the 30 fps test video, kept at their own times: stretches at 15 fps
    video = write_h264(tmp_path / "vfr.mp4", frames[source], [round(f * 1000 / 30) for f in source])
    status, _, err = poselift(capfd, video, "-o", tmp_path / "vfr.npz")
    assert status == 0, err
    pose = read_pose_file(tmp_path / "vfr.npz")
    fps = probe_video(video).fps
    assert pose.metadata["video"]["variable_frame_rate"] and pose.fps == pytest.approx(fps)
    times = np.array(pose.metadata["frame_times_s"])
    np.testing.assert_allclose(np.diff(times), 1 / fps, atol=1e-4)  # evenly spaced
    assert times[-1] == pytest.approx(10 / 30, abs=0.5 / fps) and np.all(pose.track_id == 0)
    # Each frame is the pose the body had at its time (the truth interpolated there), as near as the lifting gets.
    exact = truth.joints3d[:11, 0][:, H36M]
    at_times = np.stack([[np.interp(t * 30, np.arange(11), exact[:, j, k]) for j in range(len(H36M)) for k in range(3)]
                         for t in times]).reshape(len(times), len(H36M), 3)  # fmt: skip
    assert pa_mpjpe(pose.joints3d[:, 0][:, H36M], at_times) < 0.1  # metres


def test_a_4k_video_gives_joints_in_its_own_pixels(clip, capfd, tmp_path):
    _, truth, frames = clip
    factor = 2160 / 384
    big = np.zeros((3, 2160, 3840, 3), np.uint8)
    for i in range(3):
        big[i, :, 480:3360] = cv2.resize(frames[i], (2880, 2160), interpolation=cv2.INTER_LINEAR)
    status, _, err = poselift(capfd, write_mjpg(tmp_path / "4k.avi", big), "-o", tmp_path / "4k.npz")
    assert status == 0, err
    pose = read_pose_file(tmp_path / "4k.npz")
    assert pose.image_size == (3840, 2160) and pose.frames == 3
    expected = (truth.joints2d[:3, 0] + 0.5) * factor - 0.5 + [480, 0]
    error = np.linalg.norm(pose.joints2d[:, 0] - expected, axis=-1)[:, H36M]
    assert error.mean() < 10.0 * factor, error.mean()  # the 512-px bound, in 4K pixels


def test_a_video_cut_short_gives_the_frames_it_holds_and_says_so(clip, capfd, tmp_path):
    _, _, frames = clip
    whole = write_h264(tmp_path / "whole.mp4", frames[:16], [round(i * 1000 / 30) for i in range(16)], faststart=True)
    data = whole.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) * 3 // 4])
    status, _, err = poselift(capfd, cut, "-o", tmp_path / "cut.npz")
    assert status == 0, err
    pose = read_pose_file(tmp_path / "cut.npz")
    assert 3 <= pose.frames < 16 and pose.metadata["video"]["truncated"]
    assert err == (f"{cut}: the file ends early (damaged or truncated): read {pose.frames} of the 16 frames "
                   "its header promises.\n")


def test_every_bad_video_or_setting_is_one_sentence_and_writes_nothing(clip, capfd, tmp_path):
    video, _, frames = clip
    broken = bad_videos(tmp_path, video, frames)
    write_mjpg(tmp_path / "nobody.avi", np.broadcast_to(frames[0, :1, :1], (10, 384, 512, 3)))
    out = tmp_path / "out" / "poses.npz"
    out.parent.mkdir()
    cases = [
        *(((path, "-o", out), words) for path, words in broken.values()),
        ((tmp_path / "nobody.avi", "-o", out), ("nobody.avi", "no person found in any of its 10 frames")),
        ((video, "-o", tmp_path / "out" / "poses.txt"), ("poses.txt", ".npz")),
        ((video, "-o", out, "--bvh", tmp_path / "no" / "m.bvh"), ("m.bvh", "does not exist")),
        ((video, "-o", out, "--bvh", tmp_path / "out"), ("out", "is a folder")),
        ((video, "-o", out, "--start", "2", "--end", "1"), ("--end",)),
        ((video, "-o", out, "--start", "5"), ("--start", "past the video's end")),
        ((video, "-o", out, "--height", "17"), ("--height", "metres")),
        ((video, "-o", out, "--smoothing", "11"), ("--smoothing", "between 0 (none) and 10")),
        ((video, "-o", out, "--smoothing", "-0.5"), ("--smoothing",)),
        ((video, "-o", out, "--focal-mm", "0"), ("--focal-mm", "millimetres")),
    ]
    for args, words in cases:
        status, _, err = poselift(capfd, *args)
        assert status == 1 and err.count("\n") == 1 and "Traceback" not in err, (args, err)
        assert all(word in err for word in words), (args, err)
    assert list((tmp_path / "out").iterdir()) == []
    with pytest.raises(SystemExit) as usage:  # argparse's own usage error: status 2
        poselift(capfd, video, "-o", out, "--track", "first")
    err = capfd.readouterr().err
    assert usage.value.code == 2 and "--track: expected a track id, ids separated by commas, or all" in err


def test_walkers_too_small_for_the_whole_picture_are_found_at_its_tiles(asset, capfd, tmp_path):
    """vtest.avi's walkers are 60 to 90 px tall, under the 192 px the whole 768 x 576 picture finds: where it
    shows nobody, the tracker looks at its tiles too at every detection, without --small-people."""
    status, _, err = poselift(capfd, asset("vtest.avi"), "-o", tmp_path / "walk.npz", "--end", "1", "--track", "all")
    assert status == 0, err
    assert read_pose_file(tmp_path / "walk.npz").people >= 3


def test_an_interrupted_run_leaves_no_pose_file_and_no_partial_file(clip, tmp_path):
    video, _, _ = clip
    command = [sys.executable, "-m", "poselift.core.cli", "video", str(video), "-o", str(tmp_path / "motion.npz"),
               "--bvh", str(tmp_path / "motion.bvh"), "--model", "lite", "--progress", "json"]
    # Ctrl-C's default action in the child even when this run was started in the background (which ignores it).
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    first = json.loads(process.stdout.readline())  # the networks are loaded: the run is in its loop
    assert first["event"] == "progress" and first["done"] == 0 and first["total"] == 90
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert stderr == "poselift: interrupted; no partial file was written.\n"
    assert list(tmp_path.iterdir()) == []


def test_a_videos_own_focal_length_is_used_unless_one_is_asked_for(clip, capfd, tmp_path):
    _, _, frames = clip
    plain = write_h264(tmp_path / "plain.mp4", frames[:8], [round(i * 1000 / 30) for i in range(8)])
    tagged = tmp_path / "iphone.mp4"  # the same frames, Apple's focal length key in its metadata as FFmpeg writes it
    with av.open(str(plain)) as source, av.open(str(tagged), "w", options={"movflags": "use_metadata_tags"}) as out:
        out.metadata[QUICKTIME_KEY] = "26"
        stream = out.add_stream_from_template(source.streams.video[0])
        for packet in source.demux(source.streams.video[0]):
            if packet.dts is not None:  # not the demuxer's closing empty packet
                packet.stream = stream
                out.mux(packet)
    cases = [((tagged,), 26 / 36 * 512, f"QuickTime {QUICKTIME_KEY}: 26 mm"),
             ((tagged, "--focal-px", "600"), 600.0, "--focal-px"),
             ((plain,), None, "default: 50 mm full-frame equivalent")]  # fmt: skip
    for args, focal_px, source in cases:
        status, _, err = poselift(capfd, *args, "-o", tmp_path / "motion.npz")
        assert status == 0, err
        meta = read_pose_file(tmp_path / "motion.npz").metadata
        assert (meta["focal_px"], meta["focal_source"]) == (pytest.approx(focal_px), source), args


def test_a_street_filmed_from_above_keeps_its_walkers_on_the_floor(asset, tmp_path):
    """opencv-doc's vtest.avi: a still camera a floor up looks down at a street. Through a level camera the
    person walking away rose into the air; through the camera found, the longest track walks on one floor. The
    default model (full): lite's tracks of these small people switch identity."""
    assert main(["video", str(asset("vtest.avi")), "-o", str(tmp_path / "street.npz"), "--progress", "quiet"]) == 0
    pose = read_pose_file(tmp_path / "street.npz")
    camera = pose.metadata["camera"]
    assert 5.0 < camera["pitch_deg"] < 30.0 and camera["height_m"] > 2.0, camera
    parts = ("ankle", "heel", "toe")
    feet = [skeleton.POSELIFT.index(f"{side}_{part}") for side in ("left", "right") for part in parts]
    heights = pose.joints3d[:, 0, feet, 2]
    seen = np.isfinite(heights).any(axis=1)
    lowest = np.nanmin(heights[seen], axis=1)
    assert seen.sum() > 100 and np.abs(lowest).max() < 0.10, "within 10 cm of the floor over the whole track"


def test_every_small_walker_in_the_street_stays_on_the_floor(asset, tmp_path):
    """vtest.avi's first 12 s with --small-people, every track: where a walker's region slides onto a nearer one
    for a few frames, or a track's first frames are placed apart from the rest, the 2D's size says nearer, and
    through a camera looking down that was up to 1.8 m in the air (3 of the tracks, 15 frames)."""
    assert main(["video", str(asset("vtest.avi")), "-o", str(tmp_path / "street.npz"), "--end", "12",
                 "--small-people", "--track", "all", "--progress", "quiet"]) == 0  # fmt: skip
    pose = read_pose_file(tmp_path / "street.npz")
    parts = ("ankle", "heel", "toe")
    feet = [skeleton.POSELIFT.index(f"{side}_{part}") for side in ("left", "right") for part in parts]
    heights = pose.joints3d[..., feet, 2]  # (F, P, 6)
    seen = np.isfinite(heights).any(axis=-1)
    lowest = np.nanmin(heights[seen], axis=-1)
    assert pose.people >= 5 and seen.sum() > 250 and np.abs(lowest).max() < 0.10
