"""Evolved synthetic poses: reproducible from a seed, all within range, varied, standing on the floor."""

import numpy as np

from poselift.core.anatomy import is_valid, joint_angles
from poselift.core.evolution import EvolutionConfig, crossover, evolve, mutate, sample_bodies
from poselift.core.hierarchy import BODY, decode, encode, subtree

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
    angles = joint_angles(encode(evolve(SMALL).astype(np.float64)))
    for name in ("left_knee_flexion", "right_elbow_flexion", "trunk_flexion", "left_hip_flexion"):
        assert np.std(angles[name]) > 15, name
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
