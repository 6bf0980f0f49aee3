"""The skeleton drawn over a photo, written as a PNG: to see at a glance what the 2D network found.

Bones follow `skeleton.POSELIFT`; the subject's left side is drawn blue, the right side orange, the midline
green, and joints with confidence below `FAINT` are drawn faded. Drawing uses Pillow.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from .. import skeleton
from ..formats.atomic import write_atomically

FAINT = 0.5
COLOURS = {skeleton.LEFT: (40, 120, 255), skeleton.RIGHT: (255, 140, 0), skeleton.CENTRE: (40, 220, 90)}


def draw_skeletons(pixels: np.ndarray, joints2d: np.ndarray, confidence: np.ndarray,
                   joint_names: tuple[str, ...] = skeleton.POSELIFT.joints) -> np.ndarray:
    """(h, w, 3) uint8 RGB with the (P, J, 2) skeletons, pixels of `pixels`, drawn over it."""
    base = Image.fromarray(np.ascontiguousarray(pixels, dtype=np.uint8), "RGB").convert("RGBA")
    layer = Image.new("RGBA", base.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    width = max(2, round(max(base.size) / 250))
    parents = skeleton.subset_parents(joint_names)
    sides = [skeleton.side_of(n) for n in joint_names]
    for points, weights in zip(joints2d, confidence, strict=True):
        known = np.isfinite(points).all(-1)
        for child, parent in enumerate(parents):
            if parent >= 0 and known[child] and known[parent]:
                colour = _shade(COLOURS[sides[child]], min(weights[child], weights[parent]))
                draw.line([tuple(points[parent]), tuple(points[child])], fill=colour, width=width)
        for j in np.flatnonzero(known):
            x, y = points[j]
            r = width * 1.2
            draw.ellipse([x - r, y - r, x + r, y + r], fill=_shade(COLOURS[sides[j]], weights[j]),
                         outline=(255, 255, 255, 255))
    return np.asarray(Image.alpha_composite(base, layer).convert("RGB"))


def write_overlay(path: str | Path, pixels: np.ndarray, joints2d: np.ndarray, confidence: np.ndarray) -> Path:
    """Write the photo with its skeletons (see `draw_skeletons`) as a PNG at `path`, atomically."""
    path = Path(path)
    image = Image.fromarray(draw_skeletons(pixels, joints2d, confidence))
    return write_atomically(path, lambda out: image.save(out, format="PNG"))


def _shade(colour: tuple[int, int, int], confidence: float) -> tuple[int, int, int, int]:
    return (*colour, 255 if confidence >= FAINT else 110)
