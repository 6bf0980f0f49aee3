"""The seed's 2D-3D loop on BlazePose's belief maps: people in 2D -> 3D poses on our skeleton.

The loop is the multi-stage one of Tome, Russell & Agapito, "Lifting from the Deep: Convolutional 3D Pose
Estimation from a Single Image", CVPR 2017 (arXiv:1701.00295), which fuses the fitted 3D pose's projected belief
maps with the 2D network's at every stage.

Stage 1 fits the 3D pose prior (`fit.fit_upright`) to the network's landmarks. Each further stage projects the
fitted pose into the image, renders a Gaussian belief map (`sigma`) at every projected joint in the network's
belief-map space (`People2D.heatmap_to_image` inverted), fuses it with the network's own map (sigmoid of its
logits; `fusion_weight` is the network's share), re-reads each landmark from the fused map within a window of
`radius` map pixels around the projected joint (`read_near="projection"`) or the current landmark (argmax, then
a log-parabola for the sub-pixel part) and fits again. Everything is batched over people on one device; no loop
runs per person. The defaults come from bench/fusion.py (below), chosen on a clip held out from everything else:
there, half the network's map and half the rendered projection, re-read near the landmark, lifts a little better
than one stage (60.1 against 60.6 mm) and the network's map alone a little worse (62.0).

Which landmarks are fused: those of a joint the prior models that BlazePose has a landmark (and a map) of its own
for: hips, knees, ankles, heels, toes (BlazePose's foot index), shoulders, elbows, wrists and the neck (H3.6M's
neck/nose joint, BlazePose's nose). Joints BlazePose builds from other landmarks (pelvis, spine, thorax, head top:
`skeleton.mapping(BLAZEPOSE_33, POSELIFT)`) are rebuilt by the same recipe from the fused landmarks at every
stage; the face landmarks the head top is made of, which no prior models, keep the network's points.
A person the last fit did not call ok keeps its 2D unfused (a poor fit would only pull good 2D away).

Confidence: each joint's BlazePose confidence (visibility x presence; the least of a recipe's landmarks) is its
weight in every stage's fit, so a joint under `fit`'s `min_weight` is not seen, and it is `Lifted.confidence`.

Joints the prior does not model (the hand points; heels and toes for a 17-joint prior such as the authors') hang
from their nearest modelled ancestor by the offset BlazePose's world landmarks give them, scaled by the ratio of
the lifted stature to the world landmarks' own.

The learned lifter (`cascade.py`, EvoSkeleton's cascade trained on our BlazePose's 2D of rendered people) can take
the fit's place ("cascade") or join it ("combined": it lifts first, every stage's fit searches its yaw only near
the way the cascade's pose faces, the fit's pose is turned onto the cascade's about the vertical and averaged with
it, and the loop re-reads the maps near that average's projection); the cascade always reads the network's own 2D,
as it was trained to, so at its default share the loop changes the combined pose little.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch

from .. import skeleton
from ..nets.roi import invert_affine, transform_points
from . import belief_maps, cascade, fit, priors
from .ppca import MixturePPCA

if TYPE_CHECKING:
    from ..nets.pose2d import People2D

# Chosen on data by `python bench/fusion.py`, which prints every setting's figures and marks its choice: the least
# mean PA-MPJPE on the 17 joints of its six shots of a clip neither the test video nor the cascade's training shows
# (the fit: 1 stage 60.6 mm, this setting 60.1, the network's maps alone at 2 stages 62.0), among settings that lift
# as many photo people ok as 1 stage does, ties (TIE_MM) going to fewer stages. Its "decoys PA17" column shows how
# little the loop repairs confident 2D errors without the seed's learned per-stage weights and retrained network.
# The combined lifter's stages: the least mean PA-MPJPE on the same shots (more stages within TIE_MM of fewer do not
# earn their time).
DEFAULT_STAGES = {"fit": 2, "cascade": 1, "combined": 1}
FUSION_WEIGHT = 0.5  # the network's share of a fused belief map, in [0, 1]
RENDER_SIGMA = 1.5  # belief-map pixels (a 64-px map spans BlazePose's 256-px crop)
READ_NEAR = "landmark"  # a fused map is re-read near the lifted pose's projection ("projection") or the landmark
READ_RADIUS = 4  # belief-map pixels: the re-read window, 9 x 9 as the one MediaPipe refines landmarks in
MIN_PEAK = 0.05  # a fused map weaker than this in the window (off the crop, nothing seen) keeps the landmark
LIFTERS = ("fit", "cascade", "combined")
# Chosen on data by `python bench/lift_renders.py` (renders the cascade never saw, through our own BlazePose): the
# default lifter, and in "combined" the pose's share taken from the cascade (the rest from the fit, turned onto it).
DEFAULT_LIFTER = "combined"
CASCADE_SHARE = 0.9

POSELIFT = skeleton.POSELIFT
_FROM_BLAZEPOSE = skeleton.mapping(skeleton.BLAZEPOSE_33, POSELIFT)
# Our joints whose BlazePose landmark is not called by their own name.
_LANDMARK_OF = {"left_toe": "left_foot_index", "right_toe": "right_foot_index", "neck": "nose"}
_FEET = ("left_ankle", "right_ankle", "left_heel", "right_heel", "left_toe", "right_toe")


@dataclass(frozen=True)
class Lifted:
    """N people lifted to 3D on `skeleton.POSELIFT`, as numpy arrays."""

    joints3d: np.ndarray  # (N, 27, 3) float32 metres, level pose-file frame whatever the pitch (X image right, Y
    #                       away from the camera along the floor, Z up), pelvis at X = Y = 0, lowest foot at Z = 0
    joints2d: np.ndarray  # (N, 27, 2) float32 image pixels (the input's image): the last stage's 2D (the network's
    #                       at stage 1, re-read from the fused maps after), finite (a missing one: its projection)
    confidence: np.ndarray  # (N, 27) float32 in [0, 1]: BlazePose's confidence of each joint
    network2d: np.ndarray  # (N, 27, 2) float32 image pixels: the network's own 2D, which the cascade reads; NaN unseen
    world: np.ndarray  # (N, 33, 3) float32 metres: BlazePose's world landmarks the unmodelled joints hang by (0: none)
    yaw: np.ndarray  # (N,) radians, as fit.UprightFit.yaw
    ok: np.ndarray  # (N,) bool: False where the person could not be lifted (defined pose, no NaN)


class Lifter:
    """A 3D pose prior and the loop's settings, ready to lift `People2D` from `pose2d.PoseEstimator`.

    `prior`: None (the default prior), a path (our .npz or the authors' .mat; ppca.ModelFileError names a bad
    one) or a `MixturePPCA`. `stages` >= 1 (1: one fit on the network's 2D; None: the lifter's DEFAULT_STAGES).
    `height`: the stature in metres each pose is scaled to. `device`: where the loop runs (default: the people's
    device). `fusion_weight` (the network's share), `sigma` and `radius` (belief-map pixels) and `read_near`
    ("projection" or "landmark") default to the values chosen by bench/fusion.py. `lifter`: "fit" (the loop
    above), "cascade" (EvoSkeleton's learned lifter, cascade.py, on the network's 2D alone) or "combined" (the
    loop, its yaw searched near the cascade's facing, then its pose turned onto the cascade's about the vertical and
    averaged with it, `cascade_share` the cascade's part, scaled back to the stature; where only one of them can
    lift a person, that one's pose); `cascade_weights`: the cascade's weights (a name of cascade.WEIGHTS or a file;
    cascade.CascadeFileError names a bad one).
    """

    def __init__(
        self,
        prior: str | os.PathLike | MixturePPCA | None = None,
        *,
        stages: int | None = None,
        height: float = skeleton.DEFAULT_HEIGHT,
        device: str | torch.device | None = None,
        fusion_weight: float = FUSION_WEIGHT,
        sigma: float = RENDER_SIGMA,
        radius: float = READ_RADIUS,
        read_near: str = READ_NEAR,
        lifter: str = DEFAULT_LIFTER,
        cascade_weights: str | os.PathLike = "default",
        cascade_share: float = CASCADE_SHARE,
    ):
        stages = DEFAULT_STAGES.get(lifter, 1) if stages is None else stages
        if stages < 1:
            raise ValueError(f"the loop needs at least 1 stage, not {stages}")
        if not 0.0 <= fusion_weight <= 1.0 or sigma <= 0 or radius < 1:
            raise ValueError(f"fusion weight must be in [0, 1], sigma positive and radius >= 1, not {fusion_weight}, "
                             f"{sigma}, {radius}")
        if read_near not in ("landmark", "projection"):
            raise ValueError(f"read_near must be 'landmark' or 'projection', not {read_near!r}")
        if lifter not in LIFTERS:
            raise ValueError(f"lifter must be one of {', '.join(LIFTERS)}, not {lifter!r}")
        if not 0.0 <= cascade_share <= 1.0:
            raise ValueError(f"the cascade's share must be in [0, 1], not {cascade_share}")
        self.lifter, self.cascade_share = lifter, cascade_share
        self.cascade_weights = str(cascade_weights)
        if lifter != "fit":
            _cascade(self.cascade_weights, torch.device("cpu"))  # a bad weights file is refused now
        self.model = prior if isinstance(prior, MixturePPCA) else priors.load_prior(prior)
        self.prior_name = _prior_name(prior, self.model)
        self.stages, self.height, self.fusion_weight, self.sigma = stages, height, fusion_weight, sigma
        self.radius, self.read_near = radius, read_near
        self.device = None if device is None else torch.device(device)
        self.settings = priors.fit_settings(self.model)
        self._modelled = [POSELIFT.index(name) for name in self.model.joint_names]
        fused = [j for j in self._modelled if _landmark(POSELIFT.joints[j]) is not None]
        self._fused_landmarks = [_landmark(POSELIFT.joints[j]) for j in fused]
        self._hanging = _hanging_joints(self.model.joint_names)

    @property
    def description(self) -> str:
        """What the pose file's metadata says the 3D came from: "lifted: <prior>, <N> stage(s)", "lifted: cascade"
        or "lifted: <prior>, <N> stage(s) combined with the cascade"."""
        fitted = f"{self.prior_name}, {self.stages} stage{'s' if self.stages > 1 else ''}"
        return {"fit": f"lifted: {fitted}", "cascade": "lifted: cascade",
                "combined": f"lifted: {fitted} combined with the cascade"}[self.lifter]  # fmt: skip

    @torch.no_grad()
    def lift(self, people: People2D, height: float | np.ndarray | None = None,
             pitch: float | np.ndarray | None = None) -> Lifted:  # fmt: skip
        """Every person of `people` in 3D; `height` in metres (a scalar or (N,); None: the lifter's); `pitch` in
        radians (a scalar or (N,)): how far below the horizontal each person is seen (`root_motion.view_pitch`;
        None: unknown, which the fit takes as level and the cascade as not told). The poses are upright in the
        level frame whatever the pitch."""
        device = self.device or people.keypoints.device
        landmarks = people.keypoints.to(device, torch.float32)  # (N, 33, 2) image px
        points = _to_poselift(landmarks)
        confidence = _to_poselift_confidence(people.confidence.to(device, torch.float32))
        confidence = torch.where(torch.isfinite(points).all(-1), torch.nan_to_num(confidence).clamp(0, 1), 0.0)
        height = torch.as_tensor(self.height if height is None else height, device=device, dtype=torch.float64)
        pitch = _pitch(pitch, len(points), device)
        world = people.world.to(device, torch.float32)
        learned = self._learned(points, confidence, height, pitch)
        if self.lifter == "cascade":
            return self._finish(points, points, confidence, height, None, learned, world, pitch)
        network_points, weights = points, confidence[:, self._modelled]
        heatmaps = people.heatmaps[:, : landmarks.shape[1]].to(device)
        to_map = invert_affine(people.heatmap_to_image.to(device, torch.float32))
        result = self._fit(points, weights, height, pitch, learned)
        for _ in range(1, self.stages):
            projected = self._projected(result, self._combine(result, learned, height)[0], points, confidence, pitch)
            landmarks = self._fuse(landmarks, heatmaps, to_map, people.heatmap_to_image.to(device), projected,
                                   result.ok)  # fmt: skip
            points = _to_poselift(landmarks)
            result = self._fit(points, weights, height, pitch, learned)
        return self._finish(points, network_points, confidence, height, result, learned, world, pitch)

    @torch.no_grad()
    def lift_points(self, points: np.ndarray | torch.Tensor, confidence: np.ndarray | torch.Tensor,
                    height: float | np.ndarray | None = None, world: np.ndarray | torch.Tensor | None = None,
                    pitch: float | np.ndarray | None = None, network_points: np.ndarray | torch.Tensor | None = None,
                    ) -> Lifted:  # fmt: skip
        """One stage on given 2D: (N, 27, 2) pixels (NaN: not seen) and (N, 27) confidences on POSELIFT, with
        `world` (N, 33, 3) BlazePose world landmarks to hang the joints the lifter does not model from (None:
        they hang at their ancestor), each person seen `pitch` radians below the horizontal (as `lift`), and
        `network_points` (N, 27, 2) pixels for the cascade to read where they are not `points` (as `lift`'s
        fused landmarks are not the network's)."""
        device = self.device or torch.device("cpu")
        points = torch.as_tensor(points, device=device, dtype=torch.float32)
        confidence = torch.as_tensor(confidence, device=device, dtype=torch.float32)
        confidence = torch.where(torch.isfinite(points).all(-1), torch.nan_to_num(confidence).clamp(0, 1), 0.0)
        height = torch.as_tensor(self.height if height is None else height, device=device, dtype=torch.float64)
        pitch = _pitch(pitch, len(points), device)
        network = points if network_points is None else torch.as_tensor(network_points, device=device,
                                                                            dtype=torch.float32)  # fmt: skip
        world = None if world is None else torch.as_tensor(world, device=device, dtype=torch.float32)
        learned = self._learned(network, confidence, height, pitch)
        result = None
        if self.lifter != "cascade":
            result = self._fit(points, confidence[:, self._modelled], height, pitch, learned)
        return self._finish(points, network, confidence, height, result, learned, world, pitch)

    @torch.no_grad()
    def upright_nll(self, points: np.ndarray, confidence: np.ndarray, pitch: np.ndarray,
                    poses: np.ndarray) -> np.ndarray:  # fmt: skip
        """(N,) nats: how unlikely the prior finds (N, 27, 2) pixels on POSELIFT (NaN: not seen) with (N, 27)
        confidences, each person seen (N,) `pitch` radians below the horizontal, as an upright person
        (`fit.UprightFit.nll`, its yaw searched near the way the (N, 27, 3) `poses` lifted before face; inf where
        they cannot be lifted). 2D seen through a rolled camera, its people leaning, is less likely."""
        device = self.device or torch.device("cpu")
        near = _facing(torch.as_tensor(np.asarray(poses, np.float64), device=device))
        weights = np.nan_to_num(np.asarray(confidence, np.float64)[:, self._modelled])
        result = fit.fit_upright(self.model, np.asarray(points)[:, self._modelled], weights, device=device,
                                 pitch=np.asarray(pitch, np.float64), yaw_near=near, **self.settings)  # fmt: skip
        return result.nll.cpu().numpy()

    def _learned(self, network_points: torch.Tensor, confidence: torch.Tensor, height: torch.Tensor,
                 pitch: torch.Tensor) -> cascade.CascadeLift | None:  # fmt: skip
        """The cascade's lift of the network's own (N, 27, 2) 2D, as it was trained to read, each person seen at
        (N,) `pitch` radians (NaN: unknown); None for the fit alone."""
        if self.lifter == "fit":
            return None
        model = _cascade(self.cascade_weights, network_points.device)
        return cascade.lift_batch(model, network_points, confidence, height=height.float(), pitch=pitch)

    def _finish(self, points, network_points, confidence, height, result: fit.UprightFit | None,
                learned: cascade.CascadeLift | None, world, pitch: torch.Tensor) -> Lifted:  # fmt: skip
        """The Lifted people from the last stage's 2D `points` and fit (None: the cascade alone) and the cascade's
        lift (None: the fit alone) of the network's own 2D, `network_points`; (N,) `pitch` radians, each one's view
        (NaN: unknown)."""
        modelled, ok = self._combine(result, learned, height)
        if world is None:
            world = modelled.new_zeros(len(modelled), len(skeleton.BLAZEPOSE_33), 3)
        joints3d = self._place(modelled, world)
        joints2d = _fill(points, self._projected(result, modelled, points, confidence, pitch), self._modelled)
        return Lifted(
            joints3d=_stand_on_floor(joints3d).cpu().numpy(),
            joints2d=joints2d.cpu().numpy(),
            confidence=confidence.cpu().numpy(),
            network2d=network_points.cpu().numpy(),
            world=world.cpu().numpy(),
            yaw=(result.yaw.float() if self.lifter == "fit" else _facing(joints3d)).cpu().numpy(),
            ok=ok.cpu().numpy(),
        )

    def _combine(self, result: fit.UprightFit | None, learned: cascade.CascadeLift | None,
                 height: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:  # fmt: skip
        """(N, J, 3) metres, level frame, and (N,) ok: the pose this lifter gives from the fit (None: the cascade
        alone) and the cascade's lift (None: the fit alone), on the model's joints."""
        if learned is None:
            return result.joints3d.float(), result.ok
        mine = _at_stature(learned.joints3d[:, self._modelled], height)
        if result is None:
            return mine, learned.ok
        modelled = result.joints3d.float()
        blend = self.cascade_share * mine + (1 - self.cascade_share) * _turned_onto(modelled, mine)
        both = (result.ok & learned.ok)[:, None, None]
        modelled = torch.where(both, _at_stature(blend, height), torch.where(result.ok[:, None, None], modelled, mine))
        return modelled, result.ok | learned.ok

    def _projected(self, result: fit.UprightFit | None, modelled: torch.Tensor, points: torch.Tensor,
                   confidence: torch.Tensor, pitch: torch.Tensor) -> torch.Tensor:  # fmt: skip
        """(N, J, 2) image px: the (N, J, 3) pose this lifter gives seen in the image, the fit's own projection
        for the fit alone, else the camera that best lays it on the 2D `points` (an unknown pitch seen as level,
        as the fit sees it)."""
        if self.lifter == "fit":
            return result.joints2d.float()
        return _projection(modelled, points, confidence, self._modelled, torch.nan_to_num(pitch))

    def _fit(self, points: torch.Tensor, weights: torch.Tensor, height: torch.Tensor, pitch: torch.Tensor,
             learned: cascade.CascadeLift | None) -> fit.UprightFit:  # fmt: skip
        """The prior's fit; combined with the cascade, its yaw is searched near the way the cascade's pose faces
        (the fit's pose is turned onto that facing in the end)."""
        near = None if learned is None else _facing(learned.joints3d).double()
        return fit.fit_upright(self.model, points[:, self._modelled], weights, height=height,
                               pitch=torch.nan_to_num(pitch, nan=0.0), yaw_near=near,
                               **self.settings)  # fmt: skip

    def _fuse(self, landmarks, heatmaps, to_map, to_image, projected: torch.Tensor, ok: torch.Tensor) -> torch.Tensor:
        """(N, 33, 2) image px: the fused landmarks re-read near the lifted pose's (N, J, 2) projection, for the
        (N,) people it calls ok; the others' as given."""
        names = self.model.joint_names
        projected = projected[:, [names.index(_joint_of(lm)) for lm in self._fused_landmarks]]
        rendered = belief_maps.render(transform_points(to_map, projected), heatmaps.shape[-2:], self.sigma)
        index = [skeleton.BLAZEPOSE_33.index(lm) for lm in self._fused_landmarks]
        fused = belief_maps.fuse(torch.sigmoid(heatmaps[:, index]), rendered, self.fusion_weight)
        centre = projected if self.read_near == "projection" else landmarks[:, index]
        fused = belief_maps.near(fused, transform_points(to_map, centre), self.radius)
        read, peak = belief_maps.read(fused)
        take = ok[:, None] & (peak >= MIN_PEAK)
        out = landmarks.clone()
        out[:, index] = torch.where(take[..., None], transform_points(to_image, read), landmarks[:, index])
        return out

    def _place(self, modelled: torch.Tensor, world: torch.Tensor) -> torch.Tensor:
        """(N, 27, 3) metres: the lifted (N, J, 3) joints in their slots, the others hung from their ancestor by
        the (N, 33, 3) world landmarks' offset, scaled to the lifted stature (at their ancestor where all are 0)."""
        joints = modelled.new_zeros(len(modelled), len(POSELIFT), 3)
        joints[:, self._modelled] = modelled
        if self._hanging:
            world = torch.nan_to_num(_to_poselift(_world_to_pose_frame(world)))
            scale = skeleton.stature(modelled[:, :17]) / skeleton.stature(world[:, :17]).clamp_min(1e-6)
            child, ancestor = (list(t) for t in zip(*self._hanging, strict=True))
            offset = world[:, child] - world[:, ancestor]
            joints[:, child] = joints[:, ancestor] + scale[:, None, None] * offset
        return joints


@functools.lru_cache(maxsize=4)
def _cascade(weights: str, device: torch.device) -> cascade.CascadeLifter:
    """The cascade's model on `device`, read once per process and device (a worker lifts many photos, each command
    builds a Lifter); shared, so never moved or changed."""
    return cascade.cascade_lifter(weights, device=device)


def _pitch(pitch: float | np.ndarray | None, count: int, device: torch.device) -> torch.Tensor:
    """(count,) float64 radians down on `device`; NaN where unknown (None: all)."""
    pitch = torch.nan if pitch is None else pitch
    return torch.as_tensor(pitch, device=device, dtype=torch.float64).expand(count)


def _at_stature(poses: torch.Tensor, height: torch.Tensor) -> torch.Tensor:
    """(N, J, 3) poses (first 17 joints H36M_17's, pelvis at the origin) scaled to `height` metres ((N,) or a
    scalar): the cascade's stature is only about the one it was asked for, and an average of two poses is shorter."""
    return poses * (height.float() / skeleton.stature(poses).clamp_min(1e-6))[..., None, None]


def _turned_onto(pose: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """(N, J, 3) `pose` turned about the vertical (through the origin, its pelvis) to lie best on (N, J, 3)
    `target` in the least-squares sense: the fit's pose in the cascade's facing, so the two can be averaged."""
    cross = (pose[..., 0] * target[..., 1] - pose[..., 1] * target[..., 0]).sum(-1)
    dot = (pose[..., 0] * target[..., 0] + pose[..., 1] * target[..., 1]).sum(-1)
    angle = torch.atan2(cross, dot)
    c, s = torch.cos(angle)[:, None], torch.sin(angle)[:, None]
    x, y, z = pose.unbind(-1)
    return torch.stack([c * x - s * y, s * x + c * y, z], -1)


def _projection(modelled: torch.Tensor, points: torch.Tensor, confidence: torch.Tensor, index: list[int],
                pitch: torch.Tensor) -> torch.Tensor:  # fmt: skip
    """(N, J, 2) pixels: the (N, J, 3) lifted joints (level frame) seen by the orthographic camera pitched down by
    (N,) `pitch` radians (scale, translation) that best fits the (N, 27, 2) points the lifter was given, weighted
    by confidence; image y down."""
    seen = confidence[:, index] * torch.isfinite(points[:, index]).all(-1)
    target = torch.nan_to_num(points[:, index])
    down_cos, down_sin = torch.cos(pitch).float()[:, None], torch.sin(pitch).float()[:, None]
    up = down_sin * modelled[..., 1] + down_cos * modelled[..., 2]
    flat = torch.stack([modelled[..., 0], -up], -1)  # (N, J, 2): X right, image y down
    total = seen.sum(-1, keepdim=True).clamp_min(1e-9)
    mean_flat = (seen[..., None] * flat).sum(1) / total
    mean_target = (seen[..., None] * target).sum(1) / total
    a, b = flat - mean_flat[:, None], target - mean_target[:, None]
    scale = (seen[..., None] * a * b).sum((1, 2)) / (seen[..., None] * a * a).sum((1, 2)).clamp_min(1e-9)
    return scale[:, None, None] * a + mean_target[:, None]


def _facing(joints: torch.Tensor) -> torch.Tensor:
    """(N,) radians: the turn about +Z from facing +Y of (N, 27, 3) poses, read from their hips (as
    fit.UprightFit.yaw: 0 facing away from the camera)."""
    across = joints[:, POSELIFT.index("left_hip")] - joints[:, POSELIFT.index("right_hip")]
    return torch.atan2(-across[:, 1], -across[:, 0])


def world_landmarks(people: People2D) -> np.ndarray:
    """(N, 27, 3) float32 metres: BlazePose's own world landmarks on our skeleton in the pose-file frame, pelvis at
    X = Y = 0 and the lowest foot point at Z = 0 (what `poselift image` wrote before the loop; bench/fusion.py's
    baseline)."""
    world = _to_poselift(_world_to_pose_frame(people.world.float()))
    return _stand_on_floor(world).cpu().numpy()


def _prior_name(prior, model: MixturePPCA) -> str:
    if prior is None:
        return "default prior"
    if isinstance(prior, MixturePPCA):
        return model.source or "given prior"
    return Path(prior).name


def _landmark(joint: str) -> str | None:
    """The BlazePose landmark that is `joint` itself, or None where BlazePose builds it from others."""
    name = _LANDMARK_OF.get(joint, joint)
    return name if name in skeleton.BLAZEPOSE_33.joints else None


def _joint_of(landmark: str) -> str:
    return next((j for j, lm in _LANDMARK_OF.items() if lm == landmark), landmark)


def _hanging_joints(modelled: tuple[str, ...]) -> list[tuple[int, int]]:
    """(joint, nearest modelled ancestor) POSELIFT indices of every joint the prior does not model."""
    out = []
    for j, name in enumerate(POSELIFT.joints):
        if name in modelled:
            continue
        a = POSELIFT.parents[j]
        while POSELIFT.joints[a] not in modelled:
            a = POSELIFT.parents[a]
        out.append((j, a))
    return out


@functools.lru_cache(maxsize=4)
def _mapping_tensors(device: torch.device) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """`_FROM_BLAZEPOSE` (skeleton.JointMapping) on `device`: its (27, 33) weights, which are used, and (27,)
    which joints have a recipe; made once per device."""
    matrix = torch.as_tensor(np.nan_to_num(_FROM_BLAZEPOSE.matrix), dtype=torch.float32, device=device)
    return matrix, matrix != 0, torch.as_tensor(_FROM_BLAZEPOSE.mapped, device=device)


def _to_poselift(points: torch.Tensor) -> torch.Tensor:
    """(N, 33, D) BlazePose landmarks -> (N, 27, D) on POSELIFT by its recipes, as JointMapping.apply does in
    numpy; NaN where a source is NaN or a joint has no recipe."""
    matrix, used, mapped = _mapping_tensors(points.device)
    finite = torch.isfinite(points).all(-1)
    out = torch.einsum("ts,nsd->ntd", matrix, torch.where(finite[..., None], points, 0.0))
    complete = ~(used[None] & ~finite[:, None, :]).any(-1) & mapped
    return torch.where(complete[..., None], out, torch.nan)


def _to_poselift_confidence(confidence: torch.Tensor) -> torch.Tensor:
    """(N, 33) -> (N, 27): the least confident landmark of each recipe, 0 for a joint with none."""
    _, used, mapped = _mapping_tensors(confidence.device)
    least = torch.where(used[None], confidence[:, None, :], torch.inf).amin(-1)
    return torch.where(mapped, least, 0.0)


def _world_to_pose_frame(world: torch.Tensor) -> torch.Tensor:
    """(..., 3) MediaPipe world axes (x right, y down, z away from the camera) -> X right, Y away, Z up."""
    x, y, z = world.unbind(-1)
    return torch.stack([x, z, -y], -1)


def _fill(points: torch.Tensor, projected: torch.Tensor, modelled: list[int]) -> torch.Tensor:
    """(N, 27, 2) points with every NaN replaced: a modelled joint by the fit's projection, another joint by its
    filled parent's point."""
    fallback = points.new_zeros(points.shape)
    fallback[:, modelled] = projected
    for j, p in enumerate(POSELIFT.parents):  # parents come before children
        if j not in modelled and p >= 0:
            fallback[:, j] = torch.where(torch.isfinite(points[:, p]), points[:, p], fallback[:, p])
    return torch.where(torch.isfinite(points), points, fallback)


def _stand_on_floor(joints: torch.Tensor) -> torch.Tensor:
    """(N, 27, 3) metres, Z up, pelvis at the origin: the lowest foot joint moved to Z = 0."""
    feet = [POSELIFT.index(name) for name in _FEET]
    pelvis = joints[:, POSELIFT.index("pelvis")]
    floor = joints[:, feet, 2].amin(1)
    return joints - torch.stack([pelvis[:, 0], pelvis[:, 1], floor], -1)[:, None]
