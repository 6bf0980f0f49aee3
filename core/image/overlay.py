"""The skeleton drawn over a photo, written as a PNG: to see at a glance what the 2D network found.

Bones follow `skeleton.POSELIFT`; the subject's left side is drawn blue, the right side orange, the midline
green, and joints with confidence below `FAINT` are drawn faded. A label given per person (a slot number, a track
id) is written above their head: white on a dark box, so it reads on any background, its size following the
image's. Drawing uses Pillow and its own default font (no font file).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .. import skeleton
from ..formats.atomic import write_atomically

FAINT = 0.5
COLOURS = {skeleton.LEFT: (40, 120, 255), skeleton.RIGHT: (255, 140, 0), skeleton.CENTRE: (40, 220, 90)}
LABEL_SHARE = 1 / 25  # a label's text height, as a share of the image's long side
MIN_LABEL_PX = 12
LABEL_BOX = (0, 0, 0, 170)  # RGBA behind a label's text


def draw_skeletons(pixels: np.ndarray, joints2d: np.ndarray, confidence: np.ndarray,
                   joint_names: tuple[str, ...] = skeleton.POSELIFT.joints,
                   labels: Sequence[str] | None = None) -> np.ndarray:
    """(h, w, 3) uint8 RGB with the (P, J, 2) skeletons, pixels of `pixels`, drawn over it, and person p's
    `labels[p]` (P short strings, or None for none) above their head."""
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
    if labels is not None:
        if len(labels) != len(joints2d):
            raise ValueError(f"{len(labels)} labels for {len(joints2d)} people")
        font = ImageFont.load_default(size=max(MIN_LABEL_PX, round(LABEL_SHARE * max(base.size))))
        head = joint_names.index("head_top") if "head_top" in joint_names else None
        for points, label in zip(joints2d, labels, strict=True):
            _label(draw, base.size, points, head, label, font, width)
    return np.asarray(Image.alpha_composite(base, layer).convert("RGB"))


def write_overlay(path: str | Path, pixels: np.ndarray, joints2d: np.ndarray, confidence: np.ndarray,
                  labels: Sequence[str] | None = None) -> Path:
    """Write the photo with its skeletons and labels (see `draw_skeletons`) as a PNG at `path`, atomically."""
    path = Path(path)
    image = Image.fromarray(draw_skeletons(pixels, joints2d, confidence, labels=labels))
    return write_atomically(path, lambda out: image.save(out, format="PNG"))


def _label(draw: ImageDraw.ImageDraw, size: tuple[int, int], points: np.ndarray, head: int | None, text: str,
           font: ImageFont.FreeTypeFont | ImageFont.ImageFont, gap: int) -> None:
    """`text` centred above joint `head` of (J, 2) `points` (the topmost point where that one is not known), below
    it where the top edge of the (w, h) image is too near, kept inside the image; nothing for a person with no
    point."""
    known = np.isfinite(points).all(-1)
    if not known.any():
        return
    x, y = points[head] if head is not None and known[head] else min(points[known], key=lambda p: p[1])
    w, h = size
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    pad = max(2, (bottom - top) // 4)
    box_w, box_h = right - left + 2 * pad, bottom - top + 2 * pad
    x0 = min(max(x - box_w / 2, 0), max(w - box_w, 0))
    y0 = y - 2 * gap - box_h if y - 2 * gap - box_h >= 0 else min(y + 2 * gap, max(h - box_h, 0))
    draw.rectangle([x0, y0, x0 + box_w, y0 + box_h], fill=LABEL_BOX)
    draw.text((x0 + pad - left, y0 + pad - top), text, font=font, fill=(255, 255, 255, 255))


def _shade(colour: tuple[int, int, int], confidence: float) -> tuple[int, int, int, int]:
    return (*colour, 255 if confidence >= FAINT else 110)
