"""Regions of interest as BlazePose builds them, and their crops: exact, rotated, bordered, unaliased."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest
import torch

from poselift.core.nets.roi import (
    ImagePyramid,
    Rois,
    body_rois,
    crop_to_image,
    invert_affine,
    letterbox_rois,
    normalize_radians,
    transform_points,
)


def test_an_upright_body_gives_an_unturned_square_centred_on_the_hips():
    rois = body_rois(torch.tensor([[100.0, 200.0]]), torch.tensor([[100.0, 120.0]]))
    assert rois.centre.tolist() == [[100.0, 200.0]]
    assert rois.size.item() == pytest.approx(2 * 80 * 1.25)
    assert rois.rotation.item() == pytest.approx(0.0, abs=1e-6)


@pytest.mark.parametrize(("head", "rotation"), [((1, 0), math.pi / 2), ((-1, 0), -math.pi / 2), ((0, 1), -math.pi)])
def test_a_turned_body_gives_the_rotation_that_brings_its_head_up(head, rotation):
    hips = torch.tensor([[50.0, 50.0]])
    rois = body_rois(hips, hips + 30 * torch.tensor([head], dtype=torch.float32))
    assert rois.rotation.item() == pytest.approx(rotation, abs=1e-6)
    # The crop's up direction (-v) lands on the head, whatever the turn.
    top_centre = transform_points(crop_to_image(rois, 256), torch.tensor([[[128.0, 0.0]]]))[0, 0]
    direction = (top_centre - hips[0]) / torch.linalg.vector_norm(top_centre - hips[0])
    np.testing.assert_allclose(direction.numpy(), head, atol=1e-6)


def test_angles_wrap_into_minus_pi_to_pi():
    np.testing.assert_allclose(normalize_radians(torch.tensor([3 * math.pi, -3.5 * math.pi, 0.25])).numpy(),
                               [-math.pi, 0.5 * math.pi, 0.25], atol=1e-6)


def test_the_letterbox_square_is_centred_on_the_image_and_as_wide_as_its_long_side():
    rois = letterbox_rois(torch.tensor([[548, 342], [10, 40]]))
    np.testing.assert_allclose(rois.centre.numpy(), [[274, 171], [5, 20]])
    np.testing.assert_allclose(rois.size.numpy(), [548, 40])


def test_crop_corners_map_to_the_square_corners_and_back():
    rois = Rois(torch.tensor([[300.0, 200.0]]), torch.tensor([100.0]), torch.tensor([math.pi / 6]))
    affine = crop_to_image(rois, 256)
    corners = transform_points(affine, torch.tensor([[[0.0, 0.0], [256.0, 256.0], [128.0, 128.0]]]))[0]
    c, s = math.cos(math.pi / 6), math.sin(math.pi / 6)
    expected_top_left = [300 + (-50 * c + 50 * s), 200 + (-50 * s - 50 * c)]
    np.testing.assert_allclose(corners.numpy(), [expected_top_left, [600 - expected_top_left[0],
                                                 400 - expected_top_left[1]], [300, 200]], atol=1e-4)
    back = transform_points(invert_affine(affine), corners[None])[0]
    np.testing.assert_allclose(back.numpy(), [[0, 0], [256, 256], [128, 128]], atol=1e-3)


def _photo(h: int = 60, w: int = 80) -> torch.Tensor:
    """(3, h, w) random pixel values."""
    return torch.from_numpy(np.random.default_rng(0).integers(0, 256, (3, h, w)).astype(np.float32))


def _crop(image: torch.Tensor, rois: Rois, size: int, border: str = "border") -> torch.Tensor:
    return ImagePyramid(image).crop(crop_to_image(rois, size), size, border=border)[0]


def test_an_unturned_one_to_one_crop_is_a_plain_slice():
    image = _photo()
    rois = Rois(torch.tensor([[30.0, 20.0]]), torch.tensor([16.0]), torch.tensor([0.0]))
    torch.testing.assert_close(_crop(image, rois, 16), image[:, 12:28, 22:38])


def test_a_quarter_turn_crop_is_the_slice_rotated():
    image = _photo()
    rois = Rois(torch.tensor([[30.0, 20.0]]), torch.tensor([16.0]), torch.tensor([math.pi / 2]))
    # The square is turned a quarter clockwise on screen, so its crop is the slice turned a quarter back.
    torch.testing.assert_close(_crop(image, rois, 16), torch.rot90(image[:, 12:28, 23:39], k=1, dims=(1, 2)))


def test_outside_the_image_zeros_pads_and_border_repeats_the_edge():
    image = _photo(8, 8)
    rois = Rois(torch.tensor([[0.0, 4.0]]), torch.tensor([8.0]), torch.tensor([0.0]))  # left half outside
    zeros, border = _crop(image, rois, 8, "zeros"), _crop(image, rois, 8, "border")
    assert torch.all(zeros[:, :, :4] == 0)
    torch.testing.assert_close(border[:, :, :4], image[:, :, :1].expand(-1, -1, 4))
    torch.testing.assert_close(zeros[:, :, 4:], image[:, :, :4])


@pytest.mark.parametrize("border", ["border", "zeros"])
def test_crops_equal_opencvs_warp_as_mediapipe_calls_it(border):
    rng = np.random.default_rng(1)
    image = rng.integers(0, 256, (90, 120, 3)).astype(np.uint8)
    # Inside, over the left and bottom edges, over the bottom-right corner.
    rois = Rois(torch.tensor([[50.3, 40.7], [5.0, 80.0], [112.3, 84.9]]), torch.tensor([70.2, 55.0, 58.0]),
                torch.tensor([0.4, -2.0, 0.7]))
    ours = ImagePyramid(torch.from_numpy(image).permute(2, 0, 1).float()).crop(
        crop_to_image(rois, 64), 64, border=border)
    for i in range(3):
        (cx, cy), side, angle = rois.centre[i].tolist(), rois.size[i].item(), rois.rotation[i].item()
        corners = cv2.boxPoints(((cx, cy), (side, side), math.degrees(angle)))
        matrix = cv2.getPerspectiveTransform(corners, np.float32([[0, 64], [0, 0], [64, 0], [64, 64]]))
        mode = cv2.BORDER_REPLICATE if border == "border" else cv2.BORDER_CONSTANT
        reference = cv2.warpPerspective(image, matrix, (64, 64), flags=cv2.INTER_LINEAR, borderMode=mode)
        np.testing.assert_array_equal(ours[i].permute(1, 2, 0).numpy(), reference)


def test_a_far_coarser_crop_samples_a_pooled_level_so_a_fine_pattern_does_not_alias():
    checker = (np.indices((1024, 1024)).sum(0) % 2 * 255).astype(np.float32)
    pyramid = ImagePyramid(torch.from_numpy(checker)[None].expand(3, -1, -1))
    coarse = pyramid.crop(crop_to_image(letterbox_rois(torch.tensor([[1024, 1024]])), 64), 64)
    assert coarse.min() >= 120 and coarse.max() <= 135  # grey, not black and white
    fine = pyramid.crop(crop_to_image(Rois(torch.tensor([[512.0, 512.0]]), torch.tensor([64.0]),
                                           torch.tensor([0.0])), 64), 64)
    assert set(fine.unique().tolist()) == {0.0, 255.0}  # one image pixel per crop pixel: sampled directly
