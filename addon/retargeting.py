"""A pose file onto the user's armature as one new action: everything computed first, then keyed in one pass,
and every change undone when a step fails."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import bpy
import numpy as np

from ..core.formats.posefile import PoseFileError, PoseSequence, read_person
from ..rigs.naming import find_bones
from ..rigs.placement import present, scene_frames, scene_visibility
from ..rigs.presets import RigMatch
from ..rigs.retarget import Retarget, RigRest, pose_matrices, retarget
from ..rigs.roles import ESSENTIAL_ROLES, ROLE_BY_NAME
from . import bone_mapping, keyframes
from .rig_reader import RigError, check_armature, read_rig
from .scene_state import SceneState, reason, scene_fps, set_timing

# A generated Rigify rig's switches, keyed so its limbs follow the FK controls PoseLift keys (IK_FK) and the
# limbs, neck and head inherit their parents' turns (no isolated rotation), as the retargeting maths assumes.
RIGIFY_SWITCHES = {"IK_FK": 1.0, "FK_limb_follow": 0.0, "neck_follow": 1.0, "head_follow": 1.0}
# A keyed bone turned further than this from the retargeted pose by the rig's constraints is reported.
DRIFT_DEGREES = 2.0


class RetargetError(Exception):
    """A retargeting that could not be done; the message is one sentence."""


@dataclass(frozen=True)
class RetargetPlan:
    """Everything a retargeting will key, computed before anything in Blender changes."""

    pose: PoseSequence
    found: RigMatch
    rig: RigRest
    result: Retarget
    curves: list[keyframes.Curve]  # values on the `shown` frames (constants: one value)
    shown: np.ndarray  # (F,) bool: frames of the file where the person is present
    quaternion_bones: tuple[str, ...]
    switches: dict[tuple[str, str], float]
    notes: list[str] = field(default_factory=list)


def plan_retarget(
    obj: bpy.types.Object,
    path: str | Path,
    person: int = 0,
    preset: str = bone_mapping.AUTO,
    *,
    in_place: bool = False,
    keep_above_floor: bool = True,
    lock_feet: bool = False,
) -> RetargetPlan:
    """Read the pose file and the armature, match its bones and compute the keys; touches no Blender data.
    Raises RetargetError (or RigError) with one sentence."""
    check_armature(obj)
    path = Path(path)
    found = bone_mapping.best_match(obj, preset)
    if found is None:
        raise RigError(_unrecognised(obj, preset))
    try:
        pose = read_person(path, person)
    except PoseFileError as e:
        raise RetargetError(str(e)) from None
    rig = read_rig(obj)
    joints = pose.joints3d[:, person].astype(np.float64)
    result = retarget(
        joints, pose.joint_names, rig, found.bones, _root_bone(found, rig),
        in_place=in_place, keep_above_floor=keep_above_floor, lock_feet=lock_feet, fps=pose.fps,
        root_on_ground=found.preset.root_on_ground,
    )  # fmt: skip
    switches = _rigify_switches(obj)
    shown = present(joints)
    curves = _curves(rig, result, switches, shown)
    quaternion_bones = tuple(rig.bone_names[b] for b in (*result.keyed, *result.rested))
    notes = _notes(found, pose, person)
    return RetargetPlan(pose, found, rig, result, curves, shown, quaternion_bones, switches, notes)


def retarget_pose(
    context: bpy.types.Context, obj: bpy.types.Object, path: str | Path, person: int = 0, *,
    match_scene: bool = True, hide_when_absent: bool = False, **options
) -> tuple[bpy.types.Action, RetargetPlan]:
    """Retarget one person of a pose file onto `obj` as a new action keyed on the frames where the person is present
    (the file's first frame on the scene's first, played at the file's speed), and with `hide_when_absent` (a copy
    of the rig PoseLift made) the armature hidden on the others; with `match_scene`, the scene's frame rate and
    range become the file's. The armature's earlier action keeps a fake user so it is never lost. Any failure raises
    RetargetError and leaves the scene as it was."""
    path = Path(path)
    try:
        plan = plan_retarget(obj, path, person, **options)
    except (RetargetError, RigError) as e:
        raise RetargetError(str(e)) from None
    except Exception as e:
        raise RetargetError(f"{path}: cannot be retargeted onto {obj.name} ({reason(e)}).") from e
    before = SceneState.capture(context)
    rig_state = _RigState.capture(obj, plan)
    try:
        for name in plan.quaternion_bones:
            obj.pose.bones[name].rotation_mode = "QUATERNION"
        if rig_state.action is not None:
            rig_state.action.use_fake_user = True
        if match_scene:
            set_timing(context.scene, plan.pose)
        frames = scene_frames(np.flatnonzero(plan.shown), plan.pose.fps, scene_fps(context.scene),
                              context.scene.frame_start)  # fmt: skip
        visibility = scene_visibility(plan.shown, plan.pose.fps, scene_fps(context.scene),
                                      context.scene.frame_start) if hide_when_absent else []  # fmt: skip
        action = keyframes.new_action(obj, f"{obj.name}_{path.stem}", plan.curves, frames, visibility)
        for (name, key), value in plan.switches.items():
            obj.pose.bones[name][key] = value
        plan.notes.extend(_constraint_drift(context, obj, plan))
    except Exception as e:
        rig_state.restore(obj)
        before.restore(context)
        raise RetargetError(f"{path}: retargeting onto {obj.name} failed and was undone ({reason(e)}).") from e
    return action, plan


def _unrecognised(obj: bpy.types.Object, preset: str) -> str:
    where = "map its bones in the sidebar (Pose > Retarget > Bone Mapping) or load a bone-mapping file"
    if preset == bone_mapping.STORED:
        return f"{obj.name} has no bone mapping saved: {where}."
    if preset != bone_mapping.AUTO:
        wanted = bone_mapping.PRESETS[preset]
        return f"{obj.name} has no hips bone of the {wanted.label} rig ({wanted.bones['hips']}): {where}."
    return f"{obj.name} has no bones PoseLift recognises ({len(obj.data.bones)} bones): {where}."


def _root_bone(found: RigMatch, rig: RigRest) -> str | None:
    root = found.preset.root_bone
    return None if root is None else find_bones([root], rig.bone_names).get(root)


def _rigify_switches(obj: bpy.types.Object) -> dict[tuple[str, str], float]:
    """{(pose bone, property): value} for the switches of a generated Rigify rig; empty for other rigs."""
    if obj.data.get("rig_id") is None:
        return {}
    return {(b.name, k): v for b in obj.pose.bones for k, v in RIGIFY_SWITCHES.items() if k in b.keys()}


def _curves(
    rig: RigRest, result: Retarget, switches: dict[tuple[str, str], float], shown: np.ndarray
) -> list[keyframes.Curve]:
    """The keyed channels on the (F,) `shown` frames; channels the maths does not drive, one held key."""
    curves = []

    def constant(name: str, prop: str, values: tuple[float, ...]) -> list[keyframes.Curve]:
        """One key at the first frame, held: what the maths assumed of a channel it does not drive."""
        path = keyframes.pose_bone_path(name, prop)
        return [keyframes.Curve(path, i, name, np.array([v])) for i, v in enumerate(values)]

    for b in result.keyed:
        name = rig.bone_names[b]
        path = keyframes.pose_bone_path(name, "rotation_quaternion")
        curves += [keyframes.Curve(path, i, name, result.rotation[shown, b, i]) for i in range(4)]
        if b in result.located:
            path = keyframes.pose_bone_path(name, "location")
            curves += [keyframes.Curve(path, i, name, result.location[shown, b, i]) for i in range(3)]
        else:
            curves += constant(name, "location", (0.0, 0.0, 0.0))
        curves += constant(name, "scale", (1.0, 1.0, 1.0))
    for b in result.rested:
        name = rig.bone_names[b]
        curves += constant(name, "rotation_quaternion", (1.0, 0.0, 0.0, 0.0))
        curves += constant(name, "location", (0.0, 0.0, 0.0)) + constant(name, "scale", (1.0, 1.0, 1.0))
    for (name, key), value in switches.items():
        path = keyframes.pose_bone_custom_path(name, key)
        curves.append(keyframes.Curve(path, 0, name, np.full(int(shown.sum()), value)))
    return curves


def _notes(found: RigMatch, pose: PoseSequence, person: int) -> list[str]:
    """What the result leaves out: essential roles the rig lacks, joints the pose file never shows."""
    notes = []
    lacking = [r.replace("_", " ") for r in ESSENTIAL_ROLES if r not in found.bones]
    if lacking:
        notes.append(f"The rig has no {', '.join(lacking)} bone: the rest is retargeted.")
    seen = np.isfinite(pose.joints3d[:, person]).all(axis=-1).any(axis=0)
    shown = {name for name, s in zip(pose.joint_names, seen, strict=True) if s}
    unseen = sorted({j for role in found.bones for j in ROLE_BY_NAME[role].head + ROLE_BY_NAME[role].tail} - shown)
    if unseen:
        notes.append(f"The pose file never shows {', '.join(unseen)}: those bones follow their parents.")
    return notes


def _constraint_drift(context: bpy.types.Context, obj: bpy.types.Object, plan: RetargetPlan) -> list[str]:
    """A note naming the keyed bones that the rig's constraints turn away from the retargeted pose, read from
    the evaluated rig at the middle keyed frame (the maths assumes plain parenting); empty when none is."""
    scene = context.scene
    shown = np.flatnonzero(plan.shown)
    frame, current = int(shown[len(shown) // 2]), scene.frame_current
    at = float(scene_frames(np.array([frame]), plan.pose.fps, scene_fps(scene), scene.frame_start)[0])
    scene.frame_set(int(at), subframe=at - int(at))
    evaluated = obj.evaluated_get(context.evaluated_depsgraph_get())
    result = plan.result
    want = pose_matrices(plan.rig, result.rotation[frame : frame + 1], result.location[frame : frame + 1])[0]
    drift = {}
    for b in result.keyed:
        name = plan.rig.bone_names[b]
        got = np.array(evaluated.pose.bones[name].matrix)[:3, 1]
        cos = got @ want[b, :3, 1] / max(np.linalg.norm(got) * np.linalg.norm(want[b, :3, 1]), 1e-12)
        angle = float(np.degrees(np.arccos(np.clip(cos, -1.0, 1.0))))
        if angle > DRIFT_DEGREES:
            drift[name] = angle
    scene.frame_set(current)
    if not drift:
        return []
    worst = max(drift, key=drift.get)
    return [
        f"Constraints of {obj.name} turn {len(drift)} keyed bone(s) away from the retargeted pose (up to "
        f"{drift[worst]:.0f} degrees at {worst}): check its IK/FK switches or constraints."
    ]


@dataclass
class _RigState:
    """What retargeting changes on the armature: rotation modes and values, locations and scales of the keyed and
    rested bones, its animation data and action, the fake user of that action, and Rigify's switches."""

    had_animation: bool
    action: bpy.types.Action | None
    slot_handle: int | None
    fake_user: bool
    bones: dict[str, tuple]
    switches: dict[tuple[str, str], float]

    @classmethod
    def capture(cls, obj: bpy.types.Object, plan: RetargetPlan) -> _RigState:
        animation = obj.animation_data
        action = animation.action if animation else None
        slot = getattr(animation, "action_slot", None) if animation else None
        bones = {}
        for name in plan.quaternion_bones:
            b = obj.pose.bones[name]
            values = (tuple(b.rotation_quaternion), tuple(b.rotation_euler), tuple(b.rotation_axis_angle))
            bones[name] = (b.rotation_mode, values, tuple(b.location), tuple(b.scale))
        return cls(
            had_animation=animation is not None,
            action=action,
            slot_handle=None if slot is None else slot.handle,
            fake_user=bool(action and action.use_fake_user),
            bones=bones,
            switches={(n, k): obj.pose.bones[n][k] for n, k in plan.switches},
        )

    def restore(self, obj: bpy.types.Object) -> None:
        created = obj.animation_data.action if obj.animation_data else None
        if created is not None and created != self.action:
            obj.animation_data.action = None
            bpy.data.actions.remove(created)
        if not self.had_animation:
            obj.animation_data_clear()
        elif self.action is not None:
            obj.animation_data.action = self.action
            if self.slot_handle is not None:
                obj.animation_data.action_slot = next(s for s in self.action.slots if s.handle == self.slot_handle)
            self.action.use_fake_user = self.fake_user
        for name, (mode, (quaternion, euler, axis_angle), location, scale) in self.bones.items():
            b = obj.pose.bones[name]
            b.rotation_mode = mode
            b.rotation_quaternion, b.rotation_euler, b.rotation_axis_angle = quaternion, euler, axis_angle
            b.location, b.scale = location, scale
        for (name, key), value in self.switches.items():
            obj.pose.bones[name][key] = value
