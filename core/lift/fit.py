"""The upright fit: 2D joints -> 3D poses under a mixture of probabilistic PCA over 3D poses, every person at once.

The model and the problem are those of Tome, Russell & Agapito, "Lifting from the Deep: Convolutional 3D Pose
Estimation from a Single Image", CVPR 2017 (arXiv:1701.00295): its probabilistic 3D pose model (`ppca`) and the fit
of that model to a person's 2D joints. This module is our estimator for that fit, written to run batched.

The camera is orthographic and looks along +Y pitched down by a known angle (0: horizontally, the release's
camera); a person stands upright and may only turn about the vertical (yaw). For each
person, component and yaw the pose is a weighted ridge least-squares problem, linear once the scale is folded
into the coefficients (c_0 scales the mean pose, c_i = c_0 b_i with b_i the component's latent coefficients), with
the translation profiled out by weighted centring. Yaw is searched on a grid, refined on a finer grid around each
component's best grid yaw and then by a parabola through the finest three; the component (with its yaw) is the one
of least negative log marginal likelihood of the 2D, the scale having a flat prior.

Batched: with a level camera only the horizontal image coordinate depends on yaw, so with the vertical part
factored once per person and component, a yaw costs one J x J Cholesky solve (Woodbury) whose matrix is quadratic
in (cos, sin), shared by yaw and yaw + 180 degrees. Through a pitched camera the vertical image coordinate mixes in
the depth, which turns with the yaw; but what the camera does not see is one direction, its optical axis, so the
normal matrix is the yaw-free one of all three coordinates less the depth rows: factored once, a yaw again costs
one Cholesky solve (Woodbury), quadratic in (cos, sin) but no longer shared with yaw + 180 degrees, and only as
large as the joints seen less one (the rows of joints not seen are zero, and centring takes one more dimension),
people seen alike being solved together. Those solves run vectorised over people x components x yaws, batch last,
on the fit's device (cuda or cpu), with no loop over people; a chunk of people all seen level takes the level
solve.

Frames: the fitted pose is upright in the level world frame whatever the pitch (X image right, Y away from the
camera along the floor, Z up), turned by its yaw about Z; the camera's own axes are X, the optical axis (Y pitched
down) and image up (Z pitched back), so a world point (X, Y, Z) is seen at (X, sin(pitch) Y + cos(pitch) Z).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass, fields

import numpy as np
import torch

from ..skeleton import DEFAULT_HEIGHT, stature
from .ppca import JOINTS, MixturePPCA

PELVIS = JOINTS.index("pelvis")
NEAR_WINDOW = math.radians(20.0)  # the yaw searched either side of a given one (`fit_upright`'s yaw_near)
_SOLVE_BATCH = 4096  # systems per vectorised Cholesky: large enough to amortise op overhead, small enough for cache


@dataclass(frozen=True)
class UprightFit:
    """Per-person results of `fit_upright`, on the fit's device; joints finite for every person."""

    joint_names: tuple[str, ...]  # (J,) the model's joints: H36M_17's, or those and heels and toes
    joints3d: torch.Tensor  # (N, J, 3) metres, level world frame whatever the pitch: X image right, Y away from the
    #                         camera along the floor, Z up; pelvis at the origin
    joints2d: torch.Tensor  # (N, J, 2) pixels, image y down: where the fitted pose projects in the image
    component: torch.Tensor  # (N,) int64, the chosen mixture component
    yaw: torch.Tensor  # (N,) radians in [-pi, pi]: the turn about +Z from facing +Y (away from the camera)
    pitch: torch.Tensor  # (N,) radians down: the camera pitch each person was fitted through
    residual: torch.Tensor  # (N,) weighted RMS 2D residual over the person's RMS radius; inf where not lifted
    prior_distance: torch.Tensor  # (N,) squared Mahalanobis length of the pose's coefficients per latent dimension
    #                               under its component (about 1 for a typical pose); inf where not lifted
    nll: torch.Tensor  # (N,) nats: -log of the prior's density of the 2D seen, in model units (its RMS radius that
    #                    of the mean pose seen at the pitch), at the chosen component and yaw; inf where not lifted
    ok: torch.Tensor  # (N,) bool; False where the 2D could not be lifted or a limit is passed


@dataclass(frozen=True)
class _Options:
    angles: int
    fine_angles: int
    min_weight: float
    min_joints: int
    max_residual: float
    max_prior_distance: float


@torch.no_grad()
def fit_upright(
    model: MixturePPCA,
    joints2d: np.ndarray | torch.Tensor,
    weights: np.ndarray | torch.Tensor,
    *,
    height: float | np.ndarray | torch.Tensor = DEFAULT_HEIGHT,
    pitch: float | np.ndarray | torch.Tensor = 0.0,
    yaw_near: np.ndarray | torch.Tensor | None = None,
    angles: int = 72,
    fine_angles: int = 9,
    tightening: float = 1.0,
    noise_scale: float = 1.0,
    min_weight: float = 0.1,
    min_joints: int = 5,
    max_residual: float = 0.2,
    max_prior_distance: float = 4.0,
    device: str | torch.device | None = None,
    dtype: torch.dtype = torch.float64,
    chunk: int = 128,
) -> UprightFit:
    """Lift (N, J, 2) pixel joints (image y down) with (N, J) weights in [0, 1] (0 or NaN: not seen) to 3D, each
    pose scaled to a stature of `height` metres (a scalar or (N,)), seen by an orthographic camera pitched down by
    `pitch` radians (a scalar or (N,); 0: level), the pose returned upright in the level world frame. The joints are
    the model's own, in its order (`model.joint_names`: 17 or 21); `model_inputs` picks them out of any named
    joints, e.g. skeleton.POSELIFT's.

    `angles` (even) yaw grid points over 360 degrees; `fine_angles` (odd) over +-one grid step around each
    component's best. `yaw_near` ((N,) radians, as `UprightFit.yaw`; NaN where none): the grid only within
    NEAR_WINDOW of it (as where another lifter already knows which way the person faces: a quarter of the pitched
    solves, two fifths of the level ones), the same answer where the full grid's best lies there. `tightening`
    multiplies the prior's inverse coefficient deviations (1: the model's own); `noise_scale` multiplies each
    component's noise deviation to give the 2D noise the fit assumes (smaller trusts the 2D more). Joints weighing
    under `min_weight` are dropped. A person with fewer than `min_joints` joints, with joints on one line, or whose
    fitted scale is not positive is not lifted (ok False, the most likely component's mean pose facing the camera);
    one whose residual is over `max_residual`, or whose pose is far from typical (`prior_distance` over
    `max_prior_distance`, as through a camera looking down steeply that `pitch` does not say; told the pitch, such a
    view stays typical), keeps its fit with ok False. People are solved `chunk` at a time to bound memory (seen
    pitched, in order of how many joints they show; the results are in the input's order); `device` defaults to
    that of `joints2d`; float64 is the lifter's: float32 cancels in the likelihood (yaws a few degrees off, joints
    centimetres off at noise_scale 1) and breaks down when the 2D is trusted much more (noise_scale 0.1)."""
    if angles < 2 or angles % 2 or fine_angles < 3 or fine_angles % 2 == 0:
        raise ValueError(f"angles must be even and fine_angles odd and >= 3, not {angles} and {fine_angles}")
    if device is None:
        device = joints2d.device if isinstance(joints2d, torch.Tensor) else torch.device("cpu")
    joints2d = torch.as_tensor(joints2d, device=device).to(dtype)
    weights = torch.as_tensor(weights, device=device).to(dtype)
    j = len(model.joint_names)
    if joints2d.ndim != 3 or joints2d.shape[1:] != (j, 2) or weights.shape != joints2d.shape[:2]:
        raise ValueError(
            f"joints2d must be (N, {j}, 2) and weights (N, {j}) on the model's joints, not {tuple(joints2d.shape)} "
            f"and {tuple(weights.shape)}"
        )
    prior = _Prior(model, device, dtype, tightening, noise_scale)
    options = _Options(angles, fine_angles, min_weight, min_joints, max_residual, max_prior_distance)
    height = torch.as_tensor(height, device=device, dtype=dtype).expand(len(joints2d))
    pitch = torch.as_tensor(pitch, device=device, dtype=dtype).expand(len(joints2d))
    near = torch.full_like(pitch, math.nan) if yaw_near is None else torch.as_tensor(yaw_near, device=device,
                                                                                       dtype=dtype)  # fmt: skip
    if near.shape != pitch.shape:
        raise ValueError(f"yaw_near must be ({len(joints2d)},) radians, one per person, not {tuple(near.shape)}")
    if not len(joints2d):
        none = joints2d.new_zeros(0)
        return UprightFit(
            joint_names=model.joint_names,
            joints3d=joints2d.new_zeros(0, j, 3),
            joints2d=joints2d,
            component=none.long(),
            yaw=none,
            pitch=none,
            residual=none,
            prior_distance=none,
            nll=none,
            ok=none.bool(),
        )
    order = _solve_order(joints2d, weights, pitch, near, options, chunk)
    chunks = [
        _fit_chunk(prior, *(t[order[i : i + chunk]] for t in (joints2d, weights, height, pitch, near)), options)
        for i in range(0, len(joints2d), chunk)
    ]
    return _concatenate(chunks, torch.argsort(order))


def model_inputs(
    model: MixturePPCA, joint_names: tuple[str, ...], joints2d: np.ndarray, confidence: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(..., J', 2) pixels and (..., J') confidences on `joint_names` (any set, e.g. skeleton.POSELIFT's) ->
    (..., J, 2) and (..., J) on the model's joints, in its order: weight 0 (and NaN pixels) for a model joint the
    input does not have, such as the pelvis, spine and neck of a 14-joint CPM skeleton."""
    joints2d, confidence = np.asarray(joints2d), np.asarray(confidence)
    have = [name in joint_names for name in model.joint_names]
    take = [joint_names.index(name) if h else 0 for name, h in zip(model.joint_names, have, strict=True)]
    points = np.where(np.array(have)[:, None], joints2d[..., take, :], np.nan)
    return points, np.where(have, confidence[..., take], 0.0)


def _solve_order(joints2d: torch.Tensor, weights: torch.Tensor, pitch: torch.Tensor, near: torch.Tensor,
                 options: _Options, chunk: int) -> torch.Tensor:  # fmt: skip
    """(N,) the order to solve the people in, `chunk` at a time: where any is seen pitched, by how many joints each
    is fitted on (all, for those with too few to lift), so that those seen alike share a chunk, whose pitched yaw
    solves are as large as its most (`_depth_joints`); as given where there is one chunk, where all are seen level,
    or where only some have a yaw to search near (whether a chunk searches near depends on who is in it)."""
    finite = torch.isfinite(near)
    if len(near) <= chunk or not (pitch.any() & (finite.all() | ~finite.any())):
        return torch.arange(len(near), device=near.device)
    seen = (torch.isfinite(joints2d).all(-1) & torch.isfinite(weights) & (weights >= options.min_weight)).sum(1)
    return torch.argsort(torch.where(seen < options.min_joints, weights.shape[1], seen), stable=True)


def _concatenate(chunks: list[UprightFit], index: torch.Tensor) -> UprightFit:
    """The fits of consecutive chunks of people as one fit, its people taken in the (N,) `index` order."""
    names = [f.name for f in fields(UprightFit) if f.name != "joint_names"]
    tensors = {name: torch.cat([getattr(c, name) for c in chunks])[index] for name in names}
    return UprightFit(joint_names=chunks[0].joint_names, **tensors)


class _Prior:
    """The model as tensors on the fit's device, in its canonical pose frame and normalised units (see `ppca`):
    means (K, J, 3); basis (K, J, 3, Q+1), the mean pose as column 0 then the Q basis vectors; ridge (K, Q+1), the
    coefficients' prior precisions (tightening / std)^2, next to none on c_0 (the scale's prior is flat); stds
    (K, Q), the latent deviations; noise (K,), the 2D noise deviation; log_norm (K,), the data-free part of each
    component's -log p(2D); fallback, the index of the most likely component."""

    def __init__(self, model: MixturePPCA, device, dtype, tightening: float, noise_scale: float):
        def tensor(array: np.ndarray) -> torch.Tensor:
            return torch.as_tensor(array, device=device, dtype=dtype)

        self.joint_names = model.joint_names
        self.means = tensor(model.means)
        self.basis = torch.cat([self.means[..., None], tensor(model.bases).permute(0, 2, 3, 1)], dim=-1)
        inverse_std = tightening / tensor(model.stds)
        self.ridge = torch.cat([torch.full_like(inverse_std[:, :1], 1e-9), inverse_std**2], dim=1)
        self.noise = tensor(model.noise) * noise_scale
        self.stds = tensor(model.stds)
        self.log_norm = -torch.log(inverse_std).sum(1) - torch.log(tensor(model.weights))
        self.fallback = int(np.argmax(model.weights))


def _fit_chunk(prior: _Prior, joints2d: torch.Tensor, weights: torch.Tensor, height: torch.Tensor,
               pitch: torch.Tensor, near: torch.Tensor, options: _Options) -> UprightFit:  # fmt: skip
    """`fit_upright` on N people: (N, J, 2) pixels (image y down), (N, J) weights, (N,) statures in metres, (N,)
    camera pitches in radians down and (N,) yaws to search near (NaN: all round)."""
    n = len(joints2d)
    people = torch.arange(n, device=joints2d.device)
    observed = _observe(joints2d, weights, options)
    # Any well-posed problem for those not lifted: their results are replaced below.
    fit_weights = torch.where(observed.degenerate[:, None], 1.0, observed.weights)  # (N, J)

    # The basis centred on each person's weighted centroid, (N, K, J, 3, Q+1), and the 2D in model units: the RMS
    # radius matched to that of the mean pose projected, averaged over yaw, so that the scale c_0 is near 1. Seen
    # at pitch p the image's vertical is cos p Z + sin p Y, whose square averages cos^2 p Z^2 + sin^2 p (X^2+Y^2)/2.
    total_weight = fit_weights.sum(1)
    centroid = torch.einsum("nj,kjdq->nkdq", fit_weights / total_weight[:, None], prior.basis)
    basis = prior.basis - centroid[:, :, None]
    mean_pose = basis[..., 0]  # (N, K, J, 3)
    down_cos, down_sin = torch.cos(pitch)[:, None, None], torch.sin(pitch)[:, None, None]  # (N, 1, 1)
    square_radius = down_cos**2 * mean_pose[..., 2] ** 2 + 0.5 * (1 + down_sin**2) * mean_pose[..., :2].pow(2).sum(-1)
    model_square_radius = (fit_weights[:, None] * square_radius).sum(-1).mean(1) / total_weight  # (N,)
    image_square_radius = observed.square_radius
    model_per_pixel = (model_square_radius / image_square_radius.clamp_min(_tiny(image_square_radius))).sqrt()
    to_model = torch.where(observed.degenerate, 0.0, model_per_pixel)  # (N,) model units per pixel
    observations = observed.centred * to_model[:, None, None]  # (N, J, 2) model units, +y up
    seen_count = observed.seen.sum(1).clamp_min(1).to(joints2d.dtype)
    log_norm = prior.log_norm + 2 * (seen_count[:, None] - 1) * torch.log(prior.noise)  # (N, K)
    if pitch.any():
        pitched = _pitched_setup(prior, fit_weights, observations, pitch)
        nll = functools.partial(_pitched_nll, pitched, log_norm=log_norm)
        solve = functools.partial(_pitched_coefficients, pitched)
    else:
        level = _setup(prior, basis, fit_weights, observations)
        nll = functools.partial(_nll, level, log_norm=log_norm)
        solve = functools.partial(_coefficients, level)

    # The component of least NLL at its best yaw, and its coefficients c* there.
    batch = _SOLVE_BATCH // 2 if pitch.any() else _SOLVE_BATCH  # a pitched grid angle solves yaw + pi apart
    if torch.isfinite(near).all():
        component_yaw, component_nll = _search_near(nll, log_norm, options, near)  # (N, K, 1), (N, K)
    else:
        component_yaw, component_nll = _search_yaw(nll, log_norm, options, batch)
    component = component_nll.argmin(1)  # (N,)
    yaw = component_yaw[people, component, 0]  # (N,) radians
    coefficients = solve(yaw, component)  # (N, Q+1): c_0, then c_0 b_i
    scale = coefficients[:, 0]
    latent = coefficients[:, 1:] / scale.clamp_min(_tiny(scale))[:, None]  # (N, Q) b_i
    # The pose (N, J, 3) in the model's frame and units (facing +Y, scale 1); centred and scaled by c_0, it projects
    # onto the observations at the yaw.
    pose = prior.means[component] + torch.einsum("nq,njdq->njd", latent, prior.basis[component][..., 1:])
    centred_pose = (basis[people, component] @ coefficients[:, None, :, None])[..., 0]
    projected = _seen(_turn(centred_pose, yaw), pitch)  # (N, J, 2) model units, +y up
    weighted_error = (fit_weights * ((projected - observations) ** 2).sum(-1)).sum(1)
    residual = (weighted_error / total_weight).sqrt() / (model_square_radius.sqrt())
    prior_distance = (latent / prior.stds[component]).pow(2).mean(1)
    lifted = (
        ~observed.degenerate
        & (scale > 1e-3)
        & torch.isfinite(pose).all((1, 2))
        & torch.isfinite(residual + prior_distance)
    )

    # Who cannot be lifted gets the most likely component's mean pose facing the camera, drawn over the 2D seen.
    facing = torch.full_like(yaw, math.pi)  # yaw pi: facing -Y, the camera
    fallback_pose = _turn(prior.means[prior.fallback].expand(n, -1, -1), facing)  # (N, J, 3)
    draw_weights = torch.where(observed.seen.any(1, keepdim=True), observed.weights, 1.0)
    draw_weights = draw_weights / draw_weights.sum(1, keepdim=True)
    fallback_2d = _seen(fallback_pose, pitch)
    drawn = fallback_2d - (draw_weights[..., None] * fallback_2d).sum(1, keepdim=True)  # (N, J, 2) centred, +y up
    fallback_to_image = (image_square_radius / (draw_weights * drawn.pow(2).sum(-1)).sum(1)).sqrt()
    to_image = torch.where(lifted, 1 / to_model.clamp_min(_tiny(to_model)), fallback_to_image)  # (N,) pixels per unit
    drawn = torch.where(lifted[:, None, None], projected, drawn)
    turned = torch.where(lifted[:, None, None], _turn(pose, yaw), fallback_pose)
    joints3d = turned - turned[:, PELVIS, None]  # (N, J, 3) model units, level: X right, Y away, Z up; pelvis at 0
    residual = torch.where(lifted, residual, math.inf)
    prior_distance = torch.where(lifted, prior_distance, math.inf)
    flip_y = torch.tensor([1.0, -1.0], device=joints2d.device, dtype=joints2d.dtype)
    return UprightFit(
        joint_names=prior.joint_names,
        joints3d=joints3d * (height / stature(joints3d))[:, None, None],
        joints2d=observed.centre[:, None] + drawn * flip_y * to_image[:, None, None],
        component=torch.where(lifted, component, prior.fallback),
        yaw=torch.where(lifted, torch.atan2(torch.sin(yaw), torch.cos(yaw)), facing),
        pitch=pitch,
        residual=residual,
        prior_distance=prior_distance,
        nll=torch.where(lifted, component_nll[people, component], math.inf),
        ok=lifted & (residual <= options.max_residual) & (prior_distance <= options.max_prior_distance),
    )


def _tiny(x: torch.Tensor) -> float:
    """The smallest positive normal number of `x`'s dtype: a floor for divisors that underflows in none."""
    return torch.finfo(x.dtype).tiny


@dataclass(frozen=True)
class _Observation:
    """The 2D of N people as the fit uses it."""

    seen: torch.Tensor  # (N, J) bool: finite, with a finite weight of at least min_weight
    weights: torch.Tensor  # (N, J) in [0, 1]; 0 where not seen
    centre: torch.Tensor  # (N, 2) pixels, image y down: the weighted centre of the joints seen (of all, if none is)
    centred: torch.Tensor  # (N, J, 2) pixels from the centre, +y up; 0 where not seen
    square_radius: torch.Tensor  # (N,) pixels^2: the weighted mean of |centred|^2
    degenerate: torch.Tensor  # (N,) bool: fewer than min_joints seen, or all on one line


def _observe(joints2d: torch.Tensor, weights: torch.Tensor, options: _Options) -> _Observation:
    """(N, J, 2) pixels (image y down) and (N, J) weights -> what the fit sees of them."""
    finite = torch.isfinite(joints2d).all(-1)
    seen = finite & torch.isfinite(weights) & (weights >= options.min_weight)
    weights = torch.where(seen, weights.clamp(0, 1), 0.0)
    # Nobody seen: the centre of the points there are, where the fallback pose is drawn.
    centring = torch.where(seen.any(1, keepdim=True), weights, finite.to(weights.dtype))
    centre = (centring[..., None] * torch.where(finite[..., None], joints2d, 0.0)).sum(1)
    centre = centre / centring.sum(1).clamp_min(_tiny(joints2d))[:, None]
    total = weights.sum(1).clamp_min(_tiny(weights))
    flip_y = torch.tensor([1.0, -1.0], device=joints2d.device, dtype=joints2d.dtype)
    centred = torch.where(seen[..., None], (joints2d - centre[:, None]) * flip_y, 0.0)
    spread = torch.linalg.eigvalsh(torch.einsum("nj,nja,njb->nab", weights, centred, centred))  # ascending
    return _Observation(
        seen=seen,
        weights=weights,
        centre=centre,
        centred=centred,
        square_radius=(weights * (centred**2).sum(-1)).sum(1) / total,
        degenerate=(seen.sum(1) < options.min_joints) | ~(spread[:, 0] > 1e-6 * spread[:, 1]),
    )


def _search_yaw(nll: Callable[[torch.Tensor], torch.Tensor], log_norm: torch.Tensor, options: _Options,
                batch: int) -> tuple[torch.Tensor, torch.Tensor]:  # fmt: skip
    """Each component's best yaw (N, K, 1), radians, and its NLL (N, K), the (N, K) `log_norm` giving the shape:
    the grid (solved a group of angles at a time, to keep the batch near `batch` grid angles), the fine grid
    around its best, then the parabola's vertex if better. `nll(yaw)`: (N, K, 2, A) at (A,) yaws and those + pi,
    (N, K, 1, A) at (N, K, A) yaws."""
    dtype, device = log_norm.dtype, log_norm.device
    step = 2 * math.pi / options.angles
    grid = torch.arange(options.angles // 2, device=device, dtype=dtype) * step
    group = max(1, batch // log_norm.numel())
    grid_nll = torch.cat([nll(grid[i : i + group]) for i in range(0, len(grid), group)], dim=-1)
    grid_nll = grid_nll.flatten(-2)  # (N, K, angles): the grid, then the grid + pi
    offsets = torch.linspace(-step, step, options.fine_angles, device=device, dtype=dtype)
    fine = grid_nll.argmin(-1, keepdim=True).to(dtype) * step + offsets  # (N, K, fine_angles)
    return _refine(nll, fine, offsets[1] - offsets[0])


def _search_near(nll: Callable[[torch.Tensor], torch.Tensor], log_norm: torch.Tensor, options: _Options,
                 near: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:  # fmt: skip
    """As `_search_yaw`, the grid (its step) only within NEAR_WINDOW of each person's (N,) `near` yaw."""
    step = 2 * math.pi / options.angles
    reach = max(1, round(NEAR_WINDOW / step))
    grid = torch.arange(-reach, reach + 1, device=near.device, dtype=near.dtype) * step
    on_grid = torch.round(near / step) * step  # the full grid's points, so that its best there is found again
    grid = (on_grid[:, None, None] + grid).expand(*log_norm.shape, len(grid)).contiguous()  # (N, K, 2 reach + 1)
    best = grid.gather(-1, nll(grid)[..., 0, :].argmin(-1, keepdim=True))
    offsets = torch.linspace(-step, step, options.fine_angles, device=near.device, dtype=near.dtype)
    return _refine(nll, best + offsets, offsets[1] - offsets[0])


def _refine(nll: Callable[[torch.Tensor], torch.Tensor], fine: torch.Tensor,
            step: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:  # fmt: skip
    """The best of (N, K, A) evenly spaced yaws `step` apart, or the vertex of the parabola through it and its
    neighbours if better: (N, K, 1) radians and (N, K) NLL."""
    fine_nll = nll(fine)[..., 0, :]
    best = fine_nll.argmin(-1, keepdim=True)
    best_yaw, best_nll = fine.gather(-1, best), fine_nll.gather(-1, best)
    # The parabola through the best fine yaw and its neighbours (the nearest three inside the fine grid).
    middle = best.clamp(1, fine.shape[-1] - 2)
    three = fine_nll.gather(-1, torch.cat([middle - 1, middle, middle + 1], -1))
    curve = three[..., 0] - 2 * three[..., 1] + three[..., 2]
    shift = torch.where(curve > 0, 0.5 * (three[..., 0] - three[..., 2]) / curve.clamp_min(_tiny(curve)), 0.0)
    vertex = fine.gather(-1, middle) + shift.clamp(-1, 1)[..., None] * step
    vertex_nll = nll(vertex)[..., 0, :]
    take_vertex = vertex_nll <= best_nll
    return torch.where(take_vertex, vertex, best_yaw), torch.where(take_vertex, vertex_nll, best_nll)[..., 0]


def _seen(points: torch.Tensor, pitch: torch.Tensor) -> torch.Tensor:
    """(N, J, 2) +y up: where (N, J, 3) level-frame points are seen by an orthographic camera pitched down by (N,)
    radians, (X, sin(pitch) Y + cos(pitch) Z); (X, Z) at pitch 0."""
    down_cos, down_sin = torch.cos(pitch)[:, None], torch.sin(pitch)[:, None]
    return torch.stack([points[..., 0], down_sin * points[..., 1] + down_cos * points[..., 2]], dim=-1)


def _turn(poses: torch.Tensor, yaw: torch.Tensor) -> torch.Tensor:
    """(N, J, 3) turned by (N,) yaw about +Z (counter-clockwise seen from above)."""
    c, s = torch.cos(yaw)[:, None], torch.sin(yaw)[:, None]
    x, y = poses[..., 0], poses[..., 1]
    return torch.stack([c * x - s * y, s * x + c * y, poses[..., 2]], dim=-1)


@dataclass(frozen=True)
class _Setup:
    """Per person and component (B = N x K, batch last), rows weighted by sqrt(w) / noise: the yaw-free (vertical)
    normal matrix Hz = L L^T with right-hand side rz, and what a yaw's solve needs. Bx, By: the rows of the
    horizontal image coordinate at yaw 0 and 90 degrees, so that yaw (c, s) = (cos, sin) has rows X = c Bx - s By;
    u, v: the horizontal and vertical observations. Woodbury: (Hz + X^T X)^-1 = Z - Z X^T S^-1 X Z with Z = Hz^-1,
    S = I + X Z X^T (J x J), det H = det Hz det S; X Z r = M u + X Z rz with M = S - I."""

    terms: torch.Tensor  # (5, (J+2) J, B) [M | M u | X Z rz] as rows, coefficients of c^2, cs, s^2, c, s
    f0_lin: torch.Tensor  # (2, B) f0.(X^T u) = c (Bx f0).u - s (By f0).u, f0 = Z rz: coefficients of c, s
    u: torch.Tensor  # (J, B)
    base: torch.Tensor  # (B,) |u|^2 + |v|^2 - f0.rz + log det Hz, the yaw-free part of 2 NLL
    chol: torch.Tensor  # (N, K, Q+1, Q+1) L
    bx: torch.Tensor  # (N, K, J, Q+1)
    by: torch.Tensor  # (N, K, J, Q+1)
    rz: torch.Tensor  # (N, K, Q+1)


def _setup(prior: _Prior, basis: torch.Tensor, weights: torch.Tensor, observations: torch.Tensor) -> _Setup:
    """(N, K, J, 3, Q+1) centred basis, (N, J) weights and (N, J, 2) centred observations in model units, +y up."""
    n, k, j = basis.shape[:3]
    root_w = (weights[:, None] / prior.noise[None, :, None] ** 2).sqrt()  # (N, K, J)
    bx, by, bz = (root_w[..., None] * basis[..., axis, :] for axis in range(3))  # (N, K, J, Q+1)
    u, v = root_w * observations[:, None, :, 0], root_w * observations[:, None, :, 1]
    rz = (bz.mT @ v[..., None])[..., 0]
    chol = torch.linalg.cholesky(bz.mT @ bz + torch.diag_embed(prior.ridge))
    g = torch.linalg.solve_triangular(chol, torch.cat([bx.mT, by.mT, rz[..., None]], dim=-1), upper=False)
    gx, gy, g0 = g[..., :j], g[..., j : 2 * j], g[..., 2 * j :]  # L^-1 Bx^T, L^-1 By^T, L^-1 rz
    pxy = gx.mT @ gy
    m_terms = (gx.mT @ gx, -pxy - pxy.mT, gy.mT @ gy)  # M = c^2 Pxx - cs (Pxy + Pyx) + s^2 Pyy
    hx, hy = (gx.mT @ g0)[..., 0], (gy.mT @ g0)[..., 0]  # Bx f0, By f0: X Z rz = c hx - s hy
    # The augmented rows [M | M u | X Z rz] (see _cholesky_rows), one set per function of the yaw.
    no_row, no_m = torch.zeros_like(hx)[..., None, :], torch.zeros_like(m_terms[0])
    rows = [torch.cat([term, (term @ u[..., None]).mT, no_row], dim=-2) for term in m_terms]
    rows += [torch.cat([no_m, no_row, h[..., None, :]], dim=-2) for h in (hx, -hy)]
    logdet_hz = 2 * torch.log(torch.diagonal(chol, dim1=-2, dim2=-1)).sum(-1)
    base = (u**2).sum(-1) + (v**2).sum(-1) - (g0**2).sum((-2, -1)) + logdet_hz

    def batch_last(tensor: torch.Tensor) -> torch.Tensor:
        return tensor.reshape(n * k, -1).T.contiguous()

    return _Setup(
        terms=torch.stack([batch_last(row) for row in rows]),
        f0_lin=torch.stack([(hx * u).sum(-1), -(hy * u).sum(-1)]).reshape(2, n * k),
        u=batch_last(u),
        base=base.reshape(n * k),
        chol=chol,
        bx=bx,
        by=by,
        rz=rz,
    )


def _nll(setup: _Setup, yaw: torch.Tensor, log_norm: torch.Tensor) -> torch.Tensor:
    """Negative log marginal likelihood of the 2D: (N, K, 2, A) at (A,) yaws shared by all and at the same yaws +
    pi, or (N, K, 1, A) at (N, K, A) yaws; radians."""
    j, b = setup.u.shape
    c, s = torch.cos(yaw), torch.sin(yaw)
    yaw_terms = torch.stack([c * c, c * s, s * s, c, s])  # (5, A) or (5, N, K, A)
    if yaw.ndim == 1:  # one product for everyone
        aug = (yaw_terms.T @ setup.terms.flatten(1)).unflatten(1, (j + 2, j, b))  # (A, J + 2, J, B)
        lin = yaw_terms[3:].T @ setup.f0_lin  # (A, B)
        sign = torch.tensor([1.0, -1.0], device=yaw.device, dtype=yaw.dtype)
    else:
        yaw_terms = yaw_terms.flatten(1, 2).permute(0, 2, 1)  # (5, A, B)
        aug = _per_person(setup.terms, yaw_terms).unflatten(1, (j + 2, j))
        lin = (setup.f0_lin[:, None] * yaw_terms[3:]).sum(0)
        sign = torch.ones(1, device=yaw.device, dtype=yaw.dtype)
    # X Z r = M u + X Z rz =: hu + hl, and the turn by pi flips the sign of hl.
    u_h = (setup.u * aug[:, j:]).sum(2)  # (A, 2, B): u.hu, u.hl
    z, logdet_s = _cholesky_rows(aug)  # L_S^-1 hu, L_S^-1 hl: (A, 2, J, B)
    zz = (z[:, 0] ** 2 + z[:, 1] ** 2).sum(1)[:, None]
    zl = 2 * (z[:, 0] * z[:, 1]).sum(1)[:, None]
    # 2 NLL = |u|^2 + |v|^2 - c*.r + log det H + 2 log_norm; c*.r = f0.r + u.(X Z r) - (X Z r)^T S^-1 (X Z r).
    two_nll = setup.base - sign[:, None] * lin[:, None] - u_h[:, :1] - sign[:, None] * u_h[:, 1:] + zz
    two_nll = two_nll + sign[:, None] * zl + logdet_s[:, None]  # (A, R, B)
    return 0.5 * two_nll.permute(2, 1, 0).reshape(*log_norm.shape, len(sign), -1) + log_norm[..., None, None]


def _coefficients(setup: _Setup, yaw: torch.Tensor, component: torch.Tensor) -> torch.Tensor:
    """(N, Q+1) coefficients c* at (N,) yaws (radians) of (N,) components: c* = Z (rz + X^T (u - v)), v = S^-1 X Z r
    (this v, not the vertical observations)."""
    n, j = len(yaw), setup.u.shape[0]
    pick = torch.arange(n, device=yaw.device) * setup.chol.shape[1] + component  # each person's column in the batch
    c, s = torch.cos(yaw), torch.sin(yaw)
    yaw_terms = torch.stack([c * c, c * s, s * s, c, s])
    aug = torch.einsum("tdn,tn->nd", setup.terms[:, :, pick], yaw_terms).unflatten(1, (j + 2, j))
    matrix = aug[:, :j] + torch.eye(j, device=yaw.device, dtype=yaw.dtype)  # S
    u = setup.u[:, pick].T
    v = torch.linalg.solve(matrix, aug[:, j] + aug[:, j + 1])
    people = torch.arange(n, device=yaw.device)
    chol = setup.chol[people, component]
    x = c[:, None, None] * setup.bx[people, component] - s[:, None, None] * setup.by[people, component]  # (N, J, Q+1)
    rhs = setup.rz[people, component] + (x.mT @ (u - v)[..., None])[..., 0]
    return torch.cholesky_solve(rhs[..., None], chol)[..., 0]


@dataclass(frozen=True)
class _PitchedSetup:
    """Per person and component (B = N x K, batch last), rows weighted by sqrt(w) / noise, seen through a camera
    pitched down by p. At yaw (c, s) = (cos, sin) a joint's rows B_j (3 x (Q+1), X Y Z) are seen along the image's
    horizontal r1 = (c, -s, 0) and vertical r2 = (sin p s, sin p c, cos p), so the normal matrix is H = D +
    sum_j B_j^T (I - n n^T) B_j = Hf - N^T N: the yaw-free Hf = D + B^T B = Lf Lf^T less the depth rows N = n.B
    along the optical axis n = r1 x r2 = (-cos p s, -cos p c, sin p). The rows and the observations are zero at
    the joints not seen and, centred, sum to 0 over the joints weighted by sqrt(w): as joint vectors they lie in
    the J' = (most joints seen) - 1 dimensions orthogonal to both, and are taken in orthonormal coordinates there
    (`_depth_joints`), which keeps every sum over the joints: J' rows per axis. Woodbury: det H = det Hf det S and
    r^T H^-1 r = |g|^2 + h^T S^-1 h with S = I - Gn^T Gn (J' x J'), Gn = Lf^-1 N^T, g = Lf^-1 r, h = Gn^T g; the
    right-hand side r = sum_j B_j^T (r1 u_j + r2 v_j). S, h and |g|^2 are quadratic in (c, s), their yaw-free
    parts folded into c^2 + s^2 = 1, so a yaw costs one J' x J' solve."""

    terms: torch.Tensor  # (5, J'+1, J', B) [I - S | h^T] as rows, coefficients of c^2, cs, s^2, c, s
    squared_g: torch.Tensor  # (5, B) |g|^2: coefficients of c^2, cs, s^2, c, s
    base: torch.Tensor  # (B,) |u|^2 + |v|^2 + log det Hf, the yaw-free part of 2 NLL
    rows: torch.Tensor  # (N, K, 3, J', Q+1) B, the weighted rows of X, Y and Z, for the chosen yaw's solve
    observations: torch.Tensor  # (N, K, J', 2) u and v, the weighted observations; both in the J' coordinates
    ridge: torch.Tensor  # (K, Q+1) D's diagonal
    pitch: torch.Tensor  # (N,) radians down


def _pitched_setup(prior: _Prior, weights: torch.Tensor, observations: torch.Tensor,
                   pitch: torch.Tensor) -> _PitchedSetup:  # fmt: skip
    """(N, J) weights, (N, J, 2) observations in model units (+y up) centred on their weighted centroid and (N,)
    pitches in radians down."""
    n, k = len(weights), len(prior.noise)
    joints = _depth_joints(weights)  # (N, J, J') sqrt(w_j) T_jl
    size = joints.shape[2] + 1  # J' + 1
    # T^T sqrt(w) (basis - centroid) / noise = T^T sqrt(w) basis / noise, as T^T sqrt(w) sums to 0 over the joints.
    model = (prior.basis / prior.noise[:, None, None, None]).transpose(0, 1).flatten(1)  # (J, K x 3 x (Q+1))
    rows = (joints.mT.flatten(0, 1) @ model).unflatten(0, (n, size - 1)).unflatten(-1, (k, 3, -1))
    rows = rows.permute(0, 2, 3, 1, 4).contiguous()  # (N, K, 3, J', Q+1) B, all X rows, Y, then Z
    weighted = (joints.mT @ observations)[:, None] / prior.noise[:, None, None]  # (N, K, J', 2) u, v
    u, v = weighted.unbind(-1)
    flat = rows.flatten(2, 3)  # (N, K, 3J', Q+1)
    chol = torch.linalg.cholesky(flat.mT @ flat + torch.diag_embed(prior.ridge))  # Hf = Lf Lf^T
    down_cos, down_sin = torch.cos(pitch)[:, None, None], torch.sin(pitch)[:, None, None]  # (N, 1, 1)
    # r = B^T (c o1 + s o2 + o3), o1 = (u, sin p v, 0), o2 = (sin p v, -u, 0), o3 = (0, 0, cos p v) per joint;
    # N = c Ny + s Nx + Nz with Na = n_a Ba, n_a n's factor (-cos p, -cos p, sin p) of axis a. sides: (N, K, 3J',
    # 3) o2, o1 and o3, all X entries, Y, then Z.
    zero = torch.zeros_like(u)
    sides = torch.stack([torch.cat([down_sin * v, -u, zero], -1), torch.cat([u, down_sin * v, zero], -1),
                         torch.cat([zero, zero, down_cos * v], -1)], dim=-1)  # fmt: skip
    along_n = torch.stack([-down_cos, -down_cos, down_sin], dim=2)[..., None]  # (N, 1, 3, 1, 1)
    # Per axis a its rows Na, then the right-hand side's part paired with it (o2 with X, o1 with Y, o3 with Z).
    paired = torch.cat([along_n * rows, (sides.mT @ flat)[..., None, :]], dim=-2)  # (N, K, 3, J'+1, Q+1)
    g = torch.linalg.solve_triangular(chol, paired.flatten(2, 3).mT, upper=False)  # Lf^-1 of each, as columns
    # The products of the columns: N^T N, h and |g|^2 at each function of the yaw are sums of two blocks.
    gram = (g.mT @ g).unflatten(-1, (3, size)).unflatten(-3, (3, size)).transpose(-3, -2)  # (N, K, 3, 3, J'+1, J'+1)
    pairs = (((1, 1), (2, 2)), ((1, 0), (0, 1)), ((0, 0), (2, 2)), ((1, 2), (2, 1)), ((0, 2), (2, 0)))
    blocks = torch.stack([gram[:, :, a, b] + gram[:, :, c, d] for (a, b), (c, d) in pairs])  # (5, N, K, J'+1, J'+1)
    logdet_f = 2 * torch.log(torch.diagonal(chol, dim1=-2, dim2=-1)).sum(-1)
    return _PitchedSetup(
        terms=blocks[..., :-1].permute(0, 3, 4, 1, 2).reshape(5, size, size - 1, n * k).contiguous(),
        squared_g=blocks[..., -1, -1].reshape(5, n * k),
        base=((u**2).sum(-1) + (v**2).sum(-1) + logdet_f).reshape(n * k),
        rows=rows,
        observations=weighted,
        ridge=prior.ridge,
        pitch=pitch,
    )


def _depth_joints(weights: torch.Tensor) -> torch.Tensor:
    """(N, J) weights w -> (N, J, J') sqrt(w_j) T_jl: T's J' orthonormal columns span the joint vectors that are
    zero where w is and orthogonal to sqrt(w), J' one less than the most joints with weight. In the coordinates of
    each person's joints with weight (first, padded with others to as many as the most) they are the Householder
    reflection that takes sqrt(w) / |sqrt(w)| to the last axis, less that axis."""
    seen = weights > 0
    most = int(seen.sum(1).max())  # one look per chunk: it sets the size of every yaw's solve
    order = torch.argsort((~seen).int(), dim=1, stable=True)[:, :most]  # (N, J'+1) the joints with weight first
    root = weights.gather(1, order).sqrt()
    mirror = root / root.norm(dim=1, keepdim=True)
    mirror[:, -1] += 1  # (N, J'+1) e + e_last: I - 2 m m^T / |m|^2 takes e = sqrt(w) / |sqrt(w)| to -e_last
    reflection = torch.eye(most, device=weights.device, dtype=weights.dtype) - mirror[:, :, None] * mirror[:, None] * (
        2 / mirror.pow(2).sum(1))[:, None, None]  # fmt: skip
    columns = root[..., None] * reflection[..., :-1]  # (N, J'+1, J')
    return weights.new_zeros(*weights.shape, most - 1).scatter_(1, order[..., None].expand_as(columns), columns)


def _pitched_nll(setup: _PitchedSetup, yaw: torch.Tensor, log_norm: torch.Tensor) -> torch.Tensor:
    """`_nll` through the pitched camera: (N, K, 2, A) at (A,) yaws shared by all and at the same yaws + pi, or
    (N, K, 1, A) at (N, K, A) yaws; radians. 2 NLL = |u|^2 + |v|^2 - r^T H^-1 r + log det H + 2 log_norm."""
    shared = yaw.ndim == 1
    if shared:
        yaw = torch.cat([yaw, yaw + math.pi])
    c, s = torch.cos(yaw), torch.sin(yaw)
    yaw_terms = torch.stack([c * c, c * s, s * s, c, s])  # (5, A') or (5, N, K, A)
    # [S - I | -h^T] = -sum_t terms_t yaw_terms_t, as _cholesky_rows wants it (h's sign does not matter).
    if shared:
        aug = (-yaw_terms.T @ setup.terms.flatten(1)).unflatten(1, setup.terms.shape[1:])  # (A', J'+1, J', B)
        squared_g = yaw_terms.T @ setup.squared_g  # (A', B)
    else:
        yaw_terms = yaw_terms.flatten(1, 2).mT.contiguous()  # (5, A, B), B contiguous for _per_person
        aug = _per_person(setup.terms.flatten(1, 2), -yaw_terms).unflatten(1, setup.terms.shape[1:3])
        squared_g = (setup.squared_g[:, None] * yaw_terms).sum(0)  # (A, B)
    z, logdet_s = _cholesky_rows(aug)  # S^-1/2 h: (A', 1, J', B); log det S: (A', B)
    two_nll = setup.base - squared_g - z[:, 0].pow(2).sum(1) + logdet_s  # (A', B)
    return 0.5 * two_nll.T.reshape(*log_norm.shape, 2 if shared else 1, -1) + log_norm[..., None, None]


def _per_person(terms: torch.Tensor, yaw_terms: torch.Tensor) -> torch.Tensor:
    """sum_t terms[t] * yaw_terms[t] for (5, R, B) terms and (5, A, B) yaw terms, one yaw per person and component
    (B of them): (A, R, B) in the yaw terms' layout, batch last and contiguous where they are (the layout
    _cholesky_rows runs fastest on)."""
    aug = terms[0] * yaw_terms[0, :, None]
    for term in range(1, 5):
        aug.addcmul_(terms[term], yaw_terms[term, :, None])
    return aug


def _pitched_coefficients(setup: _PitchedSetup, yaw: torch.Tensor, component: torch.Tensor) -> torch.Tensor:
    """(N, Q+1) coefficients c* = H^-1 r at (N,) yaws (radians) of (N,) components, through the pitched camera."""
    people = torch.arange(len(yaw), device=yaw.device)
    rows, seen = setup.rows[people, component], setup.observations[people, component]  # (N, 3, J', Q+1), (N, J', 2)
    c, s = torch.cos(yaw)[:, None, None], torch.sin(yaw)[:, None, None]
    down_cos, down_sin = torch.cos(setup.pitch)[:, None, None], torch.sin(setup.pitch)[:, None, None]
    bx, by, bz = rows.unbind(1)  # (N, J', Q+1) each
    image_rows = torch.cat([c * bx - s * by, down_cos * bz + down_sin * (s * bx + c * by)], dim=1)  # (N, 2J', Q+1)
    matrix = image_rows.mT @ image_rows + torch.diag_embed(setup.ridge[component])  # H
    observed = torch.cat([seen[..., 0], seen[..., 1]], dim=1)[..., None]  # (N, 2J', 1) u then v
    return torch.linalg.solve(matrix, image_rows.mT @ observed)[..., 0]


def _cholesky_rows(aug: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(A, J + R, J, B): rows 0..J-1 hold M (symmetric, I + M positive definite), rows J.. hold R right-hand sides h^T.
    Factors I + M = L L^T in place, Cholesky unrolled over J and vectorised over the batch, the right-hand sides
    eliminated as extra rows; returns L^-1 h (A, R, J, B) and log det(I + M) (A, B). For small J this is many times
    faster than a LAPACK call per matrix."""
    j = aug.shape[2]
    aug[:, :j].diagonal(dim1=1, dim2=2).add_(1.0)
    for k in range(j):  # in-place ops on views: indexed augmented assignment would add a copy each
        col = aug[:, k:, k]  # column k of the factor (its diagonal first), then of the eliminated rows
        col.div_(col[:, :1].sqrt())
        # The update only needs the lower triangle: the top half of the rows updates a square block, the rest
        # their whole width, which skips a quarter of the work.
        half = k + 1 + (j - k - 1) // 2
        aug[:, k + 1 : half, k + 1 : half].addcmul_(col[:, 1 : half - k, None], col[:, None, 1 : half - k], value=-1.0)
        aug[:, half:, k + 1 :].addcmul_(col[:, half - k :, None], col[:, None, 1 : j - k], value=-1.0)
    logdet = 2 * aug[:, :j].diagonal(dim1=1, dim2=2).log().sum(-1)
    return aug[:, j:], logdet
