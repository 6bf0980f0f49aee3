"""A hierarchical body representation (after EvoSkeleton, CVPR 2020): joint positions <-> segment tree.

The body is a tree of segments. A rigid segment (pelvis, upper torso, head, feet) carries several joints
as fixed offsets in its own frame, built by Gram-Schmidt from two joint-to-joint vectors; its pose is a
rotation relative to its parent's frame. A bone (upper arm, forearm, thigh, shin) carries one joint; its
pose is a unit direction in its parent's frame, and its own frame is the parent's frame swung (smallest
rotation) from the bone's swing origin to that direction, so forearms and shins live in frames attached
to their parent bone. Shapes (offsets, bone lengths) are per person, so encode/decode round-trips exactly.

Frames and units: joints (N, 21, 3) in metres, Z up, the `BODY` joints; a segment frame's columns are the
subject's left, back and up at the anatomical neutral pose.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..rotations import frame_from, normalize, rotation_between
from ..skeleton import BODY

X, Y, Z = 0, 1, 2


@dataclass(frozen=True)
class Segment:
    """A rigid segment (`axes` set) or a bone (`swing_origin` set); see the module docstring."""

    name: str
    parent: str | None
    pivot: str
    points: tuple[str, ...]
    axes: tuple[tuple[str, str, int], tuple[str, str, int]] | None = None
    swing_origin: tuple[float, float, float] | None = None

    @property
    def is_bone(self) -> bool:
        return self.swing_origin is not None


def _side(name: str, sign: float) -> str:
    return name.replace("left_", "right_") if sign < 0 else name


def _limb_segments(sign: float) -> tuple[Segment, ...]:
    side = "left" if sign > 0 else "right"
    s = _side
    # The arm's swing origin points down, out and forward: its opposite (up, across and back) is out of reach.
    arm_origin = tuple(normalize(np.array([0.6 * sign, -0.45, -0.66])).tolist())
    return (
        Segment(f"{side}_upper_arm", "upper_torso", s("left_shoulder", sign), (s("left_elbow", sign),),
                swing_origin=arm_origin),  # type: ignore[arg-type]
        Segment(f"{side}_forearm", f"{side}_upper_arm", s("left_elbow", sign), (s("left_wrist", sign),),
                swing_origin=(0.0, 0.0, -1.0)),
        Segment(f"{side}_thigh", "pelvis", s("left_hip", sign), (s("left_knee", sign),), swing_origin=(0.0, 0.0, -1.0)),
        Segment(f"{side}_shin", f"{side}_thigh", s("left_knee", sign), (s("left_ankle", sign),),
                swing_origin=(0.0, 0.0, -1.0)),
        Segment(f"{side}_foot", f"{side}_shin", s("left_ankle", sign), (s("left_heel", sign), s("left_toe", sign)),
                axes=((s("left_toe", sign), s("left_heel", sign), Y),
                      (s("left_heel", sign), s("left_ankle", sign), Z))),
    )  # fmt: skip


SEGMENTS: tuple[Segment, ...] = (
    Segment("pelvis", None, "pelvis", ("left_hip", "right_hip", "spine"),
            axes=(("right_hip", "left_hip", X), ("pelvis", "spine", Z))),
    Segment("upper_torso", "pelvis", "spine", ("thorax", "left_shoulder", "right_shoulder"),
            axes=(("right_shoulder", "left_shoulder", X), ("spine", "thorax", Z))),
    Segment("head", "upper_torso", "thorax", ("neck", "head_top"),
            axes=(("thorax", "head_top", Z), ("neck", "thorax", Y))),
    *_limb_segments(1.0),
    *_limb_segments(-1.0),
)  # fmt: skip
SEGMENT_BY_NAME = {s.name: s for s in SEGMENTS}


@dataclass
class BodyPose:
    """N people as segment trees. `local`: rigid -> (N, 3, 3) rotation in the parent frame, bone -> (N, 3)
    unit direction in the parent frame. `shape`: rigid -> (N, points, 3) offsets from the pivot in metres in
    its own frame, bone -> (N,) length in metres. `root`: (N, 3) pelvis position; `frame`: (N, 3, 3) pelvis frame."""

    root: np.ndarray
    frame: np.ndarray
    local: dict[str, np.ndarray] = field(default_factory=dict)
    shape: dict[str, np.ndarray] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.root)

    def take(self, index: np.ndarray) -> BodyPose:
        """The people at `index` (an index array or boolean mask)."""
        return BodyPose(
            self.root[index],
            self.frame[index],
            {k: v[index] for k, v in self.local.items()},
            {k: v[index] for k, v in self.shape.items()},
        )

    @staticmethod
    def concatenate(poses: list[BodyPose]) -> BodyPose:
        first = poses[0]
        return BodyPose(
            np.concatenate([p.root for p in poses]),
            np.concatenate([p.frame for p in poses]),
            {k: np.concatenate([p.local[k] for p in poses]) for k in first.local},
            {k: np.concatenate([p.shape[k] for p in poses]) for k in first.shape},
        )


def _rigid_frame(joints: np.ndarray, segment: Segment) -> np.ndarray:
    (a0, a1, axis_a), (b0, b1, axis_b) = segment.axes  # type: ignore[misc]
    j = BODY.index
    primary = joints[:, j(a1)] - joints[:, j(a0)]
    secondary = joints[:, j(b1)] - joints[:, j(b0)]
    return frame_from(primary, secondary, axis_a, axis_b)


def _bone_frame(parent_frame: np.ndarray, segment: Segment, direction: np.ndarray) -> np.ndarray:
    origin = np.asarray(segment.swing_origin)
    return parent_frame @ rotation_between(np.broadcast_to(origin, direction.shape), direction)


def encode(joints: np.ndarray) -> BodyPose:
    """(N, 21, 3) metres, `BODY` order -> BodyPose; exact inverse of `decode`."""
    joints = np.asarray(joints, dtype=np.float64)
    j = BODY.index
    frames: dict[str, np.ndarray] = {}
    pose = BodyPose(joints[:, j("pelvis")].copy(), np.empty(0))
    for seg in SEGMENTS:
        pivot = joints[:, j(seg.pivot)]
        parent = frames[seg.parent] if seg.parent else None
        if seg.is_bone:
            vector = joints[:, j(seg.points[0])] - pivot
            length = np.linalg.norm(vector, axis=-1)
            direction = np.einsum("nji,nj->ni", parent, normalize(vector))
            frames[seg.name] = _bone_frame(parent, seg, direction)
            pose.local[seg.name], pose.shape[seg.name] = direction, length
        else:
            frame = _rigid_frame(joints, seg)
            frames[seg.name] = frame
            offsets = np.stack([joints[:, j(p)] - pivot for p in seg.points], axis=1)
            pose.shape[seg.name] = np.einsum("nji,npj->npi", frame, offsets)
            if parent is None:
                pose.frame = frame
            else:
                pose.local[seg.name] = np.swapaxes(parent, -1, -2) @ frame
    return pose


def decode(pose: BodyPose) -> np.ndarray:
    """BodyPose -> (N, 21, 3) joint positions in metres, `BODY` order."""
    n = len(pose)
    joints = np.full((n, len(BODY), 3), np.nan)
    j = BODY.index
    joints[:, j("pelvis")] = pose.root
    frames: dict[str, np.ndarray] = {}
    for seg in SEGMENTS:
        pivot = joints[:, j(seg.pivot)]
        if seg.is_bone:
            parent = frames[seg.parent]  # type: ignore[index]
            direction = pose.local[seg.name]
            frames[seg.name] = _bone_frame(parent, seg, direction)
            world = np.einsum("nij,nj->ni", parent, direction)
            joints[:, j(seg.points[0])] = pivot + pose.shape[seg.name][:, None] * world
        else:
            frame = pose.frame if seg.parent is None else frames[seg.parent] @ pose.local[seg.name]
            frames[seg.name] = frame
            world = np.einsum("nij,npj->npi", frame, pose.shape[seg.name])
            for k, p in enumerate(seg.points):
                joints[:, j(p)] = pivot + world[:, k]
    return joints


def subtree(name: str) -> tuple[str, ...]:
    """The segment `name` and every segment below it, parents first."""
    out = [name]
    for seg in SEGMENTS:
        if seg.parent in out:
            out.append(seg.name)
    return tuple(out)
