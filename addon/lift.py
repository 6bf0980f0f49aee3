"""Lift a pose from an image, or a motion from a video: the worker runs the core (`poselift image` or `poselift
video`), then the pose file becomes an armature (or is retargeted onto the active armature), animated over the
video's frames. Modal with progress and Esc to cancel; synchronous in background mode. A cancelled or failed
run leaves the scene as it was: the worker writes its pose file atomically into a temporary folder that is
removed either way, and the import is undone whole on failure."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import bpy
from bpy.props import EnumProperty, FloatProperty, IntProperty, StringProperty
from bpy_extras.io_utils import ImportHelper

from .engine import worker
from .pose_import import PoseImportError, import_pose
from .preferences import preferences
from .retargeting import RetargetError, retarget_pose
from .worker import WorkerError, WorkerRun, bpy_path

TARGETS = [
    ("NEW", "New armature", "Make a new armature in the lifted pose"),
    ("ACTIVE", "Active armature", "Pose the active armature (retargeted)"),
]
IMAGES = "*.jpg;*.jpeg;*.png;*.bmp;*.tif;*.tiff;*.webp"
VIDEOS = "*.mp4;*.m4v;*.mov;*.avi;*.mkv;*.webm;*.mpg;*.mpeg;*.wmv"


class _WorkerLift(ImportHelper):
    """What both lifts share: the worker run, its progress and cancel, the import of its pose file."""

    bl_options = {"REGISTER", "UNDO"}

    target: EnumProperty(name="Show on", items=TARGETS, default="NEW")  # type: ignore[valid-type]

    _run: WorkerRun | None = None
    _folder: str = ""
    _timer = None
    _armature: str = ""  # the armature to retarget onto ("ACTIVE"), chosen when the run starts
    command = ""  # the core's command ("image" or "video")
    person = 0  # the pose file's person slot to show

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        if context.mode != "OBJECT":
            cls.poll_message_set("Switch to Object Mode to lift a pose")
            return False
        return True

    def command_options(self) -> list[str]:
        """The command's own options, after the input and the output."""
        return []

    def execute(self, context: bpy.types.Context) -> set[str]:
        try:
            self._start(context)
        except (WorkerError, RetargetError) as e:
            self.report({"ERROR"}, str(e))
            return {"CANCELLED"}
        if bpy.app.background or context.window is None:
            return self._finish(context, self._run.wait)  # type: ignore[union-attr]
        self._timer = context.window_manager.event_timer_add(0.1, window=context.window)
        context.window_manager.progress_begin(0, 100)
        context.window_manager.modal_handler_add(self)
        return {"RUNNING_MODAL"}

    def modal(self, context: bpy.types.Context, event: bpy.types.Event) -> set[str]:
        run = self._run
        if event.type == "ESC":
            self.cancel(context)
            self.report({"WARNING"}, "Lifting cancelled; nothing was changed.")
            return {"CANCELLED"}
        if event.type != "TIMER":
            return {"PASS_THROUGH"}
        for e in run.poll():  # type: ignore[union-attr]
            if e.get("event") == "progress" and e.get("total"):
                context.window_manager.progress_update(int(100 * e["done"] / e["total"]))
            if e.get("event") == "progress" and context.area is not None:
                context.area.header_text_set(f"PoseLift: {e.get('message') or 'lifting'} (Esc to cancel)")
        if not run.finished:  # type: ignore[union-attr]
            return {"RUNNING_MODAL"}
        return self._finish(context, run.output)  # type: ignore[union-attr]

    def cancel(self, context: bpy.types.Context) -> None:
        """Esc, or Blender ending the modal run (a file opened, the window closed): the worker stops, its folder
        goes."""
        if self._run is not None:
            self._run.cancel()
        self._end(context)

    def _start(self, context: bpy.types.Context) -> None:
        if self.target == "ACTIVE":
            obj = context.active_object
            if obj is None or obj.type != "ARMATURE":
                raise RetargetError("Select an armature to show the lifted pose on, or choose a new armature.")
            self._armature = obj.name
        prefs = preferences(context)
        model, device = (prefs.model, prefs.device) if prefs else ("full", "auto")
        runner = worker(context, model)
        source = Path(bpy_path(self.filepath))
        self._folder = tempfile.mkdtemp(prefix="poselift-")
        out = Path(self._folder) / f"{source.stem}.npz"
        arguments = [self.command, str(source), "-o", str(out), "--model", model, *self.command_options()]
        if device != "auto":
            arguments += ["--device", device]
        try:
            self._run = WorkerRun.start(runner.python, arguments, environment=runner.environment)
        except WorkerError:
            shutil.rmtree(self._folder, ignore_errors=True)
            raise

    def _finish(self, context: bpy.types.Context, result) -> set[str]:
        try:
            posefile = result()
            if self.target == "ACTIVE":
                obj = bpy.data.objects.get(self._armature)
                if obj is None or obj.type != "ARMATURE":
                    raise RetargetError(f"The armature {self._armature} is gone; nothing was changed.")
                retarget_pose(context, obj, posefile, self.person)
            else:
                obj = import_pose(context, posefile, self.person)
        except (WorkerError, PoseImportError, RetargetError) as e:
            self.report({"ERROR"}, str(e))
            return {"CANCELLED"}
        finally:
            self._end(context)
        self.report({"INFO"}, f"Lifted {Path(self.filepath).name} onto {obj.name}.")
        return {"FINISHED"}

    def _end(self, context: bpy.types.Context) -> None:
        if self._timer is not None:
            context.window_manager.event_timer_remove(self._timer)
            context.window_manager.progress_end()
            if context.area is not None:
                context.area.header_text_set(None)
            self._timer = None
        shutil.rmtree(self._folder, ignore_errors=True)


class POSELIFT_OT_lift_image(_WorkerLift, bpy.types.Operator):
    """Find the person in an image, lift their pose to 3D and show it on an armature"""

    bl_idname = "poselift.lift_image"
    bl_label = "Lift Pose from Image"
    command = "image"

    filter_glob: StringProperty(default=IMAGES, options={"HIDDEN"})  # type: ignore[valid-type]
    person: IntProperty(name="Person", description="Which person (0 is the first found)", default=0, min=0)  # type: ignore[valid-type]


class POSELIFT_OT_lift_video(_WorkerLift, bpy.types.Operator):
    """Track a person through a video, lift their motion to 3D and animate an armature with it"""

    bl_idname = "poselift.lift_video"
    bl_label = "Animate from Video"
    command = "video"

    filter_glob: StringProperty(default=VIDEOS, options={"HIDDEN"})  # type: ignore[valid-type]
    track: IntProperty(  # type: ignore[valid-type]
        name="Person", description="Track id of the person to animate (-1: the one seen longest)", default=-1, min=-1
    )
    start: FloatProperty(  # type: ignore[valid-type]
        name="Start", description="First second of the video to read", default=0.0, min=0.0, unit="TIME_ABSOLUTE"
    )
    end: FloatProperty(  # type: ignore[valid-type]
        name="End", description="Second to stop reading at (0: the end of the video)", default=0.0, min=0.0,
        unit="TIME_ABSOLUTE",
    )

    def command_options(self) -> list[str]:
        options = ["--start", f"{self.start:g}"]
        if self.end > 0:
            options += ["--end", f"{self.end:g}"]
        if self.track >= 0:
            options += ["--track", str(self.track)]
        return options


classes = (POSELIFT_OT_lift_image, POSELIFT_OT_lift_video)
register, unregister = bpy.utils.register_classes_factory(classes)
