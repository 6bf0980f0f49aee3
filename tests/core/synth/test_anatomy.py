"""Ranges of motion accept what bodies do and refuse what they cannot."""

import numpy as np
import pytest

from poselift.core.rotations import axis_angle_matrix
from poselift.core.skeleton import BODY
from poselift.core.synth.anatomy import is_valid, joint_angles, neutral_body, violations
from poselift.core.synth.hierarchy import encode


def _turned(joints, pivot, moving, axis, degrees):
    """Joints with `moving` rotated about `pivot` by `degrees` about `axis`."""
    out = joints.copy()
    r = axis_angle_matrix(np.asarray(axis, float) / np.linalg.norm(axis), np.radians(degrees))
    p = out[BODY.index(pivot)]
    for name in moving:
        out[BODY.index(name)] = p + r @ (out[BODY.index(name)] - p)
    return out


LEFT_LEG_BELOW_KNEE = ("left_ankle", "left_heel", "left_toe")
LEFT_ARM_BELOW_ELBOW = ("left_wrist",)
LEFT_LEG = ("left_knee", *LEFT_LEG_BELOW_KNEE)
LEFT_ARM = ("left_elbow", "left_wrist")


def test_the_neutral_body_is_at_zero_on_every_joint():
    angles = joint_angles(encode(neutral_body()[None]))
    for name, value in angles.items():
        if name.endswith("adduction_raised"):
            continue
        assert abs(value[0]) < 6, name


@pytest.mark.parametrize(
    ("what", "pivot", "moving", "axis", "degrees"),
    [
        ("sitting: hip flexed 90", "left_hip", LEFT_LEG, (-1, 0, 0), 90),
        ("kneeling: knee flexed 120", "left_knee", LEFT_LEG_BELOW_KNEE, (1, 0, 0), 120),
        ("arm raised overhead", "left_shoulder", LEFT_ARM, (0, 1, 0), -170),
        ("elbow flexed 140", "left_elbow", LEFT_ARM_BELOW_ELBOW, (-1, 0, 0), 140),
    ],
)
def test_everyday_poses_are_valid(what, pivot, moving, axis, degrees):
    joints = _turned(neutral_body(), pivot, moving, axis, degrees)
    assert is_valid(encode(joints[None]))[0], what


@pytest.mark.parametrize(
    ("what", "pivot", "moving", "axis", "degrees", "broken"),
    [
        ("knee bent forwards", "left_knee", LEFT_LEG_BELOW_KNEE, (-1, 0, 0), 40, "left_knee_rotation"),
        ("knee folded flat", "left_knee", LEFT_LEG_BELOW_KNEE, (1, 0, 0), 170, "left_knee_flexion"),
        ("thigh kicked up behind", "left_hip", LEFT_LEG, (1, 0, 0), 70, "left_hip_flexion"),
        ("leg thrown across the body", "left_hip", LEFT_LEG, (0, 1, 0), 70, "left_hip_abduction"),
        ("arm thrown far back", "left_shoulder", LEFT_ARM, (1, 0, 0), 90, "left_shoulder_extension"),
        ("elbow bent backwards", "left_elbow", LEFT_ARM_BELOW_ELBOW, (1, 0, 0), 60, "left_humeral_rotation"),
        ("head turned round", "thorax", ("neck", "head_top"), (0, 0, 1), 110, "neck_rotation"),
        ("foot folded up", "left_ankle", ("left_heel", "left_toe"), (-1, 0, 0), 60, "left_ankle_plantarflexion"),
    ],
)
def test_impossible_poses_are_refused_naming_the_joint(what, pivot, moving, axis, degrees, broken):
    joints = _turned(neutral_body(), pivot, moving, axis, degrees)
    pose = encode(joints[None])
    assert not is_valid(pose)[0], what
    assert violations(pose)[broken][0], what
