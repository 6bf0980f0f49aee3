"""Lift a pose from a photo, or motion from a video, with the scene's options (settings.py): the worker runs the
core (`poselift image`, `scan` or `video`) and its pose file becomes armatures, or is retargeted onto the active
rig and copies of it. Modal with progress and Esc to cancel; synchronous in background mode. A cancelled or
failed run leaves the scene and the files as they were; what a batch finished before Esc stays.

A look (Find People, Scan) keeps its result in a folder of its own (previews.py), so the panel can show what
was found and a lift with the same settings uses it without running the networks again.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import bpy
from bpy.props import StringProperty

from ..core.formats.files import not_regular
from ..core.formats.posefile import PoseFileError, read_pose_file
from ..rigs.placement import Settling, group_offsets, present, scene_visibility, slot_tracks
from . import armature, conversion, keyframes, previews
from .engine import worker
from .jobs import Job, JobQueue, LiftError
from .pose_import import PoseImportError, import_pose
from .retargeting import RetargetError, retarget_pose
from .scene_state import SceneState, reason, scene_fps, set_timing
from .settings import POSELIFT_settings, settings
from .worker import WorkerError, bpy_path

NO_RIG = "Select an armature to show the lifted pose on, or choose a new armature."


@dataclass(frozen=True)
class LiftOptions:
    """The scene's options as they were when a lift started: a run applies these, whatever changes meanwhile."""

    person: int
    settling: Settling
    retarget: dict
    match_scene: bool
    keep_pose_file: bool
    with_camera: bool

    @classmethod
    def of(cls, s: POSELIFT_settings) -> LiftOptions:
        settling = Settling(in_place=s.in_place, keep_above_floor=s.keep_above_floor, lock_feet=s.lock_feet)
        retarget = {"in_place": s.in_place, "keep_above_floor": s.keep_above_floor, "lock_feet": s.lock_feet}
        return cls(s.person, settling, retarget, s.match_scene, s.keep_pose_file, s.with_camera)


def _source(path: str, what: str) -> Path:
    """The photo or video file `path` names; LiftError with the command line's own sentence when it is missing, a
    folder or not a regular file."""
    if not path:
        raise LiftError(f"Pick a {what} first.")
    source = Path(bpy_path(path))
    problem = not_regular(source, "an image" if what == "photo" else "a video")
    if problem:
        raise LiftError(problem)
    return source


def _network_options(s: POSELIFT_settings) -> list[str]:
    """The 2D networks' options: what `poselift scan` takes."""
    return ["--model", s.model, *(["--device", s.device] if s.device != "auto" else [])]


def _lift_options(s: POSELIFT_settings) -> list[str]:
    """The networks' and the 3D lift's options: what `poselift image` and `video` take."""
    return [*_network_options(s), *(["--height", f"{s.height:g}"] if s.use_height else [])]


def _range_options(s: POSELIFT_settings) -> list[str]:
    return ["--start", f"{s.start:g}", *(["--end", f"{s.end:g}"] if s.end > 0 else [])]


def _rig(context: bpy.types.Context, s: POSELIFT_settings) -> str | None:
    """The name of the rig to retarget onto (target ACTIVE), or None for new armatures."""
    if s.target != "ACTIVE":
        return None
    obj = context.active_object
    if obj is None or obj.type != "ARMATURE":
        raise LiftError(NO_RIG)
    return obj.name


def _in_object_mode(context: bpy.types.Context) -> None:
    if context.mode != "OBJECT":
        raise LiftError("Blender left Object Mode while lifting: nothing was changed; switch back and lift again.")


# Photos ------------------------------------------------------------------------------------------------------


def photo_key(s: POSELIFT_settings, photo: Path) -> str:
    return previews.look_key(photo, s.model, s.device, s.max_people, s.use_height and s.height)


def photo_job(s: POSELIFT_settings, photo: Path, then: Callable[[bpy.types.Context, Path], str]) -> Job:
    """Find the people of `photo` and lift them, keeping the result as the scene's look at it; then `then`."""
    key = photo_key(s, photo)
    folder = previews.partial_folder(key)
    arguments = ["image", str(photo), "-o", str(folder / "pose.npz"), "--overlay", str(folder),
                 "--max-people", str(s.max_people), *_lift_options(s)]  # fmt: skip

    def apply(context: bpy.types.Context, done: dict) -> str:
        final = previews.commit(folder, key)
        look = settings(context)
        look.image_found, look.image_result = key, str(final / "pose.npz")
        look.image_preview = str(next(final.glob("*.png"), ""))
        look.image_people = _people_in_photo(final / "pose.npz")
        return then(context, final / "pose.npz")

    return Job(photo.name, arguments, folder, apply)


def cached_photo(s: POSELIFT_settings, photo: Path) -> Path | None:
    """The pose file of the scene's last look at `photo`, if it was made with today's settings and is still there."""
    result = Path(s.image_result)
    if s.image_found != photo_key(s, photo) or not result.is_file():
        return None
    previews.touch(result.parent)
    return result


def _people_in_photo(posefile: Path) -> int:
    try:
        return read_pose_file(posefile).people
    except PoseFileError as e:
        raise LiftError(str(e)) from None


def found_people(context: bpy.types.Context, posefile: Path) -> str:
    count = settings(context).image_people
    return f"Found {count} {'person' if count == 1 else 'people'}: choose one by the number drawn on the photo."


def show_photo(context: bpy.types.Context, posefile: Path, photo: Path, rig: str | None, options: LiftOptions) -> str:
    """The chosen person of a photo's pose file on a new armature at the cursor, or on the rig `rig`."""
    _in_object_mode(context)
    people = _people_in_photo(posefile)
    if options.person >= people:
        raise LiftError(f"{photo.name}: person {options.person} was not found; the photo has {people} "
                        f"(0 to {people - 1}).")  # fmt: skip
    kept = _keep(posefile, photo) if options.keep_pose_file else None
    try:
        if rig is None:
            obj = import_pose(context, posefile, options.person, name=photo.stem, settling=options.settling,
                              match_scene=False)  # fmt: skip
        else:
            obj = _existing_rig(rig)
            retarget_pose(context, obj, posefile, options.person, match_scene=False, **options.retarget)
    except Exception as e:
        _unkeep(kept)
        raise LiftError(str(e) if isinstance(e, (PoseImportError, RetargetError, LiftError)) else
                        f"{photo.name}: the lift failed and was undone ({reason(e)}).") from e  # fmt: skip
    return f"Lifted person {options.person} of {photo.name} onto {obj.name}{_kept_note(kept)}."


# Videos ------------------------------------------------------------------------------------------------------


def scan_key(s: POSELIFT_settings, video: Path) -> str:
    return previews.look_key(video, s.model, s.device, s.start, s.end)


def scan_job(s: POSELIFT_settings, video: Path) -> Job:
    """A quick look at who is in `video`: the scene's list of tracks, with thumbnails and a preview frame."""
    key = scan_key(s, video)
    folder = previews.partial_folder(key)
    arguments = ["scan", str(video), "-o", str(folder), *_range_options(s), *_network_options(s)]

    def apply(context: bpy.types.Context, done: dict) -> str:
        final = previews.commit(folder, key)
        try:
            found = json.loads((final / "tracks.json").read_text())
            tracks = [(t["id"], t["frames"], t["seconds"], t["first_s"], t["last_s"], t["height_px"], t["thumbnail"])
                      for t in found["tracks"]]  # fmt: skip
            preview = found["preview"]
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise LiftError(f"{final}: the scan's track list cannot be read ({reason(e)}).") from None
        look = settings(context)
        look.tracks.clear()
        for track, frames, seconds, first, last, height, thumbnail in tracks:
            item = look.tracks.add()
            item.track, item.frames, item.seconds = track, frames, seconds
            item.first_s, item.last_s, item.height_px = first, last, height
            item.thumbnail = str(final / thumbnail)
        look.video_scanned, look.video_preview = key, str(final / preview)
        return f"Found {len(tracks)} {'person' if len(tracks) == 1 else 'people'} in {video.name}."

    return Job(video.name, arguments, folder, apply)


def _track_options(s: POSELIFT_settings, video: Path) -> list[str]:
    if s.people == "ALL":
        return ["--track", "all"]
    if s.people != "CHOSEN":
        return []
    if s.video_scanned != scan_key(s, video):
        raise LiftError(f"{video.name}: the people listed were found with other settings (video, range or model): "
                        "press Scan again.")  # fmt: skip
    chosen = [str(t.track) for t in s.tracks if t.chosen]
    if not chosen:
        raise LiftError("Tick at least one person in the list, or choose Everybody.")
    return ["--track", ",".join(chosen)]


def video_job(s: POSELIFT_settings, video: Path, rig: str | None, *, chosen: bool = True) -> Job:
    """Track and lift the people of `video` asked for (with `chosen`, the scene's choice; else the longest
    track, or everybody), then animate them onto new armatures or onto `rig` and copies of it."""
    folder = Path(tempfile.gettempdir()) / f"poselift-{uuid.uuid4().hex}"  # made when the job starts
    posefile = folder / f"{video.stem}.npz"
    people = _track_options(s, video) if chosen or s.people != "CHOSEN" else []
    arguments = ["video", str(video), "-o", str(posefile), *_range_options(s), *people,
                 "--smoothing", f"{s.smoothing:g}", *_lift_options(s)]  # fmt: skip
    if s.use_focal:
        arguments += ["--focal-mm", f"{s.focal_mm:g}"]
    options = LiftOptions.of(s)
    return Job(video.name, arguments, folder, lambda context, done: animate(context, posefile, video, rig, options))


def animate(context: bpy.types.Context, posefile: Path, video: Path, rig: str | None, options: LiftOptions) -> str:
    """Every person of a video's pose file onto a new armature each (named by track, placed about the cursor as
    they stood) or onto `rig` and copies of it (placed about the rig). All or nothing: a failure removes what it
    made and restores the scene."""
    _in_object_mode(context)
    try:
        pose = read_pose_file(posefile)
    except PoseFileError as e:
        raise LiftError(str(e)) from None
    tracks = pose.metadata.get("people") or slot_tracks(pose.track_id)
    _, offsets = group_offsets(pose.joints3d, pose.joint_names)
    before = SceneState.capture(context)
    kept = _keep(posefile, video) if options.keep_pose_file else None
    created: list[bpy.types.Object] = []
    try:
        if options.match_scene:
            set_timing(context.scene, pose)
        if rig is None:
            for p, track in enumerate(tracks):
                name = f"{video.stem}_track{track}" if len(tracks) > 1 else video.stem
                import_pose(context, posefile, p, name=name, settling=options.settling, offset=tuple(offsets[p]),
                            match_scene=False, with_camera=options.with_camera and p == 0, made=created)  # fmt: skip
            armatures = [o for o in created if o.type == "ARMATURE"]
            for obj in context.view_layer.objects:
                obj.select_set(obj in armatures)
            context.view_layer.objects.active = armatures[0]
            names = [o.name for o in armatures]
        else:
            obj = _existing_rig(rig)
            for p in range(1, len(tracks)):
                copies = armature.copy_rig(obj, f"{obj.name}_track{tracks[p]}")
                created += copies
                copies[0].location = obj.location + conversion.vector(offsets[p] - offsets[0])
                retarget_pose(context, copies[0], posefile, p, match_scene=False, hide_when_absent=True,
                              **options.retarget)  # fmt: skip
                _hide_when_absent(context, copies[1:], present(pose.joints3d[:, p]), pose.fps)
            retarget_pose(context, obj, posefile, 0, match_scene=False, **options.retarget)
            names = [obj.name] + [o.name for o in created if o.type == "ARMATURE"]
    except Exception as e:
        armature.remove_made(created)
        before.restore(context)
        _unkeep(kept)
        raise LiftError(str(e) if isinstance(e, (PoseImportError, RetargetError, LiftError)) else
                        f"{video.name}: the animation failed and was undone ({reason(e)}).") from e  # fmt: skip
    who = f"track {tracks[0]}" if len(tracks) == 1 else f"{len(tracks)} people"
    return f"Animated {who} of {video.name} onto {', '.join(names)}{_kept_note(kept)}."


def _hide_when_absent(context: bpy.types.Context, objects: list[bpy.types.Object], shown, fps: float) -> None:
    """Visibility keys on `objects` (a rig copy's children) showing them only on the (F,) `shown` frames."""
    visibility = scene_visibility(shown, fps, scene_fps(context.scene), context.scene.frame_start)
    for obj in objects if visibility else ():
        keyframes.new_action(obj, f"{obj.name}_visibility", [], visibility=visibility)


def _existing_rig(name: str) -> bpy.types.Object:
    obj = bpy.data.objects.get(name)
    if obj is None or obj.type != "ARMATURE":
        raise LiftError(f"The armature {name} is gone; nothing was changed.")
    return obj


def _keep(posefile: Path, source: Path) -> Path:
    """A copy of `posefile` beside the .blend (beside `source` while the .blend is unsaved), under a name not yet
    taken, written atomically."""
    folder = Path(bpy.path.abspath("//")) if bpy.data.filepath else source.parent
    target, n = folder / f"{source.stem}{posefile.suffix}", 1
    while target.exists():
        n += 1
        target = folder / f"{source.stem}_{n}{posefile.suffix}"
    partial = target.with_name(f".{target.name}.partial")
    try:
        shutil.copyfile(posefile, partial)
        os.replace(partial, target)
    except OSError as e:
        partial.unlink(missing_ok=True)
        raise LiftError(f"{target}: the pose file cannot be kept there ({e.strerror or e}).") from None
    return target


def _unkeep(kept: Path | None) -> None:
    if kept is not None:
        kept.unlink(missing_ok=True)


def _kept_note(kept: Path | None) -> str:
    return f"; pose file kept as {kept}" if kept else ""


# Operators ---------------------------------------------------------------------------------------------------


class _QueuedLift:
    """What every lift shares: jobs for the worker, run to the end by `execute` (scripts, background) or modal with
    progress and Esc by `invoke` (a button). One lift runs at a time."""

    bl_options = {"UNDO"}
    keep_going = False  # a batch: a failed job is reported and the rest run
    running: ClassVar[bool] = False  # a modal lift is under way

    _queue: JobQueue | None = None
    _timer = None

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        if _QueuedLift.running:
            cls.poll_message_set("PoseLift is already lifting: wait for it, or press Esc")
            return False
        if context.mode != "OBJECT":
            cls.poll_message_set("Switch to Object Mode to lift a pose")
            return False
        return True

    def jobs(self, context: bpy.types.Context) -> list[Job]:
        """The jobs to run (empty: done already, reported); LiftError before any work."""
        raise NotImplementedError

    def invoke(self, context: bpy.types.Context, event: bpy.types.Event) -> set[str]:
        if not self._prepare(context):
            return {"CANCELLED"}
        if self._queue is None:
            return {"FINISHED"}
        if context.window is None:
            return self._run_to_end(context)
        _QueuedLift.running = True
        self._timer = context.window_manager.event_timer_add(0.1, window=context.window)
        context.window_manager.progress_begin(0, 100)
        context.window_manager.modal_handler_add(self)
        return {"RUNNING_MODAL"}

    def execute(self, context: bpy.types.Context) -> set[str]:
        if not self._prepare(context):
            return {"CANCELLED"}
        return {"FINISHED"} if self._queue is None else self._run_to_end(context)

    def _prepare(self, context: bpy.types.Context) -> bool:
        """The queue of jobs (None when there is nothing to run); False, reported, when the lift cannot start."""
        try:
            jobs = self.jobs(context)
            runner = worker(context, settings(context).model) if jobs else None
        except (LiftError, WorkerError) as e:
            self.report({"ERROR"}, str(e))
            return False
        self._queue = JobQueue(runner.python, runner.environment, jobs, self.keep_going) if runner else None
        return True

    def _run_to_end(self, context: bpy.types.Context) -> set[str]:
        try:
            self._queue.wait(context)  # type: ignore[union-attr]
        except LiftError as e:
            self.report({"ERROR"}, str(e))
            return {"CANCELLED"}
        return self._finish(context)

    def modal(self, context: bpy.types.Context, event: bpy.types.Event) -> set[str]:
        queue = self._queue
        try:
            if event.type == "ESC":
                queue.cancel()  # type: ignore[union-attr]
                self._end(context)
                return self._finish(context, cancelled=True)
            if event.type != "TIMER":
                return {"PASS_THROUGH"}
            queue.step(context)  # type: ignore[union-attr]
            self.progressed(context)
            context.window_manager.progress_update(int(100 * queue.progress))  # type: ignore[union-attr]
            if context.area is not None:
                context.area.header_text_set(f"PoseLift: {queue.status()} (Esc to cancel)")  # type: ignore[union-attr]
            if not queue.finished:  # type: ignore[union-attr]
                return {"RUNNING_MODAL"}
        except LiftError as e:
            self._end(context)
            self.report({"ERROR"}, str(e))
            return {"CANCELLED"}
        except BaseException:
            queue.cancel()  # type: ignore[union-attr]
            self._end(context)
            raise
        self._end(context)
        return self._finish(context)

    def progressed(self, context: bpy.types.Context) -> None:
        """Called after each step of the queue (a batch shows each item's state)."""

    def cancel(self, context: bpy.types.Context) -> None:
        """Blender ends the modal run (a file opened, the window closed): the worker stops, its folder goes."""
        if self._queue is not None:
            self._queue.cancel()
        self._end(context)

    def _finish(self, context: bpy.types.Context, cancelled: bool = False) -> set[str]:
        self.progressed(context)
        done = [job for job in self._queue.done if not job.failed]  # type: ignore[union-attr]
        for job in self._queue.done:  # type: ignore[union-attr]
            self.report({"WARNING"} if job.failed else {"INFO"}, job.outcome)
        if cancelled:
            kept = f"{len(done)} finished and kept" if done else "nothing was changed"
            self.report({"WARNING"}, f"Lifting cancelled; {kept}.")
        return {"FINISHED"} if done else {"CANCELLED"}

    def _end(self, context: bpy.types.Context) -> None:
        _QueuedLift.running = False
        if self._timer is not None:
            context.window_manager.event_timer_remove(self._timer)
            context.window_manager.progress_end()
            if context.area is not None:
                context.area.header_text_set(None)
            self._timer = None


class POSELIFT_OT_find_people(_QueuedLift, bpy.types.Operator):
    """Find the people in the photo and show them, numbered, in the panel"""

    bl_idname = "poselift.find_people"
    bl_label = "Find People"

    def jobs(self, context: bpy.types.Context) -> list[Job]:
        s = settings(context)
        return [photo_job(s, _source(s.image, "photo"), found_people)]


class POSELIFT_OT_lift_image(_QueuedLift, bpy.types.Operator):
    """Lift the chosen person of the photo to 3D, on a new armature or the active rig"""

    bl_idname = "poselift.lift_image"
    bl_label = "Lift Pose from Image"

    filepath: StringProperty(name="Photo", subtype="FILE_PATH", options={"HIDDEN", "SKIP_SAVE"})  # type: ignore[valid-type]

    def jobs(self, context: bpy.types.Context) -> list[Job]:
        s = settings(context)
        if self.filepath:
            s.image = self.filepath
        photo = _source(s.image, "photo")
        rig, options = _rig(context, s), LiftOptions.of(s)
        cached = cached_photo(s, photo)
        if cached is not None:
            self.report({"INFO"}, show_photo(context, cached, photo, rig, options))
            return []
        return [photo_job(s, photo, lambda c, posefile: show_photo(c, posefile, photo, rig, options))]


class POSELIFT_OT_scan_video(_QueuedLift, bpy.types.Operator):
    """List the people in the video (their tracks, how long each is seen) with a preview, to choose whom to
    animate"""

    bl_idname = "poselift.scan_video"
    bl_label = "Scan"

    def jobs(self, context: bpy.types.Context) -> list[Job]:
        s = settings(context)
        return [scan_job(s, _source(s.video, "video"))]


class POSELIFT_OT_lift_video(_QueuedLift, bpy.types.Operator):
    """Track the people of the video, lift their motion to 3D and animate new armatures or the active rig"""

    bl_idname = "poselift.lift_video"
    bl_label = "Animate from Video"

    filepath: StringProperty(name="Video", subtype="FILE_PATH", options={"HIDDEN", "SKIP_SAVE"})  # type: ignore[valid-type]

    def jobs(self, context: bpy.types.Context) -> list[Job]:
        s = settings(context)
        if self.filepath:
            s.video = self.filepath
        return [video_job(s, _source(s.video, "video"), _rig(context, s))]


classes = (POSELIFT_OT_find_people, POSELIFT_OT_lift_image, POSELIFT_OT_scan_video, POSELIFT_OT_lift_video)
register, unregister = bpy.utils.register_classes_factory(classes)
