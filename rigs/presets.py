"""Rig presets as data: which bone of a standard rig plays which role, and its rest pose.

Bone names are given without namespaces or rig-wide prefixes (`rigs.naming` matches those). Each preset is
written for the subject's left side and its right side is derived by the rig's own side convention.
"""

from __future__ import annotations

from dataclasses import dataclass

from .naming import find_bones
from .roles import ESSENTIAL_ROLES


@dataclass(frozen=True)
class RigPreset:
    """`bones`: {role: bone name}; `rest`: 'T' or 'A'; `root_bone`: where root motion goes (default: hips);
    `root_on_ground`: the root bone stays on the floor (a game engine's root motion): it takes the travel and the
    hips take the height."""

    name: str
    label: str
    rest: str
    bones: dict[str, str]
    root_bone: str | None = None
    root_on_ground: bool = False


@dataclass(frozen=True)
class RigMatch:
    """A preset matched against a rig: {role: the rig's bone} and the share of the preset's bones found."""

    preset: RigPreset
    bones: dict[str, str]
    score: float

    @property
    def missing_essentials(self) -> tuple[str, ...]:
        return tuple(r for r in ESSENTIAL_ROLES if r in self.preset.bones and r not in self.bones)


def _sided(centre: dict[str, str], left: dict[str, str], left_token: str, right_token: str) -> dict[str, str]:
    """Centre and left bones plus the right side, by swapping the rig's side token in each left name."""
    bones = dict(centre)
    for role, bone in left.items():
        if left_token not in bone:
            raise ValueError(f"left bone {bone} lacks the side token {left_token!r}")
        bones[f"left_{role}"] = bone
        bones[f"right_{role}"] = bone.replace(left_token, right_token)
    return bones


_LIMBS = ("shoulder", "upper_arm", "forearm", "hand", "thigh", "shin", "foot", "toe", "thumb")


def _limbs(*names: str) -> dict[str, str]:
    """Left limb bones in `_LIMBS` order; a rig without thumb bones leaves the last one out."""
    return dict(zip(_LIMBS, names, strict=False))


PRESETS: dict[str, RigPreset] = {
    p.name: p
    for p in (
        RigPreset(
            "mixamo",
            "Mixamo",
            "T",
            _sided(
                {"hips": "Hips", "spine": "Spine", "chest": "Spine1", "upper_chest": "Spine2", "neck": "Neck",
                 "head": "Head"},
                _limbs("LeftShoulder", "LeftArm", "LeftForeArm", "LeftHand", "LeftUpLeg", "LeftLeg", "LeftFoot",
                       "LeftToeBase", "LeftHandThumb1"),
                "Left", "Right",
            ),
        ),
        RigPreset(
            "metarig",
            "Blender / Rigify metarig",
            "T",
            _sided(
                {"hips": "spine", "spine": "spine.001", "chest": "spine.002", "upper_chest": "spine.003",
                 "neck": "spine.004", "head": "spine.006"},
                _limbs("shoulder.L", "upper_arm.L", "forearm.L", "hand.L", "thigh.L", "shin.L", "foot.L", "toe.L",
                       "thumb.01.L"),
                ".L", ".R",
            ),
        ),
        RigPreset(
            "rigify",
            "Rigify (generated rig, FK controls)",
            "T",
            _sided(
                {"hips": "torso", "spine": "spine_fk.001", "chest": "spine_fk.002", "upper_chest": "spine_fk.003",
                 "neck": "neck", "head": "head"},
                _limbs("shoulder.L", "upper_arm_fk.L", "forearm_fk.L", "hand_fk.L", "thigh_fk.L", "shin_fk.L",
                       "foot_fk.L", "toe_fk.L", "thumb.01.L"),
                ".L", ".R",
            ),
            root_bone="torso",
        ),
        RigPreset(
            "ue5",
            "Unreal Engine 5 mannequin",
            "A",
            _sided(
                {"hips": "pelvis", "spine": "spine_01", "chest": "spine_03", "upper_chest": "spine_05",
                 "neck": "neck_01", "head": "head"},
                _limbs("clavicle_l", "upperarm_l", "lowerarm_l", "hand_l", "thigh_l", "calf_l", "foot_l", "ball_l",
                       "thumb_01_l"),
                "_l", "_r",
            ),
            root_bone="root",
            root_on_ground=True,
        ),
        RigPreset(
            "ue4",
            "Unreal Engine 4 mannequin",
            "A",
            _sided(
                {"hips": "pelvis", "spine": "spine_01", "chest": "spine_02", "upper_chest": "spine_03",
                 "neck": "neck_01", "head": "head"},
                _limbs("clavicle_l", "upperarm_l", "lowerarm_l", "hand_l", "thigh_l", "calf_l", "foot_l", "ball_l",
                       "thumb_01_l"),
                "_l", "_r",
            ),
            root_bone="root",
            root_on_ground=True,
        ),
        RigPreset(
            "smpl",
            "SMPL / SMPL-H",
            "T",
            _sided(
                {"hips": "Pelvis", "spine": "Spine1", "chest": "Spine2", "upper_chest": "Spine3", "neck": "Neck",
                 "head": "Head"},
                _limbs("L_Collar", "L_Shoulder", "L_Elbow", "L_Wrist", "L_Hip", "L_Knee", "L_Ankle", "L_Foot"),
                "L_", "R_",
            ),
        ),
        RigPreset(
            "smplx",
            "SMPL-X",
            "T",
            _sided(
                {"hips": "pelvis", "spine": "spine1", "chest": "spine2", "upper_chest": "spine3", "neck": "neck",
                 "head": "head"},
                _limbs("left_collar", "left_shoulder", "left_elbow", "left_wrist", "left_hip", "left_knee",
                       "left_ankle", "left_foot", "left_thumb1"),
                "left_", "right_",
            ),
        ),
        RigPreset(
            "cmu",
            "CMU mocap BVH",
            "T",
            _sided(
                {"hips": "Hips", "spine": "LowerBack", "chest": "Spine", "upper_chest": "Spine1", "neck": "Neck",
                 "head": "Head"},
                _limbs("LeftShoulder", "LeftArm", "LeftForeArm", "LeftHand", "LeftUpLeg", "LeftLeg", "LeftFoot",
                       "LeftToeBase"),
                "Left", "Right",
            ),
        ),
    )
}  # fmt: skip


def match(preset: RigPreset, rig_bones: list[str]) -> RigMatch:
    """Which of the preset's roles the rig's bones play, and the share of the preset's bones found."""
    found = find_bones(preset.bones.values(), rig_bones)
    bones = {role: found[bone] for role, bone in preset.bones.items() if bone in found}
    return RigMatch(preset, bones, len(bones) / len(preset.bones))


def detect(rig_bones: list[str], presets: dict[str, RigPreset] = PRESETS) -> list[RigMatch]:
    """Every preset matched against the rig, best first: most roles found, then the largest share of the preset's
    own bones (a small preset must not win on share alone: a fingerless Mixamo rig is not CMU's); ties keep the
    registry's order."""
    return sorted((match(p, rig_bones) for p in presets.values()), key=lambda m: (-len(m.bones), -m.score))
