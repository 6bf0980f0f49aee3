"""EvoSkeleton's cascaded lifter: people's 2D joints (pixels, confidence) -> root-relative 3D poses, batched.

The network of Li et al., "Cascaded Deep Monocular 3D Human Pose Estimation with Evolutionary Training Data",
CVPR 2020 (arXiv:2006.07778), section 3.3: stages of residual MLPs (Martinez et al., ICCV 2017), each predicting a
correction to the sum of the stages before it; stage t is trained with stages < t frozen (scripts/train_lifter.py).

Joints: it reads and predicts `skeleton.BODY`'s 21 (the Human3.6M 17, heels, toes). The hand points of
`skeleton.POSELIFT` are read by nobody and returned at their wrist, for the caller to hang as lifting.py does.

Input, per person (`normalise`): each joint's 2D minus the root's, image y flipped to point up, divided by the
person's size in the image; each joint's confidence; and, where it is known, the pitch at which the person is seen
(radians below the horizontal of the ray to the pelvis, `root_motion.view_pitch`) with a flag saying it is known. A
photo's pitch is unknown (flag 0); a video's is the shot's camera once found. Seen from above, a person's toes,
knees and face fall lower in the image when they face the camera than when they face away: a cue the pitch lets the
network use. The root is the pelvis where it is seen, else the mean of the seen joints. The size is the
root-mean-square distance of the seen Human3.6M joints from the root (the 17, not heels or toes, which cluster at
the ankles). A joint is seen when its 2D is finite and its confidence is at least MIN_CONFIDENCE; an unseen one
reads (0, 0) with confidence 0, so NaN never reaches the network. Coordinates are clipped to +-CLIP sizes.

Output: the 21 joints in the frame of the upright fit (fit.fit_upright) and the pose file: X image right, Y away
from the camera along the horizontal direction of the ray to the pelvis, Z up (gravity), pelvis at the origin,
at a stature of 1 (skeleton.stature), which `lift_batch` scales to a height in metres (not yet on the floor). A
person seen off the image centre is seen along their ray, as in the fit: root_motion.face_the_camera_ray turns them
to the camera's axes. Focal length and image size are therefore not inputs.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np
import torch
from torch import nn

from .. import skeleton
from ..formats.atomic import write_atomically

FORMAT = "poselift-cascade"
FORMAT_VERSION = 2  # 2: the view pitch is an input
JOINTS = skeleton.BODY  # what the network reads and predicts, in POSELIFT's order (its first 21)
H36M = len(skeleton.H36M_17)  # the first 17 of JOINTS: the joints that set a person's size
PELVIS = JOINTS.index("pelvis")
MIN_CONFIDENCE = 0.1  # a joint under this is not seen (fit.fit_upright's min_weight)
MIN_JOINTS = 5  # a person with fewer seen joints is lifted (a defined pose) but not ok (fit's min_joints)
MIN_SIZE_PX = 2.0  # nor is one whose seen joints lie within this of their root
CLIP = 10.0  # normalised coordinates are clipped to +-this many person sizes
MAX_PITCH = np.pi / 2  # radians: a view pitch is clipped to straight down (or up)
# Each hand point of POSELIFT (index >= 21) sits at its wrist in `lift_batch`'s output.
HAND_WRISTS = tuple(
    skeleton.POSELIFT.index(f"{name.split('_')[0]}_wrist") for name in skeleton.POSELIFT.joints[len(JOINTS) :]
)
MIRROR = list(JOINTS.mirror)  # each joint's other-side twin
DEFAULT_WEIGHTS = Path(__file__).resolve().parent / "data" / "cascade_lifter.npz"
WEIGHTS = {"default": DEFAULT_WEIGHTS}  # the shipped weights by name (scripts/train_lifter.py writes them)
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # every member's timestamp, so that the file is a function of its arrays


class CascadeFileError(ValueError):
    """A cascade weights file that cannot be used; str(e) is one sentence naming the file and the problem."""


@dataclass(frozen=True)
class CascadeConfig:
    """The architecture, as data: `stages` stages of `blocks` residual blocks of `width` units each."""

    stages: int = 3
    blocks: int = 2
    width: int = 384
    dropout: float = 0.1
    norm: str = "batch"  # "batch" (the paper's) or "layer"
    feed_previous: bool = True  # stages after the first also read the pose so far

    @property
    def in_features(self) -> int:
        return 3 * len(JOINTS) + 2  # (x, y, confidence) per joint, the view pitch and whether it is known

    @property
    def out_features(self) -> int:
        return 3 * len(JOINTS)


def _norm(kind: str, width: int) -> nn.Module:
    if kind == "batch":
        return nn.BatchNorm1d(width)
    if kind == "layer":
        return nn.LayerNorm(width)
    raise ValueError(f"norm must be 'batch' or 'layer', not {kind!r}")


class ResidualBlock(nn.Module):
    """x + (Linear-Norm-ReLU-Dropout) x 2 of x; (N, width) -> (N, width)."""

    def __init__(self, width: int, dropout: float, norm: str):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Linear(width, width), _norm(norm, width), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(width, width), _norm(norm, width), nn.ReLU(), nn.Dropout(dropout),
        )  # fmt: skip

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.layers(x)


class Stage(nn.Module):
    """One residual MLP: input Linear-Norm-ReLU-Dropout, `blocks` residual blocks, output Linear."""

    def __init__(self, in_features: int, out_features: int, config: CascadeConfig):
        super().__init__()
        w = config.width
        self.head = nn.Sequential(
            nn.Linear(in_features, w), _norm(config.norm, w), nn.ReLU(), nn.Dropout(config.dropout)
        )
        self.blocks = nn.Sequential(*(ResidualBlock(w, config.dropout, config.norm) for _ in range(config.blocks)))
        self.tail = nn.Linear(w, out_features)
        nn.init.zeros_(self.tail.weight)  # a new stage starts by changing nothing: it learns a correction
        nn.init.zeros_(self.tail.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.tail(self.blocks(self.head(x)))


class CascadeLifter(nn.Module):
    """(N, 65) features from `normalise` -> (N, 21, 3) poses at unit stature (module docstring: frame)."""

    def __init__(self, config: CascadeConfig = CascadeConfig()):
        super().__init__()
        self.config = config
        previous = config.out_features if config.feed_previous else 0
        self.stages = nn.ModuleList(
            Stage(config.in_features + (previous if t else 0), config.out_features, config)
            for t in range(config.stages)
        )
        # Per-joint RMS error (unit stature) of the finished cascade on noisy held-out views, where the joint was
        # seen and where it was not: the uncertainty `lift_batch` reports. Set by the training; 1 until then.
        self.register_buffer("sigma_seen", torch.ones(len(JOINTS)))
        self.register_buffer("sigma_unseen", torch.ones(len(JOINTS)))

    def step(self, t: int, features: torch.Tensor, pose: torch.Tensor) -> torch.Tensor:
        """(N, 63) the pose after stage t: (N, 63) `pose` (the sum of the stages before t) plus stage t's correction;
        (N, 65) `features`."""
        x = torch.cat([features, pose], -1) if t and self.config.feed_previous else features
        return pose + self.stages[t](x)

    def forward(self, features: torch.Tensor, stages: int | None = None) -> torch.Tensor:
        """(N, 21, 3): the sum of the first `stages` stages (all by default)."""
        pose = features.new_zeros(len(features), self.config.out_features)
        for t in range(len(self.stages) if stages is None else stages):
            pose = self.step(t, features, pose)
        return pose.view(-1, len(JOINTS), 3)


def normalise(joints2d: torch.Tensor, confidence: torch.Tensor, pitch: torch.Tensor | None = None,
              ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:  # fmt: skip
    """(N, J, 2) pixels (image y down) and (N, J) confidences on POSELIFT's first J >= 21 joints, and (N,) view
    pitches in radians down (NaN, or None for all: unknown) -> (N, 65) features (21 x normalised (x, y), 21
    confidences, the pitch (0 where unknown), 1 where it is known), (N, 21) bool, the joints seen, and (N,) the
    person's size in pixels (0: none). Never NaN."""
    p = joints2d[:, : len(JOINTS)].float()
    c = torch.nan_to_num(confidence[:, : len(JOINTS)].float(), nan=0.0).clamp(0.0, 1.0)
    seen = torch.isfinite(p).all(-1) & (c >= MIN_CONFIDENCE)
    c = torch.where(seen, c, 0.0)
    p = torch.where(seen[..., None], p, 0.0) * p.new_tensor([1.0, -1.0])  # y up
    w = seen.float()
    centroid = (w[..., None] * p).sum(1) / w.sum(1, keepdim=True).clamp_min(1.0)
    root = torch.where(seen[:, PELVIS, None], p[:, PELVIS], centroid)
    rel = p - root[:, None]
    w17 = w[:, :H36M]
    size = ((w17 * (rel[:, :H36M] ** 2).sum(-1)).sum(1) / w17.sum(1).clamp_min(1.0)).sqrt()
    scale = torch.where(size > 1e-6, size, 1.0)  # one joint or all on one point: nothing to scale
    x = torch.where(seen[..., None], rel / scale[:, None, None], 0.0).clamp(-CLIP, CLIP)
    view = p.new_full((len(p),), torch.nan) if pitch is None else pitch.to(p.device, p.dtype).expand(len(p))
    known = torch.isfinite(view)
    view = torch.stack([torch.where(known, view, 0.0).clamp(-MAX_PITCH, MAX_PITCH), known.to(p.dtype)], -1)
    return torch.cat([x.flatten(1), c, view], -1), seen, size


@dataclass(frozen=True)
class CascadeLift:
    """Per-person results of `lift_batch`, float32 on the model's device; finite for every person."""

    joints3d: torch.Tensor  # (N, 27, 3) metres, POSELIFT: X image right, Y away from the camera, Z up; pelvis at 0
    sigma: torch.Tensor  # (N, 27) metres: the expected error of each joint (held-out RMS; a hand point: its wrist's)
    seen: torch.Tensor  # (N, 27) bool: the joints the input gave (hand points: never read, False)
    ok: torch.Tensor  # (N,) bool: at least MIN_JOINTS body joints seen, spread over MIN_SIZE_PX; the others' poses
    #                   are guesses


@torch.no_grad()
def lift_batch(
    model: CascadeLifter,
    joints2d: np.ndarray | torch.Tensor,
    confidence: np.ndarray | torch.Tensor,
    *,
    height: float | np.ndarray | torch.Tensor = skeleton.DEFAULT_HEIGHT,
    pitch: float | np.ndarray | torch.Tensor | None = None,
    flip: bool = True,
) -> CascadeLift:
    """Lift (N, J, 2) pixels (image y down; NaN: not seen) with (N, J) confidences in [0, 1] on POSELIFT's first J
    joints (21 or 27) to 3D at a stature of `height` metres (a scalar or (N,)), each person seen `pitch` radians
    below the horizontal (a scalar or (N,); None or NaN: unknown, as in a photo). Runs on the model's device in eval
    mode, one person's result independent of the others'. A person with no joint seen gets the network's answer to
    an empty input (a standing pose), ok False; no output is ever NaN. `flip`: also lift the mirror image (x
    negated, left and right exchanged) and average its pose, mirrored back, with the direct one (a few mm better
    on held-out views for twice the network's work)."""
    device = next(model.parameters()).device
    joints2d = torch.as_tensor(joints2d, device=device, dtype=torch.float32)
    confidence = torch.as_tensor(confidence, device=device, dtype=torch.float32)
    if joints2d.ndim != 3 or joints2d.shape[1] < len(JOINTS) or joints2d.shape[1] > len(skeleton.POSELIFT):
        raise ValueError(f"joints2d must be (N, 21..27, 2) pixels on POSELIFT's joints, not {tuple(joints2d.shape)}")
    if joints2d.shape[2] != 2 or confidence.shape != joints2d.shape[:2]:
        raise ValueError(f"joints2d (N, J, 2) and confidence (N, J) do not match: {tuple(joints2d.shape)} and "
                         f"{tuple(confidence.shape)}")  # fmt: skip
    n, body = len(joints2d), len(JOINTS)
    height = torch.as_tensor(height, device=device, dtype=torch.float32).expand(n)
    pitch = None if pitch is None else torch.as_tensor(pitch, device=device, dtype=torch.float32).expand(n)
    features, seen, size = normalise(joints2d, confidence, pitch)
    if flip:
        mirrored, _, _ = normalise(joints2d[:, MIRROR] * joints2d.new_tensor([-1.0, 1.0]), confidence[:, MIRROR],
                                   pitch)  # fmt: skip
        features = torch.cat([features, mirrored])
    training = model.training
    model.eval()
    try:
        pose = model(features) if n else features.new_zeros(0, body, 3)
    finally:
        model.train(training)
    if flip:
        pose = (pose[:n] + pose[n:, MIRROR] * pose.new_tensor([-1.0, 1.0, 1.0])) / 2
    pose = pose * height[:, None, None]
    sigma = torch.where(seen, model.sigma_seen, model.sigma_unseen) * height[:, None]
    return CascadeLift(
        joints3d=torch.cat([pose, pose[:, HAND_WRISTS]], 1),
        sigma=torch.cat([sigma, sigma[:, HAND_WRISTS]], 1),
        seen=torch.cat([seen, seen.new_zeros(n, len(HAND_WRISTS))], 1),
        ok=(seen.sum(1) >= MIN_JOINTS) & (size >= MIN_SIZE_PX),
    )


def cascade_lifter(
    weights: str | os.PathLike | None = "default",
    *,
    config: CascadeConfig | None = None,
    device: str | torch.device = "cpu",
) -> CascadeLifter:
    """The lifter in eval mode on `device`: with the weights registered under a name (WEIGHTS: "default", the
    shipped file) or in a file, whose architecture it takes; or, for `weights` None, untrained with `config`
    (default CascadeConfig()). CascadeFileError (one sentence naming the file) when the file does not fit."""
    if weights is None:
        return CascadeLifter(config or CascadeConfig()).to(device).eval()
    path = WEIGHTS.get(weights, weights) if isinstance(weights, str) else weights
    model, _ = load_cascade(path)
    if config is not None and config != model.config:
        raise CascadeFileError(f"{path}: its architecture {asdict(model.config)} is not the one asked for.")
    return model.to(device).eval()


def load_cascade(path: str | os.PathLike) -> tuple[CascadeLifter, dict]:
    """The model in a weights file (float32, cpu) and the file's metadata; CascadeFileError names a bad file."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {name: z[name] for name in z.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as e:
        raise CascadeFileError(f"{path}: not a readable cascade weights file ({e}).") from None
    if str(arrays.get("format", "")) != FORMAT or int(arrays.get("format_version", -1)) != FORMAT_VERSION:
        raise CascadeFileError(f"{path}: not a cascade weights file ({FORMAT} version {FORMAT_VERSION}).")
    try:
        spec = json.loads(str(arrays["config"]))
        config = CascadeConfig(**{f.name: spec[f.name] for f in fields(CascadeConfig)})
        model = CascadeLifter(config)
        metadata = json.loads(str(arrays.get("metadata", "{}")))
    except (KeyError, TypeError, ValueError) as e:
        raise CascadeFileError(f"{path}: its architecture cannot be read ({e!r}).") from None
    state = model.state_dict()
    wanted = {name for name in state if not name.endswith("num_batches_tracked")}
    given = {name.removeprefix("param/") for name in arrays if name.startswith("param/")}
    if wanted != given:
        missing, extra = sorted(wanted - given), sorted(given - wanted)
        raise CascadeFileError(f"{path}: its parameters do not match its architecture (missing {missing[:3]}, "
                               f"unexpected {extra[:3]}).")  # fmt: skip
    for name in sorted(wanted):
        value = arrays[f"param/{name}"]
        if tuple(value.shape) != tuple(state[name].shape) or not np.isfinite(value).all():
            raise CascadeFileError(f"{path}: parameter {name} is {value.shape}, expected {tuple(state[name].shape)} "
                                   f"and finite.")  # fmt: skip
        state[name] = torch.from_numpy(value.astype(np.float32))
    model.load_state_dict(state)
    return model.eval(), metadata


def save_cascade(model: CascadeLifter, path: str | os.PathLike, metadata: dict) -> Path:
    """Write the model's parameters as float16 with its architecture and `metadata` (JSON), atomically; the bytes
    depend on the arrays alone. Returns the path."""
    arrays = {"format": np.array(FORMAT), "format_version": np.array(FORMAT_VERSION)}
    arrays["config"] = np.array(json.dumps(asdict(model.config), sort_keys=True))
    arrays["metadata"] = np.array(json.dumps(metadata, sort_keys=True))
    for name, value in model.state_dict().items():
        if not name.endswith("num_batches_tracked"):
            arrays[f"param/{name}"] = value.detach().cpu().numpy().astype(np.float16)

    def write(out) -> None:
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
            for name, value in arrays.items():
                member = zipfile.ZipInfo(f"{name}.npy", date_time=_ZIP_DATE)
                member.external_attr = 0o644 << 16
                member.compress_type = zipfile.ZIP_DEFLATED
                buffer = io.BytesIO()
                np.lib.format.write_array(buffer, np.asanyarray(value), allow_pickle=False)
                z.writestr(member, buffer.getvalue())

    return write_atomically(Path(path), write)


def parameter_count(model: CascadeLifter) -> int:
    return sum(p.numel() for p in model.parameters())
