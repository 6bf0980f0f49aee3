"""Video to motion on the rendered test video, against its exact ground truth, with the acceptance checks.

    python bench/video.py [--seconds 3] [--long 12] [--repeat 4] [--runs 3] [--tune] [--threads N]

Each video runs end to end in a subprocess of its own (so that its peak memory is its own), through what
`poselift video IN` runs (core/cli/video_command.py, default settings): video_io.VideoFrames streams the frames,
video_poses.track_video follows everybody (tracking.PoseTracker on BlazePose full) and lifts them batch by batch
(lifting.Lifter), choose_track keeps the longest track and video_pose_sequence makes it the motion
(animate.animate_track; the focal length is not given: the 50 mm equivalent it assumes is the one the video was
rendered with). The chosen track's per-frame lifts are kept for the "per frame" rows. Nothing but (F, 27)
arrays per track outlives a batch, so memory should not grow with the video: the long video read `--repeat` times
over as one stream (4x as long; `RepeatedFrames`) must peak within 10% of it read once.

On the short video (scripts/make_test_video.py, 3 s by default), all in mm or m/s^2, on the 17 Human3.6M joints
for errors and on every joint the lift gives for speeds:
- PA-MPJPE per frame (Procrustes with scale) and N-MPJPE (root-relative, the scale fitted) of the per-frame
  lifts ("per frame") and of the motion ("motion"): the motion's must not be higher;
- jitter, the mean joint acceleration |second difference| * fps^2, root-relative and in the world, against the
  ground truth's: the motion's must be at most half the per-frame one. "per frame" in the world is each
  frame's lift placed by that frame's own root (core/motion/root_motion.py), the floor at its median;
- foot skating: the mean horizontal speed of the ankle, heel and toe while the ground truth says the foot is
  planted (core/motion/contacts.py on the ground truth);
- speed and memory, on the `--long` video (12 s: several batches, so that the tracker, the lifter and the
  allocator are past their first batch) read once and `--repeat` times over, each `--runs` times in fresh
  subprocesses: frames per second, the peak resident set (ru_maxrss), the resident set once the stream is read
  (whether anything grew with the video's length) and as each reading ends (whether it grows reading after
  reading). The peak moves from run to run of the same input (glibc's heap high-water marks, with
  MALLOC_ARENA_MAX=2 in the subprocess), so the ratio is of the medians over runs, with the range of the
  per-pair ratios. Within 10%: the 4x median at most 1.1 times the once median;
- the root trajectory's error: the mean distance between the pelvis and the true one, the camera above the origin
  (the true camera is in the pose file's metadata), after the one scale a wrong stature or focal length would
  cause, and the mean depth error (+: too far). The assumed stature is skeleton.DEFAULT_HEIGHT; "motion, true
  stature" is the motion of the same lifts told the rendered body's (what `poselift video --height` gives: a lift
  scales with the stature it is given);
- the temporal models compared on the same per-frame lifts: none, One-Euro (its defaults; tuned on the video
  alone; tuned among settings that keep fast motion), the Rauch-Tung-Striebel smoother (what
  core/motion/animate.py uses).
`--tune` prints the grids the temporal models' constants were chosen on (see `tune`): the `--long` video's
frames after the short one's (the same clip played further; the short video's frames are never tuned on), and a
real fast Mixamo clip (test_freebvh.bvh) with and without noise, to keep fast motion.
Prints tables and one JSON line.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))

from make_test_video import cached_test_video  # noqa: E402

from poselift.core import skeleton  # noqa: E402
from poselift.core.formats.posefile import read_pose_file  # noqa: E402
from poselift.core.lift import metrics  # noqa: E402
from poselift.core.motion import animate, contacts, root_motion, temporal  # noqa: E402

NAMES = skeleton.POSELIFT.joints
H36M = [NAMES.index(n) for n in skeleton.H36M_17.joints]
FEET = [[NAMES.index(f"{s}_{p}") for p in ("ankle", "heel", "toe")] for s in ("left", "right")]
ONE_EURO_VIDEO = {"min_cutoff_hz": 0.1, "beta": 0.3}  # One-Euro's best on the tuning frames: loses fast motion
ONE_EURO_KEEPS = {"min_cutoff_hz": 1.0, "beta": 30.0}  # its best among the settings that keep fast motion
RTS_GRID = (0.3, 1.0, 3.0, 10.0, 30.0, 100.0)
ROOT_GRID = (0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
ONE_EURO_GRID = [(c, b) for c in (0.1, 0.3, 1.0, 3.0) for b in (0.3, 1.0, 3.0, 10.0, 30.0)]
FAST_NOISE_M = 0.02  # metres: white noise whose jitter is about the per-frame lifts' own (`tune` prints both)
KEPT_MM = 5.0  # a smoother keeps fast motion when it moves clean fast samples by less than this,
NEARER = 2 / 3  # and brings noisy fast samples at least a third nearer the truth


def run_video(video: Path, out: Path, threads: int, repeat: int) -> None:
    """`poselift video`'s pipeline on one video read `repeat` times over as one stream (the subprocess's job):
    the chosen track's per-frame lifts, its motion, time and memory -> out."""
    from poselift.core.lift.lifting import Lifter
    from poselift.core.nets.pose2d import PoseEstimator
    from poselift.core.nets.weights import DEFAULT_VARIANT
    from poselift.core.video.tracking import PoseTracker
    from poselift.core.video.video_io import probe_video
    from poselift.core.video.video_poses import choose_track, track_video, video_pose_sequence

    torch.set_num_threads(threads)
    began = time.perf_counter()
    estimator = PoseEstimator(variant=DEFAULT_VARIANT)
    tracker, lifter = PoseTracker(estimator), Lifter(lifter="fit")  # the fit: the cascade learned this clip
    loaded = time.perf_counter()
    info = probe_video(video)
    stream = RepeatedFrames(info, repeat)
    tracked = track_video(stream, tracker, lifter)
    lifted = time.perf_counter()
    track = choose_track(tracked, None, str(video))
    pose = video_pose_sequence(tracked, track, info=info, nominal_fps=info.fps, model=DEFAULT_VARIANT,
                               lifted_with=lifter.description, height=lifter.height, focal_px=None, start=0.0,
                               end=None)  # fmt: skip
    done = time.perf_counter()
    joints3d, joints2d, confidence, found = tracked.tracks[track].arrays(tracked.frames)
    np.savez(out, joints3d=joints3d, joints2d=joints2d, confidence=confidence, found=found, fps=pose.fps,
             size=np.array(info.size), motion=pose.joints3d[:, 0], root=pose.root[:, 0], tracks=len(tracked.tracks),
             load_s=loaded - began, lift_s=lifted - loaded, motion_s=done - lifted, resident_mb=stream.resident_mb,
             peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)  # fmt: skip


class RepeatedFrames:
    """The frames of a whole probed video read `repeat` times over as one stream, as `track_video` reads a
    `VideoFrames`: each reading's frame numbers and times carry on from the previous one's. `resident_mb` gets the
    MB resident as each reading ends (when the batch after its last one is asked for: its last one is done)."""

    def __init__(self, info, repeat: int):
        self.info, self.repeat, self.truncated = info, repeat, False
        self.resident_mb: list[float] = []

    @property
    def expected(self) -> int:
        """Frames the stream should hold, from the container's count."""
        return self.info.frames * self.repeat

    def __iter__(self):
        from poselift.core.video.video_io import VideoFrames

        shift = 0  # frames read before this reading
        for _ in range(self.repeat):
            frames = VideoFrames(self.info)
            for batch in frames:
                yield dataclasses.replace(batch, index=batch.index + shift, time=batch.time + shift / self.info.fps)
            self.truncated |= frames.truncated
            shift += frames.read
            self.resident_mb.append(_resident_mb())


def _resident_mb() -> float:
    """MB resident now (Linux's /proc/self/statm; NaN elsewhere)."""
    try:
        return int(Path("/proc/self/statm").read_text().split()[1]) * resource.getpagesize() / 2**20
    except OSError:
        return float("nan")


def measure(video: Path, threads: int, repeat: int = 1) -> dict:
    """run_video in a fresh interpreter; its arrays and figures."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "run.npz"
        command = [sys.executable, __file__, "--run", str(video), str(out), "--threads", str(threads),
                   "--repeat", str(repeat)]  # fmt: skip
        # One malloc arena per thread type keeps the allocator's high-water marks from moving run to run.
        subprocess.run(command, check=True, env={**os.environ, "MALLOC_ARENA_MAX": "2"})
        with np.load(out) as data:
            return {key: data[key] for key in data.files}


def true_stature(truth: np.ndarray) -> float:
    """Metres: the rendered body's stature, the median over frames of skeleton.stature of the (F, 27, 3) true joints
    (the measure the motion is scaled by)."""
    heights = skeleton.stature(truth[:, H36M])
    return float(np.median(heights))


def ground_truth(pose_file: Path) -> tuple[np.ndarray, np.ndarray]:
    """(F, 27, 3) true joints with the camera above the origin (the floor at Z = 0), and (F, 2) true contacts."""
    truth = read_pose_file(pose_file)
    camera = np.array(truth.metadata["camera"]["location"])
    joints = truth.joints3d[:, 0].astype(np.float64) - [camera[0], camera[1], 0.0]
    return joints, contacts.foot_contacts(joints, NAMES, truth.fps, 0.0)


def per_frame_world(run: dict) -> np.ndarray:
    """(F, 27, 3) each frame's lift placed by its own root, the floor at the median lowest foot: no temporal model."""
    size, focal = tuple(int(v) for v in run["size"]), root_motion.default_focal(tuple(run["size"]))
    joints3d = run["joints3d"].astype(np.float64)
    relative = joints3d - joints3d[:, animate.PELVIS : animate.PELVIS + 1]
    relative = root_motion.face_the_camera_ray(relative, np.nan_to_num(run["joints2d"][:, animate.PELVIS]), focal, size)
    world = relative + root_motion.place_poses(relative, run["joints2d"], run["confidence"], focal, size)[:, None]
    return world - [0.0, 0.0, contacts.floor_height(world, NAMES, animate.FLOOR_PERCENTILE)]


def errors_mm(poses: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    """(PA-MPJPE, N-MPJPE) in mm on the 17 joints, over frames where the poses are finite."""
    seen = np.isfinite(poses[:, H36M]).all(axis=(1, 2))
    p, t = poses[seen][:, H36M], truth[seen][:, H36M]
    relative = p - p[:, :1], t - t[:, :1]
    return 1000 * metrics.pa_mpjpe(p, t), 1000 * metrics.scaled_mpjpe(*relative)


def jitter(joints: np.ndarray, fps: float) -> float:
    """m/s^2: mean |second difference| * fps^2 over the finite joints of (F, J, 3) joints."""
    acceleration = np.linalg.norm(np.diff(joints, 2, axis=0), axis=-1) * fps**2
    return float(np.nanmean(acceleration))


def skating(joints: np.ndarray, planted: np.ndarray, fps: float) -> float:
    """m/s: mean horizontal speed of the foot points while (F, 2) `planted`, left and right."""
    speeds = []
    for side, points in enumerate(FEET):
        speed = np.linalg.norm(np.diff(joints[:, points, :2], axis=0), axis=-1) * fps  # (F-1, 3)
        both = planted[1:, side] & planted[:-1, side]
        speeds.append(speed[both].ravel())
    return float(np.nanmean(np.concatenate(speeds)))


def root_errors(root: np.ndarray, truth: np.ndarray) -> tuple[float, float, float]:
    """m: mean distance of (F, 3) roots from the true pelvis, as they are and after their best common scale about
    the camera's horizontal position (the floor stays put); and their mean depth error (Y, + farther)."""
    true_root = truth[:, animate.PELVIS]
    seen = np.isfinite(root).all(axis=1)
    r, t = root[seen], true_root[seen]
    scale = np.sum(r[:, :2] * t[:, :2]) / np.sum(r[:, :2] ** 2)
    scaled = np.concatenate([scale * r[:, :2], r[:, 2:]], axis=1)
    depth = float((r[:, 1] - t[:, 1]).mean())
    return float(np.linalg.norm(r - t, axis=1).mean()), float(np.linalg.norm(scaled - t, axis=1).mean()), depth


def smoother_rows(run: dict, truth: np.ndarray, frames: slice) -> dict[str, dict]:
    """The temporal models on the same per-frame lifts (animate.steady_poses, root-relative), judged on `frames`."""
    joints3d = run["joints3d"].astype(np.float64)
    relative = joints3d - joints3d[:, animate.PELVIS : animate.PELVIS + 1]
    missing = animate.gaps(run["found"], round(animate.MAX_GAP_S * float(run["fps"])))[1]
    models = {"per frame": None, "bones only": lambda t, f: t,
              "one_euro (1 Hz, beta 10)": temporal.one_euro,
              "one_euro tuned on video": functools.partial(temporal.one_euro, **ONE_EURO_VIDEO),
              "one_euro keeping fast": functools.partial(temporal.one_euro, **ONE_EURO_KEEPS),
              "rts (motion's)": temporal.rts_smooth}  # fmt: skip
    truth_relative = truth - truth[:, animate.PELVIS : animate.PELVIS + 1]
    rows = {}
    for name, smooth in models.items():
        poses = relative if smooth is None else animate.steady_poses(relative, missing, float(run["fps"]), smooth)
        pa, n = errors_mm(poses[frames], truth_relative[frames])
        rows[name] = {"pa_mpjpe_mm": pa, "n_mpjpe_mm": n, "jitter_m_s2": jitter(poses[frames], float(run["fps"]))}
    return rows


def fast_clip() -> tuple[np.ndarray, float]:
    """(F, J, 3) metres, the Mixamo clip test_freebvh.bvh (a fast motion), and its fps."""
    from fetch_assets import fetch

    from poselift.core.formats.bvh import read_bvh
    from poselift.core.formats.mocap_names import pose_from_bvh

    clip = pose_from_bvh(read_bvh(fetch(["test_freebvh.bvh"])[0]))
    joints = clip.joints3d[:, 0].astype(np.float64)
    return joints[:, np.isfinite(joints[0, :, 0])], clip.fps


def fast_motion_mm(smooth, joints: np.ndarray, fps: float) -> tuple[float, float, float]:
    """mm on the fastest 5% of the samples of (F, J, 3) `joints`: the error `smooth(track, fps)` makes on them
    clean, with FAST_NOISE_M of Gaussian noise, and that of the noise itself."""
    speed = np.linalg.norm(np.gradient(joints, axis=0), axis=-1) * fps
    fast = speed >= np.percentile(speed, 95)
    noisy = joints + np.random.default_rng(0).normal(0, FAST_NOISE_M, joints.shape)

    def error(track):
        return 1000 * float(np.linalg.norm(track - joints, axis=-1)[fast].mean())

    return error(smooth(joints, fps)), error(smooth(noisy, fps)), error(noisy)


def tune(run: dict, truth: np.ndarray, frames: slice) -> dict:
    """The grids the constants were chosen on, printed; the choice. A smoother keeps fast motion when it moves
    the fast samples of the clean Mixamo clip by under KEPT_MM and brings its noisy ones a third nearer the truth (a
    smoother that only does no harm there is not smoothing fast motion, it is blurring it); of those,
    the one of least PA-MPJPE on `frames` of the lifted video is chosen (the root: of least root error, then
    jitter, among those that keep the clip's pelvis)."""
    fps = float(run["fps"])
    joints3d = run["joints3d"].astype(np.float64)
    relative = joints3d - joints3d[:, animate.PELVIS : animate.PELVIS + 1]
    missing = animate.gaps(run["found"], round(animate.MAX_GAP_S * fps))[1]
    truth_relative = truth - truth[:, animate.PELVIS : animate.PELVIS + 1]
    clip, clip_fps = fast_clip()
    candidates = {f"rts accel_noise={q}": functools.partial(temporal.rts_smooth, accel_noise=q) for q in RTS_GRID}
    candidates |= {f"one_euro min_cutoff_hz={c} beta={b}": functools.partial(temporal.one_euro, min_cutoff_hz=c, beta=b)
                   for c, b in ONE_EURO_GRID}  # fmt: skip
    print(f"\ntuning: PA-MPJPE (mm) and jitter (m/s^2) on frames {frames.start}..{frames.stop} of the long video;")
    print(f"on the Mixamo clip's fastest 5%: error clean, noisy ({FAST_NOISE_M * 100:g} cm) and of the noise (mm)")
    noise = np.random.default_rng(0).normal(0, FAST_NOISE_M, relative[frames].shape)
    print(f"jitter (m/s^2) of that noise at {fps:g} fps {jitter(noise, fps):.2f}, of the per-frame lifts on these "
          f"frames {jitter(relative[frames], fps):.2f}")
    scores = {}
    for name, smooth in candidates.items():
        poses = animate.steady_poses(relative, missing, fps, smooth)[frames]
        pa = errors_mm(poses, truth_relative[frames])[0]
        clean, noisy, noise = fast_motion_mm(smooth, clip - clip[:, :1], clip_fps)
        kept = clean < KEPT_MM and noisy < NEARER * noise
        scores[name] = pa if kept else np.inf
        print(f"  {name:38s} {pa:6.1f} {jitter(poses, fps):7.2f}   {clean:6.1f} {noisy:6.1f} {noise:6.1f}"
              f"  {'keeps' if kept else 'loses'} fast motion")  # fmt: skip
    root, raw = {}, per_frame_world(run)[:, animate.PELVIS]
    for q in ROOT_GRID:
        placed = np.where(missing[:, None], np.nan, temporal.rts_smooth(raw[:, None], fps, q)[:, 0])
        error, shake = root_errors(placed[frames], truth[frames])[0], jitter(placed[frames, None], fps)
        smooth = functools.partial(temporal.rts_smooth, accel_noise=q)
        clean, noisy, noise = fast_motion_mm(smooth, clip[:, :1], clip_fps)
        kept = clean < KEPT_MM and noisy < NEARER * noise
        root[q] = (round(error, 2), shake) if kept else (np.inf, np.inf)
        print(f"  root rts accel_noise={q:<6} error {error:.3f} m, jitter {shake:6.2f}   {clean:6.1f} {noisy:6.1f} "
              f"{noise:6.1f}  {'keeps' if kept else 'loses'} fast motion")  # fmt: skip
    best = {"relative": min(scores, key=scores.get), "root_accel_noise": min(root, key=root.get)}
    print(f"  chosen: {best}")
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="the short video's length (default 3)")
    parser.add_argument("--repeat", type=int, default=4, help="times the video is read over for memory (default 4)")
    parser.add_argument("--long", type=float, default=12.0,
                        help="the length of the video for speed, memory and tuning (default 12)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each for speed and memory (default 3)")
    parser.add_argument("--tune", action="store_true", help="print the grids the temporal constants were chosen on")
    parser.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    parser.add_argument("--run", nargs=2, type=Path, metavar=("VIDEO", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        run_video(*args.run, args.threads, args.repeat)
        return
    short_video, short_truth = cached_test_video(seconds=args.seconds)
    short = measure(short_video, args.threads)
    long_video, long_truth = cached_test_video(seconds=args.long)
    once = [measure(long_video, args.threads) for _ in range(args.runs)]
    repeated = [measure(long_video, args.threads, args.repeat) for _ in range(args.runs)]
    truth, planted = ground_truth(short_truth)
    fps = float(short["fps"])
    before, after = per_frame_world(short), short["motion"].astype(np.float64)
    stature = true_stature(truth)
    told = animate.animate_track(short["joints3d"], short["joints2d"], short["confidence"], short["found"], fps=fps,
                                image_size=tuple(int(v) for v in short["size"]), height=stature)  # fmt: skip

    def relative(joints):
        return joints - joints[:, animate.PELVIS : animate.PELVIS + 1]

    rows = {
        "per frame": (before, before[:, animate.PELVIS]),
        "motion": (after, short["root"].astype(np.float64)),
        "motion, true stature": (told.joints3d.astype(np.float64), told.root.astype(np.float64)),
        "ground truth": (truth, truth[:, animate.PELVIS]),
    }
    table = {}
    for name, (joints, root) in rows.items():
        pa, n = errors_mm(joints, truth)
        placed, placed_scaled, depth_bias = root_errors(root, truth)
        table[name] = {"pa_mpjpe_mm": pa, "n_mpjpe_mm": n, "jitter_relative_m_s2": jitter(relative(joints), fps),
                       "jitter_world_m_s2": jitter(joints, fps), "foot_skating_m_s": skating(joints, planted, fps),
                       "root_error_m": placed, "root_error_scaled_m": placed_scaled,
                       "root_depth_bias_m": depth_bias}  # fmt: skip
    print(
        f"{short_video.parent.name}: {len(truth)} frames at {fps:g} fps, person found in "
        f"{short['found'].mean():.0%}; stature assumed {skeleton.DEFAULT_HEIGHT:g} m, the body's {stature:.3f} m"
    )
    columns = list(table["motion"])
    print(f"{'':21s}" + "".join(f"{c:>21s}" for c in columns))
    for name, row in table.items():
        print(f"{name:21s}" + "".join(f"{row[c]:21.3f}" for c in columns))

    models = smoother_rows(short, truth, slice(0, len(truth)))
    print("\ntemporal models on the same per-frame lifts (root-relative)")
    for name, row in models.items():
        print(f"  {name:28s} PA-MPJPE {row['pa_mpjpe_mm']:6.1f} mm  N-MPJPE {row['n_mpjpe_mm']:6.1f} mm  "
              f"jitter {row['jitter_m_s2']:6.2f} m/s^2")  # fmt: skip

    speed = {}
    print(f"\nend to end on the {args.long:g} s video, {args.runs} runs each (poselift video: VideoFrames, PoseTracker "
          "on BlazePose full, Lifter, video_pose_sequence); medians over runs [min, max]")  # fmt: skip
    for name, runs in (("once", once), (f"{args.repeat}x", repeated)):
        frames = len(runs[0]["found"])
        seconds = [float(run["lift_s"] + run["motion_s"]) for run in runs]
        fps = [frames / t for t in seconds]
        motion_share = [float(run["motion_s"]) / t for run, t in zip(runs, seconds, strict=True)]
        peaks = [float(run["peak_rss_mb"]) for run in runs]
        speed[name] = {"frames": frames, "fps": statistics.median(fps),
                       "realtime": statistics.median(fps) / float(runs[0]["fps"]),
                       "motion_share": statistics.median(motion_share),
                       "load_s": statistics.median(float(run["load_s"]) for run in runs),
                       "peak_rss_mb": statistics.median(peaks), "peak_rss_mb_runs": peaks,
                       "resident_mb": statistics.median(float(run["resident_mb"][-1]) for run in runs),
                       "resident_by_reading_mb": runs[0]["resident_mb"].tolist(),
                       "tracks": int(runs[0]["tracks"])}  # fmt: skip
        s = speed[name]
        print(f"  {name:6s} {frames:5d} frames  {s['fps']:6.2f} fps [{min(fps):.2f}, {max(fps):.2f}] "
              f"({s['realtime']:.2f} x real time, the motion {s['motion_share']:.1%}, {s['tracks']} tracks)  "
              f"peak RSS {s['peak_rss_mb']:.0f} MB [{min(peaks):.0f}, {max(peaks):.0f}], "
              f"resident after the stream {s['resident_mb']:.0f} MB")  # fmt: skip
    long_name = f"{args.repeat}x"
    memory_ratio = speed[long_name]["peak_rss_mb"] / speed["once"]["peak_rss_mb"]
    pairs = zip(speed["once"]["peak_rss_mb_runs"], speed[long_name]["peak_rss_mb_runs"], strict=True)
    pair_ratios = [b / a for a, b in pairs]
    resident_ratio = speed[long_name]["resident_mb"] / speed["once"]["resident_mb"]
    readings = ", ".join(f"{m:.0f}" for m in speed[long_name]["resident_by_reading_mb"])
    print(f"  {args.repeat}x as long / once: peak memory {memory_ratio:.3f} [{min(pair_ratios):.3f}, "
          f"{max(pair_ratios):.3f}], resident {resident_ratio:.3f}; resident as each reading ends (first run) "
          f"{readings} MB")  # fmt: skip

    if args.tune:
        long_truth_joints, _ = ground_truth(long_truth)
        tune(once[0], long_truth_joints, slice(len(truth), len(long_truth_joints)))

    motion_row, frame_row = table["motion"], table["per frame"]
    verdict = {
        "pa_mpjpe_not_raised": motion_row["pa_mpjpe_mm"] <= frame_row["pa_mpjpe_mm"],
        "jitter_halved": motion_row["jitter_relative_m_s2"] <= frame_row["jitter_relative_m_s2"] / 2
        and motion_row["jitter_world_m_s2"] <= frame_row["jitter_world_m_s2"] / 2,
        "peak_memory_within_10pct": memory_ratio <= 1.1,
        "resident_memory_within_10pct": resident_ratio <= 1.1,
    }
    print(f"\nacceptance: {verdict}")
    print(json.dumps({"bench": "video", "video_s": args.seconds, "repeat": args.repeat, "true_stature_m": stature,
                      "table": table, "temporal_models": models, "speed": speed, "memory_ratio": memory_ratio,
                      "memory_ratio_range": [min(pair_ratios), max(pair_ratios)], "resident_ratio": resident_ratio,
                      **verdict},
                     default=float))  # fmt: skip


if __name__ == "__main__":
    main()
