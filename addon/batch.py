"""Several videos onto several rigs in one run: the scene's batch list (a video and its rig, or none for a new
armature), run item by item with the scene's options, each item's state shown in the list. A failed video is
reported and the rest run; Esc stops the running one and keeps what finished."""

from __future__ import annotations

from pathlib import Path

import bpy
from bpy.props import CollectionProperty, StringProperty
from bpy_extras.io_utils import ImportHelper

from .jobs import Job, LiftError
from .lift import _QueuedLift, _source, video_job
from .settings import settings


class POSELIFT_OT_batch_add(bpy.types.Operator, ImportHelper):
    """Add videos to the batch, each onto the active armature (or a new armature when none is active)"""

    bl_idname = "poselift.batch_add"
    bl_label = "Add Videos"
    bl_options = {"REGISTER", "UNDO"}

    filter_glob: StringProperty(default="*.mp4;*.m4v;*.mov;*.avi;*.mkv;*.webm;*.mpg;*.mpeg;*.wmv", options={"HIDDEN"})  # type: ignore[valid-type]
    files: CollectionProperty(type=bpy.types.OperatorFileListElement, options={"HIDDEN", "SKIP_SAVE"})  # type: ignore[valid-type]
    directory: StringProperty(subtype="DIR_PATH", options={"HIDDEN", "SKIP_SAVE"})  # type: ignore[valid-type]

    def execute(self, context: bpy.types.Context) -> set[str]:
        names = [f.name for f in self.files if f.name] or [Path(self.filepath).name]
        folder = Path(self.directory) if self.directory else Path(self.filepath).parent
        obj = context.active_object
        rig = obj if obj is not None and obj.type == "ARMATURE" else None
        for name in names:
            item = settings(context).batch.add()
            item.video, item.rig = str(folder / name), rig
        return {"FINISHED"}


class POSELIFT_OT_batch_remove(bpy.types.Operator):
    """Remove the selected video from the batch"""

    bl_idname = "poselift.batch_remove"
    bl_label = "Remove Video"
    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        return len(settings(context).batch) > 0 and not _QueuedLift.running

    def execute(self, context: bpy.types.Context) -> set[str]:
        s = settings(context)
        s.batch.remove(s.batch_index)
        s.batch_index = min(s.batch_index, len(s.batch) - 1)
        return {"FINISHED"}


class POSELIFT_OT_batch_run(_QueuedLift, bpy.types.Operator):
    """Animate every video of the batch onto its rig (a new armature where it has none), one after another"""

    bl_idname = "poselift.batch_run"
    bl_label = "Animate Batch"
    keep_going = True

    _items: list[int]

    def jobs(self, context: bpy.types.Context) -> list[Job]:
        s = settings(context)
        jobs, self._items = [], []
        for i, item in enumerate(s.batch):
            try:
                video = _source(item.video, "video")
            except LiftError as e:  # a video that is not there fails on its own; the rest run
                item.status = f"failed: {e}"
                self.report({"WARNING"}, str(e))
                continue
            jobs.append(video_job(s, video, item.rig.name if item.rig is not None else None, chosen=False))
            self._items.append(i)
            item.status = "waiting"
        if not jobs:
            raise LiftError("The batch has no video to animate: add videos to it first.")
        return jobs

    def progressed(self, context: bpy.types.Context) -> None:
        s, queue = settings(context), self._queue
        for i, job in zip(self._items, queue.jobs, strict=True):  # type: ignore[union-attr]
            if job in queue.done:  # type: ignore[union-attr]
                status = f"failed: {job.outcome}" if job.failed else "done"
            elif queue.finished:  # type: ignore[union-attr]
                status = "cancelled"
            elif job is queue.jobs[queue.current]:  # type: ignore[union-attr]
                status = f"{int(100 * queue.fraction)}%"  # type: ignore[union-attr]
            else:
                status = "waiting"
            if s.batch[i].status != status:
                s.batch[i].status = status


classes = (POSELIFT_OT_batch_add, POSELIFT_OT_batch_remove, POSELIFT_OT_batch_run)
register, unregister = bpy.utils.register_classes_factory(classes)
