"""MPJPE and PA-MPJPE on hand-made poses whose errors are known."""

from __future__ import annotations

import numpy as np
import pytest

from poselift.core.metrics import joint_errors, mpjpe, pa_mpjpe, procrustes_align


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
