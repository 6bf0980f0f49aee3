"""Helpers for the Blender tests: poses with wobbling bones, joints read back from Blender, scene snapshots."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from poselift.core.formats.posefile import PoseSequence
from poselift.core.skeleton import subset_parents

REPO = Path(__file__).resolve().parents[2]
EXTENSION = "bl_ext.user_default.poselift"


def with_jittered_bones(pose: PoseSequence, amount: float = 0.06, seed: int = 0) -> PoseSequence:
    """The same motion with every bone's length wobbling by up to `amount` (a fraction) from frame to frame, as
    poses from a network do: each joint slides along its bone and carries its children with it."""
    rng = np.random.default_rng(seed)
    parents = subset_parents(pose.joint_names)
    original = pose.joints3d.astype(np.float64)
    out = original.copy()
    rates = rng.uniform(0.5, 3.0, len(parents))
    factor = 1 + amount * np.sin(np.arange(pose.frames)[:, None] * rates[None, :] + rng.uniform(0, 6, len(parents)))
    order = [j for j, p in enumerate(parents) if p < 0]
    while len(order) < len(parents):
        order += [j for j, p in enumerate(parents) if j not in order and p in order]
    for j in order:
        if parents[j] >= 0:
            bone = original[:, :, j] - original[:, :, parents[j]]
            out[:, :, j] = out[:, :, parents[j]] + bone * factor[:, None, j, None]
    return PoseSequence.from_joints3d(out, pose.joint_names, fps=pose.fps, source=pose.source + ", bones wobbling")


def evaluated_joints(bpy, obj, frame: int) -> dict[str, np.ndarray]:
    """Joint positions in world space read back from the evaluated armature at `frame`: a bone with no parent
    gives its joint at its head, every other bone the joint it is named after at its tail."""
    bpy.context.scene.frame_set(frame)
    evaluated = obj.evaluated_get(bpy.context.evaluated_depsgraph_get())
    world = np.array(evaluated.matrix_world)
    out = {}
    for pose_bone in evaluated.pose.bones:
        point = pose_bone.head if pose_bone.parent is None else pose_bone.tail
        out[pose_bone.name] = world[:3, :3] @ np.array(point) + world[:3, 3]
    return out


def scene_snapshot(bpy) -> dict:
    """What a failed import must leave as it was."""
    scene = bpy.context.scene
    view_layer = bpy.context.view_layer
    return {
        "objects": sorted(o.name for o in bpy.data.objects),
        "armatures": sorted(a.name for a in bpy.data.armatures),
        "actions": sorted(a.name for a in bpy.data.actions),
        "cameras": sorted(c.name for c in bpy.data.cameras),
        "clips": sorted(c.name for c in bpy.data.movieclips),
        "selected": sorted(o.name for o in view_layer.objects if o.select_get()),
        "active": view_layer.objects.active.name if view_layer.objects.active else None,
        "timing": (scene.render.fps, scene.render.fps_base, scene.frame_start, scene.frame_end, scene.frame_current),
        "size": (scene.render.resolution_x, scene.render.resolution_y, scene.render.resolution_percentage),
        "mode": bpy.context.mode,
    }
