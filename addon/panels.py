"""The 3D view sidebar: tab "Pose", panel "Lift pose from image"."""

from __future__ import annotations

import bpy

from .operators import POSELIFT_OT_import_pose


class POSELIFT_PT_lift(bpy.types.Panel):
    bl_idname = "POSELIFT_PT_lift"
    bl_label = "Lift pose from image"
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "Pose"

    def draw(self, context: bpy.types.Context) -> None:
        self.layout.operator(POSELIFT_OT_import_pose.bl_idname, icon="IMPORT")


classes = (POSELIFT_PT_lift,)
register, unregister = bpy.utils.register_classes_factory(classes)
