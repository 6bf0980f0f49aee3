"""Operators: thin, each reads its properties, calls one function and reports."""

from __future__ import annotations

import bpy
from bpy.props import BoolProperty, EnumProperty, IntProperty, StringProperty
from bpy_extras.io_utils import ImportHelper

from . import bone_mapping
from .pose_import import PoseImportError, import_pose
from .retargeting import RetargetError, retarget_pose
from .scene_state import nothing_animated

MATCH_SCENE = "Set the scene's frame rate and range to the file's (by default only when nothing in the scene is "\
    "animated yet)"


class _MatchesScene:
    """The `match_scene` option: as the user set it, else on only in a scene where nothing is animated yet."""

    match_scene: BoolProperty(name="Match scene to file", description=MATCH_SCENE, default=True)  # type: ignore[valid-type]

    def invoke(self, context: bpy.types.Context, event: bpy.types.Event) -> set[str]:
        if not self.properties.is_property_set("match_scene"):
            self.match_scene = nothing_animated(context.scene)
        return super().invoke(context, event)

    def matches_scene(self, context: bpy.types.Context) -> bool:
        return self.match_scene if self.properties.is_property_set("match_scene") else nothing_animated(context.scene)


class POSELIFT_OT_import_pose(_MatchesScene, ImportHelper, bpy.types.Operator):
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
    with_camera: BoolProperty(  # type: ignore[valid-type]
        name="Add camera",
        description="Also add the camera that filmed the video (its height, pitch and lens, as the file found "
        "them), with the video behind it",
        default=True,
    )

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        if context.mode != "OBJECT":
            cls.poll_message_set("Switch to Object Mode to import a pose file")
            return False
        return True

    def execute(self, context: bpy.types.Context) -> set[str]:
        try:
            obj = import_pose(context, self.filepath, self.person, match_scene=self.matches_scene(context),
                              with_camera=self.with_camera)  # fmt: skip
        except PoseImportError as e:
            self.report({"ERROR"}, str(e))
            return {"CANCELLED"}
        self.report({"INFO"}, f"Imported {self.filepath} as {obj.name}: {len(obj.data.bones)} bones.")
        return {"FINISHED"}


class POSELIFT_OT_retarget_pose(_MatchesScene, ImportHelper, bpy.types.Operator):
    """Retarget a PoseLift pose file onto the active armature as one new action"""

    bl_idname = "poselift.retarget_pose"
    bl_label = "Retarget Pose File"
    bl_options = {"REGISTER", "UNDO"}

    filename_ext = ".npz"
    filter_glob: StringProperty(default="*.npz;*.json", options={"HIDDEN"})  # type: ignore[valid-type]
    person: IntProperty(name="Person", description="Which person of the file (0 is the first)", default=0, min=0)  # type: ignore[valid-type]
    preset: EnumProperty(name="Rig", description="Which bone plays which part", items=bone_mapping.preset_items())  # type: ignore[valid-type]
    in_place: BoolProperty(name="In place", description="Keep the height, drop the travel across the floor")  # type: ignore[valid-type]
    keep_above_floor: BoolProperty(  # type: ignore[valid-type]
        name="Keep above floor", description="Lift the rig where a foot would sink below its rest floor", default=True
    )
    lock_feet: BoolProperty(  # type: ignore[valid-type]
        name="Lock feet", description="Hold feet still while they touch the floor (stops foot skating)"
    )

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        obj = context.active_object
        if obj is None or obj.type != "ARMATURE":
            cls.poll_message_set("Select an armature to retarget onto")
            return False
        if context.mode not in ("OBJECT", "POSE"):
            cls.poll_message_set("Switch to Object or Pose Mode to retarget")
            return False
        return True

    def execute(self, context: bpy.types.Context) -> set[str]:
        obj = context.active_object
        options = {
            "preset": self.preset,
            "in_place": self.in_place,
            "keep_above_floor": self.keep_above_floor,
            "lock_feet": self.lock_feet,
            "match_scene": self.matches_scene(context),
        }
        try:
            action, plan = retarget_pose(context, obj, self.filepath, self.person, **options)
        except RetargetError as e:
            self.report({"ERROR"}, str(e))
            return {"CANCELLED"}
        for note in plan.notes:
            self.report({"WARNING"}, note)
        roles = len(plan.result.roles)
        self.report(
            {"INFO"},
            f"Retargeted {self.filepath} onto {obj.name} as {action.name}: {plan.found.preset.label}, {roles} bones, "
            f"{plan.pose.frames} frames.",
        )
        return {"FINISHED"}


classes = (POSELIFT_OT_import_pose, POSELIFT_OT_retarget_pose)
register, unregister = bpy.utils.register_classes_factory(classes)
