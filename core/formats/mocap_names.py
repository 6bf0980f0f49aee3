"""Common mocap joint names mapped onto PoseLift's skeleton (data), and a BVH clip turned into a pose sequence.

Each naming convention is a table: for a POSELIFT joint, recipes tried in order, the first whose source joints
all exist winning. A recipe is an affine combination of source joints (weights summing to 1), so derived
joints follow the body wherever it goes. Source names are matched case-insensitively, with any namespace
('mixamorig:', 'Character1|') and separators ('_', '.', ' ', '-') ignored; an End Site is '<joint>_end'.

Derived joints, by convention:
- pelvis: the midpoint of the two hip joints everywhere (the rigs' own root sits at various heights).
- thorax: the base of the neck (the joint where the neck starts); neck: the base of the skull (the head
  joint), standing in for Human3.6M's neck/nose point; head_top: the head's End Site where it reaches the top
  of the skull, else the head joint pushed on by one neck length (neck base -> head joint).
- spine: the spine joint nearest halfway between pelvis and thorax.
- toes: the foot's End Site (the toe tip, as BlazePose's foot index); hand points (Mixamo only): the index
  and pinky knuckles and the thumb's second knuckle, as BlazePose's. No convention here has heels.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from ..skeleton import H36M_17, POSELIFT
from .bvh import BvhClip, BvhError, to_pose_frame
from .posefile import PoseSequence

Recipe = dict[str, float]


def normalise(name: str) -> str:
    """A joint name reduced for matching: no namespace, lower case, letters and digits only."""
    return re.sub(r"[^0-9a-z]", "", re.split(r"[:|]", name)[-1].lower())


@dataclass(frozen=True)
class NamingConvention:
    """POSELIFT joint -> recipes over this convention's joint names, the first complete one used."""

    name: str
    description: str
    recipes: dict[str, tuple[Recipe, ...]]

    def __post_init__(self) -> None:
        for joint, alternatives in self.recipes.items():
            POSELIFT.index(joint)
            for recipe in alternatives:
                if abs(sum(recipe.values()) - 1.0) > 1e-9:
                    raise ValueError(f"convention {self.name}: a recipe for {joint} has weights not summing to 1")

    def resolve(self, names: tuple[str, ...] | list[str]) -> dict[str, dict[int, float]]:
        """For the source joint `names`, each POSELIFT joint it gives: {source index: weight}."""
        index: dict[str, int] = {}
        for i, name in enumerate(names):
            index.setdefault(normalise(name), i)
        out = {}
        for joint in POSELIFT.joints:
            for recipe in self.recipes.get(joint, ()):
                keys = [normalise(n) for n in recipe]
                if all(k in index for k in keys):
                    out[joint] = {index[k]: w for k, w in zip(keys, recipe.values(), strict=True)}
                    break
        return out


def _table(rows: dict[str, object]) -> dict[str, tuple[Recipe, ...]]:
    """Rows of joint -> a name, a recipe, or a list of either (alternatives) -> recipes."""

    def recipe(r) -> Recipe:
        return {r: 1.0} if isinstance(r, str) else dict(r)

    return {joint: tuple(recipe(r) for r in (v if isinstance(v, list) else [v])) for joint, v in rows.items()}


def _mid(a: str, b: str) -> Recipe:
    return {a: 0.5, b: 0.5}


def _beyond(joint: str, base: str) -> Recipe:
    """The point one (base -> joint) length past `joint`."""
    return {joint: 2.0, base: -1.0}


_SIDES = ({"{side}": "left", "{Side}": "Left", "{S}": "L"}, {"{side}": "right", "{Side}": "Right", "{S}": "R"})


def _sides(rows: dict[str, object]) -> dict[str, object]:
    """Rows with '{side}', '{Side}' or '{S}' in them, written out for the left side and the right."""
    out: dict[str, object] = {}
    for joint, value in rows.items():
        for words in _SIDES if "{side}" in joint else ({},):
            out[_fill(joint, words)] = _fill(value, words)
    return out


def _fill(value, words: dict[str, str]):
    if isinstance(value, list):
        return [_fill(v, words) for v in value]
    if isinstance(value, dict):
        return {_fill(k, words): w for k, w in value.items()}
    for key, word in words.items():
        value = value.replace(key, word)
    return value


MOCAPBANK = NamingConvention(
    "mocapbank",
    "Hips, Chest, Chest2, Neck, Head; LeftCollar, LeftShoulder (the arm's root), LeftElbow, LeftWrist; LeftHip, "
    "LeftKnee, LeftAnkle (the CMU-derived set of test_mocapbank.bvh and many academic clips).",
    _table(
        _sides(
            {
                "pelvis": _mid("LeftHip", "RightHip"),
                "spine": "Chest2",
                "thorax": "Neck",
                "neck": "Head",
                "head_top": ["Head_end", _beyond("Head", "Neck")],
                "{side}_hip": "{Side}Hip",
                "{side}_knee": "{Side}Knee",
                "{side}_ankle": "{Side}Ankle",
                "{side}_toe": "{Side}Ankle_end",
                "{side}_shoulder": "{Side}Shoulder",
                "{side}_elbow": "{Side}Elbow",
                "{side}_wrist": "{Side}Wrist",
            }
        )
    ),
)

MIXAMO = NamingConvention(
    "mixamo",
    "Adobe Mixamo: Hips, Spine, Spine1, Spine2, Neck, Head, HeadTop_End; LeftShoulder (clavicle), LeftArm, "
    "LeftForeArm, LeftHand and fingers; LeftUpLeg, LeftLeg, LeftFoot, LeftToeBase; usually 'mixamorig:'.",
    _table(
        _sides(
            {
                "pelvis": _mid("LeftUpLeg", "RightUpLeg"),
                "spine": "Spine1",
                "thorax": "Neck",
                "neck": "Head",
                "head_top": ["HeadTop_End", "Head_end", _beyond("Head", "Neck")],
                "{side}_hip": "{Side}UpLeg",
                "{side}_knee": "{Side}Leg",
                "{side}_ankle": "{Side}Foot",
                "{side}_toe": ["{Side}Toe_End", "{Side}ToeBase_end", "{Side}ToeBase"],
                "{side}_shoulder": "{Side}Arm",
                "{side}_elbow": "{Side}ForeArm",
                "{side}_wrist": "{Side}Hand",
                "{side}_thumb": "{Side}HandThumb2",
                "{side}_index": "{Side}HandIndex1",
                "{side}_pinky": "{Side}HandPinky1",
            }
        )
    ),
)

RIGIFY = NamingConvention(
    "rigify",
    "Blender's Rigify metarig (spine ... spine.006, thigh.L, shin.L, foot.L, upper_arm.L, forearm.L, hand.L) "
    "and its short form in test3.bvh (spine, spine.001, neck, face; no hand bones: the forearm's End Site).",
    _table(
        _sides(
            {
                "pelvis": _mid("thigh.L", "thigh.R"),
                "spine": ["spine.002", "spine.001"],
                "thorax": ["spine.004", "neck"],
                "neck": ["spine.006", "face"],
                "head_top": ["spine.006_end", _beyond("spine.006", "spine.004"), _beyond("face", "neck")],
                "{side}_hip": "thigh.{S}",
                "{side}_knee": "shin.{S}",
                "{side}_ankle": "foot.{S}",
                "{side}_toe": ["toe.{S}_end", "foot.{S}_end"],
                "{side}_shoulder": "upper_arm.{S}",
                "{side}_elbow": "forearm.{S}",
                "{side}_wrist": ["hand.{S}", "forearm.{S}_end"],
            }
        )
    ),
)

CONVENTIONS: dict[str, NamingConvention] = {c.name: c for c in (MOCAPBANK, MIXAMO, RIGIFY)}


def detect_convention(names: tuple[str, ...] | list[str]) -> NamingConvention:
    """The convention that gives the 17 Human3.6M joints from these names, the most joints winning a tie.

    ValueError (one sentence) when none gives all 17.
    """
    resolved = {c.name: c.resolve(names) for c in CONVENTIONS.values()}
    missing = {n: [j for j in H36M_17.joints if j not in r] for n, r in resolved.items()}
    complete = [n for n in CONVENTIONS if not missing[n]]
    if complete:
        return CONVENTIONS[max(complete, key=lambda n: len(resolved[n]))]
    best = min(CONVENTIONS, key=lambda n: len(missing[n]))
    raise ValueError(
        f"its joint names follow no known convention (nearest, {best}, lacks {', '.join(missing[best][:4])})"
    )


def pose_from_bvh(clip: BvhClip, convention: str | None = None) -> PoseSequence:
    """A one-person PoseSequence from a BVH clip: joints3d (F, 1, J, 3) metres, Z up, the file's facing kept.

    fps from the frame time; the joints are the POSELIFT joints the convention gives, in POSELIFT order.
    BvhError (one sentence naming the file) when the names follow no known convention.
    """
    try:
        chosen = CONVENTIONS[convention] if convention else detect_convention(clip.names)
    except ValueError as e:
        raise BvhError(f"{clip.source}: {e}.") from None
    except KeyError:
        raise BvhError(f"{clip.source}: unknown naming convention {convention!r}.") from None
    recipes = chosen.resolve(clip.names)
    if convention and any(j not in recipes for j in H36M_17.joints):
        raise BvhError(f"{clip.source}: its joint names do not give the 17 Human3.6M joints as {convention}.")
    joint_names = tuple(recipes)
    weights = np.zeros((len(joint_names), len(clip.joints)))
    for t, joint in enumerate(joint_names):
        for s, w in recipes[joint].items():
            weights[t, s] = w
    positions, frame = to_pose_frame(clip)
    joints3d = np.einsum("ts,fsd->ftd", weights, positions)[:, None].astype(np.float32)
    metadata = {"bvh": {"convention": chosen.name, "frame_time": clip.frame_time, **frame}}
    return PoseSequence.from_joints3d(joints3d, joint_names, fps=clip.fps, source=clip.source, metadata=metadata)
