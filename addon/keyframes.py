"""The one module that touches F-curves: a new action on an object, keyed in bulk.

Keys go in with `keyframe_points.add` + `foreach_set`, never one `keyframe_insert` per frame. Blender 4.4
brought slotted actions (5.0 removed `Action.fcurves`): F-curves live in a layer's keyframe strip, in the
channelbag of the object's slot. 4.2 and 4.3 have only `Action.fcurves`. This module branches once on that.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import bpy
import numpy as np

_INTERPOLATION = bpy.types.Keyframe.bl_rna.properties["interpolation"].enum_items
LINEAR, CONSTANT = _INTERPOLATION["LINEAR"].value, _INTERPOLATION["CONSTANT"].value


@dataclass(frozen=True)
class Curve:
    """One animated channel: `values` (F,) of `data_path[index]`, grouped under `group` in the action."""

    data_path: str
    index: int
    group: str
    values: np.ndarray


def pose_bone_path(bone: str, prop: str) -> str:
    """The data path of a pose bone's property, e.g. pose.bones["left_knee"].rotation_quaternion."""
    return f'pose.bones["{bpy.utils.escape_identifier(bone)}"].{prop}'


def pose_bone_custom_path(bone: str, key: str) -> str:
    """The data path of a pose bone's custom property, e.g. pose.bones["thigh_parent.L"]["IK_FK"]."""
    return f'pose.bones["{bpy.utils.escape_identifier(bone)}"]["{bpy.utils.escape_identifier(key)}"]'


def new_action(obj: bpy.types.Object, name: str, curves: Iterable[Curve], frames: np.ndarray | None = None,
               visibility: Iterable[tuple[int, bool]] = ()) -> bpy.types.Action:
    """A new action for `obj` holding `curves`, keyed at the (K,) scene `frames` (default 1, 2, ...; a curve of
    fewer values, a constant, takes the first ones) with linear interpolation; and `visibility` keys (frame,
    hidden) on the object's viewport and render visibility, held constant. Assigned to `obj` (with its own slot
    where Blender has slots)."""
    action = bpy.data.actions.new(name)
    try:
        new_fcurve = _fcurve_maker(action, obj)
        for curve in curves:
            at = np.arange(1, len(curve.values) + 1) if frames is None else np.asarray(frames)[: len(curve.values)]
            _write_keys(new_fcurve(curve.data_path, curve.index, curve.group), at, curve.values, LINEAR)
        visibility = list(visibility)
        for data_path in ("hide_viewport", "hide_render") if visibility else ():
            at, hidden = (np.array(v, dtype=np.float32) for v in zip(*visibility, strict=True))
            _write_keys(new_fcurve(data_path, 0, "Visibility"), at, hidden, CONSTANT)
        _assign(action, obj)
    except BaseException:
        bpy.data.actions.remove(action)
        raise
    return action


def keys(fcurve: bpy.types.FCurve) -> np.ndarray:
    """(K, 2) the F-curve's keys: frame, value."""
    co = np.empty(2 * len(fcurve.keyframe_points), dtype=np.float32)
    fcurve.keyframe_points.foreach_get("co", co)
    return co.reshape(-1, 2)


def _write_keys(fcurve: bpy.types.FCurve, frames: np.ndarray, values: np.ndarray, interpolation: int) -> None:
    count = len(values)
    co = np.empty((count, 2), dtype=np.float32)
    co[:, 0], co[:, 1] = frames, values
    points = fcurve.keyframe_points
    points.add(count)
    points.foreach_set("co", co.ravel())
    points.foreach_set("interpolation", np.full(count, interpolation, dtype=np.int32))
    fcurve.update()


if bpy.app.version >= (4, 4, 0):

    def _fcurve_maker(action: bpy.types.Action, obj: bpy.types.Object) -> Callable[[str, int, str], bpy.types.FCurve]:
        slot = action.slots.new(id_type="OBJECT", name=obj.name)
        channelbag = action.layers.new("Layer").strips.new(type="KEYFRAME").channelbag(slot, ensure=True)

        def new_fcurve(data_path: str, index: int, group: str) -> bpy.types.FCurve:
            fcurve = channelbag.fcurves.new(data_path, index=index)
            fcurve.group = channelbag.groups.get(group) or channelbag.groups.new(group)
            return fcurve

        return new_fcurve

    def _assign(action: bpy.types.Action, obj: bpy.types.Object) -> None:
        animation = obj.animation_data or obj.animation_data_create()
        animation.action = action
        animation.action_slot = action.slots[0]

    def object_fcurves(obj: bpy.types.Object) -> list[bpy.types.FCurve]:
        """The F-curves that animate `obj`: those of its action's slot for it."""
        animation = obj.animation_data
        if animation is None or animation.action is None or animation.action_slot is None:
            return []
        fcurves = []
        for layer in animation.action.layers:
            for strip in layer.strips:
                channelbag = strip.channelbag(animation.action_slot)
                fcurves += list(channelbag.fcurves) if channelbag else []
        return fcurves

else:

    def _fcurve_maker(action: bpy.types.Action, obj: bpy.types.Object) -> Callable[[str, int, str], bpy.types.FCurve]:
        def new_fcurve(data_path: str, index: int, group: str) -> bpy.types.FCurve:
            return action.fcurves.new(data_path, index=index, action_group=group)

        return new_fcurve

    def _assign(action: bpy.types.Action, obj: bpy.types.Object) -> None:
        (obj.animation_data or obj.animation_data_create()).action = action

    def object_fcurves(obj: bpy.types.Object) -> list[bpy.types.FCurve]:
        """The F-curves that animate `obj`: those of its action."""
        animation = obj.animation_data
        return list(animation.action.fcurves) if animation and animation.action else []
