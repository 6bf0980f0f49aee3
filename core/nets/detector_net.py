"""BlazePose person detector as a PyTorch module, its SSD anchors, and the decoding of its outputs.

Input: (B, 3, 224, 224) RGB scaled to [-1, 1], NCHW (MediaPipe letterboxes the image to a square first).
Raw outputs (`DetectorOutput`): `boxes` (B, 2254, 12) offsets from the anchors in 224-px units (box centre
x, y, width, height, then 4 keypoints x, y) and `scores` (B, 2254) logits. The 2254 anchors are 28x28x2
(stride 8), 14x14x2 (stride 16) and 7x7x6 (stride 32), as `ssd_anchors` generates them with the options of
MediaPipe's pose detection graph. The 4 keypoints are: mid-hip centre, a point giving full-body size and
rotation, mid-shoulder centre, a point giving upper-body size and rotation.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from . import weights as weight_files
from .blazepose_net import Encoder, Projection, ResidualBlock, conv, depthwise, ready, upsample
from .boxes import box_iou
from .weight_cache import load_weights

INPUT_SIZE = 224
NUM_ANCHORS = 2254
NUM_KEYPOINTS = 4
ENCODER_ROWS = ((4, 24, 1, 2, 3), (6, 24, 1, 1, 3), (6, 40, 2, 2, 5), (6, 80, 3, 2, 3), (6, 112, 3, 1, 5),
                (6, 192, 4, 2, 5))
# SsdAnchorsCalculator options of mediapipe/modules/pose_detection/pose_detection_cpu.pbtxt.
ANCHOR_STRIDES = (8, 16, 32, 32, 32)
ANCHOR_MIN_SCALE, ANCHOR_MAX_SCALE = 0.1484375, 0.75
# TensorsToDetectionsCalculator and NonMaxSuppressionCalculator options of the same graph; the legacy
# solution's min_detection_confidence (0.5) replaces the graph's score threshold.
SCORE_CLIP = 100.0
MIN_SCORE = 0.5
MIN_SUPPRESSION_IOU = 0.3


def depth_to_space(x: torch.Tensor, block: int = 2) -> torch.Tensor:
    """TFLite DEPTH_TO_SPACE (channels ordered row, column, depth) on NCHW: (B, C*b*b, H, W) -> (B, C, H*b, W*b)."""
    b, c, h, w = x.shape
    x = x.reshape(b, block * block, c // (block * block), h, w).transpose(1, 2)
    return F.pixel_shuffle(x.reshape(b, c, h, w), block)


class Head(nn.Module):
    """Per-cell predictions for `anchors` anchors of `values` numbers each, at half the input resolution."""

    def __init__(self, channels: int, anchors: int, values: int):
        super().__init__()
        self.depthwise = depthwise(channels, 3, 2, relu=False)
        self.predict = conv(channels, anchors * values)
        self.values = values

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.predict(self.depthwise(x))  # (B, A * values, H, W)
        return y.permute(0, 2, 3, 1).reshape(y.shape[0], -1, self.values)


class FeatureLevel(nn.Module):
    """Upsampled coarser features (1x1 conv) plus a projected encoder skip, then two residual blocks."""

    def __init__(self, coarse: int, skip: int, out: int):
        super().__init__()
        self.reduce = conv(coarse, out, relu=True)
        self.skip = Projection(skip, out, depthwise_relu=False)
        self.blocks = nn.Sequential(ResidualBlock(out, depthwise_relu=False), ResidualBlock(out, depthwise_relu=False))

    def forward(self, coarse: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        return self.blocks(self.skip(skip) + self.reduce(upsample(coarse)))


class DetectorOutput(NamedTuple):
    """Raw detector outputs, in the .tflite file's output order (shapes in the module docstring)."""

    boxes: torch.Tensor
    scores: torch.Tensor


class BlazePoseDetector(nn.Module):
    """The pose detector: MobileNetV2-like encoder, a top-down pyramid at strides 8, 16, 32, SSD heads."""

    def __init__(self):
        super().__init__()
        self.input_size = INPUT_SIZE
        self.encoder = Encoder(16, ENCODER_ROWS)
        _, _, c28, c14, c7 = self.encoder.channels
        self.level14 = FeatureLevel(c7, c14, 192)
        self.level28 = FeatureLevel(192, c28, 96)
        # Heads see depth-to-space maps: 56x56x24 (stride 8), 28x28x48 (16), 14x14x288 (32).
        anchors = (2, 2, 6)
        widths = (96 // 4, 192 // 4, c7 // 4)
        self.classifiers = nn.ModuleList([Head(c, a, 1) for c, a in zip(widths, anchors, strict=True)])
        self.regressors = nn.ModuleList([Head(c, a, 12) for c, a in zip(widths, anchors, strict=True)])

    def forward(self, image: torch.Tensor) -> DetectorOutput:
        _, _, f28, f14, f7 = self.encoder(image)
        x14 = self.level14(f7, f14)
        x28 = self.level28(x14, f28)
        maps = [depth_to_space(x) for x in (x28, x14, f7)]
        scores = torch.cat([head(m) for head, m in zip(self.classifiers, maps, strict=True)], 1)
        boxes = torch.cat([head(m) for head, m in zip(self.regressors, maps, strict=True)], 1)
        return DetectorOutput(boxes=boxes, scores=scores[..., 0])


def blazepose_detector(
    *, weights: str | Path | None = None, device: str | torch.device | None = None, half: bool = False
) -> BlazePoseDetector:
    """The detector with MediaPipe's trained weights, ready for inference (see `blazepose_net.ready`).

    `weights`: a .tflite path; by default `weights.fetched_weights` finds and checks pose_detection.tflite.
    """
    net = BlazePoseDetector()
    load_weights(net, weight_files.fetched_weights(weight_files.DETECTOR_FILE, weights))
    return ready(net, device, half)


def ssd_anchors() -> torch.Tensor:
    """(2254, 2) anchor centres (x, y), normalised to [0, 1] of the 224-px input; every anchor is 1 x 1.

    Layers of equal stride share one grid; each layer gives two anchors per cell (aspect ratio 1, and the
    interpolated scale), so strides 8, 16, 32, 32, 32 give 2, 2 and 6 anchors per cell.
    """
    centres = []
    layer = 0
    while layer < len(ANCHOR_STRIDES):
        stride = ANCHOR_STRIDES[layer]
        same = sum(1 for s in ANCHOR_STRIDES[layer:] if s == stride)
        cells = math.ceil(INPUT_SIZE / stride)
        grid = (torch.arange(cells, dtype=torch.float64) + 0.5) / cells
        y, x = torch.meshgrid(grid, grid, indexing="ij")
        xy = torch.stack([x, y], -1).reshape(-1, 1, 2).expand(-1, 2 * same, 2)
        centres.append(xy.reshape(-1, 2))
        layer += same
    return torch.cat(centres).float()


class Detections(NamedTuple):
    """Decoded detections, coordinates normalised to [0, 1] of the 224-px detector input."""

    boxes: torch.Tensor  # (..., 4) xmin, ymin, xmax, ymax
    keypoints: torch.Tensor  # (..., 4, 2) x, y
    scores: torch.Tensor  # (...,) probabilities


def decode(raw: DetectorOutput, anchors: torch.Tensor) -> Detections:
    """Boxes, keypoints and scores for every anchor: (B, 2254, 4), (B, 2254, 4, 2), (B, 2254)."""
    offsets = raw.boxes.float() / INPUT_SIZE
    anchors = anchors.to(offsets.device)
    centre = offsets[..., 0:2] + anchors
    half = offsets[..., 2:4] / 2
    boxes = torch.cat([centre - half, centre + half], -1)
    keypoints = offsets[..., 4:].unflatten(-1, (NUM_KEYPOINTS, 2)) + anchors[:, None, :]
    scores = torch.sigmoid(raw.scores.float().clamp(-SCORE_CLIP, SCORE_CLIP))
    return Detections(boxes, keypoints, scores)


def weighted_nms(detections: Detections, *, min_score: float = MIN_SCORE,
                 iou_threshold: float = MIN_SUPPRESSION_IOU) -> Detections:
    """MediaPipe's weighted non-maximum suppression for one image's (N, ...) detections.

    Detections above `min_score` are taken best first; each takes every remaining detection overlapping it
    by more than `iou_threshold` (IoU) and becomes their score-weighted mean box and keypoints, keeping its
    own score. Returns (K, ...) detections, best first, on the input's device (the few candidates are
    merged on the CPU, which spares a device round trip per detection).
    """
    device = detections.scores.device
    keep = detections.scores >= min_score
    boxes, keypoints, scores = (t[keep].cpu() for t in detections)
    order = scores.argsort(descending=True)
    boxes, keypoints, scores = boxes[order], keypoints[order], scores[order]
    out_boxes, out_keypoints, out_scores = [], [], []
    remaining = torch.ones(len(scores), dtype=torch.bool)
    iou = box_iou(boxes, boxes)
    for i in range(len(scores)):
        if not remaining[i]:
            continue
        cluster = remaining & (iou[i] > iou_threshold)
        cluster[i] = True
        weights = scores[cluster] / scores[cluster].sum()
        out_boxes.append((boxes[cluster] * weights[:, None]).sum(0))
        out_keypoints.append((keypoints[cluster] * weights[:, None, None]).sum(0))
        out_scores.append(scores[i])
        remaining &= ~cluster
    if not out_scores:
        return Detections(boxes[:0].to(device), keypoints[:0].to(device), scores[:0].to(device))
    return Detections(*(torch.stack(t).to(device) for t in (out_boxes, out_keypoints, out_scores)))

