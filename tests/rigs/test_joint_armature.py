"""Joint positions to armature channels, on arrays: the bones land on the joints at every frame, whatever the
bone lengths do; missing joints hold; the rest pose follows Blender's bone conventions."""

from __future__ import annotations

import numpy as np
import pytest
from pose_samples import walking_sequence

from poselift.core.skeleton import H36M_17, POSELIFT
from poselift.rigs import joint_armature as ja


def _round_trip(joints: np.ndarray, names) -> tuple[ja.JointArmature, np.ndarray, np.ndarray, np.ndarray]:
    """Build the rig, compute its channels, evaluate them as Blender does: (rig, heads, tails, joints back)."""
    rig = ja.build_armature(joints, names)
    heads, tails = ja.heads_and_tails(rig, ja.pose_matrices(rig, ja.bone_channels(rig, joints)))
    return rig, heads, tails, rig.joints_from_bones(heads, tails)


def _wild_motion(frames: int = 40, seed: int = 0) -> np.ndarray:
    """(F, J, 3) every POSELIFT joint anywhere in a 2 m box each frame: bones of any length, pointing anywhere."""
    return np.random.default_rng(seed).uniform(-1, 1, (frames, len(POSELIFT.joints), 3))


def test_a_bone_per_parent_child_pair_named_after_the_child_plus_a_root_bone_for_the_pelvis():
    rig = ja.build_armature(walking_sequence(4).joints3d[:, 0], POSELIFT.joints)
    assert rig.bone_names[0] == "pelvis" and rig.is_root(0) and rig.tail_joint[0] == -1
    ends = zip(rig.head_joint, rig.tail_joint, strict=True)
    pairs = {(rig.joint_names[h], rig.joint_names[t]) for h, t in ends if t >= 0}
    assert pairs == {(POSELIFT.joints[p], POSELIFT.joints[c]) for p, c in POSELIFT.bones}
    for b, name in enumerate(rig.bone_names):
        if not rig.is_root(b):
            assert rig.joint_names[rig.tail_joint[b]] == name
            assert rig.bone_parents[b] < b, "parents come before children"
            assert rig.is_connected(b) == (rig.joint_names[rig.head_joint[b]] != "pelvis")


def test_the_rest_pose_puts_y_along_each_bone_from_joint_to_joint_with_the_median_length():
    pose = walking_sequence(10)
    joints = pose.joints3d[:, 0].astype(np.float64)
    joints[3, POSELIFT.index("left_knee")] += (0.0, 0.0, 0.2)  # one frame's knee far off: the median ignores it
    rig = ja.build_armature(joints, POSELIFT.joints)
    rest_heads = rig.rest[:, :3, 3]
    rest_tails = rest_heads + rig.rest[:, :3, 1] * rig.lengths[:, None]
    for b in range(len(rig.bone_names)):
        rotation = rig.rest[b, :3, :3]
        np.testing.assert_allclose(rotation.T @ rotation, np.eye(3), atol=1e-12)
        assert np.linalg.det(rotation) == pytest.approx(1.0)
        if rig.is_connected(b):
            np.testing.assert_allclose(rest_heads[b], rest_tails[rig.bone_parents[b]], atol=1e-12)
        if not rig.is_root(b):
            head, tail = joints[0, rig.head_joint[b]], joints[0, rig.tail_joint[b]]
            np.testing.assert_allclose(rig.rest[b, :3, 1], (tail - head) / np.linalg.norm(tail - head), atol=1e-6)
    thigh = rig.bone_names.index("left_knee")
    hip, knee = POSELIFT.index("left_hip"), POSELIFT.index("left_knee")
    assert rig.lengths[thigh] == pytest.approx(np.linalg.norm(joints[0, knee] - joints[0, hip]), abs=1e-6)


def test_bone_rotation_is_blenders_roll_0_the_shortest_turn_from_y():
    np.testing.assert_allclose(ja.bone_rotation(np.array([0.0, 0.0, 1.0])), [[1, 0, 0], [0, 0, -1], [0, 1, 0]])
    np.testing.assert_allclose(ja.bone_rotation(np.array([0.0, 1.0, 0.0])), np.eye(3))
    np.testing.assert_allclose(ja.bone_rotation(np.array([0.0, -1.0, 0.0])), np.diag([-1.0, -1.0, 1.0]))
    rng = np.random.default_rng(1)
    for d in [*rng.normal(size=(20, 3)), (1e-5, -1.0, 2e-5), (0.3, -0.9, 0.0)]:
        d = np.asarray(d) / np.linalg.norm(d)
        rotation = ja.bone_rotation(d)
        np.testing.assert_allclose(rotation[:, 1], d, atol=1e-12)
        np.testing.assert_allclose(rotation.T @ rotation, np.eye(3), atol=1e-9)
        axis = np.cross([0.0, 1.0, 0.0], d)
        np.testing.assert_allclose(rotation @ axis, axis, atol=1e-9)  # a turn about Y x d only: no twist


@pytest.mark.parametrize("motion", ["walking", "wild"])
def test_every_head_and_tail_lands_on_its_joint_at_every_frame_whatever_the_bone_lengths(motion):
    joints = walking_sequence(30).joints3d[:, 0].astype(np.float64) if motion == "walking" else _wild_motion()
    rig, heads, tails, back = _round_trip(joints, POSELIFT.joints)
    np.testing.assert_allclose(back, joints, atol=1e-9)
    for b in range(len(rig.bone_names)):
        np.testing.assert_allclose(heads[:, b], joints[:, rig.head_joint[b]], atol=1e-9)
        if not rig.is_root(b):
            np.testing.assert_allclose(tails[:, b], joints[:, rig.tail_joint[b]], atol=1e-9)


def test_bones_that_shrink_to_nothing_or_fold_back_still_land_on_their_joints():
    joints = walking_sequence(6).joints3d[:, 0].astype(np.float64)
    elbow, wrist, shoulder = (POSELIFT.index(n) for n in ("left_elbow", "left_wrist", "left_shoulder"))
    joints[2, wrist] = joints[2, elbow]  # the forearm has no length in frame 2
    joints[4, elbow] = joints[4, shoulder] - 0.5 * (joints[0, elbow] - joints[0, shoulder])  # upper arm turned round
    joints[4, wrist] = joints[4, shoulder]  # and the forearm folded back onto it
    _, _, _, back = _round_trip(joints, POSELIFT.joints)
    # A bone with no length keeps MIN_STRETCH of its rest length (a quarter micrometre here).
    np.testing.assert_allclose(back, joints, atol=1e-6)


def test_rotations_are_unit_quaternions_without_sign_flips_between_frames():
    channels = ja.bone_channels(ja.build_armature(_wild_motion(), POSELIFT.joints), _wild_motion())
    np.testing.assert_allclose(np.linalg.norm(channels.rotation, axis=-1), 1.0, atol=1e-12)
    assert (np.einsum("fbi,fbi->fb", channels.rotation[1:], channels.rotation[:-1]) >= 0).all()


def test_a_lost_person_holds_the_previous_pose_and_frames_before_the_first_sighting_take_the_first_pose():
    joints = walking_sequence(12).joints3d[:, 0].astype(np.float64)
    gaps = joints.copy()
    gaps[:3] = np.nan
    gaps[6:9] = np.nan
    _, _, _, back = _round_trip(gaps, POSELIFT.joints)
    np.testing.assert_allclose(back[:3], np.repeat(joints[3:4], 3, axis=0), atol=1e-9)
    np.testing.assert_allclose(back[6:9], np.repeat(joints[5:6], 3, axis=0), atol=1e-9)
    np.testing.assert_allclose(back[9:], joints[9:], atol=1e-9)


def test_a_lost_joint_keeps_its_offset_from_its_parent_and_its_children_stay_exact():
    joints = walking_sequence(12).joints3d[:, 0].astype(np.float64)
    wrist, elbow, thumb = (POSELIFT.index(n) for n in ("right_wrist", "right_elbow", "right_thumb"))
    gaps = joints.copy()
    gaps[4:8, wrist] = np.nan
    _, _, _, back = _round_trip(gaps, POSELIFT.joints)
    held = np.repeat(joints[3:4, wrist] - joints[3:4, elbow], 4, axis=0)
    np.testing.assert_allclose(back[4:8, wrist] - back[4:8, elbow], held, atol=1e-9)
    np.testing.assert_allclose(back[:, thumb], joints[:, thumb], atol=1e-9)
    np.testing.assert_allclose(back[:, elbow], joints[:, elbow], atol=1e-9)


def test_a_joint_never_seen_gets_no_bone_and_its_children_hang_from_the_nearest_seen_ancestor():
    joints = _wild_motion(10)
    joints[:, POSELIFT.index("pelvis")] = np.nan
    joints[:, POSELIFT.index("left_wrist")] = np.nan
    rig, _, _, back = _round_trip(joints, POSELIFT.joints)
    assert "pelvis" not in rig.bone_names and "left_wrist" not in rig.bone_names
    roots = {rig.bone_names[b] for b in range(len(rig.bone_names)) if rig.is_root(b)}
    assert roots == {"left_hip", "right_hip", "spine"}
    thumb = rig.bone_names.index("left_thumb")
    assert rig.joint_names[rig.head_joint[thumb]] == "left_elbow"
    np.testing.assert_allclose(back, joints[:, list(rig.file_index)], atol=1e-9)


def test_any_subset_of_joints_in_any_order_works_with_its_own_root():
    names = ("left_wrist", "left_shoulder", "left_elbow")
    joints = _wild_motion(8)[:, [POSELIFT.index(n) for n in names]]
    rig, _, _, back = _round_trip(joints, names)
    assert rig.bone_names == ("left_shoulder", "left_elbow", "left_wrist")
    np.testing.assert_allclose(back, joints, atol=1e-9)


def test_the_keyed_channels_are_the_roots_location_and_the_rotation_and_stretch_of_the_others():
    joints = walking_sequence(5).joints3d[:, 0]
    rig = ja.build_armature(joints[:, [POSELIFT.index(n) for n in H36M_17.joints]], H36M_17.joints)
    curves = ja.bone_curves(rig, ja.bone_channels(rig, joints[:, [POSELIFT.index(n) for n in H36M_17.joints]]))
    keyed = {(c.bone, c.prop, c.index) for c in curves}
    assert {k for k in keyed if k[0] == "pelvis"} == {("pelvis", "location", i) for i in range(3)}
    knee = {k for k in keyed if k[0] == "left_knee"}
    assert knee == {("left_knee", "rotation_quaternion", i) for i in range(4)} | {("left_knee", "scale", 1)}
    assert len(curves) == 3 + 5 * 16 and all(c.values.shape == (5,) for c in curves)


def test_the_same_joints_give_the_same_armature():
    joints = _wild_motion(6)
    a, b = ja.build_armature(joints, POSELIFT.joints), ja.build_armature(joints.copy(), POSELIFT.joints)
    np.testing.assert_array_equal(a.rest, b.rest)
    np.testing.assert_array_equal(ja.bone_channels(a, joints).rotation, ja.bone_channels(b, joints).rotation)
