"""Pose file to animated armature: read and check everything first, then create, and undo it all on failure."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import bpy

from ..core.formats.posefile import PoseFileError, PoseSequence, read_person
from ..rigs import joint_armature
from . import armature, keyframes
from .scene_state import SceneState, reason, set_timing


class PoseImportError(Exception):
    """An import that could not be done; the message is one sentence naming the file."""


@dataclass(frozen=True)
class PosePlan:
    """Everything an import will create, computed before anything is: the rig and its keyed channels."""

    pose: PoseSequence
    rig: joint_armature.JointArmature
    curves: list[keyframes.Curve]


def plan_import(path: str | Path, person: int = 0) -> PosePlan:
    """Read the pose file and build the rig of one person; raises PoseImportError, touches no Blender data."""
    try:
        pose = read_person(Path(path), person)
    except PoseFileError as e:
        raise PoseImportError(str(e)) from None
    joints = pose.joints3d[:, person]
    rig = joint_armature.build_armature(joints, pose.joint_names)
    curves = rig_curves(rig, joint_armature.bone_channels(rig, joints))
    return PosePlan(pose=pose, rig=rig, curves=curves)


def rig_curves(rig: joint_armature.JointArmature, channels: joint_armature.BoneChannels) -> list[keyframes.Curve]:
    """The rig's keyed channels as F-curve specifications, grouped by bone."""
    return [
        keyframes.Curve(keyframes.pose_bone_path(c.bone, c.prop), c.index, c.bone, c.values)
        for c in joint_armature.bone_curves(rig, channels)
    ]


def import_pose(context: bpy.types.Context, path: str | Path, person: int = 0) -> bpy.types.Object:
    """Import one person of a pose file as an armature with one action over the file's frames (frame 1 = the
    file's first), set the scene's frame range and fps from the file, and make the armature the only selected,
    active object. Any failure raises PoseImportError and leaves the scene as it was."""
    path = Path(path)
    try:
        plan = plan_import(path, person)
    except PoseImportError:
        raise
    except Exception as e:
        raise PoseImportError(f"{path}: cannot build an armature from it ({reason(e)}).") from e
    before = SceneState.capture(context)
    created: list[bpy.types.ID] = []
    try:
        name = f"{path.stem}_person{person}" if plan.pose.people > 1 else path.stem
        obj = armature.create_armature(context, name, plan.rig)
        created.append(obj)
        created.append(keyframes.new_action(obj, name, plan.curves))
        for other in context.view_layer.objects:
            other.select_set(other == obj)
        set_timing(context.scene, plan.pose)
    except Exception as e:
        _remove(created)
        before.restore(context)
        raise PoseImportError(f"{path}: the import failed and was undone ({reason(e)}).") from e
    return obj


def _remove(created: list[bpy.types.ID]) -> None:
    for block in reversed(created):
        if isinstance(block, bpy.types.Action):
            bpy.data.actions.remove(block)
        else:
            armature.remove_armature(block)
