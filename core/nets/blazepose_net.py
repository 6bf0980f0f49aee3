"""BlazePose landmark networks (lite, full, heavy) as PyTorch modules, with MediaPipe's trained weights.

Input: (B, 3, 256, 256) RGB in [0, 1], NCHW. Outputs (`LandmarkOutput`), all float:
  landmarks     (B, 39, 5)           x, y in 256-px crop pixels, z (same scale, relative to the hips),
                                     visibility logit, presence logit
  presence      (B,)                 pose presence probability in [0, 1] (the file applies the sigmoid)
  segmentation  (B, 256, 256)        person segmentation logits
  heatmaps      (B, 39, 64, 64)      belief maps, one per landmark
  world         (B, 39, 3)           metric landmarks, metres, hip-centred (MediaPipe's axes: y down)

The first 33 landmarks are `skeleton.BLAZEPOSE_33`; 33 and 34 are MediaPipe's auxiliary points (hip centre
and body scale, used to place the next crop), 35 to 38 are unused. The network is a MobileNetV2-like encoder
(row tables in `CONFIGS`), a decoder to 64x64 belief maps and a 256x256 mask, and a regression tower for
the landmarks. Batch norms are folded into the convolution biases, as in the .tflite files. Weights are read by
our own TFLite reader and matched to these modules by `tflite_torch.load_tflite_weights` (the match kept for the
next start by `weight_cache`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from . import weights as weight_files
from .weight_cache import load_weights

NUM_LANDMARKS = 39
INPUT_SIZE = 256
_MKLDNN = torch.ops.mkldnn  # oneDNN's fused CPU convolutions, the kernels torch.compile uses on the CPU


class Conv(nn.Conv2d):
    """A convolution with bias, then ReLU6 if `relu6`, then `+ residual` if one is given to forward.

    With `fused` set (`ready` sets it on the CPU), inference on the CPU (float32, gradients off) runs each as one
    oneDNN call, bias, ReLU6 and residual included, with the weight packed by `pack` for the shape of its first
    input (weights changed later need `packed = None`); elsewhere (cuda, half, training) as PyTorch's own ops.
    Both give the same numbers up to float rounding (tested). A copy or a pickle packs again when first run.
    """

    def __init__(self, inp: int, out: int, kernel: int = 1, stride: int = 1, *, padding: int | None = None,
                 groups: int = 1, relu6: bool = False):
        super().__init__(inp, out, kernel, stride, kernel // 2 if padding is None else padding, groups=groups)
        self.relu6 = relu6
        self.fused = False  # run CPU inference as one oneDNN call (see above)
        self.packed: torch.Tensor | None = None  # the weight in oneDNN's layout (CPU only), see `pack`

    def forward(self, x: torch.Tensor, residual: torch.Tensor | None = None) -> torch.Tensor:
        if self.fused and x.device.type == "cpu" and x.dtype == torch.float32 and not torch.is_grad_enabled():
            if self.packed is None:
                self.pack(x.shape)
            return self._onednn(x, residual)
        y = super().forward(x)
        if self.relu6:
            y = F.relu6(y, inplace=True)
        return y if residual is None else y + residual

    def _onednn(self, x: torch.Tensor, residual: torch.Tensor | None) -> torch.Tensor:
        geometry = (list(self.padding), list(self.stride), list(self.dilation), self.groups)
        if residual is not None and not self.relu6:
            return _MKLDNN._convolution_pointwise.binary(x, residual, self.packed, self.bias, *geometry, "add", 1.0,
                                                         None, [], None)
        y = _MKLDNN._convolution_pointwise(x, self.packed, self.bias, *geometry,
                                           "hardtanh" if self.relu6 else "none", [0.0, 6.0] if self.relu6 else [], "")
        return y if residual is None else y + residual

    def pack(self, input_shape: torch.Size | list[int]) -> None:
        """Packs the weight for oneDNN's CPU kernels, for inputs of `input_shape` (B, C, H, W); other batch sizes
        run on the same packed weight."""
        self.packed = _MKLDNN._reorder_convolution_weight(
            self.weight.detach(), list(self.padding), list(self.stride), list(self.dilation), self.groups,
            list(input_shape))

    def __getstate__(self) -> dict:
        return {**self.__dict__, "packed": None}  # oneDNN's opaque tensors cannot be copied or pickled


def conv(inp: int, out: int, kernel: int = 1, stride: int = 1, *, groups: int = 1, relu: bool = False) -> Conv:
    """A convolution with bias and symmetric padding kernel // 2, optionally followed by ReLU6."""
    return Conv(inp, out, kernel, stride, groups=groups, relu6=relu)


def depthwise(channels: int, kernel: int = 3, stride: int = 1, *, relu: bool = True) -> Conv:
    return conv(channels, channels, kernel, stride, groups=channels, relu=relu)


class Stem(nn.Module):
    """3x3 stride-2 convolution to 24 channels, then a depthwise-separable convolution to `out`."""

    def __init__(self, out: int):
        super().__init__()
        self.conv = conv(3, 24, 3, 2, relu=True)
        self.depthwise = depthwise(24)
        self.project = conv(24, out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.project(self.depthwise(self.conv(x)))


class InvertedResidual(nn.Module):
    """MobileNetV2 block: 1x1 expansion, k x k depthwise (stride 1 or 2), linear 1x1 projection."""

    def __init__(self, inp: int, out: int, expand_ratio: int, stride: int, kernel: int):
        super().__init__()
        hidden = inp * expand_ratio
        self.expand = conv(inp, hidden, relu=True)
        self.depthwise = depthwise(hidden, kernel, stride)
        self.project = conv(hidden, out)
        self.residual = stride == 1 and inp == out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.depthwise(self.expand(x))
        return self.project(y, x) if self.residual else self.project(y)


class Projection(nn.Module):
    """Depthwise 3x3 then 1x1 convolution with ReLU6: brings a feature map to `out` channels."""

    def __init__(self, inp: int, out: int, *, depthwise_relu: bool = True):
        super().__init__()
        self.depthwise = depthwise(inp, relu=depthwise_relu)
        self.project = conv(inp, out, relu=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.project(self.depthwise(x))


class ResidualBlock(nn.Module):
    """relu6(x + conv1x1(depthwise3x3(x))), channels unchanged."""

    def __init__(self, channels: int, *, depthwise_relu: bool = True):
        super().__init__()
        self.depthwise = depthwise(channels, relu=depthwise_relu)
        self.project = conv(channels, channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu6(self.project(self.depthwise(x), x), inplace=True)


class DownBlock(nn.Module):
    """Halves the resolution: relu6(maxpool(x), zero-padded to `out` channels + conv1x1(dw3x3 stride 2(x))).

    The depthwise convolution uses TFLite's SAME padding, which for stride 2 on an even size pads only the
    right and bottom by one pixel.
    """

    def __init__(self, inp: int, out: int):
        super().__init__()
        self.same_pad = nn.ZeroPad2d((0, 1, 0, 1))
        self.depthwise = Conv(inp, inp, 3, 2, padding=0, groups=inp, relu6=True)
        self.project = conv(inp, out)
        self.extra_channels = out - inp

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = F.max_pool2d(x, 2)
        if self.extra_channels:
            shortcut = F.pad(shortcut, (0, 0, 0, 0, 0, self.extra_channels))
        return F.relu6(self.project(self.depthwise(self.same_pad(x)), shortcut), inplace=True)


def upsample(x: torch.Tensor) -> torch.Tensor:
    """2x bilinear upsampling with half-pixel centres (TFLite RESIZE_BILINEAR, half_pixel_centers=True)."""
    return F.interpolate(x, scale_factor=2.0, mode="bilinear", align_corners=False)


class Encoder(nn.Module):
    """Stem and inverted-residual rows (t, c, n, s, k); returns the last feature map of every resolution.

    The final map comes from the bottleneck head: a 1x1 expansion by 6 and a 3x3 depthwise convolution.
    """

    def __init__(self, stem: int, rows: tuple[tuple[int, int, int, int, int], ...]):
        super().__init__()
        self.stem = Stem(stem)
        self.blocks = nn.ModuleList()
        self.taps: list[int] = []  # indices of the blocks whose output is a skip feature
        inp = stem
        for t, c, n, s, k in rows:
            for i in range(n):
                stride = s if i == 0 else 1
                if stride == 2:
                    self.taps.append(len(self.blocks) - 1)
                self.blocks.append(InvertedResidual(inp, c, t, stride, k))
                inp = c
        self.head = nn.Sequential(conv(inp, 6 * inp, relu=True), depthwise(6 * inp))
        self.channels = [stem] + [self.blocks[i].project.out_channels for i in self.taps[1:]] + [6 * inp]

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        x = self.stem(x)
        features = [x] if -1 in self.taps else []
        for i, block in enumerate(self.blocks):
            x = block(x)
            if i in self.taps:
                features.append(x)
        features.append(self.head(x))
        return features


@dataclass(frozen=True)
class LandmarkConfig:
    """One variant: encoder rows, decoder width, and the regression tower's stages (channels, blocks)."""

    stem: int
    rows: tuple[tuple[int, int, int, int, int], ...]
    decoder: int
    regression: tuple[tuple[int, int], ...]
    regress_from_heatmaps: bool  # heavy: the tower starts at the 64x64 decoder output, with skips


CONFIGS = {
    "lite": LandmarkConfig(
        stem=8,
        rows=((4, 16, 1, 2, 3), (6, 16, 1, 1, 3), (6, 24, 2, 2, 5), (6, 40, 3, 2, 3), (6, 56, 3, 1, 5),
              (6, 96, 4, 2, 5)),
        decoder=32, regression=((192, 2), (192, 3)), regress_from_heatmaps=False),
    "full": LandmarkConfig(
        stem=16,
        rows=((4, 24, 1, 2, 3), (6, 24, 1, 1, 3), (6, 32, 2, 2, 5), (6, 64, 3, 2, 3), (6, 88, 3, 1, 5),
              (6, 144, 4, 2, 5)),
        decoder=48, regression=((288, 4), (288, 5)), regress_from_heatmaps=False),
    "heavy": LandmarkConfig(
        stem=24,
        rows=((4, 32, 2, 2, 3), (6, 32, 2, 1, 3), (6, 56, 4, 2, 5), (6, 112, 6, 2, 3), (6, 160, 6, 1, 5),
              (6, 272, 8, 2, 5)),
        decoder=48, regression=((96, 6), (192, 7), (288, 7), (288, 7), (288, 7)), regress_from_heatmaps=True),
}


class LandmarkOutput(NamedTuple):
    """The network's outputs, in the order of the .tflite file's outputs (shapes in the module docstring)."""

    landmarks: torch.Tensor
    presence: torch.Tensor
    segmentation: torch.Tensor | None  # None when the network's `with_segmentation` is False
    heatmaps: torch.Tensor
    world: torch.Tensor


class BlazePoseLandmark(nn.Module):
    """The landmark network of one variant; see the module docstring for inputs and outputs."""

    def __init__(self, variant: str = "full"):
        super().__init__()
        if variant not in CONFIGS:
            raise ValueError(f"unknown BlazePose variant {variant!r}; choose one of {', '.join(CONFIGS)}")
        cfg = CONFIGS[variant]
        self.variant = variant
        self.input_size = INPUT_SIZE
        self.encoder = Encoder(cfg.stem, cfg.rows)
        c128, c64, c32, c16, c8 = self.encoder.channels
        d = cfg.decoder
        # Decoder: project each resolution to `d` channels, upsample from 8x8 and add, up to 64x64.
        self.skip128 = ResidualBlock(8) if c128 == 8 else Projection(c128, 8)
        self.lateral = nn.ModuleList([Projection(c, d) for c in (c8, c16, c32, c64)])
        self.heatmap = conv(d, NUM_LANDMARKS)
        # Segmentation: 64x64 -> 128x128 (+ the stem's skip) -> 256x256, one logit per pixel.
        self.mask_in = Projection(d, 8)
        self.mask128 = nn.Sequential(ResidualBlock(8), ResidualBlock(8))
        self.mask256 = nn.Sequential(ResidualBlock(8), ResidualBlock(8))
        self.mask_out = conv(8, 1, 3)
        self.with_segmentation = True  # False skips the 256x256 mask branch (bench/blazepose_nets.py times both)
        # Regression tower: stride-2 stages down to 2x2, then 2x2 convolutions for each output.
        self.regress_from_heatmaps = cfg.regress_from_heatmaps
        widths = [c for c, _ in cfg.regression]
        if cfg.regress_from_heatmaps:
            inp, skips = d, (c32, c16, c8)
            self.regression_skips = nn.ModuleList([Projection(c, w) for c, w in zip(skips, widths, strict=False)])
        else:
            inp = widths[0]
            self.regression_in = Projection(c8, inp)
        self.regression = nn.ModuleList()
        for width, blocks in cfg.regression:
            self.regression.append(nn.Sequential(DownBlock(inp, width), *[ResidualBlock(width) for _ in range(blocks)]))
            inp = width
        self.landmark_head = Conv(inp, NUM_LANDMARKS * 5, 2, padding=0)
        self.presence_head = Conv(inp, 1, 2, padding=0)
        self.world_head = Conv(inp, NUM_LANDMARKS * 3, 2, padding=0)

    def segment(self, decoded: torch.Tensor, f128: torch.Tensor) -> torch.Tensor:
        """(B, 256, 256) mask logits from the 64x64 decoder output and the stem's 128x128 features."""
        m = upsample(self.mask_in(decoded)) + self.skip128(f128)
        m = self.mask256(upsample(self.mask128(m)))
        return self.mask_out(m)[:, 0]

    def forward(self, image: torch.Tensor) -> LandmarkOutput:
        f128, f64, f32, f16, f8 = self.encoder(image)
        x = self.lateral[0](f8)
        for lateral, skip in zip(self.lateral[1:], (f16, f32, f64), strict=True):
            x = upsample(x) + lateral(skip)
        decoded = x  # (B, d, 64, 64)
        heatmaps = self.heatmap(decoded)
        segmentation = self.segment(decoded, f128) if self.with_segmentation else None

        if self.regress_from_heatmaps:  # 64x64 down to 2x2, adding projected encoder maps at 32, 16 and 8
            r = decoded
            skips = list(zip(self.regression_skips, (f32, f16, f8), strict=True))
            for stage in self.regression:
                r = stage(r)
                if skips:
                    project, feature = skips.pop(0)
                    r = r + project(feature)
        else:  # 8x8 bottleneck down to 2x2
            r = self.regression_in(f8)
            for stage in self.regression:
                r = stage(r)
        batch = image.shape[0]
        return LandmarkOutput(
            landmarks=self.landmark_head(r).reshape(batch, NUM_LANDMARKS, 5),
            presence=torch.sigmoid(self.presence_head(r)).reshape(batch),
            segmentation=segmentation,
            heatmaps=heatmaps,
            world=self.world_head(r).reshape(batch, NUM_LANDMARKS, 3),
        )


def blazepose_landmark(
    *,
    variant: str = weight_files.DEFAULT_VARIANT,
    weights: str | Path | None = None,
    device: str | torch.device | None = None,
    half: bool = False,
) -> BlazePoseLandmark:
    """The landmark network with MediaPipe's trained weights, ready for inference (see `ready`).

    `weights`: a .tflite path; by default `weights.fetched_weights` finds and checks the variant's file.
    """
    net = BlazePoseLandmark(variant)
    load_weights(net, weight_files.fetched_weights(weight_files.LANDMARK_FILES[variant], weights),
                 f"BlazePose's {variant} landmark network")
    return ready(net, device, half)


def ready(net: nn.Module, device: str | torch.device | None, half: bool) -> nn.Module:
    """`net` in eval mode, channels-last, on `device` (None: cuda when available, else cpu), float32 or,
    with `half`, float16 (cuda only: CPU kernels for half convolutions are slow or missing); inputs must
    then be float16 too. On the CPU its convolutions run fused by oneDNN, each packed on its first call. Run it under
    `torch.inference_mode()` and, on cuda in float32, `ieee_float32`; `net.input_size` is the side of its square
    input, pixels."""
    device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    if half and device.type != "cuda":
        raise ValueError(f"half precision needs a cuda device, not {device}")
    dtype = torch.float16 if half else torch.float32
    net = net.eval().to(device=device, dtype=dtype, memory_format=torch.channels_last)
    if device.type == "cpu" and dtype == torch.float32 and onednn_available():
        for module in net.modules():
            if isinstance(module, Conv):
                module.fused = True
    return net


@contextmanager
def ieee_float32(device: torch.device) -> Iterator[None]:
    """cuDNN's float32 convolutions in IEEE float32 while inside, as on the CPU: torch's default on cuda is TF32
    (10-bit mantissas), off the parity with TFLite these networks are tested to. Float16 ones are untouched."""
    if device.type != "cuda":
        yield
        return
    conv = torch.backends.cudnn.conv
    before, conv.fp32_precision = conv.fp32_precision, "ieee"
    try:
        yield
    finally:
        conv.fp32_precision = before


def onednn_available() -> bool:
    """Whether this PyTorch has the oneDNN (mkldnn) CPU kernels that `Conv` fuses into."""
    return torch.backends.mkldnn.is_available() and hasattr(_MKLDNN, "_convolution_pointwise")
