"""The segment tree holds exactly the joints it was given, and turning a segment keeps the body's shape."""

import numpy as np
import pytest
from pose_samples import walking_sequence

from poselift.core.rotations import axis_angle_matrix, euler_xyz, euler_xyz_matrix, frame_from, rotation_between
from poselift.core.skeleton import BODY
from poselift.core.synth.anatomy import neutral_body
from poselift.core.synth.hierarchy import SEGMENTS, decode, encode, subtree


def test_encode_then_decode_gives_back_the_joints():
    walk = walking_sequence(10).joints3d[:, 0, :21].astype(np.float64)
    noisy = walk + np.random.default_rng(0).normal(0, 0.03, walk.shape)
    for joints in (walk, noisy, neutral_body()[None]):
        np.testing.assert_allclose(decode(encode(joints)), joints, atol=1e-12)


def test_turning_a_segment_moves_only_its_subtree_and_keeps_bone_lengths():
    joints = neutral_body()[None]
    pose = encode(joints)
    pose.local["left_forearm"] = np.array([[0.0, -1.0, 0.0]])
    moved = decode(pose)
    still = [BODY.index(j) for j in BODY.joints if j != "left_wrist"]
    np.testing.assert_allclose(moved[:, still], joints[:, still], atol=1e-12)
    for parent, child in BODY.bones:
        before = np.linalg.norm(joints[0, child] - joints[0, parent])
        after = np.linalg.norm(moved[0, child] - moved[0, parent])
        assert after == pytest.approx(before, abs=1e-12)


def test_every_segment_hangs_from_a_joint_its_parent_carries():
    carried = {"pelvis"}
    for seg in SEGMENTS:
        assert seg.pivot in carried, seg.name
        carried.update(seg.points)
    assert carried == set(BODY.joints)
    assert subtree("left_thigh") == ("left_thigh", "left_shin", "left_foot")


def test_rotation_helpers_agree_with_each_other():
    rng = np.random.default_rng(1)
    angles = rng.uniform(-1.2, 1.2, (50, 3))
    np.testing.assert_allclose(euler_xyz(euler_xyz_matrix(angles)), angles, atol=1e-12)
    a, b = rng.normal(size=(2, 50, 3))
    a /= np.linalg.norm(a, axis=-1, keepdims=True)
    b /= np.linalg.norm(b, axis=-1, keepdims=True)
    np.testing.assert_allclose(np.einsum("nij,nj->ni", rotation_between(a, b), a), b, atol=1e-12)
    f = frame_from(a, b, 2, 1)
    np.testing.assert_allclose(f @ np.swapaxes(f, -1, -2), np.broadcast_to(np.eye(3), f.shape), atol=1e-12)
    np.testing.assert_allclose(np.linalg.det(f), 1.0)
    np.testing.assert_allclose(f[..., 2], a, atol=1e-12)
    r = axis_angle_matrix(np.array([0.0, 0.0, 1.0]), np.pi / 2)
    np.testing.assert_allclose(r @ [1.0, 0, 0], [0, 1.0, 0], atol=1e-12)
