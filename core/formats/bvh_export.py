"""BVH export: one person's joints in the pose file's frame -> a BVH file, written atomically, without Blender.

The skeleton: one BVH joint per joint of ours, named and parented as in `core.skeleton.POSELIFT`. Where a joint
has several children, its own rotation aims at its main child (the spine from the pelvis, the neck from the
thorax, the toe from the ankle, the index from the wrist) and each other child hangs from a helper joint
'<joint>_to_<child>' at the same place with its own rotation (as the LHipJoint of CMU's files), so every bone
turns on its own and every bone direction comes back exactly. A leaf joint ends in an End Site a quarter of its
bone's length further on, so importers give it a bone of its own.

OFFSETs hold a T-pose (facing the camera, arms out) with each bone at its median length over the frames. The
root has position channels with a zero OFFSET (absolute positions: readers that add them to the OFFSET and
readers that replace it agree); every joint has three rotation channels (degrees, the first outermost), in an
order whose middle axis is its bone's own, about which it turns least (a knee bending 150 degrees, an arm
hanging from the T-pose never meet gimbal lock); the root turns about the vertical first (YZX), so a body
facing any way does not either. Each rotation aims the joint's rest bone at the pose's bone; its twist about
the bone follows the joint's second child where it has one (the hip line turns the pelvis), else it is the
least turn from the parent.

Axes: the pose file's (X image right, Y away from the camera, Z up) become BVH's Y up: (x, y, z) = (X, Z, -Y),
the inverse of what Blender's importer and `core.formats.bvh.axes_to_z_up` do, so a subject facing the camera faces +z.
Where bone lengths are fixed, the joints come back to the printed precision (1e-6 units); otherwise bone
directions are exact and lengths are the medians.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..rotations import axis_angle_matrix, euler_xyz, frame_from, normalize
from ..skeleton import POSELIFT, mirror_name, subset_parents
from .atomic import Writer, write_atomically
from .bvh import UNITS

END_SITE_FRACTION = 0.25
# A joint's own rotation aims at this child where it has it; its other children hang from helper joints.
MAIN_CHILD = ("spine", "neck", "left_toe", "right_toe", "left_index", "right_index")
# The pose file's frame -> BVH's: x = X, y = Z, z = -Y.
TO_BVH_AXES = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]])
# Rotation channel orders by middle axis, cyclic so that R = Ri(a) @ Rj(b) @ Rk(c) = P @ Rx(a) @ Ry(b) @ Rz(c)
# @ P.T with P's columns the axes i, j, k (a relabelling of x, y, z).
ORDERS = {0: "ZXY", 1: "XYZ", 2: "YZX"}
ROOT_ORDER = "YZX"
_RELABEL = {order: np.eye(3)[:, ["XYZ".index(a) for a in order]] for order in ORDERS.values()}

_LEFT_REST = {
    "left_hip": (1.0, 0.0, 0.0),
    "left_knee": (0.0, 0.0, -1.0),
    "left_ankle": (0.0, 0.0, -1.0),
    "left_heel": (0.0, 0.35, -0.94),
    "left_toe": (0.0, -0.95, -0.3),
    "left_shoulder": (1.0, 0.0, 0.0),
    "left_elbow": (1.0, 0.0, 0.0),
    "left_wrist": (1.0, 0.0, 0.0),
    "left_thumb": (0.7, -0.7, 0.0),
    "left_index": (1.0, -0.2, 0.0),
    "left_pinky": (1.0, 0.2, 0.0),
}
# Each joint's direction from its parent in the rest T-pose, in the pose file's frame (subject's left is +X).
REST_DIRECTION: dict[str, np.ndarray] = {
    **{name: normalize(np.array(d)) for name, d in _LEFT_REST.items()},
    **{mirror_name(name): normalize(np.array(d) * (-1.0, 1.0, 1.0)) for name, d in _LEFT_REST.items()},
    **{name: np.array([0.0, 0.0, 1.0]) for name in ("spine", "thorax", "neck", "head_top")},
}


class BvhExportError(ValueError):
    """A BVH file that cannot be written; the message is one sentence naming the file."""


@dataclass(frozen=True)
class BvhSkeleton:
    """N BVH joints, parents first, each standing on one of the J input joints `joint_names` (J,).

    names (N,); parents (N,) (-1: the root); joint (N,) the input joint it stands on (a helper: its parent's);
    aim (N,) the input joint its rotation points its rest bone at (-1: a leaf, which keeps its parent's turn);
    twist (N,) the input joint that sets its twist about that bone (-1: the least turn from its parent);
    offsets (N, 3) metres in the pose file's frame; end_sites (N, 3) metres, NaN where a joint has children;
    orders (N,) its rotation channels' axes, e.g. 'ZXY' for Zrotation Xrotation Yrotation.
    """

    joint_names: tuple[str, ...]
    names: tuple[str, ...]
    parents: tuple[int, ...]
    joint: tuple[int, ...]
    aim: tuple[int, ...]
    twist: tuple[int, ...]
    offsets: np.ndarray
    end_sites: np.ndarray
    orders: tuple[str, ...]


def write_bvh(
    path: str | os.PathLike, joints: np.ndarray, joint_names: tuple[str, ...] | list[str], fps: float, unit: str = "m"
) -> Path:
    """Write one person's joints (F, J, 3) metres, pose file frame, NaN where missing, as a BVH file in `unit`
    ('m', 'cm', 'mm' or 'inch'); atomic. BvhExportError with one sentence naming the file when it cannot be."""
    path = Path(path)
    write = bvh_writer(path, joints, joint_names, fps, unit)
    try:
        return write_atomically(path, write)
    except OSError as e:
        raise BvhExportError(f"{path}: cannot be written ({e.strerror or e}).") from None


def bvh_writer(
    path: Path, joints: np.ndarray, joint_names: tuple[str, ...] | list[str], fps: float, unit: str = "m"
) -> Writer:
    """What writes `write_bvh`'s file into an open binary file, once its text is made (BvhExportError with one
    sentence naming `path` when it cannot be)."""
    try:
        data = bvh_text(joints, joint_names, fps, unit).encode("ascii")
    except ValueError as e:
        raise BvhExportError(f"{path}: cannot be written as BVH ({e}).") from None
    return lambda out: out.write(data)


def bvh_text(joints: np.ndarray, joint_names: tuple[str, ...] | list[str], fps: float, unit: str = "m") -> str:
    """The text of the BVH file `write_bvh` writes; ValueError with one clause (no file name) on bad input.

    Joints never seen are left out; a joint missing in some frames keeps its offset from its parent (a root:
    its position) from the last frame that saw it (the first, before that): a frame with nobody holds a pose.
    """
    joints, names = _checked(joints, joint_names, fps, unit)
    seen = np.isfinite(joints).all(axis=-1)
    keep = [j for j in range(len(names)) if seen[:, j].any()]
    if not keep:
        raise ValueError("no joint has a position in any frame")
    names = tuple(names[j] for j in keep)
    joints = _held(joints[:, keep], seen[:, keep], names)
    skeleton = bvh_skeleton(joints, names)
    units_per_metre = 1.0 / UNITS[unit]
    return _hierarchy(skeleton, units_per_metre) + _motion_text(bvh_motion(skeleton, joints, units_per_metre), fps)


def bvh_skeleton(joints: np.ndarray, joint_names: tuple[str, ...]) -> BvhSkeleton:
    """The BVH skeleton for joints (F, J, 3) metres with no NaN, names from POSELIFT with exactly one root."""
    parents = subset_parents(joint_names)
    roots = [joint_names[j] for j, p in enumerate(parents) if p < 0]
    if len(roots) != 1:
        raise ValueError(f"its joints form {len(roots)} separate trees ({', '.join(roots)}); BVH needs one root")
    children: dict[int, list[int]] = {j: [] for j in range(len(joint_names))}
    for j, p in enumerate(parents):
        if p >= 0:
            children[p].append(j)
    lengths = {
        j: float(np.median(np.linalg.norm(joints[:, j] - joints[:, p], axis=-1)))
        for j, p in enumerate(parents)
        if p >= 0
    }

    names, bvh_parents, joint, aim, twist, offsets, ends = [], [], [], [], [], [], []

    def add(name: str, parent: int, on: int, aims: int, twists: int, offset: np.ndarray) -> int:
        names.append(name)
        bvh_parents.append(parent)
        joint.append(on)
        aim.append(aims)
        twist.append(twists)
        offsets.append(offset)
        ends.append(np.full(3, np.nan))
        return len(names) - 1

    def visit(j: int, parent: int) -> None:
        offset = np.zeros(3) if parent < 0 else REST_DIRECTION[joint_names[j]] * lengths[j]
        kids = sorted(children[j], key=lambda c: joint_names[c] not in MAIN_CHILD)
        k = add(joint_names[j], parent, j, kids[0] if kids else -1, kids[1] if len(kids) > 1 else -1, offset)
        if not kids:
            ends[k] = REST_DIRECTION[joint_names[j]] * max(lengths[j] * END_SITE_FRACTION, 1e-3)
        for n, c in enumerate(kids):
            if n == 0:
                visit(c, k)
            else:
                helper = add(f"{joint_names[j]}_to_{joint_names[c]}", k, j, c, -1, np.zeros(3))
                visit(c, helper)

    visit(parents.index(-1), -1)
    orders = [ROOT_ORDER]
    for k in range(1, len(names)):  # the middle axis along the bone it aims at (a leaf: its own bone)
        bone = offsets[bvh_parents.index(k)] if k in bvh_parents else offsets[k]
        orders.append(ORDERS[int(np.argmax(np.abs(TO_BVH_AXES @ bone)))])
    return BvhSkeleton(
        tuple(joint_names), tuple(names), tuple(bvh_parents), tuple(joint), tuple(aim), tuple(twist),
        np.array(offsets), np.array(ends), tuple(orders),
    )  # fmt: skip


def bvh_motion(skeleton: BvhSkeleton, joints: np.ndarray, units_per_metre: float = 1.0) -> np.ndarray:
    """(F, 3 + 3N) channel values: root position in BVH axes and units, then each joint's three rotations in
    its order (degrees, unwrapped over frames), for joints (F, J, 3) metres with no NaN."""
    frames = len(joints)
    world: list[np.ndarray] = []
    local: list[np.ndarray] = []
    for k, parent in enumerate(skeleton.parents):
        above = np.broadcast_to(np.eye(3), (frames, 3, 3)) if parent < 0 else world[parent]
        turn = above if skeleton.aim[k] < 0 else _aimed(skeleton, k, joints, above)
        world.append(turn)
        local.append(np.swapaxes(above, -1, -2) @ turn)
    rotations = TO_BVH_AXES @ np.stack(local, axis=1) @ TO_BVH_AXES.T  # (F, N, 3, 3) in BVH axes
    relabel = np.stack([_RELABEL[order] for order in skeleton.orders])  # (N, 3, 3)
    angles = np.unwrap(euler_xyz(np.swapaxes(relabel, -1, -2) @ rotations @ relabel), axis=0)  # (F, N, 3)
    root = joints[:, skeleton.joint[0]] @ TO_BVH_AXES.T * units_per_metre
    return np.concatenate([root, np.degrees(angles).reshape(frames, -1)], axis=1)


def _aimed(skeleton: BvhSkeleton, k: int, joints: np.ndarray, above: np.ndarray) -> np.ndarray:
    """(F, 3, 3) world turn of BVH joint k from rest: its rest bone onto the pose's bone, twisted as described."""
    at = joints[:, skeleton.joint[k]]
    child = skeleton.parents.index(k)  # the BVH joint it aims at is its first child
    rest = normalize(skeleton.offsets[child])
    bone = joints[:, skeleton.aim[k]] - at
    held = np.einsum("fij,j->fi", above, rest)
    bone = np.where(np.linalg.norm(bone, axis=-1, keepdims=True) > 1e-9, normalize(bone), held)
    turn = _swing(held, bone) @ above
    if skeleton.twist[k] < 0:
        return turn
    side = joints[:, skeleton.twist[k]] - at
    side_rest = REST_DIRECTION[skeleton.joint_names[skeleton.twist[k]]]
    across = np.linalg.norm(np.cross(bone, normalize(side)), axis=-1)
    framed = frame_from(bone, side, 1, 0) @ frame_from(rest, side_rest, 1, 0).T
    return np.where((across > 1e-6)[:, None, None], framed, turn)


def _swing(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(F, 3, 3) the least rotation taking unit vectors a (F, 3) onto b (F, 3); half a turn about a
    perpendicular axis where they are opposite."""
    axis = np.cross(a, b)
    sine = np.linalg.norm(axis, axis=-1)
    cosine = np.einsum("fi,fi->f", a, b)
    other = np.where(np.abs(a[:, :1]) < 0.9, np.array([1.0, 0.0, 0.0]), np.array([0.0, 1.0, 0.0]))
    axis = np.where((sine > 1e-12)[:, None], axis, np.cross(a, other))
    return axis_angle_matrix(normalize(axis), np.arctan2(sine, cosine))


def _checked(joints, joint_names, fps: float, unit: str) -> tuple[np.ndarray, tuple[str, ...]]:
    try:
        joints = np.asarray(joints, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError("its joints are not an array of numbers") from None
    names = tuple(joint_names)
    if joints.ndim != 3 or joints.shape[-1] != 3 or joints.shape[0] < 1:
        raise ValueError(f"its joints have shape {joints.shape}, not (frames, joints, 3)")
    if joints.shape[1] != len(names):
        raise ValueError(f"it has {joints.shape[1]} joints but {len(names)} joint names")
    unknown = [n for n in names if n not in POSELIFT.joints]
    if unknown:
        raise ValueError(f"{unknown[0]!r} is not a PoseLift joint name")
    if len(set(names)) != len(names):
        raise ValueError("its joint names repeat")
    if not (np.isfinite(fps) and fps > 0):
        raise ValueError(f"its frame rate is {fps}, not a positive number of frames per second")
    if unit not in UNITS:
        raise ValueError(f"its unit {unit!r} is none of {', '.join(UNITS)}")
    return joints, names


def _held(joints: np.ndarray, seen: np.ndarray, names: tuple[str, ...]) -> np.ndarray:
    """(F, J, 3) with each joint's missing frames holding its offset from its parent (a root: its position)
    from the last frame that saw it (the first, before that)."""
    parents = subset_parents(names)
    frames = np.arange(len(joints))[:, None]
    last = np.maximum.accumulate(np.where(seen, frames, -1), axis=0)
    nearest = np.where(last < 0, np.argmax(seen, axis=0)[None], last)  # (F, J): the frame each one holds
    out = joints.copy()
    for j in sorted(range(len(names)), key=lambda j: POSELIFT.index(names[j])):  # parents first
        p = parents[j]
        offset = joints[nearest[:, j], j] - (0.0 if p < 0 else out[nearest[:, j], p])
        out[:, j] = np.where(seen[:, j, None], joints[:, j], offset + (0.0 if p < 0 else out[:, p]))
    return out


def _hierarchy(skeleton: BvhSkeleton, scale: float) -> str:
    lines = ["HIERARCHY"]

    def vector(v: np.ndarray) -> str:
        return " ".join(_number(x) for x in TO_BVH_AXES @ v * scale)

    def visit(k: int, depth: int) -> None:
        pad = "\t" * depth
        root = skeleton.parents[k] < 0
        lines.append(f"{pad}{'ROOT' if root else 'JOINT'} {skeleton.names[k]}")
        lines.append(f"{pad}{{")
        lines.append(f"{pad}\tOFFSET {vector(skeleton.offsets[k])}")
        position = "Xposition Yposition Zposition " if root else ""
        rotations = " ".join(f"{axis}rotation" for axis in skeleton.orders[k])
        lines.append(f"{pad}\tCHANNELS {6 if root else 3} {position}{rotations}")
        for child in [c for c, p in enumerate(skeleton.parents) if p == k]:
            visit(child, depth + 1)
        if np.isfinite(skeleton.end_sites[k]).all():
            end = vector(skeleton.end_sites[k])
            lines.extend([f"{pad}\tEnd Site", f"{pad}\t{{", f"{pad}\t\tOFFSET {end}", f"{pad}\t}}"])
        lines.append(f"{pad}}}")

    visit(0, 0)
    return "\n".join(lines) + "\n"


def _motion_text(motion: np.ndarray, fps: float) -> str:
    rows = "\n".join(" ".join(_number(x) for x in row) for row in motion)
    return f"MOTION\nFrames: {len(motion)}\nFrame Time: {1.0 / fps:.8f}\n{rows}\n"


def _number(x: float) -> str:
    return f"{round(float(x), 6) + 0.0:.6f}"
