"""Pose file to animated armature: read and check everything first, then create, and undo it all on failure."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import bpy
import numpy as np

from ..core.formats.posefile import PoseFileError, PoseSequence, read_person
from ..core.motion.camera import file_camera
from ..rigs import joint_armature, placement
from ..rigs.placement import Settling
from . import armature, camera, conversion, keyframes
from .scene_state import SceneState, reason, scene_fps, set_timing

AS_LIFTED = Settling()  # the motion as the pose file has it


class PoseImportError(Exception):
    """An import that could not be done; the message is one sentence naming the file."""


@dataclass(frozen=True)
class PosePlan:
    """Everything an import will create, computed before anything is: the rig, its keyed channels (values on
    the frames where the person is present), those frames and the visibility keys around them."""

    pose: PoseSequence
    rig: joint_armature.JointArmature
    curves: list[keyframes.Curve]
    shown: np.ndarray  # (F,) bool: frames of the file where the person is present
    start: np.ndarray  # (3,) metres, the pose file's frame: where the person first stands, the rig's origin


def plan_import(path: str | Path, person: int = 0, settling: Settling = AS_LIFTED) -> PosePlan:
    """Read the pose file and build the rig of one person, moved so they start at the origin on the floor, with
    `settling` applied; raises PoseImportError, touches no Blender data."""
    try:
        pose = read_person(Path(path), person)
    except PoseFileError as e:
        raise PoseImportError(str(e)) from None
    joints = placement.settled(pose.joints3d[:, person], pose.joint_names, settling, pose.fps)
    shown = placement.present(joints)
    start = placement.start_point(joints, pose.joint_names)
    joints = joints - start
    rig = joint_armature.build_armature(joints, pose.joint_names)
    curves = rig_curves(rig, joint_armature.bone_channels(rig, joints[shown]))
    return PosePlan(pose=pose, rig=rig, curves=curves, shown=shown, start=start)


def rig_curves(rig: joint_armature.JointArmature, channels: joint_armature.BoneChannels) -> list[keyframes.Curve]:
    """The rig's keyed channels as F-curve specifications, grouped by bone."""
    return [
        keyframes.Curve(keyframes.pose_bone_path(c.bone, c.prop), c.index, c.bone, c.values)
        for c in joint_armature.bone_curves(rig, channels)
    ]


def import_pose(context: bpy.types.Context, path: str | Path, person: int = 0, *, name: str | None = None,
                settling: Settling = AS_LIFTED, offset: tuple[float, float, float] = (0.0, 0.0, 0.0),
                match_scene: bool = True, with_camera: bool = False,
                made: list[bpy.types.Object] | None = None) -> bpy.types.Object:
    """Import one person of a pose file as an armature standing `offset` metres from the 3D cursor where the person
    first stands, with one action keyed on the frames where the person is present (the file's first frame on the
    scene's first, played at the file's speed) and hidden on the others; with `match_scene`, the scene's frame rate,
    range and picture size become the file's; `with_camera`: also the camera that filmed them, where the file says
    (`camera.add_camera`, named after the armature). The armature ends the only selected, active object; what was
    made (the armature, the camera) is appended to `made` where given, for a caller that may undo it later. Any
    failure raises PoseImportError and leaves the scene as it was."""
    path = Path(path)
    try:
        plan = plan_import(path, person, settling)
    except PoseImportError:
        raise
    except Exception as e:
        raise PoseImportError(f"{path}: cannot build an armature from it ({reason(e)}).") from e
    before = SceneState.capture(context)
    created: list[bpy.types.Object] = []
    try:
        if match_scene:
            set_timing(context.scene, plan.pose)
        name = name or (f"{path.stem}_person{person}" if plan.pose.people > 1 else path.stem)
        obj = armature.create_armature(context, name, plan.rig)
        created.append(obj)
        obj.location = obj.location + conversion.vector(offset)
        timing = (plan.pose.fps, scene_fps(context.scene), context.scene.frame_start)
        frames = placement.scene_frames(np.flatnonzero(plan.shown), *timing)
        visibility = placement.scene_visibility(plan.shown, *timing)
        keyframes.new_action(obj, name, plan.curves, frames, visibility)
        filmed = file_camera(plan.pose.metadata, plan.pose.image_size) if with_camera else None
        if filmed is not None:
            origin = obj.location - conversion.vector(plan.start)
            created.append(camera.add_camera(context, filmed, origin, f"{obj.name}_camera", path.parent))
        for other in context.view_layer.objects:
            other.select_set(other == obj)
    except Exception as e:
        armature.remove_made(created)
        before.restore(context)
        raise PoseImportError(f"{path}: the import failed and was undone ({reason(e)}).") from e
    if made is not None:
        made += created
    return obj

