"""Armature objects from the rig maths: edit bones from rest matrices, pose-bone settings, removal."""

from __future__ import annotations

import bpy

from ..rigs.joint_armature import JointArmature
from . import conversion


def create_armature(context: bpy.types.Context, name: str, rig: JointArmature) -> bpy.types.Object:
    """A new armature object at the 3D cursor in the active collection, its bones built from `rig`'s rest
    matrices; it is left active and in Object Mode, and nothing else is changed."""
    data = bpy.data.armatures.new(name)
    obj = bpy.data.objects.new(name, data)
    obj.location = context.scene.cursor.location
    try:
        context.collection.objects.link(obj)
        context.view_layer.objects.active = obj
        bpy.ops.object.mode_set(mode="EDIT")
        try:
            _edit_bones(data, rig)
        finally:
            bpy.ops.object.mode_set(mode="OBJECT")
        for pose_bone in obj.pose.bones:
            pose_bone.rotation_mode = "QUATERNION"
    except BaseException:
        remove_made([obj])
        raise
    return obj


def copy_rig(obj: bpy.types.Object, name: str) -> list[bpy.types.Object]:
    """A copy of the rig `obj` named `name`, sharing its armature and its children's meshes (as Alt+D does),
    without its action (drivers kept); its direct children copied too, deformed by the copy (meshes deformed by
    the rig that are not its children, and grandchildren, are not copied). In `obj`'s collections. Returns the
    copy first, then its children's copies."""
    copies = [_linked_copy(obj, name)]
    if copies[0].animation_data is not None:
        copies[0].animation_data.action = None
    for child in obj.children:
        twin = _linked_copy(child, f"{child.name}_{name}")
        twin.parent = copies[0]
        for modifier in twin.modifiers:
            if modifier.type == "ARMATURE" and modifier.object == obj:
                modifier.object = copies[0]
        copies.append(twin)
    return copies


def _linked_copy(obj: bpy.types.Object, name: str) -> bpy.types.Object:
    twin = obj.copy()
    twin.name = name
    for collection in obj.users_collection:
        collection.objects.link(twin)
    return twin


def remove_made(objects: list[bpy.types.Object]) -> None:
    """Remove objects a lift or an import made, last made first, with their actions, armatures, cameras and video
    clips that nothing else uses (a rig copy's armature is its rig's, and stays)."""
    for obj in reversed(objects):
        action = obj.animation_data.action if obj.animation_data else None
        data = obj.data
        clips = [b.clip for b in data.background_images if b.clip is not None] if obj.type == "CAMERA" else []
        bpy.data.objects.remove(obj)
        if action is not None and action.users == 0:
            bpy.data.actions.remove(action)
        if isinstance(data, bpy.types.Armature) and data.users == 0:
            bpy.data.armatures.remove(data)
        if isinstance(data, bpy.types.Camera) and data.users == 0:
            bpy.data.cameras.remove(data)
        for clip in clips:
            if clip.users == 0:
                bpy.data.movieclips.remove(clip)


def _edit_bones(data: bpy.types.Armature, rig: JointArmature) -> None:
    bones = []
    for b, name in enumerate(rig.bone_names):
        bone = data.edit_bones.new(name)
        bone.head = (0.0, 0.0, 0.0)
        bone.tail = (0.0, float(rig.lengths[b]), 0.0)
        bone.matrix = conversion.matrix(rig.rest[b])
        parent = rig.bone_parents[b]
        if parent >= 0:
            bone.parent = bones[parent]
            bone.use_connect = rig.is_connected(b)
            bone.inherit_scale = "NONE"
        bones.append(bone)
