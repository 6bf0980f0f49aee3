"""The 3D view sidebar, tab "Pose": panel "Lift pose from image", with sub-panels to retarget a pose file onto
the active armature and to edit that armature's bone mapping."""

from __future__ import annotations

import bpy

from ..rigs.roles import ROLE_NAMES
from . import bone_mapping
from .lift import POSELIFT_OT_lift_image, POSELIFT_OT_lift_video
from .mapping_operators import (
    POSELIFT_OT_mapping_clear,
    POSELIFT_OT_mapping_fill,
    POSELIFT_OT_mapping_load,
    POSELIFT_OT_mapping_save,
)
from .operators import POSELIFT_OT_import_pose, POSELIFT_OT_retarget_pose


class _SidebarPanel:
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "Pose"


class POSELIFT_PT_lift(_SidebarPanel, bpy.types.Panel):
    bl_idname = "POSELIFT_PT_lift"
    bl_label = "Lift pose from image"

    def draw(self, context: bpy.types.Context) -> None:
        layout = self.layout
        layout.operator(POSELIFT_OT_lift_image.bl_idname, icon="IMAGE_DATA")
        layout.operator(POSELIFT_OT_lift_video.bl_idname, icon="FILE_MOVIE")
        layout.operator(POSELIFT_OT_import_pose.bl_idname, icon="IMPORT")


def _armature(context: bpy.types.Context) -> bpy.types.Object | None:
    obj = context.active_object
    return obj if obj is not None and obj.type == "ARMATURE" else None


class POSELIFT_PT_retarget(_SidebarPanel, bpy.types.Panel):
    bl_idname = "POSELIFT_PT_retarget"
    bl_label = "Retarget"
    bl_parent_id = POSELIFT_PT_lift.bl_idname

    def draw(self, context: bpy.types.Context) -> None:
        layout = self.layout
        obj = _armature(context)
        if obj is None:
            layout.label(text="Select an armature to retarget onto", icon="INFO")
            return
        found = bone_mapping.best_match(obj)
        if found is None:
            layout.label(text=f"{obj.name}: bones not recognised", icon="ERROR")
            layout.label(text="Map them below, or load a mapping file")
        else:
            layout.label(text=f"{found.preset.label}: {len(found.bones)} bones", icon="ARMATURE_DATA")
        layout.operator(POSELIFT_OT_retarget_pose.bl_idname, icon="ACTION")


class POSELIFT_PT_bone_mapping(_SidebarPanel, bpy.types.Panel):
    bl_idname = "POSELIFT_PT_bone_mapping"
    bl_label = "Bone Mapping"
    bl_parent_id = POSELIFT_PT_retarget.bl_idname
    bl_options = {"DEFAULT_CLOSED"}

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        return _armature(context) is not None

    def draw(self, context: bpy.types.Context) -> None:
        layout = self.layout
        obj = _armature(context)
        mapping = obj.poselift_mapping
        row = layout.row(align=True)
        row.operator_menu_enum(POSELIFT_OT_mapping_fill.bl_idname, "preset", text="Fill", icon="BONE_DATA")
        row.operator(POSELIFT_OT_mapping_load.bl_idname, text="", icon="FILEBROWSER")
        row.operator(POSELIFT_OT_mapping_save.bl_idname, text="", icon="FILE_TICK")
        row.operator(POSELIFT_OT_mapping_clear.bl_idname, text="", icon="X")
        if not mapping.roles:
            layout.label(text="No mapping: Fill starts one")
            return
        if mapping.source:
            layout.label(text=f"From {mapping.source}")
        layout.prop(mapping, "rest")
        layout.prop_search(mapping, "root_bone", obj.data, "bones")
        column = layout.column(align=True)
        for item in sorted(mapping.roles, key=lambda i: ROLE_NAMES.index(i.role) if i.role in ROLE_NAMES else 99):
            row = column.row(align=True)
            row.label(text=item.role.replace("_", " ").capitalize())
            row.prop_search(item, "bone", obj.data, "bones", text="")


classes = (POSELIFT_PT_lift, POSELIFT_PT_retarget, POSELIFT_PT_bone_mapping)
register, unregister = bpy.utils.register_classes_factory(classes)
