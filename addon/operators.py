"""Operators: thin, each reads its properties, calls one function and reports."""

from __future__ import annotations

import bpy
from bpy.props import IntProperty, StringProperty
from bpy_extras.io_utils import ImportHelper

from .pose_import import PoseImportError, import_pose


class POSELIFT_OT_import_pose(bpy.types.Operator, ImportHelper):
    """Import a PoseLift pose file as an armature animated over the file's frames"""

    bl_idname = "poselift.import_pose"
    bl_label = "Import Pose File"
    bl_options = {"REGISTER", "UNDO"}

    filename_ext = ".npz"
    filter_glob: StringProperty(default="*.npz;*.json", options={"HIDDEN"})  # type: ignore[valid-type]
    person: IntProperty(  # type: ignore[valid-type]
        name="Person",
        description="Which person of the file to import (0 is the first)",
        default=0,
        min=0,
    )

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        if context.mode != "OBJECT":
            cls.poll_message_set("Switch to Object Mode to import a pose file")
            return False
        return True

    def execute(self, context: bpy.types.Context) -> set[str]:
        try:
            obj = import_pose(context, self.filepath, self.person)
        except PoseImportError as e:
            self.report({"ERROR"}, str(e))
            return {"CANCELLED"}
        frames = context.scene.frame_end - context.scene.frame_start + 1
        self.report({"INFO"}, f"Imported {self.filepath} as {obj.name}: {len(obj.data.bones)} bones, {frames} frames.")
        return {"FINISHED"}


classes = (POSELIFT_OT_import_pose,)
register, unregister = bpy.utils.register_classes_factory(classes)
