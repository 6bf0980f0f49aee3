"""Human body facts as data: a neutral standing body and anatomical ranges of motion, with a validity test.

Ranges of motion are the normal adult values of the American Academy of Orthopaedic Surgeons (Greene &
Heckman, "The Clinical Measurement of Joint Motion", 1994), widened by `MARGIN_DEG` for the error of joint
centres estimated from markers or images; knee flexion goes past AAOS's 135 degrees to the 150 reached in deep
squats and kneeling (Hemmerich et al., "Hip, knee, and ankle kinematics of high range of motion activities of
daily living", J Orthop Res 2006), which the development clip test_mocapbank.bvh shows too. Segment proportions
are Drillis & Contini's fractions of body height (as tabulated in Winter, "Biomechanics and Motor Control of
Human Movement").
"""

from __future__ import annotations

import numpy as np

from ..rotations import euler_xyz, normalize, rotation_between
from ..skeleton import BODY, DEFAULT_HEIGHT
from .hierarchy import SEGMENT_BY_NAME, BodyPose

MARGIN_DEG = 10.0

# Joint heights and offsets as fractions of body height; the subject faces -Y (the camera), left is +X.
_NEUTRAL = {
    "pelvis": (0.0, 0.0, 0.52), "left_hip": (0.05, 0.0, 0.52), "right_hip": (-0.05, 0.0, 0.52),
    "left_knee": (0.05, 0.0, 0.285), "right_knee": (-0.05, 0.0, 0.285),
    "left_ankle": (0.05, 0.0, 0.039), "right_ankle": (-0.05, 0.0, 0.039),
    "left_heel": (0.05, 0.03, 0.008), "right_heel": (-0.05, 0.03, 0.008),
    "left_toe": (0.055, -0.12, 0.008), "right_toe": (-0.055, -0.12, 0.008),
    "spine": (0.0, 0.0, 0.665), "thorax": (0.0, 0.0, 0.81), "neck": (0.0, -0.055, 0.91), "head_top": (0.0, 0.0, 1.0),
    "left_shoulder": (0.105, 0.0, 0.80), "right_shoulder": (-0.105, 0.0, 0.80),
    "left_elbow": (0.12, 0.0, 0.63), "right_elbow": (-0.12, 0.0, 0.63),
    "left_wrist": (0.125, 0.0, 0.485), "right_wrist": (-0.125, 0.0, 0.485),
}  # fmt: skip

# (low, high) in degrees. Signs: flexion, abduction, plantarflexion and internal rotation are positive.
RANGES_DEG: dict[str, tuple[float, float]] = {
    "trunk_flexion": (-25.0, 80.0),
    "trunk_lateral_flexion": (-35.0, 35.0),
    "trunk_rotation": (-45.0, 45.0),
    "neck_flexion": (-45.0, 45.0),
    "neck_lateral_flexion": (-45.0, 45.0),
    "neck_rotation": (-60.0, 60.0),
    "hip_flexion": (-30.0, 120.0),
    "hip_abduction": (-30.0, 45.0),
    "knee_flexion": (0.0, 150.0),
    "knee_rotation": (-45.0, 45.0),  # the hip's internal/external rotation, seen at the bent knee
    "shoulder_extension": (-90.0, 60.0),
    "shoulder_adduction": (-90.0, 45.0),
    "shoulder_adduction_raised": (-90.0, 20.0),
    "elbow_flexion": (0.0, 150.0),
    "humeral_rotation": (-90.0, 70.0),
    "ankle_plantarflexion": (-20.0, 50.0),
    "foot_inversion": (-35.0, 35.0),
    "foot_toe_out": (-45.0, 45.0),
}
# Rotation about a limb's axis is only defined once the next joint bends by this much.
_BENT_DEG = 15.0


def neutral_body(height: float = DEFAULT_HEIGHT) -> np.ndarray:
    """(21, 3) metres, Z up, feet on the floor: the `BODY` joints standing at the anatomical neutral."""
    return np.array([_NEUTRAL[name] for name in BODY.joints]) * height


def _hinge_angles(child: np.ndarray, axis: np.ndarray, bend: np.ndarray, sign: float) -> tuple[np.ndarray, np.ndarray]:
    """Flexion (angle from the bone's axis) and the bend's rotation about the axis, in degrees."""
    flexion = np.degrees(np.arccos(np.clip(child @ axis, -1.0, 1.0)))
    rotation = np.degrees(np.arctan2(child @ np.cross(axis, bend), child @ bend)) * sign
    return flexion, rotation


def arm_bend(origin: np.ndarray) -> np.ndarray:
    """The forward direction (the elbow's bend at neutral) in the frame of an arm hanging at neutral."""
    return rotation_between(origin, np.array([0.0, 0.0, -1.0])).T @ np.array([0.0, -1.0, 0.0])


def joint_angles(pose: BodyPose) -> dict[str, np.ndarray]:
    """Anatomical angles in degrees, (N,) each, named as in `RANGES_DEG` (limbs prefixed by side)."""
    angles: dict[str, np.ndarray] = {}
    for part, key in (("trunk", "upper_torso"), ("neck", "head")):
        a = np.degrees(euler_xyz(pose.local[key]))
        angles[f"{part}_flexion"], angles[f"{part}_lateral_flexion"], angles[f"{part}_rotation"] = a.T
    down = np.array([0.0, 0.0, -1.0])
    for side, s in (("left", 1.0), ("right", -1.0)):
        u = pose.local[f"{side}_thigh"]
        angles[f"{side}_hip_flexion"] = np.degrees(np.arctan2(-u[:, 1], -u[:, 2]))
        angles[f"{side}_hip_abduction"] = np.degrees(np.arcsin(np.clip(s * u[:, 0], -1, 1)))
        flexion, rotation = _hinge_angles(pose.local[f"{side}_shin"], down, np.array([0.0, 1.0, 0.0]), s)
        angles[f"{side}_knee_flexion"], angles[f"{side}_knee_rotation"] = flexion, rotation
        u = pose.local[f"{side}_upper_arm"]
        angles[f"{side}_shoulder_extension"] = np.degrees(np.arcsin(np.clip(u[:, 1], -1, 1)))
        adduction = np.degrees(np.arcsin(np.clip(-s * u[:, 0], -1, 1)))
        angles[f"{side}_shoulder_adduction"] = adduction
        angles[f"{side}_shoulder_adduction_raised"] = np.where(u[:, 2] > 0, adduction, -90.0)
        origin = np.asarray(SEGMENT_BY_NAME[f"{side}_upper_arm"].swing_origin)
        flexion, rotation = _hinge_angles(pose.local[f"{side}_forearm"], origin, arm_bend(origin), s)
        angles[f"{side}_elbow_flexion"], angles[f"{side}_humeral_rotation"] = flexion, rotation
        a = np.degrees(euler_xyz(pose.local[f"{side}_foot"]))
        angles[f"{side}_ankle_plantarflexion"] = a[:, 0]
        angles[f"{side}_foot_inversion"] = a[:, 1] * s
        angles[f"{side}_foot_toe_out"] = a[:, 2] * s
    for side in ("left", "right"):
        for hinge, rotation in (("knee_flexion", "knee_rotation"), ("elbow_flexion", "humeral_rotation")):
            straight = angles[f"{side}_{hinge}"] < _BENT_DEG
            angles[f"{side}_{rotation}"] = np.where(straight, 0.0, angles[f"{side}_{rotation}"])
    return angles


def violations(pose: BodyPose, margin_deg: float = MARGIN_DEG) -> dict[str, np.ndarray]:
    """{angle name: (N,) bool} true where a person's angle lies outside its range widened by the margin."""
    out = {}
    for name, value in joint_angles(pose).items():
        low, high = RANGES_DEG[name.removeprefix("left_").removeprefix("right_")]
        out[name] = (value < low - margin_deg) | (value > high + margin_deg) | ~np.isfinite(value)
    return out


def is_valid(pose: BodyPose, margin_deg: float = MARGIN_DEG) -> np.ndarray:
    """(N,) bool: every joint of the person lies inside its range of motion."""
    return ~np.any(np.stack(list(violations(pose, margin_deg).values())), axis=0)


def facing(joints: np.ndarray) -> np.ndarray:
    """(N, 3) unit horizontal direction the body faces, from the hips: (N, 21, 3) metres, Z up."""
    left = joints[:, BODY.index("left_hip")] - joints[:, BODY.index("right_hip")]
    return normalize(np.cross(left * np.array([1.0, 1.0, 0.0]), np.array([0.0, 0.0, 1.0])))
