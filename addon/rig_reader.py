"""The user's armature read as a rig at rest for the retargeting maths, and the checks that come first."""

from __future__ import annotations

import bpy
import numpy as np

from ..rigs.retarget import RigRest


class RigError(Exception):
    """An object that cannot be retargeted onto; the message is one sentence naming it."""


def check_armature(obj: bpy.types.Object | None) -> bpy.types.Object:
    """`obj` when it is a local (or library-overridden) armature with bones; RigError otherwise."""
    if obj is None:
        raise RigError("Select an armature to retarget onto.")
    if obj.type != "ARMATURE":
        raise RigError(f"{obj.name} is a {obj.type.lower()} object, not an armature.")
    if obj.library is not None:
        raise RigError(
            f"{obj.name} is linked from {obj.library.filepath} and cannot be animated here: make it local "
            "(Object > Relations > Make Local) or add a library override (Object > Library Override > Make)."
        )
    if not obj.data.bones:
        raise RigError(f"{obj.name} has no bones.")
    if abs(np.linalg.det(np.array(obj.matrix_world)[:3, :3])) < 1e-12:
        raise RigError(f"{obj.name} has a zero scale on its object: give it a non-zero scale first.")
    return obj


def read_rig(obj: bpy.types.Object) -> RigRest:
    """The armature's rest pose: bones parents first (Blender's own order need not be), `bone.matrix_local`
    (4, 4) in armature space, lengths in armature units, and the object's world matrix.

    A bone that copies another's whole world transform at the same rest (Rigify's ORG bones that follow their
    controls) is given that bone as its parent: that is how it moves.
    """
    bones = obj.data.bones
    parent = {b.name: _follows(obj, b.name) or (b.parent.name if b.parent else None) for b in bones}
    children: dict[str | None, list[str]] = {}
    for b in bones:
        children.setdefault(parent[b.name], []).append(b.name)
    order: list[str] = []
    stack = list(reversed(children.get(None, [])))
    while stack:
        name = stack.pop()
        order.append(name)
        stack.extend(reversed(children.get(name, [])))
    if len(order) != len(bones):  # a cycle through copied transforms: fall back on the plain hierarchy
        parent = {b.name: b.parent.name if b.parent else None for b in bones}
        return _rig(obj, [b.name for b in _hierarchy_order(bones)], parent)
    return _rig(obj, order, parent)


def _rig(obj: bpy.types.Object, order: list[str], parent: dict[str, str | None]) -> RigRest:
    bones = obj.data.bones
    index = {name: i for i, name in enumerate(order)}
    return RigRest(
        bone_names=tuple(order),
        parents=tuple(-1 if parent[n] is None else index[parent[n]] for n in order),
        rest=np.array([np.array(bones[n].matrix_local) for n in order], dtype=np.float64),
        lengths=np.array([bones[n].length for n in order], dtype=np.float64),
        matrix_world=np.array(obj.matrix_world, dtype=np.float64),
    )


def _hierarchy_order(bones) -> list[bpy.types.Bone]:
    ordered: list[bpy.types.Bone] = []
    stack = [b for b in reversed(bones) if b.parent is None]
    while stack:
        bone = stack.pop()
        ordered.append(bone)
        stack.extend(reversed(bone.children))
    return ordered


def _follows(obj: bpy.types.Object, name: str) -> str | None:
    """The bone whose whole world transform `name` copies (a full Copy Transforms at the same rest), if any."""
    bones = obj.data.bones
    for c in obj.pose.bones[name].constraints:
        if (
            c.type == "COPY_TRANSFORMS"
            and c.enabled
            and c.influence == 1.0
            and c.target == obj
            and c.subtarget in bones
            and c.owner_space == c.target_space == "WORLD"
            and c.mix_mode == "REPLACE"
            and np.allclose(np.array(bones[name].matrix_local), np.array(bones[c.subtarget].matrix_local), atol=1e-5)
        ):
            return c.subtarget
    return None
