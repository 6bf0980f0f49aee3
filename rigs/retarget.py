"""Retargeting maths: joint positions per frame -> a rig's local bone rotations and root motion.

Each bone that plays a role (`rigs.roles`) is turned, in armature space, by the rotation that takes the role's
segment at the rig's rest (between the joints the rig's own bones locate) onto the same segment in the
pose, twisted so the role's twist joints keep their side of it. Shapes: joints (F, J, 3) metres in world
space, Z up; rig rest matrices (B, 4, 4) in armature space, Blender's `bone.matrix_local` (Y along the bone).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core.motion import contacts
from ..core.motion.temporal import hold_nearest
from ..core.rotations import (
    axis_angle_matrix,
    continuous_quaternions,
    normalize,
    quaternion_from_matrix,
    quaternion_matrix,
    rotation_between,
)
from .roles import ROLE_BY_NAME, ROLES, Role

LEG_JOINTS = (("left_hip", "left_knee", "left_ankle"), ("right_hip", "right_knee", "right_ankle"))
FOOT_ROLES = ("left_foot", "right_foot", "left_toe", "right_toe", "left_shin", "right_shin")
# Source joints that can touch the floor, and so set the pose's own floor and foot height.
SOURCE_FEET = tuple(f"{side}_{j}" for side in ("left", "right") for j in ("knee", "ankle", "heel", "toe"))
# How far a twist joint lies off its bone's axis, as a share of its distance from the bone's head. Near the axis
# the side it is on is lost in noise: at rest, under MIN_REST_TWIST_SHARE the rig's body frame gives the side
# instead (`Role.rest_twist`); posed, the twist fades in from nothing at TWIST_FADE[0] to whole at TWIST_FADE[1].
MIN_REST_TWIST_SHARE = 0.2
TWIST_FADE = (0.1, 0.3)


@dataclass(frozen=True)
class RigRest:
    """A rig at rest: B bones, parents before children; `matrix_world` (4, 4) is its object's world matrix."""

    bone_names: tuple[str, ...]
    parents: tuple[int, ...]
    rest: np.ndarray
    lengths: np.ndarray
    matrix_world: np.ndarray

    @property
    def tails(self) -> np.ndarray:
        """(B, 3) rest tails in armature space."""
        return self.rest[:, :3, 3] + self.rest[:, :3, 1] * self.lengths[:, None]


@dataclass(frozen=True)
class Retarget:
    """Channels to key: `rotation` (F, B, 4) local quaternions (w, x, y, z), `location` (F, B, 3) local
    offsets in armature units (each bone's rest frame); `keyed` the bones to key, `root_bone` the one that
    carries root motion, `roles` {role: bone index} driven, `rested` the ancestors of keyed bones that are not
    keyed: the maths takes them at rest, so they are to be keyed at rest (else they keep an older pose)."""

    rotation: np.ndarray
    location: np.ndarray
    keyed: tuple[int, ...]
    root_bone: int
    roles: dict[str, int]
    rested: tuple[int, ...]
    located: tuple[int, ...]  # the keyed bones whose `location` moves: the root bone (and the hips)


def retarget(
    joints: np.ndarray,
    joint_names: tuple[str, ...],
    rig: RigRest,
    bones_by_role: dict[str, str],
    root_bone: str | None = None,
    *,
    in_place: bool = False,
    keep_above_floor: bool = True,
    lock_feet: bool = False,
    fps: float = 30.0,
    root_on_ground: bool = False,
) -> Retarget:
    """Turn the rig's role bones to follow `joints` (F, J, 3, world metres, Z up, NaN where missing).

    Root motion goes to `root_bone` (default: the hips bone), scaled by the ratio of the rig's leg length to
    the pose's: travel follows the pelvis from the first frame (none `in_place`), height follows the feet
    (see `_root_motion`), kept above the rig's rest floor with `keep_above_floor`; with `root_on_ground` (a game
    engine's root bone) the height goes on the hips instead. With `lock_feet`, feet that touch the floor and
    barely move (`core.motion.contacts`, at `fps`) are held still first.
    """
    if lock_feet:
        joints = feet_locked(np.asarray(joints, dtype=np.float64), joint_names, fps)
    index = {name: b for b, name in enumerate(rig.bone_names)}
    roles = {r.name: index[bones_by_role[r.name]] for r in ROLES if bones_by_role.get(r.name) in index}
    if "hips" not in roles:
        raise ValueError("the rig has no hips bone mapped")
    world_to_arm = np.linalg.inv(rig.matrix_world)
    source = _joints_by_name(joints, joint_names, world_to_arm)
    rest_points = _rest_joints(rig, roles)
    body = _rest_body_axes(rest_points, world_to_arm)
    frames = len(joints)

    turn: dict[str, np.ndarray] = {}
    for role in ROLES:
        if role.name not in roles:
            continue
        parent = _nearest(role, turn)
        turn[role.name] = _role_turn(role, source, rest_points, body, parent, rig, roles[role.name], frames)

    mover = index[root_bone] if root_bone in index else roles["hips"]
    keyed = tuple(sorted(set(roles.values()) | {mover}))
    rotation = _local_rotations(rig, {bone: turn[name] for name, bone in roles.items()}, keyed, frames)
    location = np.zeros((frames, len(rig.bone_names), 3))
    travel, lift = _root_motion(source, rig, roles, rest_points, rotation, in_place, keep_above_floor)
    hips = roles["hips"]
    if root_on_ground and mover != hips:  # the hips' parents do not turn, so an armature-space lift is theirs too
        location[:, mover] = travel @ rig.rest[mover, :3, :3]
        location[:, hips] = lift @ rig.rest[hips, :3, :3]
        located = tuple(sorted((mover, hips)))
    else:
        location[:, mover] = (travel + lift) @ rig.rest[mover, :3, :3]
        located = (mover,)
    return Retarget(rotation, location, keyed, mover, roles, _ancestors(rig, keyed), located)


def _ancestors(rig: RigRest, bones: tuple[int, ...]) -> tuple[int, ...]:
    """The bones above any of `bones` in the rig's hierarchy that are not among them, in order."""
    above: set[int] = set()
    for bone in bones:
        parent = rig.parents[bone]
        while parent >= 0 and parent not in above:
            above.add(parent)
            parent = rig.parents[parent]
    return tuple(sorted(above - set(bones)))


def feet_locked(joints: np.ndarray, names: tuple[str, ...], fps: float) -> np.ndarray:
    """(F, J, 3) with planted feet held still; unchanged when the pose lacks a leg."""
    legs = {f"{side}_{j}" for side in ("left", "right") for j in ("hip", "knee", "ankle")}
    if not legs <= set(names):
        return joints
    floor = contacts.floor_height(joints, names)
    return contacts.lock_feet(joints, names, contacts.foot_contacts(joints, names, fps, floor), floor)


def pose_matrices(rig: RigRest, rotation: np.ndarray, location: np.ndarray) -> np.ndarray:
    """(F, B, 4, 4) pose matrices in armature space: pose = parent_pose @ inv(parent_rest) @ rest @ basis."""
    poses = _poses(rig, rotation, location, range(len(rig.bone_names)))
    return np.stack([poses[b] for b in range(len(rig.bone_names))], axis=1)


def _poses(rig: RigRest, rotation: np.ndarray, location: np.ndarray, wanted) -> dict[int, np.ndarray]:
    """{bone: (F, 4, 4) pose matrix} for the `wanted` bones and their ancestors; a bone whose channels are
    all at rest costs one matrix product."""
    needed: set[int] = set()
    for b in wanted:
        while b >= 0 and b not in needed:
            needed.add(b)
            b = rig.parents[b]
    frames = len(rotation)
    identity = np.array([1.0, 0.0, 0.0, 0.0])
    poses: dict[int, np.ndarray] = {}
    for b in sorted(needed):
        p = rig.parents[b]
        offset = rig.rest[b] if p < 0 else np.linalg.inv(rig.rest[p]) @ rig.rest[b]
        parent = np.broadcast_to(np.eye(4), (frames, 4, 4)) if p < 0 else poses[p]
        pose = parent @ offset
        if not (np.all(rotation[:, b] == identity) and not location[:, b].any()):
            basis = np.zeros((frames, 4, 4))
            basis[:, :3, :3] = quaternion_matrix(rotation[:, b])
            basis[:, :3, 3] = location[:, b]
            basis[:, 3, 3] = 1.0
            pose = pose @ basis
        poses[b] = pose
    return poses


def _local_rotations(rig: RigRest, turns: dict[int, np.ndarray], keyed: tuple[int, ...], frames: int) -> np.ndarray:
    """(F, B, 4) local quaternions: each keyed bone's armature-space turn (F, 3, 3) relative to the turn it
    inherits (its nearest turned ancestor's), in its rest frame; every other bone at rest."""
    inherited: list[np.ndarray | None] = []
    for b, p in enumerate(rig.parents):
        inherited.append(turns.get(b, inherited[p] if p >= 0 else None))
    rotation = np.zeros((frames, len(rig.bone_names), 4))
    rotation[..., 0] = 1.0
    for b in keyed:
        p = rig.parents[b]
        own, above = inherited[b], inherited[p] if p >= 0 else None
        if own is None:
            continue
        relative = own if above is None else np.swapaxes(above, -1, -2) @ own
        rest = rig.rest[b, :3, :3]
        rotation[:, b] = continuous_quaternions(quaternion_from_matrix(rest.T @ relative @ rest))
    return rotation


def _joints_by_name(joints: np.ndarray, names: tuple[str, ...], world_to_arm: np.ndarray) -> dict[str, np.ndarray]:
    """{joint: (F, 3) armature-space metres}, NaN where missing."""
    p = np.asarray(joints, dtype=np.float64)
    p = p @ world_to_arm[:3, :3].T + world_to_arm[:3, 3]
    return {name: p[:, j] for j, name in enumerate(names)}


def _rest_joints(rig: RigRest, roles: dict[str, int]) -> dict[str, np.ndarray]:
    """Where the rig's role bones put our joints at rest: heads first, then the tails of single-joint roles."""
    points: dict[str, np.ndarray] = {}
    for name, b in roles.items():
        if len(ROLE_BY_NAME[name].head) == 1:
            points.setdefault(ROLE_BY_NAME[name].head[0], rig.rest[b, :3, 3])
    for name, b in roles.items():
        if len(ROLE_BY_NAME[name].tail) == 1:
            points.setdefault(ROLE_BY_NAME[name].tail[0], rig.tails[b])
    return points


def _rest_body_axes(points: dict[str, np.ndarray], world_to_arm: np.ndarray) -> dict[str, np.ndarray]:
    """The rig's own up, forward and down at rest (armature space), from its hips and spine where it has them."""
    up = world_to_arm[:3, :3] @ np.array([0.0, 0.0, 1.0])
    forward = world_to_arm[:3, :3] @ np.array([0.0, -1.0, 0.0])
    if {"pelvis", "thorax"} <= points.keys():
        up = points["thorax"] - points["pelvis"]
    up = normalize(up)
    if {"left_hip", "right_hip"} <= points.keys():
        forward = np.cross(points["left_hip"] - points["right_hip"], up)
    forward = normalize(forward - (forward @ up) * up)
    return {"up": up, "down": -up, "forward": forward, "back": -forward}


def _mean(points: dict[str, np.ndarray], names: tuple[str, ...]) -> np.ndarray | None:
    if not names or not all(n in points for n in names):
        return None
    return np.mean([points[n] for n in names], axis=0)


def _nearest(role: Role, turn: dict[str, np.ndarray]) -> np.ndarray | None:
    parent = role.parent
    while parent is not None and parent not in turn:
        parent = ROLE_BY_NAME[parent].parent
    return None if parent is None else turn[parent]


def _perpendicular(v: np.ndarray, axis: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The part of v (..., 3) perpendicular to unit axis, normalised, and its share of |v| (0 when v is NaN)."""
    perp = v - np.sum(v * axis, axis=-1, keepdims=True) * axis
    share = np.linalg.norm(perp, axis=-1) / np.maximum(np.linalg.norm(v, axis=-1), 1e-12)
    return normalize(perp), np.nan_to_num(share)


def _role_turn(
    role: Role,
    source: dict[str, np.ndarray],
    rest: dict[str, np.ndarray],
    body: dict[str, np.ndarray],
    parent: np.ndarray | None,
    rig: RigRest,
    bone: int,
    frames: int,
) -> np.ndarray:
    """(F, 3, 3) the armature-space rotation of one role's bone from rest to each frame."""
    inherited = np.repeat(np.eye(3)[None], frames, 0) if parent is None else parent
    head0, tail0 = _mean(rest, role.head), _mean(rest, role.tail)
    if head0 is None or not role.tail:
        return inherited
    if tail0 is None:
        tail0 = rig.tails[bone]
    head, tail = _mean(source, role.head), _mean(source, role.tail)
    if head is None or tail is None or not np.isfinite(tail - head).all(axis=-1).any():
        return inherited
    d0 = normalize(tail0 - head0)
    d = hold_nearest(normalize(tail - head))
    swing = rotation_between(np.einsum("fij,j->fi", inherited, d0), d) @ inherited

    twist0 = _mean(rest, role.twist)
    r0, share0 = _perpendicular(twist0 - head0, d0) if twist0 is not None else (None, 0.0)
    if share0 < MIN_REST_TWIST_SHARE and role.rest_twist:
        r0, share0 = _perpendicular(body[role.rest_twist], d0)
    twist = _mean(source, role.twist)
    if r0 is None or share0 < MIN_REST_TWIST_SHARE or twist is None:
        return swing
    r, share = _perpendicular(hold_nearest(twist - head), d)
    a = np.einsum("fij,j->fi", swing, r0)
    angle = np.arctan2(np.sum(d * np.cross(a, r), -1), np.sum(a * r, -1))
    weight = np.clip((share - TWIST_FADE[0]) / (TWIST_FADE[1] - TWIST_FADE[0]), 0.0, 1.0)
    return axis_angle_matrix(d, np.nan_to_num(angle) * weight) @ swing


def _leg_length(points: dict[str, np.ndarray]) -> float | None:
    lengths = []
    for hip, knee, ankle in LEG_JOINTS:
        if {hip, knee, ankle} <= points.keys():
            p = [points[hip], points[knee], points[ankle]]
            lengths.append(np.linalg.norm(p[1] - p[0], axis=-1) + np.linalg.norm(p[2] - p[1], axis=-1))
    if not lengths:
        return None
    value = float(np.nanmedian(np.concatenate([np.atleast_1d(x) for x in lengths])))
    return value if np.isfinite(value) and value > 0 else None


def _root_motion(source, rig, roles, rest, rotation, in_place, keep_above_floor) -> tuple[np.ndarray, np.ndarray]:
    """(F, 3) travel and (F, 3) height: armature-space offsets from rest, both scaled by leg length.

    Travel across the floor follows the pose's pelvis from the first frame (none `in_place`). Height puts the
    rig's lowest foot point as far above its rest floor as the pose's lowest foot point is above the pose's
    floor (the 5th percentile of that point's height), never below it with `keep_above_floor`; a rig with no
    feet keeps its hips at rest height, moved by the pose's pelvis height about its median. Heights are
    world Z, so an object rotated or scaled keeps its floor.
    """
    frames = len(rotation)
    m3 = rig.matrix_world[:3, :3]
    raise_one = np.linalg.solve(m3, np.array([0.0, 0.0, 1.0]))  # armature-space step that raises world Z by 1

    def height(p: np.ndarray) -> np.ndarray:
        return p @ rig.matrix_world[2, :3] + rig.matrix_world[2, 3]

    rig_leg, source_leg = _leg_length(rest), _leg_length(source)
    scale = rig_leg / source_leg if rig_leg and source_leg else 1.0  # both in armature units
    pelvis = hold_nearest(source["pelvis"]) if "pelvis" in source else np.full((frames, 3), np.nan)
    travel = np.zeros((frames, 3))
    if not in_place and np.isfinite(pelvis).all():
        across = (pelvis - pelvis[:1]) @ m3.T * scale
        across[:, 2] = 0.0
        travel = np.linalg.solve(m3, across.T).T
    feet = [roles[r] for r in FOOT_ROLES if r in roles]
    source_low = _lowest(height, [source[n] for n in SOURCE_FEET if n in source])
    if feet and source_low is not None:
        posed = _poses(rig, rotation, np.zeros(rotation.shape[:2] + (3,)), feet)
        pose = np.stack([posed[b] for b in feet], axis=1)
        tails = pose[..., :3, 3] + pose[..., :3, 1] * rig.lengths[feet, None]
        lowest = np.minimum(height(pose[..., :3, 3]).min(axis=1), height(tails).min(axis=1))
        floor = min(float(height(rig.rest[feet, :3, 3]).min()), float(height(rig.tails[feet]).min()))
        lift = scale * (source_low - np.percentile(source_low, 5))
        target = floor + (np.maximum(lift, 0.0) if keep_above_floor else lift)
        return travel, np.outer(target - lowest, raise_one)
    if np.isfinite(pelvis).all():
        return travel, np.outer(scale * (height(pelvis) - np.median(height(pelvis))), raise_one)
    return travel, np.zeros((frames, 3))


def _lowest(height, tracks: list[np.ndarray]) -> np.ndarray | None:
    """(F,) the lowest world height among joint tracks (F, 3) per frame, frames with none held; None if none."""
    if not tracks:
        return None
    heights = np.stack([height(t) for t in tracks], axis=1)
    seen = np.isfinite(heights).any(axis=1)
    if not seen.any():
        return None
    low = np.where(seen, np.min(np.where(np.isfinite(heights), heights, np.inf), axis=1), np.nan)
    return hold_nearest(low)
