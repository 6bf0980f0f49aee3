"""MPJPE, PA-MPJPE and scaled MPJPE on hand-made poses whose errors are known."""

from __future__ import annotations

import numpy as np
import pytest

from poselift.core.lift.metrics import (
    joint_errors,
    left_right_swapped,
    mpjpe,
    pa_mpjpe,
    procrustes_align,
    scale_align,
    scaled_mpjpe,
)


def rotation(axis: np.ndarray, angle: float) -> np.ndarray:
    """(3, 3) rotation by `angle` radians about `axis` (Rodrigues)."""
    k = axis / np.linalg.norm(axis)
    cross = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    return np.eye(3) + np.sin(angle) * cross + (1 - np.cos(angle)) * cross @ cross


@pytest.fixture
def pose() -> np.ndarray:
    return np.random.default_rng(0).normal(size=(17, 3))


def test_mpjpe_is_the_mean_distance_per_joint(pose):
    moved = pose.copy()
    moved[0] += [3.0, 4.0, 0.0]  # 5 away
    moved[1] += [0.0, 0.0, 2.0]  # 2 away
    assert mpjpe(moved, pose) == pytest.approx(7.0 / 17)
    assert joint_errors(moved, pose)[:3] == pytest.approx([5.0, 2.0, 0.0])


def test_mpjpe_does_not_align(pose):
    assert mpjpe(pose + [1.0, 0.0, 0.0], pose) == pytest.approx(1.0)


def test_a_rotated_scaled_translated_copy_has_pa_mpjpe_zero(pose):
    copy = 2.5 * pose @ rotation(np.array([1.0, 2.0, 3.0]), 1.1).T + [10.0, -4.0, 7.0]
    assert mpjpe(copy, pose) > 1.0
    assert pa_mpjpe(copy, pose) == pytest.approx(0.0, abs=1e-9)
    assert procrustes_align(copy, pose) == pytest.approx(pose, abs=1e-9)


def test_a_mirror_image_is_not_aligned_away(pose):
    mirrored = pose * [-1.0, 1.0, 1.0]
    assert pa_mpjpe(mirrored, pose) > 0.1


def test_pa_mpjpe_keeps_the_error_that_no_similarity_explains(pose):
    bent = pose.copy()
    bent[5] += [0.0, 0.0, 1.0]
    assert pa_mpjpe(bent, pose) > 0.01
    # The alignment is least squares: it never increases the sum of squared errors.
    assert (joint_errors(procrustes_align(bent, pose), pose) ** 2).sum() <= 1.0
    turned = 0.5 * bent @ rotation(np.array([0.0, 0.0, 1.0]), 2.0).T
    assert pa_mpjpe(turned, pose) == pytest.approx(pa_mpjpe(bent, pose))


def test_batches_align_each_pose_on_its_own(pose):
    truth = np.stack([pose, 2 * pose])
    pred = np.stack([pose @ rotation(np.array([0.0, 1.0, 0.0]), 0.3).T, 3 * pose + 1])
    assert procrustes_align(pred, truth) == pytest.approx(truth, abs=1e-9)
    assert pa_mpjpe(pred, truth) == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize(
    ("pred", "gt"),
    [((17, 3), (16, 3)), ((17, 2), (17, 2)), ((17,), (17,)), ((2, 17, 3), (17, 3))],
)
def test_shapes_that_do_not_match_are_refused(pred, gt):
    with pytest.raises(ValueError, match="poses must both be"):
        mpjpe(np.zeros(pred), np.zeros(gt))
    with pytest.raises(ValueError, match="poses must both be"):
        pa_mpjpe(np.zeros(pred), np.zeros(gt))


def test_scale_align_fits_only_the_size(pose):
    root_relative = pose - pose[:1]
    np.testing.assert_allclose(scale_align(0.4 * root_relative, root_relative), root_relative, atol=1e-12)
    assert scaled_mpjpe(3.0 * root_relative, root_relative) == pytest.approx(0.0, abs=1e-12)
    turned = root_relative @ rotation(np.array([0.0, 0.0, 1.0]), 0.5).T
    assert scaled_mpjpe(turned, root_relative) > 0.1, "a turn is an error N-MPJPE keeps"
    assert scaled_mpjpe(turned, root_relative) < mpjpe(2.0 * turned, root_relative)


def test_the_fitted_scale_is_the_least_squares_one(pose):
    root_relative = pose - pose[:1]
    bent = root_relative.copy()
    bent[4] += [0.3, -0.2, 0.5]
    best = scaled_mpjpe(bent, root_relative)
    factor = (bent * root_relative).sum() / (bent**2).sum()
    np.testing.assert_allclose(scale_align(bent, root_relative), factor * bent, atol=1e-12)
    squared = [(joint_errors(s * factor * bent, root_relative) ** 2).sum() for s in (0.95, 1.0, 1.05)]
    assert squared[1] < min(squared[0], squared[2])
    assert best == pytest.approx(mpjpe(factor * bent, root_relative))


def test_scale_align_scales_each_pose_of_a_batch_on_its_own(pose):
    truth = np.stack([pose - pose[:1], 2 * (pose - pose[:1])])
    pred = np.stack([0.5 * truth[0], 4 * truth[1]])
    np.testing.assert_allclose(scale_align(pred, truth), truth, atol=1e-12)
    with pytest.raises(ValueError, match="poses must both be"):
        scaled_mpjpe(np.zeros((17, 3)), np.zeros((16, 3)))


def test_a_pose_with_its_legs_exchanged_is_found_swapped_and_the_pose_itself_is_not():
    from poselift.core.skeleton import H36M_17

    rng = np.random.default_rng(0)
    truth = rng.normal(size=(4, 17, 3))
    exchanged = truth[:, list(H36M_17.mirror)] + rng.normal(scale=0.01, size=(4, 17, 3))
    assert left_right_swapped(exchanged, truth, H36M_17.mirror).all()
    assert not left_right_swapped(truth + 0.01, truth, H36M_17.mirror).any()
