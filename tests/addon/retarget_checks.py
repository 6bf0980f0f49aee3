"""Measures of a retargeted rig read back from Blender's evaluated depsgraph: where each mapped bone points
against the source limb, the twist of forearms and shins, and how far the feet go below the rest floor."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from poselift.core.formats.posefile import PoseSequence
from poselift.rigs.roles import ROLE_BY_NAME

# Bones whose axis runs from the role's head joints to its tail joints on every rig: the limbs, hands, feet, head.
LIMB_ROLES = tuple(
    f"{side}_{part}" for side in ("left", "right")
    for part in ("upper_arm", "forearm", "hand", "thigh", "shin", "foot")
) + ("head",)  # fmt: skip
FLOOR_ROLES = ("left_foot", "right_foot", "left_toe", "right_toe")


@dataclass
class Measures:
    """Per role: angles in degrees over frames; `sink`: how far the lowest foot point went below the rest
    floor, in the rig's world units (negative: always above it)."""

    direction: dict[str, np.ndarray] = field(default_factory=dict)
    twist: dict[str, np.ndarray] = field(default_factory=dict)
    sink: float = 0.0

    def worst(self) -> tuple[str, float, float]:
        """The role with the largest median direction error: (role, median, max)."""
        role = max(self.direction, key=lambda r: np.median(self.direction[r]))
        return role, float(np.median(self.direction[role])), float(self.direction[role].max())

    def line(self, name: str) -> str:
        role, median, worst = self.worst()
        twist = " ".join(f"{r} {np.median(v):.1f}/{v.max():.1f}" for r, v in sorted(self.twist.items()) if len(v))
        return f"{name}: worst limb {role} median {median:.2f} max {worst:.2f} deg; twist (median/max) {twist}"


def angle_deg(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a / np.linalg.norm(a, axis=-1, keepdims=True)
    b = b / np.linalg.norm(b, axis=-1, keepdims=True)
    return np.degrees(np.arccos(np.clip(np.sum(a * b, axis=-1), -1.0, 1.0)))


def evaluated_bones(bpy, obj, frame: int) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """{bone: (head, tail, 3x3 world rotation of its axes)} in world space at `frame`, from the depsgraph."""
    bpy.context.scene.frame_set(frame)
    evaluated = obj.evaluated_get(bpy.context.evaluated_depsgraph_get())
    world = np.array(evaluated.matrix_world)
    out = {}
    for pose_bone in evaluated.pose.bones:
        m = world @ np.array(pose_bone.matrix)
        out[pose_bone.name] = (
            world[:3, :3] @ np.array(pose_bone.head) + world[:3, 3],
            world[:3, :3] @ np.array(pose_bone.tail) + world[:3, 3],
            m[:3, :3],
        )
    return out


def _perpendicular(v: np.ndarray, axis: np.ndarray) -> np.ndarray:
    axis = axis / np.linalg.norm(axis, axis=-1, keepdims=True)
    return v - np.sum(v * axis, axis=-1, keepdims=True) * axis


def measure(bpy, obj, pose: PoseSequence, bones: dict[str, str], twist_bones: dict[str, str]) -> Measures:
    """Evaluate `obj` at every frame of the action (frame 1 = the pose's first) and measure it against the
    pose's person 0. `bones`: {role: bone} retargeted; `twist_bones`: {forearm or shin role: the bone whose
    head marks the side the twist keeps (thumb for a forearm, toe for a shin)}."""
    joints = {name: pose.joints3d[:, 0, j].astype(np.float64) for j, name in enumerate(pose.joint_names)}
    world = np.array(obj.matrix_world)
    rest = {}
    for name in set(bones.values()) | set(twist_bones.values()):
        bone = obj.data.bones[name]
        rest[name] = (world @ np.array(bone.matrix_local), world[:3, :3] @ np.array(bone.head_local) + world[:3, 3])
    twist_source = {"forearm": ("wrist", "thumb"), "shin": ("ankle", "toe")}
    direction = {r: [] for r in LIMB_ROLES if r in bones and _has(joints, r)}
    twist = {
        r: [] for r in twist_bones if all(f"{r.split('_')[0]}_{j}" in joints for j in twist_source[r.split("_", 1)[1]])
    }
    lowest = []
    for f in range(pose.frames):
        posed = evaluated_bones(bpy, obj, f + 1)
        for role in direction:
            head, tail, _ = posed[bones[role]]
            want = _mean(joints, ROLE_BY_NAME[role].tail, f) - _mean(joints, ROLE_BY_NAME[role].head, f)
            if np.isfinite(want).all():
                direction[role].append(float(angle_deg(tail - head, want)))
        for role in twist:
            marker = twist_bones[role]
            side, part = role.split("_", 1)
            base, tip = (joints[f"{side}_{j}"][f] for j in twist_source[part])
            head, tail, rotation = posed[bones[role]]
            if not np.isfinite(tip - base).all():
                continue
            rest_matrix, _ = rest[bones[role]]
            marker_rest = rest[marker][1] - rest_matrix[:3, 3]
            carried = rotation @ rest_matrix[:3, :3].T @ marker_rest
            axis = tail - head
            twist[role].append(float(angle_deg(_perpendicular(carried, axis), _perpendicular(tip - base, axis))))
        lowest.append(min(min(posed[bones[r]][0][2], posed[bones[r]][1][2]) for r in FLOOR_ROLES if r in bones))
    floor = min(
        min(rest[bones[r]][1][2], (world @ np.append(np.array(obj.data.bones[bones[r]].tail_local), 1.0))[2])
        for r in FLOOR_ROLES if r in bones
    )  # fmt: skip
    return Measures(
        direction={r: np.array(v) for r, v in direction.items()},
        twist={r: np.array(v) for r, v in twist.items()},
        sink=float(floor - min(lowest)),
    )


def _has(joints: dict[str, np.ndarray], role: str) -> bool:
    r = ROLE_BY_NAME[role]
    return all(j in joints and np.isfinite(joints[j]).any() for j in r.head + r.tail)


def _mean(joints: dict[str, np.ndarray], names: tuple[str, ...], f: int) -> np.ndarray:
    return np.mean([joints[n][f] for n in names], axis=0)
