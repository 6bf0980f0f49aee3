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
    """The inverse of (N, 2, 3) affine maps (the 2 x 2 inverse in closed form: elementwise on any device)."""
    (a, b), (c, d) = affine[:, 0, :2].unbind(-1), affine[:, 1, :2].unbind(-1)
    adjugate = torch.stack([torch.stack([d, -b], -1), torch.stack([-c, a], -1)], -2)
    inverse = adjugate / _determinant(affine[:, :, :2])[:, None, None]
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
        self._padded: dict[int, torch.Tensor] = {}

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
        if border not in ("border", "zeros"):
            raise ValueError(f"unknown border {border!r}; use 'border' or 'zeros'")
        step = largest_stretch(affines[:, :, :2].double())
        levels = torch.clamp(torch.floor(torch.log2(step / (LARGEST_STEP / 2))), min=0).long().tolist()
        parts = []
        for k in sorted(set(levels)):
            rows = [i for i, level in enumerate(levels) if level == k]
            image, k = self.level(k)
            if k not in self._padded:
                self._padded[k] = pad_to_power_of_two(image)
            size = image.shape[2], image.shape[1]
            parts.append((rows, sample(self._padded[k], size, _to_level(affines[rows], 2**k), crop_size, border)))
        if len(parts) == 1:
            return parts[0][1]
        out = torch.empty((len(affines), *parts[0][1].shape[1:]), device=affines.device, dtype=parts[0][1].dtype)
        for rows, crops in parts:
            out[rows] = crops
        return out


def largest_stretch(linear: torch.Tensor) -> torch.Tensor:
    """(N,) the largest singular value of (N, 2, 2) matrices, in closed form (no SVD: elementwise on any device):
    the image pixels a step of one crop pixel crosses at most."""
    squares = linear.square().sum((1, 2))  # the squared Frobenius norm: s1^2 + s2^2
    det = _determinant(linear)  # s1 s2, up to sign
    return ((squares + (squares.square() - 4 * det.square()).clamp(min=0).sqrt()) / 2).sqrt()


def _determinant(linear: torch.Tensor) -> torch.Tensor:
    """(N,) determinants of (N, 2, 2) matrices."""
    return linear[:, 0, 0] * linear[:, 1, 1] - linear[:, 0, 1] * linear[:, 1, 0]


def _to_level(affines: torch.Tensor, factor: int) -> torch.Tensor:
    """Crop-to-image maps re-expressed in the pixels of a level `factor` times coarser."""
    scaled = affines / factor
    scaled[:, :, 2] += 0.5 / factor - 0.5
    return scaled


def pad_to_power_of_two(image: torch.Tensor) -> torch.Tensor:
    """(C, H', W') with H', W' the powers of two at or above H, W, zeros on the bottom and right."""
    h, w = image.shape[1:]
    extra = (1 << (w - 1).bit_length()) - w, (1 << (h - 1).bit_length()) - h
    if not any(extra):
        return image
    return F.pad(image[None], (0, extra[0], 0, extra[1]))[0]


def sample(padded: torch.Tensor, size: tuple[int, int], affines: torch.Tensor, crop_size: int,
           border: str) -> torch.Tensor:
    """(N, C, S, S) bilinear samples, at crop pixels (i, j) -> affine @ (i, j, 1), of an image of `size`
    (w, h) pixels padded by `pad_to_power_of_two`.

    As OpenCV's warps compute them (and so MediaPipe's crops): positions rounded to 1/32 pixel, bilinear
    weights that are then exact multiples of 1/1024, the sample rounded to the nearest integer, ties up;
    "border" repeats the edge pixels (positions clamped to the image: the same bilinear value), "zeros" reads
    0 outside the image. On a power-of-two grid, grid_sample's float32 arithmetic is exact for such
    positions, so the crops equal OpenCV's bit for bit.
    """
    channels, h2, w2 = padded.shape
    a = affines.double() * SUBPIXELS  # (N, 2, 3) in 1/32 pixels: a power of two, so rounding is unchanged
    steps = torch.arange(crop_size, device=affines.device, dtype=torch.float64)
    columns = a[:, None, :, 2] + steps[None, :, None] * a[:, None, :, 0]  # (N, S, 2) at column i, row 0
    rows = steps[None, :, None] * a[:, None, :, 1]  # (N, S, 2) from row 0 to row j
    grid = torch.empty((len(affines), crop_size, crop_size, 2), device=affines.device, dtype=padded.dtype)
    for axis, (extent, padded_extent) in enumerate(zip(size, (w2, h2), strict=True)):
        subpixels = (columns[:, None, :, axis] + rows[:, :, None, axis]).round_()  # (N, S, S) integers
        if border == "border":
            subpixels.clamp_(0, SUBPIXELS * (extent - 1))
        else:  # far outside, clamping keeps the numbers small (and exact) without changing what is read there
            subpixels.clamp_(-2 * SUBPIXELS, SUBPIXELS * (padded_extent + 1))
        # (2 x + 1) / w2 - 1 with x = subpixels / 32: exact, every factor a power of two.
        grid[..., axis] = subpixels.mul_(2 / (SUBPIXELS * padded_extent)).add_(1 / padded_extent - 1)
    batch = padded[None].expand(len(affines), *padded.shape)
    crops = F.grid_sample(batch, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    return crops.add_(0.5).floor_()
