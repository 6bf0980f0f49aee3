"""Train EvoSkeleton's cascaded lifter (core/lift/cascade.py) on seen 3D poses and write its weights into the package.

    python scripts/train_lifter.py [--out core/lift/data/cascade_lifter.npz] [--seed 0] [--poses 60000]
        [--epochs 6] [--stages 3] [--blocks 2] [--width 384] [--dropout 0.1] [--norm batch] [--batch 256] [--lr 1e-3]
        [--no-evolution] [--corpus-train DIR] [--corpus-eval DIR] [--no-corpus] [--corpus-share 0.2]
        [--device cpu] [--threads 1] [--evaluate PATH] [--no-fit]

Training data, every pose in the pose-file frame of its view (cascade.py's module docstring) at unit stature:
(a) synthetic views: poses evolved as for the default prior (core/synth/evolution.py, `--poses` of them; with
    --no-evolution the first population alone: the postures sampled, no crossover or mutation) and development
    mocap clips of bvhtoolbox's sdist (TRAIN_CLIPS: test_mocapbank.bvh, which the corpus's train split also
    shows, and test_freebvh.bvh; mirrored too; TRAIN_SHARE of the samples), photographed each epoch by
    fresh cameras (yaw all around, pitch -10..50 deg down, 2.5-8 m, a 20-60 mm lens, aimed near the pelvis so the
    person is off the centre as in the corpus), the view pitch given to the network except on UNKNOWN_PITCH of
    the views (a photo's pitch is unknown), the 2D corrupted by a NoiseModel (per-joint bias and spread in
    person sizes, whole-body and one-limb left/right swaps, dropped joints, a person cut at the knees, one limb
    alone) at a per-person level (0 for a fifth of them: exact 2D);
(b) the lift corpus (scripts/lift_corpus.py), when its "train" split is cached: what our BlazePose gives on
    rendered people with their exact 3D. It fits the NoiseModel (against its exact projections) and makes up
    `--corpus-share` of every epoch.
test3.bvh (the corpus's eval clip) is never trained on; test.bvh and test2.bvh are never read (bench/dev_clips.py).

Training (the paper's): stage t learns, with stages < t frozen, the residual they leave; loss: mean per-joint
distance at unit stature (joints a source lacks, such as mocap heels, left out). Adam, the learning rate decaying
tenfold over each stage. Then each joint's RMS error, seen and unseen, on noisy synthetic held-out views and on the
tenth of the corpus kept out of training becomes the model's `sigma`. The weights go to `--out` as float16
(atomically), and that file is evaluated: PA-MPJPE (mm, the 17 Human3.6M joints) of the cascade and of the upright
fit with the default prior (fit.fit_upright, its tuned settings) on the same 2D: synthetic held-out views (another
evolution seed) exact and noisy; test3.bvh's frames seen by bench/lift.py's cameras, exact and noisy (5 px, 10%
dropped); the corpus's "eval" split on our BlazePose's 2D and on its exact 2D, with BlazePose's own world landmarks;
and, on its front views, how often left and right come out exchanged in 3D. The results join the file's metadata.
Prints the time spent on data and on training, the errors per epoch, a table and one JSON line. Everything is
seeded: the same arguments and corpus on the same machine (one torch thread) give the same file.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "bench"), str(REPO / "scripts")]
from cameras import random_cameras  # noqa: E402
from dev_clips import clip_poses  # noqa: E402

from poselift.core.lift import cascade, fit, metrics, priors  # noqa: E402
from poselift.core.skeleton import BODY, H36M_17, stature  # noqa: E402
from poselift.core.synth.evolution import EvolutionConfig, evolve  # noqa: E402

TRAIN_CLIPS = ("test_mocapbank.bvh", "test_freebvh.bvh")
EVAL_CLIP = "test3.bvh"
TRAIN_SHARE = 0.1  # of the synthetic views, mocap frames
ELEVATION_DEG = (-10.0, 50.0)  # the training cameras' pitch down: level tripods to a camera high above a street
UNKNOWN_PITCH = 0.3  # of the training views, those whose view pitch the network is not told
J = len(BODY)
PELVIS, H36M = BODY.index("pelvis"), 17
MIRROR = np.array(BODY.mirror)
LIMBS = {
    "arms": [BODY.index(f"{s}_{j}") for s in ("left", "right") for j in ("shoulder", "elbow", "wrist")],
    "legs": [BODY.index(f"{s}_{j}") for s in ("left", "right") for j in ("hip", "knee", "ankle", "heel", "toe")],
}
BELOW_KNEES = [BODY.index(f"{s}_{j}") for s in ("left", "right") for j in ("knee", "ankle", "heel", "toe")]
CHAINS = [[BODY.index(f"{s}_{j}") for j in chain] for s in ("left", "right")
          for chain in (("shoulder", "elbow", "wrist"), ("hip", "knee", "ankle", "heel", "toe"))]  # fmt: skip


@dataclass(frozen=True)
class NoiseModel:
    """BlazePose's 2D against the exact projection, in person sizes (cascade.normalise's unit; x right, y up)."""

    spread: tuple[float, ...] = (0.028,) * J  # per joint, per coordinate: about 5 px on a 600 px tall person
    bias: tuple[tuple[float, float], ...] = ((0.0, 0.0),) * J
    swap: float = 0.02  # whole body: left and right labels exchanged
    limb_swap: float = 0.01  # one pair of limbs (arms or legs) exchanged
    # a seen joint's confidence: its quantiles at QUANTILES (None: uniform in [0.5, 1])
    confidence: tuple[tuple[float, ...], ...] | None = None
    source: str = "assumed: 5 px at a 600 px tall person, 2% left/right swaps"


QUANTILES = np.linspace(0.0, 1.0, 11)


@dataclass
class Views:
    """N views: (N, 21, 2) pixels, (N, 21) confidence, (N, 21, 3) truth at unit stature, (N, 21) truth known, (N,)
    radians down the person is seen at (NaN or None: unknown)."""

    pixels: np.ndarray
    confidence: np.ndarray
    truth: np.ndarray
    known: np.ndarray
    extra: dict = field(default_factory=dict)
    pitch: np.ndarray | None = None

    def features(self) -> torch.Tensor:
        """(N, 65) the cascade's input (cascade.normalise)."""
        pitch = None if self.pitch is None else torch.as_tensor(self.pitch)
        return cascade.normalise(torch.as_tensor(self.pixels), torch.as_tensor(self.confidence), pitch)[0]


def level_frame(world: np.ndarray, camera_position: np.ndarray) -> np.ndarray:
    """(N, J, 3) world poses (Z up) -> the pose-file frame of the ray from each (N, 3) camera to its pelvis, pelvis at
    the origin, at unit stature (cascade.py's output)."""
    ahead = (world[:, PELVIS] - camera_position) * [1.0, 1.0, 0.0]
    ahead /= np.linalg.norm(ahead, axis=-1, keepdims=True)
    right = np.stack([ahead[:, 1], -ahead[:, 0], np.zeros(len(ahead))], -1)
    axes = np.stack([right, ahead, np.broadcast_to([0.0, 0.0, 1.0], ahead.shape)], 1)
    pose = np.einsum("nab,njb->nja", axes, world - world[:, PELVIS, None])
    return pose / stature(np.nan_to_num(pose[:, :H36M]))[:, None, None]


def photograph(
    rng, world: np.ndarray, *, elevation=ELEVATION_DEG, distance=(2.5, 8.0), lens=(20.0, 60.0), off_centre: float = 0.6
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(N, J, 3) world poses seen by random cameras aimed near their pelvis (bench/cameras.py's, 1920 x 1080; the aim
    off by up to `off_centre` of half the field of view) -> (N, J, 2) pixels (y down), (N, J, 3) level_frame and
    (N,) the view pitch: radians down of the ray from the camera to the pelvis."""
    cams = random_cameras(rng, len(world), elevation_deg=elevation, distance_m=distance, lens_mm=lens)
    half = np.arctan(960.0 / cams.focal)
    yaw = cams.yaw + off_centre * half * rng.uniform(-1, 1, len(world))
    pitch = cams.elevation + 0.5 * off_centre * half * rng.uniform(-1, 1, len(world))
    forward = np.stack([np.cos(pitch) * np.cos(yaw), np.cos(pitch) * np.sin(yaw), -np.sin(pitch)], -1)
    right = np.stack([np.sin(yaw), -np.cos(yaw), np.zeros(len(world))], -1)
    rotation = np.stack([right, forward, np.cross(right, forward)], 1)
    ray = np.stack([np.cos(cams.elevation) * np.cos(cams.yaw), np.cos(cams.elevation) * np.sin(cams.yaw),
                    -np.sin(cams.elevation)], -1)  # fmt: skip
    position = world[:, PELVIS] - cams.distance[:, None] * ray
    camera = np.einsum("nab,njb->nja", rotation, world - position[:, None])
    depth = np.maximum(camera[..., 1], 0.1)
    f = cams.focal[:, None]
    pixels = np.stack([960.0 + f * camera[..., 0] / depth, 540.0 - f * camera[..., 2] / depth], -1)
    return pixels, level_frame(world, position), cams.elevation


def person_size(pixels: np.ndarray) -> np.ndarray:
    """(N,) px: cascade.normalise's size of (N, 21, 2) pixels with every joint seen."""
    rel = pixels[:, :H36M] - pixels[:, PELVIS, None]
    return np.sqrt(np.nanmean((rel**2).sum(-1), axis=1))


def corrupt(rng, pixels: np.ndarray, known: np.ndarray, noise: NoiseModel, exact_share: float = 0.2) -> Views:
    """Views of exact (N, 21, 2) pixels as BlazePose might give them: noise, swaps, dropped joints, confidences."""
    n = len(pixels)
    size = person_size(pixels)[:, None, None]
    level = np.where(rng.random(n) < exact_share, 0.0, np.exp(rng.uniform(np.log(0.5), np.log(2.0), n)))
    offset = np.array(noise.bias) + np.array(noise.spread)[:, None] * rng.standard_normal((n, J, 2))
    noisy = pixels + np.where(level[:, None, None] > 0, offset * [1.0, -1.0], 0.0) * size * level[:, None, None]
    whole = rng.random(n) < noise.swap * (level > 0)
    noisy[whole] = noisy[whole][:, MIRROR]
    for limb in LIMBS.values():
        pick = (rng.random(n) < noise.limb_swap / 2) & (level > 0)
        noisy[np.ix_(pick, limb)] = noisy[np.ix_(pick, MIRROR[limb])]
    rate = np.where(rng.random(n) < 0.5, rng.uniform(0.0, 0.2, n), 0.0)
    seen = known & (rng.random((n, J)) >= rate[:, None])
    cut = rng.random(n)
    seen[np.ix_(cut < 0.05, BELOW_KNEES)] = False
    alone = (cut >= 0.05) & (cut < 0.08)
    chain = rng.integers(len(CHAINS), size=n)
    keep = np.zeros((n, J), bool)
    for k, joints in enumerate(CHAINS):
        keep[np.ix_(alone & (chain == k), joints)] = True
    seen = np.where(alone[:, None], seen & keep, seen)
    seen[(cut >= 0.08) & (cut < 0.09)] = False
    if noise.confidence is None:
        drawn = rng.uniform(0.5, 1.0, (n, J))
    else:
        u = rng.random((n, J))
        drawn = np.stack([np.interp(u[:, j], QUANTILES, noise.confidence[j]) for j in range(J)], -1)
    confidence = np.where(seen, drawn, rng.uniform(0.0, cascade.MIN_CONFIDENCE, (n, J)))
    return Views(np.where(seen[..., None], noisy, np.nan), confidence, None, None)


@dataclass
class Source:
    """World poses to photograph: (M, 21, 3) metres Z up, (M, 21) which joints exist, a share of each epoch."""

    name: str
    world: np.ndarray
    known: np.ndarray
    share: float


def on_body(names: tuple[str, ...], poses: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(F, J', 3) on named joints -> (F, 21, 3) on BODY (0 where missing) and (21,) bool known."""
    known = np.array([n in names for n in BODY.joints])
    out = np.zeros((len(poses), J, 3))
    out[:, known] = poses[:, [names.index(n) for n in BODY.joints if n in names]]
    return out, known


def mocap_source(clips: tuple[str, ...], share: float) -> Source:
    """The clips' frames and their mirror images (left and right exchanged, X negated)."""
    worlds, knowns = [], []
    for clip in clips:
        names, poses = clip_poses(clip, 1)
        world, known = on_body(names, poses)
        worlds += [world, world[:, MIRROR] * [-1.0, 1.0, 1.0]]
        knowns += [np.broadcast_to(known, world.shape[:2])] * 2
    return Source("mocap " + " ".join(clips), np.concatenate(worlds), np.concatenate(knowns), share)


def evolved(seed: int, count: int, evolution: bool) -> np.ndarray:
    """(count, 21, 3) metres: the default prior's recipe (a tenth sampled, grown in tenths), or the sample alone."""
    if evolution:
        return evolve(EvolutionConfig(seed=seed, initial=max(count // 10, 1), target=count, batch=max(count // 10, 1)))
    # 98% of sampled postures are valid: 12% more than needed and evolution never runs
    return evolve(EvolutionConfig(seed=seed, initial=int(count * 1.12) + 10, target=count, batch=1))


def corpus_views(data: dict, where: np.ndarray | None = None) -> Views:
    """The detected people of a lift corpus (scripts/lift_corpus.py FIELDS), or of its samples `where`, on BODY."""
    found = data["detected"] & (True if where is None else where)
    truth = level_frame(data["truth3d_world"][found, :J].astype(np.float64), data["camera_position"][found])
    conf = np.nan_to_num(data["confidence"][found, :J])
    extra = {k: data[k][found] for k in ("truth2d", "world27", "view_yaw", "truth3d_camera")}
    ray = data["truth3d_world"][found, PELVIS].astype(np.float64) - data["camera_position"][found]
    pitch = np.arctan2(-ray[:, 2], np.hypot(ray[:, 0], ray[:, 1]))
    return Views(data["joints2d"][found, :J].astype(np.float64), conf, truth, np.ones((found.sum(), J), bool), extra,
                 pitch)  # fmt: skip


def mirrored(v: Views) -> Views:
    """The views and their mirror images (x negated, left and right exchanged), for training."""
    pixels = v.pixels[:, MIRROR] * [-1.0, 1.0]
    truth = v.truth[:, MIRROR] * [-1.0, 1.0, 1.0]
    return Views(np.concatenate([v.pixels, pixels]), np.concatenate([v.confidence, v.confidence[:, MIRROR]]),
                 np.concatenate([v.truth, truth]), np.concatenate([v.known, v.known[:, MIRROR]]),
                 pitch=np.concatenate([v.pitch, v.pitch]))  # fmt: skip


CORPORA = {"train": ("train", 2500, 0), "eval": ("eval", 2400, 0)}  # split: lift_corpus split, samples, seed


def corpus_folder(split: str) -> Path:
    """The lift corpus this script trains ("train") or reports ("eval") on, built once by scripts/lift_corpus.py
    (about 20 minutes on two cores) and cached; bench/lift_renders.py chooses on another seed's."""
    from lift_corpus import cached_corpus

    name, samples, seed = CORPORA[split]
    return cached_corpus(name, samples=samples, seed=seed)


def describe_corpus(folder: Path | None) -> dict | None:
    """What metadata says of a corpus: its folder under the repository and how it was made."""
    if folder is None:
        return None
    info = json.loads((folder / "corpus.json").read_text())
    where = folder.resolve().relative_to(REPO).as_posix() if folder.resolve().is_relative_to(REPO) else folder.name
    return {"folder": where} | {k: info.get(k) for k in ("split", "samples", "seed", "size", "model", "clip")}


def fit_noise(views: Views) -> NoiseModel:
    """The NoiseModel of a corpus: BlazePose's 2D against the exact projection, normalised by the exact person size."""
    exact = views.extra["truth2d"][:, :J].astype(np.float64)
    size = person_size(exact)[:, None, None]
    whole = np.linalg.norm(views.pixels[:, MIRROR] - exact, axis=-1).sum(1) < np.linalg.norm(
        views.pixels - exact, axis=-1).sum(1)  # fmt: skip
    limbs = np.zeros(len(exact), bool)
    for limb in LIMBS.values():
        d = np.linalg.norm(views.pixels[:, limb] - exact[:, limb], axis=-1).sum(1)
        limbs |= np.linalg.norm(views.pixels[:, MIRROR[limb]] - exact[:, limb], axis=-1).sum(1) < d
    clean = ~(whole | limbs)[:, None, None] & (views.confidence >= 0.5)[..., None]
    offset = np.where(clean, (views.pixels - exact) / size * [1.0, -1.0], np.nan)
    bias = np.nanmedian(offset, axis=0)
    spread = 1.4826 * np.nanmedian(np.abs(offset - bias), axis=0).mean(-1)  # robust sigma (MAD)
    seen = np.where(views.confidence >= cascade.MIN_CONFIDENCE, views.confidence, np.nan)
    quantiles = np.nanquantile(seen, QUANTILES, axis=0).T  # (21, 11)
    return NoiseModel(tuple(np.round(spread, 4).tolist()), tuple(map(tuple, np.round(bias, 4).tolist())),
                      round(float(whole.mean()), 4), round(float((limbs & ~whole).mean()), 4),
                      tuple(map(tuple, np.round(quantiles, 4).tolist())),
                      f"fitted on the lift corpus ({len(exact)} people)")  # fmt: skip


def epoch_views(rng, sources: list[Source], corpus: Views | None, share: float, size: int, noise: NoiseModel):
    """One epoch's shuffled training views as torch tensors: features (n, 65), truth (n, 21, 3), known (n, 21); the
    view pitch hidden on UNKNOWN_PITCH of them."""
    parts = []
    synthetic = size - (round(size * share) if corpus is not None else 0)
    for source in sources:
        pick = rng.integers(len(source.world), size=round(synthetic * source.share))
        pixels, truth, pitch = photograph(rng, source.world[pick])
        v = corrupt(rng, pixels, source.known[pick], noise)
        parts.append((v.pixels, v.confidence, truth, source.known[pick], pitch))
    if corpus is not None:
        pick = rng.integers(len(corpus.pixels), size=size - synthetic)
        parts.append((corpus.pixels[pick], corpus.confidence[pick], corpus.truth[pick], corpus.known[pick],
                      corpus.pitch[pick]))  # fmt: skip
    pixels, conf, truth, known, pitch = (np.concatenate(p) for p in zip(*parts, strict=True))
    pitch = np.where(rng.random(len(pitch)) < UNKNOWN_PITCH, np.nan, pitch)
    order = rng.permutation(len(pixels))
    features = Views(pixels[order], conf[order], None, None, pitch=pitch[order]).features()
    return features, torch.as_tensor(np.nan_to_num(truth[order]), dtype=torch.float32), torch.as_tensor(known[order])


def joint_loss(pred: torch.Tensor, truth: torch.Tensor, known: torch.Tensor) -> torch.Tensor:
    """Mean distance over the known joints of (n, 21, 3) poses."""
    d = (pred - truth).norm(dim=-1)
    return (d * known).sum() / known.sum().clamp_min(1)


def train(model: cascade.CascadeLifter, make_epoch, validation: dict[str, Views], args, log) -> dict:
    """The stages one after another, each with the earlier ones frozen; returns the time spent. Prints each epoch's
    training loss and PA-MPJPE on the `validation` views (at a stature of 1.70 m), without flipping."""
    spent = {"data_s": 0.0, "train_s": 0.0}
    device = next(model.parameters()).device
    checks = {name: (v.features(), v.truth) for name, v in validation.items()}
    for t in range(len(model.stages)):
        model.eval()
        for p in model.parameters():
            p.requires_grad_(False)
        stage = model.stages[t]
        stage.train()
        for p in stage.parameters():
            p.requires_grad_(True)
        optimiser = torch.optim.Adam(stage.parameters(), lr=args.lr)
        steps = args.epochs * -(-args.samples // args.batch)
        schedule = torch.optim.lr_scheduler.LambdaLR(optimiser, lambda s, steps=steps: 0.1 ** (s / steps))
        for epoch in range(args.epochs):
            tick = time.perf_counter()
            features, truth, known = (x.to(device) for x in make_epoch())
            spent["data_s"] += time.perf_counter() - tick
            tick = time.perf_counter()
            total = 0.0
            for i in range(0, len(features), args.batch):
                f, y, k = features[i : i + args.batch], truth[i : i + args.batch], known[i : i + args.batch]
                if len(f) < 2:
                    continue
                with torch.no_grad():
                    before = model(f, stages=t).flatten(1)
                loss = joint_loss(model.step(t, f, before).view(-1, J, 3), y, k)
                optimiser.zero_grad(set_to_none=True)
                loss.backward()
                optimiser.step()
                schedule.step()
                total += loss.item() * len(f)
            spent["train_s"] += time.perf_counter() - tick
            stage.eval()
            errors = []
            for name, (features_v, truth_v) in checks.items():
                with torch.no_grad():
                    pred = model(features_v.to(device), stages=t + 1).cpu().numpy()
                errors.append(f"{name} {1000 * metrics.pa_mpjpe(pred[:, :H36M] * 1.7, truth_v[:, :H36M] * 1.7):5.1f}")
            stage.train()
            log(f"stage {t + 1} epoch {epoch + 1}: train loss {1000 * total / len(features) * 1.7:6.1f} mm; "
                f"PA-MPJPE mm: {', '.join(errors)}  [data {spent['data_s']:.0f} s, training {spent['train_s']:.0f} s]",
                flush=True)  # fmt: skip
    for p in model.parameters():
        p.requires_grad_(False)
    return spent | {"parameters": cascade.parameter_count(model)}


def calibrate(model: cascade.CascadeLifter, views: Views) -> None:
    """Set the model's sigma: per-joint RMS error (unit stature) on `views`, where the joint was seen and not."""
    result = cascade.lift_batch(model, views.pixels, views.confidence, height=1.0, pitch=views.pitch)
    error = ((result.joints3d[:, :J].cpu().numpy() - views.truth) ** 2).sum(-1)
    seen = result.seen[:, :J].cpu().numpy()
    for name, where in (("sigma_seen", seen), ("sigma_unseen", ~seen)):
        count = where.sum(0)
        rms = np.sqrt((error * where).sum(0) / np.maximum(count, 1))
        fallback = np.sqrt(error.mean(0))  # a joint never (un)seen in the views: its overall RMS
        getattr(model, name).copy_(torch.as_tensor(np.where(count >= 20, rms, fallback), dtype=torch.float32))


def held_out_views(rng, world: np.ndarray, names: tuple[str, ...], noise_px: float | None,
                   elevation: tuple[float, float] = (-10.0, 40.0)) -> Views:  # fmt: skip
    """(V, J', 3) world poses seen by bench/lift.py's cameras (`elevation` degrees down, 3-6 m, 24-35 mm, aimed at
    the pelvis): exact 2D, or `noise_px` Gaussian px with 10% of the joints dropped (as bench/dev_clips.py)."""
    body, known = on_body(names, world)
    pixels, truth, pitch = photograph(rng, body, elevation=elevation, distance=(3.0, 6.0), lens=(24.0, 35.0),
                                      off_centre=0.0)  # fmt: skip
    truth *= stature(body[:, :H36M])[:, None, None]  # metres again, for errors in mm of the real body
    conf = np.broadcast_to(known, pixels.shape[:2]).astype(np.float64)
    if noise_px:
        pixels = pixels + rng.normal(0.0, noise_px, pixels.shape)
        conf = conf * (rng.random(conf.shape) >= 0.10)
    return Views(np.where(known[:, None], pixels, np.nan), conf, truth, np.broadcast_to(known, conf.shape),
                 pitch=pitch)  # fmt: skip


def pa_mm(pred: np.ndarray, truth: np.ndarray) -> float:
    return 1000 * metrics.pa_mpjpe(pred[:, :H36M], truth[:, :H36M])


def evaluate(model: cascade.CascadeLifter, sets: dict[str, Views], run_fit: bool, log) -> dict:
    """{set: {method: PA-MPJPE mm}} of the cascade told the view pitch, the cascade not told it, and the upright fit
    (default prior, level) on each set's 2D."""
    prior = priors.default_prior()
    results = {}
    for name, v in sets.items():
        row, poses = {"views": len(v.pixels)}, {}
        for method, pitch in (("cascade", v.pitch), ("cascade_no_pitch", None)):
            poses[method] = cascade.lift_batch(model, v.pixels, v.confidence, pitch=pitch).joints3d.cpu().numpy()[:, :J]
        if run_fit:
            points, w = fit.model_inputs(prior, BODY.joints, v.pixels, v.confidence)
            poses["fit"] = fit.fit_upright(prior, points, w, **priors.fit_settings(prior)).joints3d.numpy()
        if "world27" in v.extra:
            poses["blazepose_world"] = v.extra["world27"][:, :J]
        for method, pose in poses.items():
            row[method] = pa_mm(pose, v.truth)
            if "view_yaw" in v.extra:  # left and right exchanged in 3D, on views within 45 deg of the front
                front = np.abs(v.extra["view_yaw"]) < np.radians(45)
                row[f"{method}_front_swapped"] = float(metrics.left_right_swapped(pose[:, :H36M], v.truth[:, :H36M],
                                                                                  H36M_17.mirror)[front].mean())
        results[name] = {k: round(x, 3) if isinstance(x, float) else x for k, x in row.items()}
    methods = ("cascade", "cascade_no_pitch", "fit", "blazepose_world")
    log(f"PA-MPJPE (mm, 17 joints) and [left/right exchanged on front views]\n{'views':46s} {'n':>5s} "
        + " ".join(f"{m:>22s}" for m in methods))  # fmt: skip
    for name, row in results.items():
        cells = [f"{row[m]:7.1f}" + (f" [{100 * row[f'{m}_front_swapped']:4.1f}%]" if f"{m}_front_swapped" in row
                 else " " * 8) if m in row else f"{'-':>15s}" for m in methods]  # fmt: skip
        log(f"{name:46s} {row['views']:5d} " + " ".join(f"{c:>22s}" for c in cells))
    return results


def evaluation_sets(args, corpus_eval: Views | None) -> dict[str, Views]:
    rng = np.random.default_rng([args.seed, 2])
    synthetic = evolved(args.seed + 1, args.held_out, True).astype(np.float64)
    names, clip = clip_poses(EVAL_CLIP, 3)
    clip = np.repeat(clip, 2, axis=0)
    sets = {
        "synthetic held-out, exact 2D": held_out_views(rng, synthetic, BODY.joints, None),
        "synthetic held-out, 5 px + 10% drop": held_out_views(rng, synthetic, BODY.joints, 5.0),
        f"{EVAL_CLIP} (held out), exact 2D": held_out_views(rng, clip, names, None),
        f"{EVAL_CLIP} (held out), 5 px + 10% drop": held_out_views(rng, clip, names, 5.0),
        "synthetic held-out, 35-55 deg down, 5 px": held_out_views(rng, synthetic, BODY.joints, 5.0, (35.0, 55.0)),
    }
    if corpus_eval is not None:
        truth = corpus_eval.extra["truth3d_camera"][:, :J].astype(np.float64)
        truth = truth - truth[:, PELVIS, None]
        sets["corpus eval, BlazePose 2D"] = Views(corpus_eval.pixels, corpus_eval.confidence, truth, None,
                                                  {k: corpus_eval.extra[k] for k in ("world27", "view_yaw")},
                                                  corpus_eval.pitch)  # fmt: skip
        exact = corpus_eval.extra["truth2d"][:, :J].astype(np.float64)
        sets["corpus eval, exact 2D"] = Views(exact, np.ones(exact.shape[:2]), truth, None, pitch=corpus_eval.pitch)
    return sets


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=cascade.DEFAULT_WEIGHTS)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--poses", type=int, default=60_000, help="evolved training poses")
    parser.add_argument("--samples", type=int, default=100_000, help="training views per epoch")
    parser.add_argument("--held-out", type=int, default=3000, help="held-out synthetic poses (validation, sigma)")
    parser.add_argument("--epochs", type=int, default=6, help="per stage")
    defaults = cascade.CascadeConfig()
    for name in ("stages", "blocks", "width"):
        parser.add_argument(f"--{name}", type=int, default=getattr(defaults, name))
    parser.add_argument("--dropout", type=float, default=defaults.dropout)
    parser.add_argument("--norm", choices=("batch", "layer"), default=defaults.norm)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--no-evolution", action="store_true", help="synthetic poses without crossover and mutation")
    parser.add_argument("--corpus-train", type=Path, help="a lift corpus folder (default: CORPORA's, cached)")
    parser.add_argument("--corpus-eval", type=Path, help="a lift corpus folder (default: CORPORA's, cached)")
    parser.add_argument("--no-corpus", action="store_true", help="synthetic views alone, the assumed noise model")
    parser.add_argument("--corpus-share", type=float, default=0.2, help="of each epoch, corpus samples")
    parser.add_argument("--device", default="cpu", help="e.g. cuda for bigger models (--width 1024 --blocks 3)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (1: the same bytes on every run)")
    parser.add_argument("--evaluate", type=Path, metavar="WEIGHTS", help="only evaluate this weights file")
    parser.add_argument("--no-fit", action="store_true", help="evaluate the cascade alone (faster)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    log = print
    began = time.perf_counter()
    from lift_corpus import load_corpus

    folders = {s: None if args.no_corpus else getattr(args, f"corpus_{s}") or corpus_folder(s)
               for s in ("train", "eval")}  # fmt: skip
    log(f"lift corpus: train {folders['train'] or 'none'}, eval {folders['eval'] or 'none'}")
    corpus_eval = corpus_views(load_corpus(folders["eval"])) if folders["eval"] else None
    if args.evaluate:
        model, _ = cascade.load_cascade(args.evaluate)
        results = evaluate(model.to(args.device), evaluation_sets(args, corpus_eval), not args.no_fit, log)
        print(json.dumps({"train_lifter": str(args.evaluate), "results": results}))
        return 0

    corpus_train = corpus_check = None
    if folders["train"]:  # a tenth of its samples kept to watch the training
        data = load_corpus(folders["train"])
        check = np.random.default_rng([args.seed, 3]).random(len(data["detected"])) < 0.1
        corpus_train, corpus_check = corpus_views(data, ~check), corpus_views(data, check)
    noise = fit_noise(corpus_train) if corpus_train is not None else NoiseModel()
    log(f"noise model: {noise.source}; spread {np.mean(noise.spread):.3f} sizes, swaps {noise.swap:.1%} whole, "
        f"{noise.limb_swap:.1%} one limb pair")  # fmt: skip
    tick = time.perf_counter()
    synthetic = evolved(args.seed, args.poses, not args.no_evolution).astype(np.float64)
    sources = [Source("evolved" if not args.no_evolution else "sampled", synthetic, np.ones(synthetic.shape[:2], bool),
                      1.0 - TRAIN_SHARE), mocap_source(TRAIN_CLIPS, TRAIN_SHARE)]  # fmt: skip
    rng = np.random.default_rng([args.seed, 1])
    held = evolved(args.seed + 1, args.held_out, True).astype(np.float64)
    pixels, truth, pitch = photograph(rng, held)
    validation = corrupt(rng, pixels, np.ones(pixels.shape[:2], bool), noise, exact_share=0.0)
    validation.truth, validation.known, validation.pitch = truth, np.ones(truth.shape[:2], bool), pitch
    watched = {"synthetic (noisy)": validation} | ({"corpus (10%)": corpus_check} if corpus_check else {})
    prepare_s = time.perf_counter() - tick
    log(f"poses: {len(synthetic)} {sources[0].name}, {len(sources[1].world)} mocap frames ({prepare_s:.1f} s)")

    config = cascade.CascadeConfig(args.stages, args.blocks, args.width, args.dropout, args.norm)
    model = cascade.cascade_lifter(None, config=config, device=args.device)
    log(f"cascade: {config}, {cascade.parameter_count(model):,} parameters")
    mixed = mirrored(corpus_train) if corpus_train is not None else None
    spent = train(model, lambda: epoch_views(rng, sources, mixed, args.corpus_share, args.samples, noise), watched,
                  args, log)  # fmt: skip
    spent["data_s"] += prepare_s
    calibrate(model.cpu(), Views(*(np.concatenate([getattr(v, k) for v in watched.values()])
                                   for k in ("pixels", "confidence", "truth", "known")),
                                 pitch=np.concatenate([v.pitch for v in watched.values()])))  # fmt: skip
    metadata = {
        "joints": list(cascade.JOINTS.joints),
        "input": "cascade.normalise: root (pelvis, else the mean of the seen joints), RMS size of the 17, confidence, "
                 "view pitch and whether it is known",
        "elevation_deg": list(ELEVATION_DEG), "unknown_pitch": UNKNOWN_PITCH,
        "output": "pose-file frame of the ray to the pelvis, pelvis at 0, unit stature",
        "seed": args.seed,
        "training": {"poses": len(synthetic), "evolution": not args.no_evolution, "mocap_clips": list(TRAIN_CLIPS),
                     "mocap_share": TRAIN_SHARE, "corpus": describe_corpus(folders["train"]),
                     "corpus_people": len(corpus_train.pixels) if corpus_train is not None else 0,
                     "corpus_share": args.corpus_share if folders["train"] else 0.0, "samples_per_epoch": args.samples,
                     "epochs_per_stage": args.epochs, "batch": args.batch, "lr": args.lr, "noise": asdict(noise)},
        "made_with": {"numpy": np.__version__, "torch": torch.__version__, "threads": args.threads},
        "regenerate": shlex.join(["python", "scripts/train_lifter.py", *(argv if argv is not None else sys.argv[1:])]),
    }  # fmt: skip
    out = cascade.save_cascade(model, args.out.resolve(), metadata)
    log(f"wrote {out} ({out.stat().st_size / 1e6:.2f} MB); data {spent['data_s']:.0f} s, training "
        f"{spent['train_s']:.0f} s")  # fmt: skip
    shipped, _ = cascade.load_cascade(out)  # what ships: float16 weights
    results = evaluate(shipped, evaluation_sets(args, corpus_eval), not args.no_fit, log)
    metadata["evaluation"] = {"corpus_eval": describe_corpus(folders["eval"]), "pa_mpjpe_mm": results}
    cascade.save_cascade(shipped, out, metadata)
    times = {k: round(v, 1) for k, v in spent.items() if k.endswith("_s")}
    log(f"total {time.perf_counter() - began:.0f} s")
    print(json.dumps({"train_lifter": str(out), "parameters": spent["parameters"], "time_s": times,
                      "results": results}))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
