"""Joint sets and the mappings between them keep the subject's left on the subject's left."""

import numpy as np
import pytest
from pose_samples import STANDING, standing_pose

from poselift.core.skeleton import H36M_17, JOINT_SETS, MAPPINGS, POSELIFT, side_of, subset_parents


@pytest.mark.parametrize("joint_set", JOINT_SETS.values(), ids=JOINT_SETS.keys())
def test_every_joint_set_is_a_forest_with_symmetric_sides(joint_set):
    for j, p in enumerate(joint_set.parents):
        seen = {j}
        while p >= 0:
            assert p not in seen, f"{joint_set.name}: cycle through {joint_set.joints[j]}"
            seen.add(p)
            p = joint_set.parents[p]
    mirror = np.array(joint_set.mirror)
    assert (mirror[mirror] == np.arange(len(joint_set))).all()
    for j, name in enumerate(joint_set.joints):
        twin = joint_set.joints[mirror[j]]
        assert {side_of(name), side_of(twin)} in ({"left", "right"}, {"centre"})
        parent = joint_set.parents[j]
        if parent >= 0 and side_of(name) != "centre":
            assert joint_set.parents[mirror[j]] == joint_set.mirror[parent], "sides' parents mirror each other"


def test_our_skeleton_starts_with_the_human36m_17_in_order():
    assert POSELIFT.joints[:17] == H36M_17.joints
    assert POSELIFT.parents[:17] == (-1, 0, 1, 2, 0, 4, 5, 0, 7, 8, 9, 8, 11, 12, 8, 14, 15)
    assert {"left_heel", "right_heel", "left_toe", "right_toe", "left_thumb", "right_pinky"} <= set(POSELIFT.joints)


@pytest.mark.parametrize("key", MAPPINGS, ids=[f"{a}->{b}" for a, b in MAPPINGS])
def test_left_stays_left_through_every_mapping(key):
    m = MAPPINGS[key]
    out = m.apply(standing_pose(m.source))
    for t, name in enumerate(m.target.joints):
        if not m.mapped[t]:
            assert np.isnan(out[t]).all()
            continue
        # The standing person faces the camera: their left is at +X.
        if side_of(name) == "left":
            assert out[t, 0] > 0.01, f"{name} landed on the right"
        if side_of(name) == "right":
            assert out[t, 0] < -0.01, f"{name} landed on the left"
        # Direct joints land exactly; derived ones (pelvis, spine, head top...) near the true place.
        assert np.linalg.norm(out[t] - STANDING[name]) < 0.06, name


@pytest.mark.parametrize("key", MAPPINGS, ids=[f"{a}->{b}" for a, b in MAPPINGS])
def test_mappings_commute_with_mirroring(key):
    m = MAPPINGS[key]
    rng = np.random.default_rng(0)
    pose = standing_pose(m.source) + rng.normal(0, 0.05, (len(m.source), 3))

    def mirrored(points, joint_set):
        return points[list(joint_set.mirror)] * np.array([-1.0, 1.0, 1.0])

    np.testing.assert_allclose(m.apply(mirrored(pose, m.source)), mirrored(m.apply(pose), m.target), atol=1e-12)


def test_a_missing_source_joint_empties_only_the_joints_that_use_it():
    m = MAPPINGS[("blazepose33", "poselift")]
    pose = standing_pose(m.source)
    pose[m.source.index("left_hip")] = np.nan
    out = m.apply(pose)
    for name in ("left_hip", "pelvis", "spine"):
        assert np.isnan(out[POSELIFT.index(name)]).all(), name
    assert np.isfinite(out[POSELIFT.index("right_hip")]).all()
    conf = m.apply_confidence(np.where(np.arange(len(m.source)) == m.source.index("nose"), 0.2, 0.9))
    assert conf[POSELIFT.index("neck")] == pytest.approx(0.2)
    assert conf[POSELIFT.index("pelvis")] == pytest.approx(0.9)
    assert conf[POSELIFT.index("left_thumb")] == pytest.approx(0.9)


def test_subset_parents_skip_joints_the_subset_lacks():
    names = ("pelvis", "left_hip", "left_ankle", "head_top", "thorax")
    assert subset_parents(names) == (-1, 0, 1, 4, 0)
