"""Where the detector looks in an image: the whole picture letterboxed, and overlapping square tiles at finer scales.

BlazePose's detector sees the whole image shrunk into 224 x 224 pixels and finds people from about a quarter of
that square tall: in a 1280 x 720 photo, nobody under about 320 px. A tile whose side is a share of the image's
long side shows the people in it that much larger, so tiles of `TILE_SIDES` find people down to about a quarter
of the smallest tile. Tiles of one size overlap by half their side, so anybody up to half a tile tall lies whole
inside at least one of them; a detection reaching an edge where its tile cuts the image (not the image's own edge)
is of somebody cut by it, whom another tile or the whole picture sees whole, and is dropped (`cut_by_tile`), as is
one whose region is larger than the tile (`fits`): a fragment of somebody too big for it, whom a larger view sees.
Views are squares in image pixels (`roi.Rois`, no rotation); a tile that would overhang the image is padded, as
the letterboxed whole is.
"""

from __future__ import annotations

import math

import torch

from .roi import Rois

TILE_SIDES = (0.25,)  # shares of the image's long side: people down to about 0.25 / 4 of it tall are found
VIDEO_TILE_SIDES = (0.375,)  # for video: the tracker follows people between detections, so fewer, coarser tiles
EDGE_MARGIN = 0.02  # share of a tile's side: a detection this near an edge where the tile cuts the image is cut
MAX_REGION = 2.2  # of a tile's side: a person whose region is larger is the whole picture's (or a larger tile's)


def views(size: tuple[int, int], sides: tuple[float, ...] = TILE_SIDES) -> tuple[Rois, torch.Tensor]:
    """(V,) squares the detector looks at in a (W, H) image: the whole picture (letterboxed) first, then the tiles
    of each side in `sides`, row by row; and (V, 4) bool, whether each view's left, top, right and bottom edge cuts
    the image (False for the image's own edges and for the whole picture's)."""
    width, height = size
    long = max(width, height)
    centres, sides_px, cuts = [(width / 2, height / 2)], [float(long)], [(False,) * 4]
    for share in sides:
        side = share * long
        for y in _starts(height, side):
            for x in _starts(width, side):
                centres.append((x + side / 2, y + side / 2))
                sides_px.append(side)
                cuts.append((x > 0, y > 0, x + side < width, y + side < height))
    rois = Rois(torch.tensor(centres, dtype=torch.float32), torch.tensor(sides_px, dtype=torch.float32),
                torch.zeros(len(centres)))  # fmt: skip
    return rois, torch.tensor(cuts, dtype=torch.bool)


def _starts(length: int, side: float) -> list[float]:
    """Pixels: where tiles of `side` start along an image side of `length`, evenly spaced from 0 to the far end,
    at most half a side apart (one tile centred where the side is longer than the image)."""
    if side >= length:
        return [(length - side) / 2]
    count = math.ceil((length - side) / (side / 2)) + 1
    return [i * (length - side) / (count - 1) for i in range(count)]


def cut_by_tile(boxes: torch.Tensor, cuts: torch.Tensor, margin: float = EDGE_MARGIN) -> torch.Tensor:
    """(N,) bool: (N, 4) boxes (xmin, ymin, xmax, ymax in [0, 1] of their view) reaching within `margin` of one of
    their view's (N, 4) edges that cut the image (left, top, right, bottom)."""
    near = torch.stack([boxes[:, 0] < margin, boxes[:, 1] < margin, boxes[:, 2] > 1 - margin,
                        boxes[:, 3] > 1 - margin], -1)  # fmt: skip
    return (near & cuts).any(-1)


def fits(region: torch.Tensor, side: torch.Tensor, tile: torch.Tensor, most: float = MAX_REGION) -> torch.Tensor:
    """(N,) bool: detections whose (N,) region side (pixels, `roi.body_rois`) is at most `most` times the (N,) side
    of the view that found them, or that a whole picture found ((N,) `tile` False)."""
    return ~tile | (region <= most * side)
