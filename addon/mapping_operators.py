"""Operators of the bone-mapping editor: fill the armature's mapping from a preset, clear it, save it to and
load it from a mapping file."""

from __future__ import annotations

import bpy
from bpy.props import EnumProperty, StringProperty
from bpy_extras.io_utils import ExportHelper, ImportHelper

from ..rigs.mapping_file import MappingFileError, load_mapping, save_mapping
from ..rigs.presets import PRESETS, detect, match
from . import bone_mapping


def _armature_poll(cls, context: bpy.types.Context) -> bool:
    obj = context.active_object
    if obj is None or obj.type != "ARMATURE" or obj.library is not None:
        cls.poll_message_set("Select a local armature")
        return False
    return True


class POSELIFT_OT_mapping_fill(bpy.types.Operator):
    """Fill the armature's bone mapping from a rig preset (Auto: the preset its bone names match best)"""

    bl_idname = "poselift.mapping_fill"
    bl_label = "Fill Bone Mapping"
    bl_options = {"REGISTER", "UNDO"}

    preset: EnumProperty(  # type: ignore[valid-type]
        name="Rig",
        items=[(bone_mapping.AUTO, "Auto", "The preset the bone names match best")]
        + [(p.name, p.label, f"Bone names of the {p.label} rig") for p in PRESETS.values()],
    )
    poll = classmethod(_armature_poll)

    def execute(self, context: bpy.types.Context) -> set[str]:
        obj = context.active_object
        bones = [b.name for b in obj.data.bones]
        found = detect(bones)[0] if self.preset == bone_mapping.AUTO else match(PRESETS[self.preset], bones)
        bone_mapping.store(obj, found, found.preset.label)
        self.report(
            {"INFO"}, f"{obj.name}: {len(found.bones)} of {len(found.preset.bones)} {found.preset.label} bones."
        )
        return {"FINISHED"}


class POSELIFT_OT_mapping_clear(bpy.types.Operator):
    """Empty the armature's bone mapping (retargeting then detects a preset from bone names)"""

    bl_idname = "poselift.mapping_clear"
    bl_label = "Clear Bone Mapping"
    bl_options = {"REGISTER", "UNDO"}
    poll = classmethod(_armature_poll)

    def execute(self, context: bpy.types.Context) -> set[str]:
        context.active_object.poselift_mapping.roles.clear()
        context.active_object.poselift_mapping.source = ""
        return {"FINISHED"}


class POSELIFT_OT_mapping_save(bpy.types.Operator, ExportHelper):
    """Save the armature's bone mapping as a PoseLift bone-mapping file (.json)"""

    bl_idname = "poselift.mapping_save"
    bl_label = "Save Bone Mapping"

    filename_ext = ".json"
    filter_glob: StringProperty(default="*.json", options={"HIDDEN"})  # type: ignore[valid-type]
    poll = classmethod(_armature_poll)

    def execute(self, context: bpy.types.Context) -> set[str]:
        obj = context.active_object
        preset = bone_mapping.stored_preset(obj)
        if preset is None:
            self.report({"ERROR"}, f"{obj.name} has no bone mapping to save: fill it first.")
            return {"CANCELLED"}
        try:
            path = save_mapping(self.filepath, preset)
        except OSError as e:
            self.report({"ERROR"}, f"{self.filepath}: cannot be written ({e.strerror or e}).")
            return {"CANCELLED"}
        self.report({"INFO"}, f"Saved {len(preset.bones)} mapped bones of {obj.name} to {path}.")
        return {"FINISHED"}


class POSELIFT_OT_mapping_load(bpy.types.Operator, ImportHelper):
    """Load a PoseLift bone-mapping file (.json) onto the armature, matching its bone names"""

    bl_idname = "poselift.mapping_load"
    bl_label = "Load Bone Mapping"
    bl_options = {"REGISTER", "UNDO"}

    filename_ext = ".json"
    filter_glob: StringProperty(default="*.json", options={"HIDDEN"})  # type: ignore[valid-type]
    poll = classmethod(_armature_poll)

    def execute(self, context: bpy.types.Context) -> set[str]:
        obj = context.active_object
        try:
            preset = load_mapping(self.filepath)
        except MappingFileError as e:
            self.report({"ERROR"}, str(e))
            return {"CANCELLED"}
        found = match(preset, [b.name for b in obj.data.bones])
        if not found.bones:
            self.report({"ERROR"}, f"{self.filepath}: none of its bones are in {obj.name}.")
            return {"CANCELLED"}
        bone_mapping.store(obj, found, preset.label)
        missing = sorted(set(preset.bones.values()) - {preset.bones[r] for r in found.bones})
        if missing:
            self.report({"WARNING"}, f"{obj.name} has no bones {', '.join(missing)} of {self.filepath}.")
        self.report({"INFO"}, f"Loaded {len(found.bones)} mapped bones onto {obj.name}.")
        return {"FINISHED"}


classes = (POSELIFT_OT_mapping_fill, POSELIFT_OT_mapping_clear, POSELIFT_OT_mapping_save, POSELIFT_OT_mapping_load)
register, unregister = bpy.utils.register_classes_factory(classes)
