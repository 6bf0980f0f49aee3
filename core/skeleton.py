"""Joint sets as data: names, parents, sides, and the mappings between sets.

Joint names are the subject's own left and right. A joint set is a forest: `parents[j]` is the index of
joint j's parent in the same set, -1 for a root. Mappings between sets are affine combinations of source
joints (weights summing to 1), so they commute with translation and never swap sides.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

LEFT, RIGHT, CENTRE = "left", "right", "centre"


@dataclass(frozen=True)
class JointSet:
    """Named joints of one skeleton convention; `parents` index into `joints` (-1: a root)."""

    name: str
    joints: tuple[str, ...]
    parents: tuple[int, ...]
    description: str = ""

    def __post_init__(self) -> None:
        if len(self.joints) != len(self.parents):
            raise ValueError(f"joint set {self.name}: {len(self.joints)} joints but {len(self.parents)} parents")
        if len(set(self.joints)) != len(self.joints):
            raise ValueError(f"joint set {self.name}: joint names repeat")
        for j, p in enumerate(self.parents):
            if not -1 <= p < len(self.joints) or p == j:
                raise ValueError(f"joint set {self.name}: joint {self.joints[j]} has parent index {p}")

    def __len__(self) -> int:
        return len(self.joints)

    @cached_property
    def _index(self) -> dict[str, int]:
        return {name: j for j, name in enumerate(self.joints)}

    def index(self, name: str) -> int:
        """Index of a joint by name; KeyError names the set when it has no such joint."""
        try:
            return self._index[name]
        except KeyError:
            raise KeyError(f"joint set {self.name} has no joint named {name!r}") from None

    def side(self, name: str) -> str:
        return side_of(name)

    @cached_property
    def mirror(self) -> tuple[int, ...]:
        """For each joint, the index of its other-side twin (itself for joints on the midline)."""
        return tuple(self._index.get(mirror_name(name), j) for j, name in enumerate(self.joints))

    @cached_property
    def bones(self) -> tuple[tuple[int, int], ...]:
        """(parent, child) index pairs, one per joint that has a parent."""
        return tuple((p, j) for j, p in enumerate(self.parents) if p >= 0)


def side_of(name: str) -> str:
    """The subject's side a joint name says: 'left', 'right' or 'centre'."""
    if name.startswith("left_") or name.endswith("_left"):
        return LEFT
    if name.startswith("right_") or name.endswith("_right"):
        return RIGHT
    return CENTRE


def mirror_name(name: str) -> str:
    """The same joint on the other side of the body (unchanged on the midline)."""
    for a, b in (("left", "right"), ("right", "left")):
        if name.startswith(a + "_"):
            return b + name[len(a) :]
        if name.endswith("_" + a):
            return name[: -len(a)] + b
    return name


def _joint_set(name: str, description: str, tree: list[tuple[str, str | None]]) -> JointSet:
    """A joint set from (joint, parent name or None) rows, in order."""
    joints = tuple(j for j, _ in tree)
    index = {j: i for i, j in enumerate(joints)}
    return JointSet(name, joints, tuple(-1 if p is None else index[p] for _, p in tree), description)


H36M_17 = _joint_set(
    "h36m17",
    "Human3.6M's 17 joints in their usual order (neck: H36M's neck/nose joint).",
    [
        ("pelvis", None),
        ("right_hip", "pelvis"),
        ("right_knee", "right_hip"),
        ("right_ankle", "right_knee"),
        ("left_hip", "pelvis"),
        ("left_knee", "left_hip"),
        ("left_ankle", "left_knee"),
        ("spine", "pelvis"),
        ("thorax", "spine"),
        ("neck", "thorax"),
        ("head_top", "neck"),
        ("left_shoulder", "thorax"),
        ("left_elbow", "left_shoulder"),
        ("left_wrist", "left_elbow"),
        ("right_shoulder", "thorax"),
        ("right_elbow", "right_shoulder"),
        ("right_wrist", "right_elbow"),
    ],
)

POSELIFT = _joint_set(
    "poselift",
    "Our 3D skeleton: the Human3.6M 17 first, then heels, toes and three points per hand.",
    [(H36M_17.joints[j], None if p < 0 else H36M_17.joints[p]) for j, p in enumerate(H36M_17.parents)]
    + [
        ("right_heel", "right_ankle"),
        ("right_toe", "right_ankle"),
        ("left_heel", "left_ankle"),
        ("left_toe", "left_ankle"),
        ("left_thumb", "left_wrist"),
        ("left_index", "left_wrist"),
        ("left_pinky", "left_wrist"),
        ("right_thumb", "right_wrist"),
        ("right_index", "right_wrist"),
        ("right_pinky", "right_wrist"),
    ],
)

BODY = JointSet(
    "body21",
    POSELIFT.joints[:21],
    POSELIFT.parents[:21],
    "Our skeleton without the hand points: the Human3.6M 17, heels and toes (the joints a 3D pose prior models).",
)

BLAZEPOSE_33 = _joint_set(
    "blazepose33",
    "MediaPipe BlazePose's 33 landmarks in model order; roots: nose and both hips (no pelvis or neck).",
    [
        ("nose", None),
        ("left_eye_inner", "nose"),
        ("left_eye", "left_eye_inner"),
        ("left_eye_outer", "left_eye"),
        ("right_eye_inner", "nose"),
        ("right_eye", "right_eye_inner"),
        ("right_eye_outer", "right_eye"),
        ("left_ear", "left_eye_outer"),
        ("right_ear", "right_eye_outer"),
        ("mouth_left", "nose"),
        ("mouth_right", "nose"),
        ("left_shoulder", "left_hip"),
        ("right_shoulder", "right_hip"),
        ("left_elbow", "left_shoulder"),
        ("right_elbow", "right_shoulder"),
        ("left_wrist", "left_elbow"),
        ("right_wrist", "right_elbow"),
        ("left_pinky", "left_wrist"),
        ("right_pinky", "right_wrist"),
        ("left_index", "left_wrist"),
        ("right_index", "right_wrist"),
        ("left_thumb", "left_wrist"),
        ("right_thumb", "right_wrist"),
        ("left_hip", None),
        ("right_hip", None),
        ("left_knee", "left_hip"),
        ("right_knee", "right_hip"),
        ("left_ankle", "left_knee"),
        ("right_ankle", "right_knee"),
        ("left_heel", "left_ankle"),
        ("right_heel", "right_ankle"),
        ("left_foot_index", "left_ankle"),
        ("right_foot_index", "right_ankle"),
    ],
)

COCO_17 = _joint_set(
    "coco17",
    "COCO's 17 keypoints in order; roots: nose and both hips.",
    [
        ("nose", None),
        ("left_eye", "nose"),
        ("right_eye", "nose"),
        ("left_ear", "left_eye"),
        ("right_ear", "right_eye"),
        ("left_shoulder", "left_hip"),
        ("right_shoulder", "right_hip"),
        ("left_elbow", "left_shoulder"),
        ("right_elbow", "right_shoulder"),
        ("left_wrist", "left_elbow"),
        ("right_wrist", "right_elbow"),
        ("left_hip", None),
        ("right_hip", None),
        ("left_knee", "left_hip"),
        ("right_knee", "right_hip"),
        ("left_ankle", "left_knee"),
        ("right_ankle", "right_knee"),
    ],
)

MPII_14 = _joint_set(
    "mpii14",
    "The 14 joints of MPII as Convolutional Pose Machines order them.",
    [
        ("head_top", "upper_neck"),
        ("upper_neck", None),
        ("right_shoulder", "upper_neck"),
        ("right_elbow", "right_shoulder"),
        ("right_wrist", "right_elbow"),
        ("left_shoulder", "upper_neck"),
        ("left_elbow", "left_shoulder"),
        ("left_wrist", "left_elbow"),
        ("right_hip", "upper_neck"),
        ("right_knee", "right_hip"),
        ("right_ankle", "right_knee"),
        ("left_hip", "upper_neck"),
        ("left_knee", "left_hip"),
        ("left_ankle", "left_knee"),
    ],
)

JOINT_SETS: dict[str, JointSet] = {s.name: s for s in (POSELIFT, H36M_17, BLAZEPOSE_33, COCO_17, MPII_14)}


@dataclass(frozen=True)
class JointMapping:
    """Target joints as affine combinations of source joints; a target with no recipe maps to NaN."""

    source: JointSet
    target: JointSet
    recipes: dict[str, dict[str, float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for target_name, recipe in self.recipes.items():
            self.target.index(target_name)
            for source_name in recipe:
                self.source.index(source_name)
            if abs(sum(recipe.values()) - 1.0) > 1e-9:
                raise ValueError(f"mapping {self.source.name}->{self.target.name}: {target_name} weights must sum to 1")

    @cached_property
    def matrix(self) -> np.ndarray:
        """(J_target, J_source) weights; a row of NaN for a target joint the source cannot give."""
        m = np.full((len(self.target), len(self.source)), np.nan)
        for t, name in enumerate(self.target.joints):
            recipe = self.recipes.get(name, {name: 1.0} if name in self.source.joints else None)
            if recipe is not None:
                m[t] = 0.0
                for source_name, weight in recipe.items():
                    m[t, self.source.index(source_name)] = weight
        return m

    @cached_property
    def mapped(self) -> np.ndarray:
        """(J_target,) bool: which target joints the source gives."""
        return ~np.isnan(self.matrix[:, 0])

    def apply(self, points: np.ndarray) -> np.ndarray:
        """(..., J_source, D) -> (..., J_target, D); NaN where the source lacks a joint a recipe uses."""
        w = np.nan_to_num(self.matrix)
        used = (w != 0).astype(float)
        finite = np.isfinite(points).all(axis=-1)
        out = np.einsum("ts,...sd->...td", w, np.where(finite[..., None], points, 0.0))
        complete = np.einsum("ts,...s->...t", used, (~finite).astype(float)) == 0
        return np.where((complete & self.mapped)[..., None], out, np.nan)

    def apply_confidence(self, confidence: np.ndarray) -> np.ndarray:
        """(..., J_source) in [0, 1] -> (..., J_target): the least confident source of each recipe, 0 if none."""
        w = np.nan_to_num(self.matrix) != 0
        c = np.where(w, confidence[..., None, :], np.inf).min(axis=-1)
        return np.where(self.mapped, c, 0.0)


def _mid(a: str, b: str, weight: float = 1.0) -> dict[str, float]:
    return {a: weight / 2, b: weight / 2}


def _add(*recipes: dict[str, float]) -> dict[str, float]:
    out: dict[str, float] = {}
    for r in recipes:
        for k, v in r.items():
            out[k] = out.get(k, 0.0) + v
    return out


_PELVIS = _mid("left_hip", "right_hip")
_THORAX = _mid("left_shoulder", "right_shoulder")
_SPINE = _add(_mid("left_hip", "right_hip", 0.5), _mid("left_shoulder", "right_shoulder", 0.5))
# The top of the skull from the face: the mid-ear point raised by 1.7 eye-to-mouth heights.
_HEAD_TOP_BLAZEPOSE = _add(
    _mid("left_ear", "right_ear"), _mid("left_eye", "right_eye", 1.7), _mid("mouth_left", "mouth_right", -1.7)
)
# The same from COCO's face points: the mid-ear point raised by 3 nose-to-eye heights.
_HEAD_TOP_COCO = _add(_mid("left_ear", "right_ear"), _mid("left_eye", "right_eye", 3.0), {"nose": -3.0})

MAPPINGS: dict[tuple[str, str], JointMapping] = {
    (m.source.name, m.target.name): m
    for m in (
        JointMapping(
            BLAZEPOSE_33,
            POSELIFT,
            {
                "pelvis": _PELVIS,
                "spine": _SPINE,
                "thorax": _THORAX,
                "neck": {"nose": 1.0},
                "head_top": _HEAD_TOP_BLAZEPOSE,
                "left_toe": {"left_foot_index": 1.0},
                "right_toe": {"right_foot_index": 1.0},
            },
        ),
        JointMapping(
            COCO_17,
            POSELIFT,
            {"pelvis": _PELVIS, "spine": _SPINE, "thorax": _THORAX, "neck": {"nose": 1.0}, "head_top": _HEAD_TOP_COCO},
        ),
        JointMapping(MPII_14, POSELIFT, {"pelvis": _PELVIS, "thorax": {"upper_neck": 1.0}}),
        JointMapping(POSELIFT, H36M_17),
        JointMapping(H36M_17, POSELIFT),
        JointMapping(POSELIFT, MPII_14, {"upper_neck": {"thorax": 1.0}}),
        JointMapping(POSELIFT, COCO_17, {"nose": {"neck": 1.0}}),
        JointMapping(BLAZEPOSE_33, COCO_17),
        JointMapping(BLAZEPOSE_33, MPII_14, {"upper_neck": _THORAX, "head_top": _HEAD_TOP_BLAZEPOSE}),
    )
}


def mapping(source: str | JointSet, target: str | JointSet) -> JointMapping:
    """The mapping from one joint set to another, by set or set name."""
    key = (getattr(source, "name", source), getattr(target, "name", target))
    try:
        return MAPPINGS[key]
    except KeyError:
        raise KeyError(f"no mapping from joint set {key[0]} to {key[1]}") from None


def subset_parents(joint_names: tuple[str, ...] | list[str], joint_set: JointSet = POSELIFT) -> tuple[int, ...]:
    """Parents within a subset of a set's joints: each joint's nearest ancestor that the subset has (-1: none)."""
    where = {name: i for i, name in enumerate(joint_names)}
    parents = []
    for name in joint_names:
        p = joint_set.parents[joint_set.index(name)]
        while p >= 0 and joint_set.joints[p] not in where:
            p = joint_set.parents[p]
        parents.append(-1 if p < 0 else where[joint_set.joints[p]])
    return tuple(parents)


DEFAULT_HEIGHT = 1.70
"""Metres. A round adult stature, between the usual female and male national means that NCD-RisC tabulates
(eLife 2016, doi:10.7554/eLife.13410); a default to set per person, not an estimate."""
ANKLE_HEIGHT = 0.039
"""Height of the ankle joint above the floor as a fraction of stature (Winter, Biomechanics and Motor Control of
Human Movement, 4th ed. 2009, fig. 4.1: segment lengths as fractions of body height)."""


def stature(poses):
    """(..., J, 3) poses, numpy or torch, whose first 17 joints are H36M_17's -> (...,) standing height in the poses'
    unit, from bone lengths: the legs (mean of the sides), pelvis to spine to thorax, thorax to head top, and the
    ankle's height above the floor."""

    def length(a: str, b: str):
        bone = poses[..., H36M_17.index(a), :] - poses[..., H36M_17.index(b), :]
        return bone.norm(dim=-1) if hasattr(bone, "norm") else np.linalg.norm(bone, axis=-1)

    legs = (sum(length(f"{s}_hip", f"{s}_knee") + length(f"{s}_knee", f"{s}_ankle") for s in ("left", "right"))) / 2
    trunk = length("pelvis", "spine") + length("spine", "thorax") + length("thorax", "head_top")
    return (legs + trunk) / (1.0 - ANKLE_HEIGHT)
