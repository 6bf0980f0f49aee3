"""Belief maps: rendering them at 2D points, reading points back (anywhere, or near given points), and fusing two
sets, as the multi-stage loop of "Lifting from the Deep" (Tome, Russell & Agapito, CVPR 2017, arXiv:1701.00295)
fuses its projected 3D pose with the 2D network's maps.

Maps are (N, J, H, W) torch tensors in [0, 1] on any device; points are (N, J, 2) in map pixels (x right,
y down, pixel centres at integers).
"""

from __future__ import annotations

import torch


def render(points: torch.Tensor, size: tuple[int, int], sigma: float, visible: torch.Tensor | None = None):
    """(N, J, H, W) Gaussian belief maps peaking at 1 on each point; zero maps where `visible` (N, J) is False
    or the point is NaN. `sigma` in map pixels."""
    h, w = size
    ys = torch.arange(h, device=points.device, dtype=points.dtype)
    xs = torch.arange(w, device=points.device, dtype=points.dtype)
    finite = torch.isfinite(points).all(dim=-1)
    keep = finite if visible is None else finite & visible.bool()
    p = torch.where(keep[..., None], points, torch.zeros_like(points))
    gx = torch.exp(-((xs - p[..., :1]) ** 2) / (2 * sigma**2))  # (N, J, W)
    gy = torch.exp(-((ys - p[..., 1:]) ** 2) / (2 * sigma**2))  # (N, J, H)
    maps = gy[..., :, None] * gx[..., None, :]
    return maps * keep[..., None, None].to(maps.dtype)


def read(maps: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(N, J, 2) points and (N, J) peak values: each map's maximum, refined to sub-pixel precision by a
    parabola through the log of the peak and its two neighbours along each axis (exact for a Gaussian). A
    maximum beside a zero pixel (the edge of a `near` window, beyond which the true peak may lie) is given no
    sub-pixel step and a peak value of 0."""
    n, j, h, w = maps.shape
    peak, index = maps.reshape(n, j, h * w).max(dim=-1)
    cy = torch.div(index, w, rounding_mode="floor")
    cx = index - cy * w

    def at(y: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        flat = (y.clamp(0, h - 1) * w + x.clamp(0, w - 1)).unsqueeze(-1)
        return torch.gather(maps.reshape(n, j, h * w), 2, flat).squeeze(-1)

    def offset(before: torch.Tensor, centre: torch.Tensor, after: torch.Tensor, inside: torch.Tensor):
        before, centre, after = (v.clamp(min=1e-12).log() for v in (before, centre, after))
        curvature = before - 2 * centre + after
        step = 0.5 * (before - after) / torch.where(curvature < -1e-12, curvature, -torch.ones_like(curvature))
        return torch.where(inside & (curvature < -1e-12), step.clamp(-0.5, 0.5), torch.zeros_like(step))

    left, right, up, down = at(cy, cx - 1), at(cy, cx + 1), at(cy - 1, cx), at(cy + 1, cx)
    inside_x, inside_y = (cx > 0) & (cx < w - 1), (cy > 0) & (cy < h - 1)
    edge = ((cx > 0) & (left == 0)) | ((cx < w - 1) & (right == 0)) | ((cy > 0) & (up == 0))
    edge = edge | ((cy < h - 1) & (down == 0))
    centre = at(cy, cx)
    dx = offset(left, centre, right, inside_x & ~edge)
    dy = offset(up, centre, down, inside_y & ~edge)
    return torch.stack([cx + dx, cy + dy], dim=-1).to(maps.dtype), torch.where(edge & (peak > 0), 0.0, peak)


def near(maps: torch.Tensor, points: torch.Tensor, radius: float) -> torch.Tensor:
    """(N, J, H, W) maps kept within `radius` map pixels (a square window) of (N, J, 2) points, zero elsewhere:
    what `read` then finds is the peak near each point, not a stronger one elsewhere. NaN points keep their map."""
    h, w = maps.shape[-2:]
    ys = torch.arange(h, device=maps.device, dtype=maps.dtype)
    xs = torch.arange(w, device=maps.device, dtype=maps.dtype)
    p = torch.nan_to_num(points.to(maps.dtype), nan=0.0)
    inside_x = (xs - p[..., :1]).abs() <= radius  # (N, J, W)
    inside_y = (ys - p[..., 1:]).abs() <= radius  # (N, J, H)
    window = inside_y[..., :, None] & inside_x[..., None, :]
    window = window | ~torch.isfinite(points).all(-1)[..., None, None]
    return maps * window.to(maps.dtype)


def fuse(network: torch.Tensor, projected: torch.Tensor, weight: float | torch.Tensor) -> torch.Tensor:
    """weight * network + (1 - weight) * projected: the 2D network's belief kept by `weight` in [0, 1]."""
    return weight * network + (1 - weight) * projected
