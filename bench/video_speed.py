"""`poselift video` end to end against MediaPipe's video mode on the same video, whole processes, and where our
time goes.

    python bench/video_speed.py [--seconds 10] [--runs 3] [--model full]

Video: the project's rendered test video (scripts/make_test_video.py, one person, 512 x 384 at 30 fps, `--seconds`
long; cached). Each run is a new Python process, the two taking turns, from its first line to its result written:
- ours: `poselift video VIDEO -o OUT.npz` (default settings: tracking, the combined lifter, the camera, the motion);
- MediaPipe: its legacy pose solution in video mode (`static_image_mode=False`, its own tracking and smoothing,
  `model_complexity` of `--model`) over the frames OpenCV decodes, its world landmarks saved to an .npz.
The table gives each one's median seconds and frames per second over `--runs`, and the ratio of the medians
(MediaPipe's seconds over ours: above 1 is faster than MediaPipe). Then one more run of ours under cProfile, in a
process of its own: the seconds of each phase (imports; building the networks and the lifter; decoding; frames to
the device; the detector; the landmark crops; the landmark network; the tracker's colours; lifting; the motion,
relift included; writing; the rest), from the cumulative times of the functions that do them (cProfile slows
many small calls more than a few big ones: shares, not times). Prints the tables and one JSON line.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))
from make_test_video import cached_test_video  # noqa: E402

COMPLEXITY = {"lite": 0, "full": 1, "heavy": 2}

OURS = """
import sys
from poselift.core.cli.main import main
sys.exit(main(["video", {video!r}, "-o", {out!r}, "--model", {model!r}, "--progress", "quiet"]))
"""
MEDIAPIPE = """
import cv2, mediapipe as mp, numpy as np
pose = mp.solutions.pose.Pose(static_image_mode=False, model_complexity={complexity}, smooth_landmarks=True)
capture, world = cv2.VideoCapture({video!r}), []
while True:
    ok, frame = capture.read()
    if not ok:
        break
    result = pose.process(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
    landmarks = result.pose_world_landmarks
    world.append([(p.x, p.y, p.z) for p in landmarks.landmark] if landmarks else [(np.nan,) * 3] * 33)
np.savez({out!r}, world=np.asarray(world, np.float32))
"""
# The profiled run: the phases by the cumulative time of the functions that do them ((file suffix, function,
# sign): -1 takes out a part counted in another phase).
PROFILED = """
import cProfile, json, pstats, sys, time
began = time.perf_counter()
from poselift.core.cli.main import main
imported = time.perf_counter() - began
profile = cProfile.Profile()
profile.enable()
status = main(["video", {video!r}, "-o", {out!r}, "--model", {model!r}, "--progress", "quiet"])
profile.disable()
total = time.perf_counter() - began
assert status == 0, status
stats = pstats.Stats(profile).stats
def cumulative(suffix, name, sign):
    return sign * sum(v[3] for (path, _, function), v in stats.items() if path.endswith(suffix) and function == name)
print(json.dumps({{"imported": imported, "total": total, **{{phase: sum(cumulative(*f) for f in functions)
                                                         for phase, functions in {phases!r}.items()}}}}))
"""
PHASES = {
    "build the networks and the lifter": [("cli/common.py", "build_estimator", 1),
                                          ("cli/common.py", "build_lifter", 1)],
    "decode": [("video/video_io.py", "__iter__", 1)],
    "frames to the device": [("nets/pose2d.py", "pyramids", 1)],
    "detector (its crops included)": [("nets/pose2d.py", "detect", 1)],
    "landmark crops": [("nets/pose2d.py", "estimate_in_regions", 1), ("nets/pose2d.py", "landmarks", -1)],
    "landmark network": [("nets/pose2d.py", "landmarks", 1)],
    "the tracker's colours": [("video/tracking.py", "_looks", 1)],
    "lift": [("lift/lifting.py", "lift", 1)],
    "motion (relift included)": [("video/video_poses.py", "video_pose_sequence", 1)],
    "write": [("formats/atomic.py", "write_together", 1)],
}


def seconds(code: str) -> float:
    """Wall seconds of a fresh Python process running `code`."""
    began = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="the test video's length (default 10)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--model", choices=tuple(COMPLEXITY), default="full")
    args = parser.parse_args()
    video, _ = cached_test_video(seconds=args.seconds)
    frames = round(args.seconds * 30)
    with tempfile.TemporaryDirectory(prefix="bench-video-speed-") as folder:
        out = str(Path(folder) / "out.npz")
        codes = {"poselift video": OURS.format(video=str(video), out=out, model=args.model),
                 "MediaPipe video mode": MEDIAPIPE.format(video=str(video), out=out,
                                                          complexity=COMPLEXITY[args.model])}  # fmt: skip
        times = {name: [] for name in codes}
        for _ in range(args.runs):
            for name, code in codes.items():
                times[name].append(seconds(code))
        done = subprocess.run([sys.executable, "-c", PROFILED.format(video=str(video), out=out, model=args.model,
                                                                      phases=PHASES)],
                              check=True, capture_output=True, text=True)  # fmt: skip
        profile = json.loads(done.stdout.splitlines()[-1])
    median = {name: statistics.median(t) for name, t in times.items()}
    ratio = median["MediaPipe video mode"] / median["poselift video"]
    print(f"{video.name}: {frames} frames, one person; model {args.model}; whole processes, {args.runs} runs each "
          "in turns")  # fmt: skip
    print(f"{'':22} {'median s':>9} {'runs':>22} {'fps':>7}")
    for name, t in times.items():
        print(f"{name:22} {median[name]:9.2f} {' '.join(f'{x:.2f}' for x in t):>22} {frames / median[name]:7.1f}")
    print(f"MediaPipe / poselift = {ratio:.2f} (above 1: poselift is faster; the aim is 1.2)")
    total = profile["total"]
    rows = {"imports": profile["imported"]} | {phase: profile[phase] for phase in PHASES}
    rows["the rest"] = total - sum(rows.values())
    print(f"\nwhere poselift's time goes (one run under cProfile, {total:.2f} s)")
    for phase, s in rows.items():
        print(f"  {phase:36} {s:7.2f} s {100 * s / total:5.1f}%")
    print(json.dumps({"bench": "video_speed", "frames": frames, "model": args.model, "runs": times,
                      "median_s": median, "mediapipe_over_poselift": ratio, "profile_s": rows}))  # fmt: skip


if __name__ == "__main__":
    main()
