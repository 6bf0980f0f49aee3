"""The 3D view sidebar, tab "Pose": "Lift pose from image" and "Animate from video" (each with its options; the
video's people to choose from, and a batch), and "Retarget pose file" with the active armature's bone mapping.
Every option is the scene's (settings.py)."""

from __future__ import annotations

from pathlib import Path

import bpy

from ..rigs.roles import ROLE_NAMES
from . import bone_mapping, previews
from .batch import POSELIFT_OT_batch_add, POSELIFT_OT_batch_remove, POSELIFT_OT_batch_run
from .lift import (
    POSELIFT_OT_find_people,
    POSELIFT_OT_lift_image,
    POSELIFT_OT_lift_video,
    POSELIFT_OT_scan_video,
    photo_key,
    scan_key,
)
from .mapping_operators import (
    POSELIFT_OT_mapping_clear,
    POSELIFT_OT_mapping_fill,
    POSELIFT_OT_mapping_load,
    POSELIFT_OT_mapping_save,
)
from .operators import POSELIFT_OT_import_pose, POSELIFT_OT_retarget_pose
from .settings import settings
from .worker import bpy_path


class _SidebarPanel:
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "Pose"


def _draw_network(layout: bpy.types.UILayout, s) -> None:
    layout.prop(s, "model")
    layout.prop(s, "device")
    row = layout.row(heading="Height")
    row.prop(s, "use_height", text="")
    row.prop(s, "height", text="")


def _draw_result(layout: bpy.types.UILayout, s, motion: bool) -> None:
    if motion:
        layout.prop(s, "lock_feet")
    layout.prop(s, "in_place")
    layout.prop(s, "keep_above_floor")
    layout.prop(s, "keep_pose_file")


class POSELIFT_PT_image(_SidebarPanel, bpy.types.Panel):
    bl_idname = "POSELIFT_PT_image"
    bl_label = "Lift pose from image"

    def draw(self, context: bpy.types.Context) -> None:
        layout, s = self.layout, settings(context)
        layout.prop(s, "image", text="")
        layout.operator(POSELIFT_OT_find_people.bl_idname, icon="VIEWZOOM")
        if Path(s.image_preview).is_file():
            current = s.image_found == _photo_key(s)
            layout.template_icon(icon_value=previews.icon(s.image_preview), scale=10)
            if current:
                layout.label(text=f"{s.image_people} {'person' if s.image_people == 1 else 'people'} found",
                             icon="COMMUNITY")
                layout.prop(s, "person")
            else:
                layout.label(text="Photo or settings changed: Find People again", icon="INFO")
        layout.prop(s, "target")
        layout.operator(POSELIFT_OT_lift_image.bl_idname, icon="ARMATURE_DATA")


class _OptionsPanel(_SidebarPanel):
    """A lift's options, under its panel: the networks' first, then `draw_own`'s."""

    bl_label = "Options"
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context: bpy.types.Context) -> None:
        layout, s = self.layout, settings(context)
        layout.use_property_split = True
        _draw_network(layout, s)
        self.draw_own(layout, s)


class POSELIFT_PT_image_options(_OptionsPanel, bpy.types.Panel):
    bl_idname = "POSELIFT_PT_image_options"
    bl_parent_id = POSELIFT_PT_image.bl_idname

    def draw_own(self, layout: bpy.types.UILayout, s) -> None:
        layout.prop(s, "max_people")
        _draw_result(layout, s, motion=False)


class POSELIFT_UL_tracks(bpy.types.UIList):
    """The people a scan found: tick whom to animate."""

    def draw_item(self, context, layout, data, item, icon, active_data, active_property, index=0, flt_flag=0):
        row = layout.row(align=True)
        row.prop(item, "chosen", text="")
        row.label(text=f"{item.track}", icon_value=previews.icon(item.thumbnail))
        row.label(text=f"{item.seconds:.1f} s ({item.first_s:.1f}-{item.last_s:.1f})")
        row.label(text=f"{item.height_px:.0f} px")


class POSELIFT_PT_video(_SidebarPanel, bpy.types.Panel):
    bl_idname = "POSELIFT_PT_video"
    bl_label = "Animate from video"

    def draw(self, context: bpy.types.Context) -> None:
        layout, s = self.layout, settings(context)
        layout.prop(s, "video", text="")
        row = layout.row(align=True)
        row.prop(s, "start")
        row.prop(s, "end")
        layout.operator(POSELIFT_OT_scan_video.bl_idname, icon="VIEWZOOM")
        if Path(s.video_preview).is_file():
            if s.video_scanned != _scan_key(s):
                layout.label(text="Video or settings changed: Scan again", icon="INFO")
            layout.template_icon(icon_value=previews.icon(s.video_preview), scale=10)
        layout.prop(s, "people", expand=True)
        if s.people == "CHOSEN":
            layout.template_list(POSELIFT_UL_tracks.__name__, "", s, "tracks", s, "track_index", rows=3)
        layout.prop(s, "target")
        layout.prop(s, "match_scene")
        if s.target == "NEW":
            layout.prop(s, "with_camera")
        layout.operator(POSELIFT_OT_lift_video.bl_idname, icon="ACTION")


class POSELIFT_PT_video_options(_OptionsPanel, bpy.types.Panel):
    bl_idname = "POSELIFT_PT_video_options"
    bl_parent_id = POSELIFT_PT_video.bl_idname

    def draw_own(self, layout: bpy.types.UILayout, s) -> None:
        layout.prop(s, "smoothing")
        row = layout.row(heading="Focal length")
        row.prop(s, "use_focal", text="")
        row.prop(s, "focal_mm", text="")
        _draw_result(layout, s, motion=True)


class POSELIFT_UL_batch(bpy.types.UIList):
    """The videos of a batch, each with its rig and its state."""

    def draw_item(self, context, layout, data, item, icon, active_data, active_property, index=0, flt_flag=0):
        row = layout.row(align=True)
        row.label(text=Path(item.video).name, icon="FILE_MOVIE")
        row.prop(item, "rig", text="")
        if item.status:
            row.label(text=item.status, icon="ERROR" if item.status.startswith("failed") else "NONE")


class POSELIFT_PT_batch(_SidebarPanel, bpy.types.Panel):
    bl_idname = "POSELIFT_PT_batch"
    bl_label = "Batch"
    bl_parent_id = POSELIFT_PT_video.bl_idname
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context: bpy.types.Context) -> None:
        layout, s = self.layout, settings(context)
        row = layout.row()
        row.template_list(POSELIFT_UL_batch.__name__, "", s, "batch", s, "batch_index", rows=3)
        column = row.column(align=True)
        column.operator(POSELIFT_OT_batch_add.bl_idname, text="", icon="ADD")
        column.operator(POSELIFT_OT_batch_remove.bl_idname, text="", icon="REMOVE")
        layout.operator(POSELIFT_OT_batch_run.bl_idname, icon="SEQUENCE")


def _photo_key(s) -> str:
    return photo_key(s, Path(bpy_path(s.image))) if s.image else ""


def _scan_key(s) -> str:
    return scan_key(s, Path(bpy_path(s.video))) if s.video else ""


def _armature(context: bpy.types.Context) -> bpy.types.Object | None:
    obj = context.active_object
    return obj if obj is not None and obj.type == "ARMATURE" else None


class POSELIFT_PT_retarget(_SidebarPanel, bpy.types.Panel):
    bl_idname = "POSELIFT_PT_retarget"
    bl_label = "Retarget pose file"
    bl_options = {"DEFAULT_CLOSED"}

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
        layout.operator(POSELIFT_OT_import_pose.bl_idname, icon="IMPORT")


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


classes = (
    POSELIFT_PT_image,
    POSELIFT_PT_image_options,
    POSELIFT_UL_tracks,
    POSELIFT_PT_video,
    POSELIFT_PT_video_options,
    POSELIFT_UL_batch,
    POSELIFT_PT_batch,
    POSELIFT_PT_retarget,
    POSELIFT_PT_bone_mapping,
)
register, unregister = bpy.utils.register_classes_factory(classes)
