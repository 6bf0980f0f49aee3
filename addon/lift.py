"""Lift a pose from an image: the worker runs the core on the image, then the pose file becomes an armature
(or poses the active armature). Modal with progress and Esc to cancel; synchronous in background mode."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import bpy
from bpy.props import EnumProperty, IntProperty, StringProperty
from bpy_extras.io_utils import ImportHelper

from .pose_import import PoseImportError, import_pose
from .preferences import preferences
from .retargeting import RetargetError, retarget_pose
from .worker import WorkerError, WorkerRun, bpy_path, worker_python

TARGETS = [
    ("NEW", "New armature", "Make a new armature in the lifted pose"),
    ("ACTIVE", "Active armature", "Pose the active armature (retargeted)"),
]
IMAGES = "*.jpg;*.jpeg;*.png;*.bmp;*.tif;*.tiff;*.webp"


class POSELIFT_OT_lift_image(bpy.types.Operator, ImportHelper):
    """Find the person in an image, lift their pose to 3D and show it on an armature"""

    bl_idname = "poselift.lift_image"
    bl_label = "Lift Pose from Image"
    bl_options = {"REGISTER", "UNDO"}

    filter_glob: StringProperty(default=IMAGES, options={"HIDDEN"})  # type: ignore[valid-type]
    person: IntProperty(name="Person", description="Which person (0 is the first found)", default=0, min=0)  # type: ignore[valid-type]
    target: EnumProperty(name="Show on", items=TARGETS, default="NEW")  # type: ignore[valid-type]

    _run: WorkerRun | None = None
    _folder: str = ""
    _timer = None

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        if context.mode != "OBJECT":
            cls.poll_message_set("Switch to Object Mode to lift a pose")
            return False
        return True

    def execute(self, context: bpy.types.Context) -> set[str]:
        try:
            self._start(context)
        except WorkerError as e:
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
            run.cancel()  # type: ignore[union-attr]
            self._end(context)
            self.report({"WARNING"}, "Lifting cancelled; nothing was changed.")
            return {"CANCELLED"}
        if event.type != "TIMER":
            return {"PASS_THROUGH"}
        for e in run.poll():  # type: ignore[union-attr]
            if e.get("event") == "progress" and e.get("total"):
                context.window_manager.progress_update(int(100 * e["done"] / e["total"]))
                context.area.header_text_set(f"PoseLift: {e.get('message') or 'lifting'} (Esc to cancel)")
        if not run.finished:  # type: ignore[union-attr]
            return {"RUNNING_MODAL"}
        return self._finish(context, run.output)  # type: ignore[union-attr]

    def _start(self, context: bpy.types.Context) -> None:
        prefs = preferences(context)
        python, model, device = (prefs.python, prefs.model, prefs.device) if prefs else ("", "full", "auto")
        image = Path(bpy_path(self.filepath))
        self._folder = tempfile.mkdtemp(prefix="poselift-")
        out = Path(self._folder) / f"{image.stem}.npz"
        arguments = ["image", str(image), "-o", str(out), "--model", model]
        if device != "auto":
            arguments += ["--device", device]
        try:
            self._run = WorkerRun.start(worker_python(python), arguments)
        except WorkerError:
            shutil.rmtree(self._folder, ignore_errors=True)
            raise

    def _finish(self, context: bpy.types.Context, result) -> set[str]:
        try:
            posefile = result()
            if self.target == "ACTIVE":
                obj = context.active_object
                if obj is None or obj.type != "ARMATURE":
                    raise RetargetError("Select an armature to show the lifted pose on, or choose a new armature.")
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


classes = (POSELIFT_OT_lift_image,)
register, unregister = bpy.utils.register_classes_factory(classes)
