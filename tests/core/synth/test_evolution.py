"""Evolved synthetic poses: reproducible from a seed, all within range, varied, standing on the floor."""

import numpy as np

from poselift.core.skeleton import BODY
from poselift.core.synth.anatomy import is_valid, joint_angles
from poselift.core.synth.evolution import EvolutionConfig, _shapes, crossover, evolve, mutate, on_ground, sample_bodies
from poselift.core.synth.hierarchy import decode, encode, subtree
from poselift.core.synth.postures import POSTURES, body_from_angles

SMALL = EvolutionConfig(seed=3, initial=500, target=3000, batch=500)


def test_a_seed_gives_the_same_poses_bit_for_bit_and_another_seed_others():
    a = evolve(SMALL)
    assert a.shape == (3000, 21, 3) and a.dtype == np.float32
    assert np.array_equal(a, evolve(SMALL))
    assert not np.array_equal(a, evolve(EvolutionConfig(seed=4, initial=500, target=3000, batch=500)))


def test_every_evolved_pose_is_within_range_and_on_the_floor():
    joints = evolve(SMALL).astype(np.float64)
    assert is_valid(encode(joints)).all()
    np.testing.assert_allclose(joints[..., 2].min(axis=1), 0.0, atol=1e-6)
    heights = np.ptp(joints[..., 2], axis=1)
    assert 0.5 < heights.min() and heights.max() < 2.1


def test_evolved_poses_vary_widely_and_mix_left_and_right():
    joints = evolve(SMALL).astype(np.float64)
    angles = joint_angles(encode(joints))
    for name in ("left_knee_flexion", "right_elbow_flexion", "left_hip_flexion"):
        assert np.std(angles[name]) > 15, name
    # The torso leans (at the hips and in the trunk) from upright to bent over.
    torso = joints[:, BODY.index("thorax")] - joints[:, BODY.index("pelvis")]
    lean = np.degrees(np.arccos(torso[:, 2] / np.linalg.norm(torso, axis=-1)))
    assert np.percentile(lean, 50) < 15 and np.percentile(lean, 95) > 40
    # Crossover mixes limbs: left and right knees are not bent alike.
    assert np.corrcoef(angles["left_knee_flexion"], angles["right_knee_flexion"])[0, 1] < 0.5


def test_crossover_swaps_a_whole_part_with_its_bone_lengths_and_mutation_turns_one_segment():
    rng = np.random.default_rng(1)
    a, b = sample_bodies(rng, 200, SMALL), sample_bodies(rng, 200, SMALL)
    child = crossover(rng, a, b)
    for i in range(200):
        swapped = [s for s in child.local if not np.array_equal(child.local[s][i], a.local[s][i])]
        if swapped:
            assert tuple(swapped) == subtree(swapped[0])
            assert all(np.array_equal(child.shape[s][i], b.shape[s][i]) for s in swapped)
    moved = mutate(rng, a, 10.0)
    changed = [sum(not np.array_equal(moved.local[s][i], a.local[s][i]) for s in a.local) for i in range(200)]
    assert set(changed) <= {0, 1} and sum(changed) > 150
    lengths = [np.linalg.norm(decode(moved)[:, c] - decode(moved)[:, p], axis=-1) for p, c in BODY.bones]
    before = [np.linalg.norm(decode(a)[:, c] - decode(a)[:, p], axis=-1) for p, c in BODY.bones]
    np.testing.assert_allclose(lengths, before, atol=1e-9)


def _posture(name: str, n: int = 400, seed: int = 0) -> np.ndarray:
    """(n, 21, 3) metres: people drawn from one posture, standing on the floor."""
    rng = np.random.default_rng(seed)
    angles = POSTURES[name][1](rng, n)
    return on_ground(decode(body_from_angles(angles, _shapes(rng, n, SMALL))))


def _height(joints: np.ndarray, name: str) -> np.ndarray:
    return joints[:, BODY.index(name), 2]


def test_postures_are_mostly_within_the_ranges_of_motion():
    for name in POSTURES:
        rng = np.random.default_rng(1)
        body = body_from_angles(POSTURES[name][1](rng, 400), _shapes(rng, 400, SMALL))
        assert is_valid(body).mean() > 0.6, name


def test_standing_people_are_tall_and_squatting_ones_are_low_on_both_legs():
    standing, squatting = _posture("standing"), _posture("squatting")
    stature = np.ptp(standing[..., 2], axis=1)
    assert np.median(_height(standing, "pelvis") / stature) > 0.5
    assert np.median(_height(squatting, "pelvis")) < 0.6 * np.median(_height(standing, "pelvis"))
    for side in ("left", "right"):  # both knees folded past a right angle
        thigh = squatting[:, BODY.index(f"{side}_knee")] - squatting[:, BODY.index(f"{side}_hip")]
        shin = squatting[:, BODY.index(f"{side}_ankle")] - squatting[:, BODY.index(f"{side}_knee")]
        cosine = (thigh * shin).sum(-1) / np.linalg.norm(thigh, axis=-1) / np.linalg.norm(shin, axis=-1)
        assert np.mean(np.degrees(np.arccos(cosine)) > 90) > 0.9


def test_walking_swings_the_legs_against_each_other_and_the_arms_against_the_legs():
    joints = _posture("walking", n=1000)

    def forward(joint: str, base: str) -> np.ndarray:
        """How far the joint is in front of its base along the body's facing (-Y here)."""
        return -(joints[:, BODY.index(joint), 1] - joints[:, BODY.index(base), 1])

    left_leg, right_leg = forward("left_ankle", "left_hip"), forward("right_ankle", "right_hip")
    assert np.corrcoef(left_leg, right_leg)[0, 1] < -0.5
    assert np.corrcoef(forward("left_wrist", "left_shoulder"), left_leg)[0, 1] < -0.5


def test_bending_over_keeps_the_legs_under_the_body():
    joints = _posture("bending")
    torso = joints[:, BODY.index("thorax")] - joints[:, BODY.index("pelvis")]
    thigh = joints[:, BODY.index("left_knee")] - joints[:, BODY.index("left_hip")]
    lean = np.degrees(np.arccos(torso[:, 2] / np.linalg.norm(torso, axis=-1)))
    thigh_tilt = np.degrees(np.arccos(-thigh[:, 2] / np.linalg.norm(thigh, axis=-1)))
    assert np.median(lean) > 40 and np.median(thigh_tilt) < 20
