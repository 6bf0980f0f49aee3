"""Joint positions to an armature: its rest pose, and per frame the bone channels that put it on the joints.

The rig, in Blender's bone conventions (armature space, metres, Z up; a bone's Y axis runs head to tail):
- one bone per (parent joint, child joint) pair, named after the child joint, head on the parent joint, tail
  on the child joint, connected to the bone that ends on its parent joint (a bone leaving a root joint starts
  at that root bone's head instead), turned by the twist-free swing from its rest direction in its parent's
  frame, and stretched along its own Y axis (pose scale Y = length / rest length) with `inherit_scale` NONE,
  so a stretch stays in its bone;
- one root bone per joint with no parent among the joints (the pelvis, usually), named after that joint,
  pointing up from it, which carries the location.
So every head and tail lands on its joint at every frame, whatever the bone lengths do from frame to frame.
`pose_matrices` reproduces Blender's evaluation of these channels; the add-on tests check it against Blender.

Missing joints (NaN) hold their last offset from their parent (their first one, before they first appear), so
a missing frame holds the previous pose; a joint that is never finite gets no bone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core import skeleton
from ..core.motion.temporal import hold_nearest
from ..core.rotations import continuous_quaternions, quaternion_matrix

ROOT_BONE_LENGTH = 0.1  # metres
MIN_BONE_LENGTH = 1e-3  # metres; Blender removes zero-length bones
MIN_STRETCH = 1e-6  # a bone whose joints meet keeps this much of its rest length: its Y axis must not vanish


@dataclass(frozen=True)
class JointArmature:
    """An armature for K joints of a pose file: B bones, parents before children.

    joint_names (K,) and file_index (K,): the joints the armature carries and their indices in the file.
    joint_parents (K,): each joint's parent among those K (-1: a root joint).
    bone_names (B,), bone_parents (B,) (-1: a root bone), head_joint (B,), tail_joint (B,) (-1 for a root bone).
    rest (B, 4, 4): rest matrices in armature space, metres, Y along the bone, roll 0 as Blender defines it.
    lengths (B,): rest lengths in metres (per-bone median over the frames; ROOT_BONE_LENGTH for root bones).
    """

    joint_names: tuple[str, ...]
    file_index: tuple[int, ...]
    joint_parents: tuple[int, ...]
    bone_names: tuple[str, ...]
    bone_parents: tuple[int, ...]
    head_joint: tuple[int, ...]
    tail_joint: tuple[int, ...]
    rest: np.ndarray
    lengths: np.ndarray

    def is_root(self, bone: int) -> bool:
        return self.bone_parents[bone] < 0

    def is_connected(self, bone: int) -> bool:
        """Whether a bone's head sits on its parent's tail (every bone but root bones and their children)."""
        parent = self.bone_parents[bone]
        return parent >= 0 and not self.is_root(parent)

    def joints_from_bones(self, heads: np.ndarray, tails: np.ndarray) -> np.ndarray:
        """(..., B, 3) bone heads and tails -> (..., K, 3) joints: a root joint is its root bone's head, any other
        joint the tail of the bone named after it."""
        out = np.empty(heads.shape[:-2] + (len(self.joint_names), 3))
        for b, (head, tail) in enumerate(zip(self.head_joint, self.tail_joint, strict=True)):
            if tail < 0:
                out[..., head, :] = heads[..., b, :]
            else:
                out[..., tail, :] = tails[..., b, :]
        return out


@dataclass(frozen=True)
class BoneChannels:
    """Pose-bone channels per frame, as Blender keys them: basis = location @ rotation @ scale.

    location (F, B, 3) metres in the bone's rest frame (used by root bones only), rotation (F, B, 4) unit
    quaternions (w, x, y, z), hemisphere-continuous over frames, scale (F, B, 3).
    """

    location: np.ndarray
    rotation: np.ndarray
    scale: np.ndarray


@dataclass(frozen=True)
class BoneCurve:
    """One animated channel: `values` (F,) of `pose.bones[bone].<prop>[index]`."""

    bone: str
    prop: str
    index: int
    values: np.ndarray


def build_armature(joints3d: np.ndarray, joint_names: tuple[str, ...] | list[str]) -> JointArmature:
    """The armature for one person's joints: (F, J, 3) metres, Z up, NaN where missing; names from POSELIFT.

    The rest pose takes each bone's direction from the earliest frame that has the most joints (missing joints
    held as in `hold_missing`) and its length from the median over the frames where both its joints are known.
    """
    joints3d = np.asarray(joints3d, dtype=np.float64)
    known = np.isfinite(joints3d).all(axis=-1)
    file_index = tuple(int(j) for j in np.flatnonzero(known.any(axis=0)))
    if not file_index:
        raise ValueError("no joint has a position in any frame")
    names = tuple(joint_names[j] for j in file_index)
    joint_parents = skeleton.subset_parents(names)
    points = joints3d[:, file_index]
    held = hold_missing(points, joint_parents)
    reference = int(np.argmax(known[:, file_index].sum(axis=1)))

    bone_names, bone_parents, head_joint, tail_joint = [], [], [], []
    bone_of_joint: dict[int, int] = {}
    for k in _parents_first(joint_parents):
        parent = joint_parents[k]
        bone_of_joint[k] = len(bone_names)
        bone_names.append(names[k])
        bone_parents.append(bone_of_joint[parent] if parent >= 0 else -1)
        head_joint.append(parent if parent >= 0 else k)
        tail_joint.append(k if parent >= 0 else -1)

    rest_points = np.empty((len(names), 3))
    rest = np.empty((len(bone_names), 4, 4))
    lengths = np.empty(len(bone_names))
    for b, (head, tail) in enumerate(zip(head_joint, tail_joint, strict=True)):
        if tail < 0:
            rest_points[head] = held[reference, head]
            direction, length = np.array([0.0, 0.0, 1.0]), ROOT_BONE_LENGTH
        else:
            vectors = held[:, tail] - held[:, head]
            direction = _unit_or_none(vectors[reference])
            if direction is None:
                moving = np.flatnonzero(np.linalg.norm(vectors, axis=-1) > 1e-9)
                direction = vectors[moving[0]] / np.linalg.norm(vectors[moving[0]]) if moving.size else np.eye(3)[2]
            both = known[:, file_index[head]] & known[:, file_index[tail]]
            sample = np.linalg.norm((points[:, tail] - points[:, head])[both], axis=-1)
            if not sample.size:
                sample = np.linalg.norm(vectors, axis=-1)
            length = max(float(np.median(sample)), MIN_BONE_LENGTH)
            rest_points[tail] = rest_points[head] + direction * length
        rest[b] = np.eye(4)
        rest[b, :3, :3] = bone_rotation(direction)
        rest[b, :3, 3] = rest_points[head]
        lengths[b] = length
    return JointArmature(
        joint_names=names,
        file_index=file_index,
        joint_parents=joint_parents,
        bone_names=tuple(bone_names),
        bone_parents=tuple(bone_parents),
        head_joint=tuple(head_joint),
        tail_joint=tuple(tail_joint),
        rest=rest,
        lengths=lengths,
    )


def bone_channels(armature: JointArmature, joints3d: np.ndarray) -> BoneChannels:
    """Per-frame channels that put every head and tail on its joint: joints3d (F, J, 3) as in `build_armature`."""
    points = hold_missing(np.asarray(joints3d, dtype=np.float64)[:, armature.file_index], armature.joint_parents)
    frames, bones = points.shape[0], len(armature.bone_names)
    location = np.zeros((frames, bones, 3))
    rotation = np.zeros((frames, bones, 4))
    rotation[..., 0] = 1.0
    scale = np.ones((frames, bones, 3))
    world = np.empty((frames, bones, 3, 3))  # each bone's pose rotation in armature space, scale removed
    for b in range(bones):
        rest = armature.rest[b]
        head, tail, parent = armature.head_joint[b], armature.tail_joint[b], armature.bone_parents[b]
        if parent < 0:
            location[:, b] = (points[:, head] - rest[:3, 3]) @ rest[:3, :3]
            world[:, b] = rest[:3, :3]
            continue
        offset = np.linalg.inv(armature.rest[parent]) @ rest
        frame = world[:, parent] @ offset[:3, :3]
        vectors = points[:, tail] - points[:, head]
        length = np.linalg.norm(vectors, axis=-1)
        direction = vectors / np.where(length > 1e-9, length, np.nan)[:, None]
        direction = hold_nearest(direction)
        direction[~np.isfinite(direction).all(axis=-1)] = rest[:3, 1]
        q = _swing_from_y(np.einsum("fji,fj->fi", frame, direction))
        rotation[:, b] = q
        world[:, b] = frame @ quaternion_matrix(q)
        scale[:, b, 1] = np.maximum(length / armature.lengths[b], MIN_STRETCH)
    return BoneChannels(location=location, rotation=continuous_quaternions(rotation), scale=scale)


def bone_curves(armature: JointArmature, channels: BoneChannels) -> list[BoneCurve]:
    """The channels worth keying: location of root bones; rotation and Y scale of the others."""
    curves = []
    for b, name in enumerate(armature.bone_names):
        if armature.is_root(b):
            curves += [BoneCurve(name, "location", i, channels.location[:, b, i]) for i in range(3)]
        else:
            curves += [BoneCurve(name, "rotation_quaternion", i, channels.rotation[:, b, i]) for i in range(4)]
            curves.append(BoneCurve(name, "scale", 1, channels.scale[:, b, 1]))
    return curves


def pose_matrices(armature: JointArmature, channels: BoneChannels) -> np.ndarray:
    """(F, B, 4, 4) pose matrices in armature space, as Blender evaluates this rig.

    Root bone: pose = rest @ basis. Other bones (inherit_scale NONE): rotation and scale from
    normalize(parent_pose) @ inv(parent_rest) @ rest @ basis, location from parent_pose @ inv(parent_rest) @ rest
    applied to the basis location (zero for connected bones, which ignore it).
    """
    frames, bones = channels.rotation.shape[:2]
    basis = np.zeros((frames, bones, 4, 4))
    basis[..., :3, :3] = quaternion_matrix(channels.rotation) * channels.scale[..., None, :]
    basis[..., :3, 3] = channels.location
    basis[..., 3, 3] = 1.0
    pose = np.empty((frames, bones, 4, 4))
    for b in range(bones):
        parent = armature.bone_parents[b]
        if parent < 0:
            pose[:, b] = armature.rest[b] @ basis[:, b]
            continue
        offset = np.linalg.inv(armature.rest[parent]) @ armature.rest[b]
        unscaled = pose[:, parent].copy()
        unscaled[:, :3, :3] /= np.linalg.norm(unscaled[:, :3, :3], axis=-2, keepdims=True)
        pose[:, b] = unscaled @ offset @ basis[:, b]
        location = np.zeros((frames, 4))
        location[:, 3] = 1.0
        if not armature.is_connected(b):
            location[:, :3] = channels.location[:, b]
        pose[:, b, :, 3] = np.einsum("fij,fj->fi", pose[:, parent] @ offset, location)
    return pose


def heads_and_tails(armature: JointArmature, pose: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(F, B, 4, 4) pose matrices -> (F, B, 3) heads and (F, B, 3) tails, armature space, metres."""
    heads = pose[..., :3, 3]
    return heads, heads + pose[..., :3, 1] * armature.lengths[:, None]


def hold_missing(points: np.ndarray, parents: tuple[int, ...]) -> np.ndarray:
    """(F, K, 3) with NaN -> (F, K, 3) finite where the joint is ever finite.

    A missing joint keeps its offset from its (already filled) parent at the last frame it was seen, or at the
    first frame it is seen before it appears; a missing root joint keeps its last (or first) position.
    """
    out = np.array(points, dtype=np.float64)
    for k in _parents_first(parents):
        base = out[:, parents[k]] if parents[k] >= 0 else np.zeros_like(out[:, k])
        if np.isfinite(out[:, k]).all(axis=-1).any():
            out[:, k] = base + hold_nearest(points[:, k] - base)
    return out


def bone_rotation(direction: np.ndarray) -> np.ndarray:
    """(3, 3) rotation whose Y column is `direction` (unit), with Blender's roll 0 (the shortest turn from +Y;
    a half turn about Z for -Y), so an edit bone built from it reads roll 0."""
    x, y, z = direction
    theta = 1.0 + y
    if theta < 1e-6 and x * x + z * z < 1e-12:
        return np.diag([-1.0, -1.0, 1.0])
    if theta < 0.1:
        theta = (x * x + z * z) / (1.0 - y)  # 1 + y without the cancellation near -Y
    return np.array(
        [
            [1.0 - x * x / theta, x, -x * z / theta],
            [-x, y, -z],
            [-x * z / theta, z, 1.0 - z * z / theta],
        ]
    )


def _swing_from_y(d: np.ndarray) -> np.ndarray:
    """(F, 3) unit directions -> (F, 4) the shortest rotations taking +Y onto them (a half turn about X for -Y)."""
    x, y, z = d[:, 0], d[:, 1], d[:, 2]
    side = x * x + z * z
    one_plus_y = np.where(y < 0, side / np.maximum(1.0 - y, 1e-300), 1.0 + y)
    q = np.stack([one_plus_y, z, np.zeros_like(y), -x], axis=-1)
    norm = np.linalg.norm(q, axis=-1, keepdims=True)
    half_turn = norm[:, 0] < 1e-12
    q[half_turn] = (0.0, 1.0, 0.0, 0.0)
    norm[half_turn] = 1.0
    return q / norm


def _unit_or_none(v: np.ndarray) -> np.ndarray | None:
    n = float(np.linalg.norm(v))
    return v / n if n > 1e-9 else None


def _parents_first(parents: tuple[int, ...]) -> list[int]:
    """Indices of a forest ordered so every parent comes before its children."""
    order: list[int] = []
    placed = [False] * len(parents)

    def place(k: int) -> None:
        if not placed[k]:
            if parents[k] >= 0:
                place(parents[k])
            placed[k] = True
            order.append(k)

    for k in range(len(parents)):
        place(k)
    return order
