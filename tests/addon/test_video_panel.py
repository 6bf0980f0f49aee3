"""Animate from video as an animator uses it: a scan lists the people (the same track ids the lift uses), the
chosen or all of them become armatures placed as they stood, keyed only where they were seen, the scene's
timing changes only when asked, and a batch keeps what finished when it is cancelled or an item fails."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import rig_builders
from make_test_video import cached_test_video
from scene_checks import scene_snapshot
from video_samples import two_people_video

from poselift.core.formats.posefile import read_pose_file


@pytest.fixture(scope="module")
def two_people(tmp_path_factory) -> Path:
    """Two seconds of two people side by side; the one on the right enters at frame 20."""
    video, _ = cached_test_video(seconds=3.0)
    capture = cv2.VideoCapture(str(video))
    frames = []
    while len(frames) < 60:
        ok, frame = capture.read()
        assert ok
        frames.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
    return two_people_video(tmp_path_factory.mktemp("two") / "two_people.avi", np.array(frames))


def _pose_keys(keyframes, obj) -> list[float]:
    """The frames keyed on the armature's bones (every bone curve keys the same frames)."""
    frames = {tuple(keyframes.keys(f)[:, 0]) for f in keyframes.object_fcurves(obj) if f.data_path.startswith("pose")}
    frames.discard((1.0,))  # a constant channel: one held key
    assert len(frames) == 1, "every moving channel keys the same frames"
    return [float(f) for f in frames.pop()]


def test_a_scan_lists_the_tracks_the_lift_uses_with_thumbnails_and_a_preview(blender, scene, two_people, tmp_path):
    bpy = blender.bpy
    settings = scene.poselift
    settings.video, settings.use_height = str(two_people), True  # a lift option the scan does not take
    before = scene_snapshot(bpy)
    assert bpy.ops.poselift.scan_video() == {"FINISHED"}
    assert scene_snapshot(bpy) == before, "a scan changes nothing in the scene"
    tracks = {t.track: t for t in settings.tracks}
    assert len(tracks) == 2
    for t in tracks.values():
        assert Path(t.thumbnail).is_file() and t.seconds > 0.5 and 0 <= t.first_s < t.last_s
    assert min(t.first_s for t in tracks.values()) < 0.2 < max(t.first_s for t in tracks.values())
    assert Path(settings.video_preview).is_file()
    # The lift's own track list (its pose file's metadata) has the same ids and lengths.
    settings.people, settings.keep_pose_file = "ALL", True
    bpy.ops.wm.save_as_mainfile(filepath=str(tmp_path / "scan.blend"))
    assert bpy.ops.poselift.lift_video() == {"FINISHED"}
    kept = read_pose_file(tmp_path / "two_people.npz")  # beside the .blend
    assert {t["id"]: t["frames"] for t in kept.metadata["tracks"]} == {i: t.frames for i, t in tracks.items()}


def test_everybody_makes_one_armature_per_person_keyed_only_where_they_were_seen(blender, scene, two_people, tmp_path):
    bpy = blender.bpy
    keyframes = blender.module("addon.keyframes")
    settings = scene.poselift
    settings.video, settings.people, settings.keep_pose_file = str(two_people), "ALL", True
    scene.cursor.location = (3.0, -2.0, 0.0)
    bpy.ops.wm.save_as_mainfile(filepath=str(tmp_path / "all.blend"))
    assert bpy.ops.poselift.lift_video() == {"FINISHED"}
    pose = read_pose_file(tmp_path / "two_people.npz")
    armatures = sorted((o for o in scene.objects if o.type == "ARMATURE"), key=lambda o: o.name)
    ids = [int(ids[ids >= 0][0]) for ids in pose.track_id.T]
    assert [o.name for o in armatures] == sorted(f"two_people_track{i}" for i in ids)
    assert (scene.frame_start, scene.frame_end) == (1, pose.frames), "an empty scene takes the video's timing"
    for p, track in enumerate(ids):
        obj = bpy.data.objects[f"two_people_track{track}"]
        seen = 1 + np.flatnonzero(np.isfinite(pose.joints3d[:, p]).all(axis=-1).any(axis=-1))
        assert _pose_keys(keyframes, obj) == seen.tolist()
        scene.frame_set(int(seen[0]) - 1 if seen[0] > 1 else int(seen[-1]) + 1)
        if seen[0] > 1 or seen[-1] < pose.frames:
            assert obj.hide_viewport, "no frozen pose outside the person's frames"
    left, right = (bpy.data.objects[f"two_people_track{i}"] for i in ids)
    centre = (np.array(left.location) + np.array(right.location)) / 2
    np.testing.assert_allclose(centre, (3.0, -2.0, 0.0), atol=1e-6)
    assert abs(right.location.x - left.location.x) > 1.0, "placed as they stood, side by side"
    assert np.linalg.norm(np.array(left.location) - (3.0, -2.0, 0.0)) < 5.0, "not metres away at the camera's depth"


def test_a_video_lift_leaves_an_animated_scenes_timing_alone(blender, scene, two_people):
    bpy = blender.bpy
    bpy.ops.mesh.primitive_cube_add()
    bpy.context.active_object.keyframe_insert("location", frame=1)
    scene.render.fps, scene.frame_start, scene.frame_end = 24, 101, 400
    scene.poselift.video = str(two_people)
    assert bpy.ops.poselift.lift_video() == {"FINISHED"}
    assert (scene.render.fps, scene.render.fps_base, scene.frame_start, scene.frame_end) == (24, 1.0, 101, 400)
    keyframes = blender.module("addon.keyframes")
    keys = _pose_keys(keyframes, bpy.context.view_layer.objects.active)
    assert keys[0] == 101, "the video starts at frame_start"
    np.testing.assert_allclose(np.diff(keys), 24 / 30, atol=1e-4, err_msg="30 fps at its own speed in 24 fps")


def test_everybody_onto_the_active_rig_makes_a_hidden_when_absent_copy_per_further_person(
    blender, scene, two_people, asset
):
    bpy = blender.bpy
    rig = rig_builders.mpfb_rig(bpy, asset(rig_builders.MPFB_RIGS["mixamo"]), "hero")
    settings = scene.poselift
    settings.video, settings.people, settings.target = str(two_people), "ALL", "ACTIVE"
    assert bpy.ops.poselift.lift_video() == {"FINISHED"}
    copies = [o for o in scene.objects if o.type == "ARMATURE" and o != rig]
    assert len(copies) == 1 and copies[0].name.startswith("hero_track") and copies[0].data == rig.data
    copy = copies[0]
    assert rig.animation_data.action is not None and copy.animation_data.action != rig.animation_data.action
    assert abs(copy.location.x - rig.location.x) > 1.0, "the second person stands beside the first"
    scene.frame_set(1)
    assert copy.hide_viewport and not rig.hide_viewport, "the second person enters later: their copy is hidden"
    scene.frame_set(scene.frame_end - 10)
    assert not copy.hide_viewport


def test_a_failure_while_animating_everybody_removes_what_was_made_and_restores_the_scene(
    blender, scene, two_people, monkeypatch
):
    bpy = blender.bpy
    lift = blender.module("addon.lift")
    made = []

    def import_then_fail(*args, **kwargs):
        if made:
            raise OSError(28, "No space left on device")
        made.append(lift.import_pose.__wrapped__(*args, **kwargs))
        return made[-1]

    import_then_fail.__wrapped__ = lift.import_pose
    monkeypatch.setattr(lift, "import_pose", import_then_fail)
    settings = scene.poselift
    settings.video, settings.people = str(two_people), "ALL"
    before = scene_snapshot(bpy)
    with pytest.raises(RuntimeError, match="No space left on device"):
        bpy.ops.poselift.lift_video()
    assert made, "the first person was made before the failure"
    assert scene_snapshot(bpy) == before


def test_chosen_people_need_a_scan_with_the_same_settings(blender, scene, two_people):
    bpy = blender.bpy
    settings = scene.poselift
    settings.video, settings.people = str(two_people), "CHOSEN"
    before = scene_snapshot(bpy)
    with pytest.raises(RuntimeError, match="Scan again"):
        bpy.ops.poselift.lift_video()
    assert scene_snapshot(bpy) == before


def test_a_cancelled_batch_keeps_what_finished_and_changes_nothing_else(blender, scene, two_people, tmp_path):
    bpy = blender.bpy
    jobs, lift = blender.module("addon.jobs"), blender.module("addon.lift")
    engine = blender.module("addon.engine")
    settings = scene.poselift
    video, _ = cached_test_video(seconds=3.0)
    runner = engine.worker(bpy.context, settings.model)
    queue = jobs.JobQueue(runner.python, runner.environment,
                          [lift.video_job(settings, two_people, None), lift.video_job(settings, video, None)],
                          keep_going=True)  # fmt: skip
    folders = [job.folder for job in queue.jobs]
    while not queue.done:
        queue.step(bpy.context)
        if queue.run is not None:
            queue.run.process.wait()
    queue.step(bpy.context)  # the second video's worker starts
    assert queue.run is not None and not queue.run.finished
    queue.cancel()
    assert queue.finished and not queue.jobs[0].failed
    assert [o.name for o in scene.objects] == ["two_people", "two_people_camera"], "the first video stays (with its "\
        "camera), the second never came"
    assert not any(folder.exists() for folder in folders), "no worker file is left behind"
    assert queue.run.process.returncode is not None, "the second worker was stopped"


def test_a_batch_reports_a_broken_video_and_animates_the_others(blender, scene, two_people, tmp_path):
    bpy = blender.bpy
    settings = scene.poselift
    broken = tmp_path / "broken.mp4"
    broken.write_text("not a video\n" * 50)
    for video in (two_people, broken):
        item = settings.batch.add()
        item.video = str(video)
    assert bpy.ops.poselift.batch_run() == {"FINISHED"}
    assert settings.batch[0].status == "done"
    assert settings.batch[1].status.startswith("failed: ") and str(broken) in settings.batch[1].status
    assert [o.name for o in scene.objects if o.type == "ARMATURE"] == ["two_people"]
