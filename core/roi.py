"""Regions of interest as BlazePose builds them, and batched crops of them on the device.

Image pixel coordinates follow MediaPipe: x right, y down, the centre of pixel (column i, row j) at (i, j).
A region of interest (`Rois`) is a rotated square: its centre (N, 2) and side (N,) in image pixels, and its
rotation (N,) in radians (positive turns the square clockwise on screen, since y points down). An S x S crop
of it has crop coordinates (u, v) in [0, S], (0, 0) at the square's rotated top-left corner; crop pixel (i, j)
samples the image at `crop_to_image @ (i, j, 1)`, the convention of MediaPipe's ImageToTensorCalculator
(OpenCV warpPerspective from the square's corners to the crop's corners, bilinear).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
import torch.nn.functional as F

ROI_SCALE = 1.25  # margin around the body that the landmark networks were trained with
TARGET_ANGLE = math.pi / 2  # the hip -> scale-point vector points straight up in an upright crop
SUBPIXELS = 32  # sampling positions are rounded to 1/32 pixel and samples to integers, as OpenCV's warps do
LARGEST_STEP = 8.0  # image pixels per crop pixel sampled directly (as MediaPipe); beyond, a pooled pyramid level


class Rois(NamedTuple):
    """N rotated squares in image pixels (see the module docstring)."""

    centre: torch.Tensor  # (N, 2) x, y pixels
    size: torch.Tensor  # (N,) side, pixels
    rotation: torch.Tensor  # (N,) radians

    def to(self, device: torch.device | str) -> Rois:
        return Rois(*(t.to(device) for t in self))


def normalize_radians(angle: torch.Tensor) -> torch.Tensor:
    """`angle` wrapped into [-pi, pi)."""
    return angle - 2 * math.pi * torch.floor((angle + math.pi) / (2 * math.pi))


def body_rois(hips: torch.Tensor, scale_points: torch.Tensor, *, scale: float = ROI_SCALE) -> Rois:
    """BlazePose's region for each detection, from (N, 2) hip centres and (N, 2) scale points, pixels.

    The square is centred on the hips, its side is `scale` times twice the hip-to-scale-point distance, and
    it is turned so that the hip -> scale-point vector points up in the crop.
    """
    delta = scale_points - hips
    size = 2 * torch.linalg.vector_norm(delta, dim=-1) * scale
    rotation = normalize_radians(TARGET_ANGLE - torch.atan2(-delta[:, 1], delta[:, 0]))
    return Rois(hips, size, rotation)


def letterbox_rois(sizes: torch.Tensor) -> Rois:
    """The whole image, padded to a square on its short side, for (N, 2) image sizes (w, h) in pixels.

    As MediaPipe does it: centred at (w / 2, h / 2), side max(w, h), no rotation.
    """
    sizes = sizes.float()
    return Rois(sizes / 2, sizes.max(dim=-1).values, torch.zeros(len(sizes), device=sizes.device))


def crop_to_image(rois: Rois, crop_size: int) -> torch.Tensor:
    """(N, 2, 3) affine maps from crop coordinates (u, v) of an S x S crop to image pixels (x, y)."""
    cos, sin = torch.cos(rois.rotation), torch.sin(rois.rotation)
    step = rois.size / crop_size
    linear = torch.stack([torch.stack([cos, -sin], -1), torch.stack([sin, cos], -1)], -2) * step[:, None, None]
    corner = rois.centre - (linear @ torch.full((2, 1), crop_size / 2, device=linear.device)).squeeze(-1)
    return torch.cat([linear, corner[..., None]], -1)


def transform_points(affine: torch.Tensor, points: torch.Tensor) -> torch.Tensor:
    """(N, K, 2) points through (N, 2, 3) affine maps."""
    return points @ affine[:, :, :2].transpose(1, 2) + affine[:, None, :, 2]


def invert_affine(affine: torch.Tensor) -> torch.Tensor:
    """The inverse of (N, 2, 3) affine maps."""
    inverse = torch.linalg.inv(affine[:, :, :2])
    return torch.cat([inverse, -(inverse @ affine[:, :, 2:])], -1)


def scale_affine(affine: torch.Tensor, factor: float) -> torch.Tensor:
    """Maps that take coordinates `factor` times finer: a 64-px belief map of a 256-px crop has factor 4."""
    return torch.cat([affine[:, :, :2] * factor, affine[:, :, 2:]], -1)


class ImagePyramid:
    """One image, (C, H, W) float on the device, and its 2x average-pooled levels, built when first used.

    Level k pixel (i, j) covers 2^k x 2^k pixels of level 0; a point x of level 0 lies at
    (x + 0.5) / 2^k - 0.5 on level k.
    """

    def __init__(self, image: torch.Tensor):
        self.levels = [image]
        self._padded: dict[tuple[int, str], torch.Tensor] = {}

    @property
    def size(self) -> tuple[int, int]:
        """(w, h) of level 0, pixels."""
        return self.levels[0].shape[2], self.levels[0].shape[1]

    def level(self, k: int) -> tuple[torch.Tensor, int]:
        """Level k, or the coarsest level there is when the image is too small for k; and its number."""
        while len(self.levels) <= k and min(self.levels[-1].shape[1:]) >= 2:
            self.levels.append(F.avg_pool2d(self.levels[-1][None], 2, ceil_mode=True)[0])
        k = min(k, len(self.levels) - 1)
        return self.levels[k], k

    def crop(self, affines: torch.Tensor, crop_size: int, *, border: str = "border") -> torch.Tensor:
        """(N, C, S, S) bilinear crops along (N, 2, 3) crop-to-image maps (see `sample`).

        `border`: "border" repeats the edge pixels (MediaPipe's landmark crops), "zeros" pads with 0 (its
        detector letterbox). A crop that steps over fewer than `LARGEST_STEP` pixels per crop pixel samples
        the image itself, as MediaPipe does; a coarser crop samples a pooled level, so it does not alias.
        """
        step = torch.linalg.matrix_norm(affines[:, :, :2], ord=2)
        levels = torch.clamp(torch.floor(torch.log2(step / (LARGEST_STEP / 2))), min=0).long().tolist()
        out = torch.empty((len(affines), self.levels[0].shape[0], crop_size, crop_size),
                          device=affines.device, dtype=self.levels[0].dtype)
        for k in sorted(set(levels)):
            rows = [i for i, level in enumerate(levels) if level == k]
            image, k = self.level(k)
            if (k, border) not in self._padded:
                self._padded[k, border] = pad_to_power_of_two(image, border)
            out[rows] = sample(self._padded[k, border], _to_level(affines[rows], 2**k), crop_size, border)
        return out


def _to_level(affines: torch.Tensor, factor: int) -> torch.Tensor:
    """Crop-to-image maps re-expressed in the pixels of a level `factor` times coarser."""
    scaled = affines / factor
    scaled[:, :, 2] += 0.5 / factor - 0.5
    return scaled


def pad_to_power_of_two(image: torch.Tensor, border: str) -> torch.Tensor:
    """(C, H', W') with H', W' the powers of two at or above H, W: zeros or repeated edge pixels on the
    bottom and right, as `border` says ("zeros" or "border")."""
    if border not in ("border", "zeros"):
        raise ValueError(f"unknown border {border!r}; use 'border' or 'zeros'")
    h, w = image.shape[1:]
    extra = (1 << (w - 1).bit_length()) - w, (1 << (h - 1).bit_length()) - h
    if not any(extra):
        return image
    mode = "replicate" if border == "border" else "constant"
    return F.pad(image[None], (0, extra[0], 0, extra[1]), mode=mode)[0]


def sample(padded: torch.Tensor, affines: torch.Tensor, crop_size: int, border: str) -> torch.Tensor:
    """(N, C, S, S) bilinear samples of an image padded by `pad_to_power_of_two` at crop pixels (i, j) ->
    affine @ (i, j, 1).

    As OpenCV's warps compute them (and so MediaPipe's crops): positions rounded to 1/32 pixel, bilinear
    weights that are then exact multiples of 1/1024, the sample rounded to the nearest integer, ties up;
    "border" repeats the edge pixels, "zeros" reads 0 outside the image. On a power-of-two grid, grid_sample's
    float32 arithmetic is exact for such positions, so the crops equal OpenCV's bit for bit.
    """
    channels, h2, w2 = padded.shape
    a = affines.double()[:, None, None]  # (N, 1, 1, 2, 3)
    steps = torch.arange(crop_size, device=affines.device, dtype=torch.float64)
    xy = a[..., 2] + steps[None, None, :, None] * a[..., 0] + steps[None, :, None, None] * a[..., 1]
    xy = torch.round(xy * SUBPIXELS) / SUBPIXELS  # (N, S, S, 2) image pixels
    # Far outside, clamping keeps the numbers small (and exact) without changing what is read there.
    xy = torch.maximum(torch.minimum(xy, xy.new_tensor([w2 + 1.0, h2 + 1.0])), xy.new_tensor([-2.0, -2.0]))
    grid = ((2 * xy + 1) / xy.new_tensor([w2, h2]) - 1).to(padded.dtype)
    padding = "border" if border == "border" else "zeros"
    batch = padded[None].expand(len(affines), *padded.shape)
    crops = F.grid_sample(batch, grid, mode="bilinear", padding_mode=padding, align_corners=False)
    return torch.floor(crops + 0.5)
