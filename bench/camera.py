"""The camera's pitch and height as `poselift video` finds them, on rendered videos with exact truth.

    python bench/camera.py

Six test videos of TRAVEL_CLIP (the person walks towards the camera and back, 0.9 m in depth) on the 20 mm lens,
6 s at SIZE, rendered by scripts/make_test_video.py (cached under .cache/test-video/; the first run renders them,
~70 s each), the camera (pitch degrees, height metres): (0, default), (0, 1.5), (15, 1.5), (15, 2.5), (30, 2.0),
(30, 3.0). Each runs through `poselift video VIDEO -o OUT --focal-px <true focal> --progress quiet` in this process
(core/cli/main.py), the true focal given since this is about pitch and height, not the lens, twice:
- "found": the camera found (core/motion/camera.py; the default);
- "level": `--camera-pitch 0`, what the product did before (a level camera).
On the frames where the output's person (slot 0) is finite, against the truth's same frames, the truth moved into
the output's frame (camera above the origin at Z = height, floor Z = 0):
- pitch and height found (pose-file metadata["camera"]) against the true pitch_deg and height_m;
- root path: mean distance (m) of the output pelvis from the true one after one similarity transform (rotation,
  translation, uniform scale; Umeyama over the whole trajectory's points). Target <= 0.15 m;
- planted feet: on the frames core/motion/contacts.foot_contacts finds a planted foot in the truth (floor 0), the
  output's lowest foot point (ankle, heel, toe, both sides) |Z|, mean and max (m). Target max <= 0.05 m;
- floating: that lowest foot's |Z| over every frame the output has, max and 95th percentile (m);
- PA-MPJPE (mm, per frame, averaged) on the 17 Human3.6M joints. Target: each pitched video's, found, no more
  than 3 mm above the mean of the two pitch-0 videos' (found).
The targets are judged on the "found" rows; the "level" rows are the before. Then the project's default test
video (its own clip, a level camera at mid-body height) at LEVEL_SECONDS long, found: the camera against the truth
(a level camera must stay level, without roll). Then opencv-doc's vtest.avi (a street
seen from a first floor; no truth, the default focal), found and level: the camera, and the lowest foot point's
|Z| of the person tracked longest over their frames, max and 95th percentile (target: within 0.10 m). Then
ROLLED: TRAVEL_CLIP turned to walk across the picture (0.9 m, 110 px of 512; `make_test_video.py --turn 90`), the
camera 15 degrees down at 1.5 m and rolled 6, 10 and -10 degrees, and TRAVEL_CLIP as it is (towards the camera
and back) through a camera 30 degrees down at 3 m rolled 8 degrees; each found and "told" (`--camera-roll` the
true roll, the pitch found): the roll and pitch found and the row's numbers. Then ACROSS: the walk across the
picture through cameras without roll 15 and 30 degrees down (the feet do not see that pitch: the walk keeps to one
depth; the people's lean across the picture does), and a level one, each found, level (`--camera-pitch 0`) and told
the true pitch. Prints the tables, a line of which targets hold, and one JSON line.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))

from fetch_assets import asset_path  # noqa: E402
from make_test_video import SIZE, TRAVEL_CLIP, WIDE_LENS_MM, cached_test_video  # noqa: E402

from poselift.core import skeleton  # noqa: E402
from poselift.core.cli.main import main as poselift  # noqa: E402
from poselift.core.formats.posefile import read_pose_file  # noqa: E402
from poselift.core.lift import metrics  # noqa: E402
from poselift.core.motion import contacts  # noqa: E402

NAMES = skeleton.POSELIFT.joints
PELVIS = skeleton.POSELIFT.index("pelvis")
H36M = [skeleton.POSELIFT.index(n) for n in skeleton.H36M_17.joints]
FEET = [NAMES.index(f"{s}_{p}") for s in ("left", "right") for p in ("ankle", "heel", "toe")]
CAMERAS = [(0, None), (0, 1.5), (15, 1.5), (15, 2.5), (30, 2.0), (30, 3.0)]
MODES = {"found": [], "level": ["--camera-pitch", "0"]}
ROOT_TARGET_M, PLANTED_TARGET_M, PA_TARGET_MM, STREET_TARGET_M = 0.15, 0.05, 3.0, 0.10
LEVEL_SECONDS = (3.0, 10.0)  # the default test video's lengths whose level camera is checked
ROLLED = [(15, 1.5, 6.0, 90.0), (15, 1.5, 10.0, 90.0), (15, 1.5, -10.0, 90.0), (30, 3.0, 8.0, 0.0)]
"""(pitch, height, roll, turn): the camera, and the clip turned about the vertical (90: walking across)."""
ACROSS = [(15, 1.5), (30, 2.0), (30, 3.0), (0, 1.5)]
"""(pitch, height): the clip turned to walk across the picture (turn 90), a camera without roll."""


def truth_of(pose_file: Path) -> tuple[np.ndarray, np.ndarray, dict]:
    """(F, 27, 3) true joints, camera above the origin, floor Z = 0; (F,) a foot planted; the true camera."""
    truth = read_pose_file(pose_file)
    camera = truth.metadata["camera"]
    x, y = np.asarray(camera["location"], dtype=np.float64)[:2]
    joints = truth.joints3d[:, 0].astype(np.float64) - [x, y, 0.0]
    planted = contacts.foot_contacts(joints, NAMES, truth.fps, 0.0).any(axis=1)
    return joints, planted, camera


def run(video: Path, focal: float | None, extra: list[str], out: Path) -> tuple[np.ndarray, dict, float]:
    """(F, 27, 3) output joints of slot 0, its metadata camera, seconds: `poselift video` in this process (the
    focal length given, else the command's own)."""
    began = time.perf_counter()
    lens = [] if focal is None else ["--focal-px", f"{focal:.6g}"]
    status = poselift(["video", str(video), "-o", str(out), *lens, "--progress", "quiet", *extra])
    if status != 0:
        raise SystemExit(f"poselift video {video} {' '.join(extra)} failed ({status})")
    seconds = time.perf_counter() - began
    pose = read_pose_file(out)
    return pose.joints3d[:, 0].astype(np.float64), dict(pose.metadata.get("camera", {})), seconds


def root_error(pred: np.ndarray, true: np.ndarray) -> float:
    """m: mean distance of the (F, 3) pelvis path from the true one after the best similarity transform."""
    return float(np.linalg.norm(metrics.procrustes_align(pred, true) - true, axis=-1).mean())


def measure(joints: np.ndarray, camera: dict, truth: np.ndarray, planted: np.ndarray, true_cam: dict) -> dict:
    """The row's numbers on the frames the output has the person."""
    n = min(len(joints), len(truth))
    joints, truth, planted = joints[:n], truth[:n], planted[:n]
    seen = np.isfinite(joints[:, H36M + FEET]).all(axis=(1, 2))
    out, true = joints[seen], truth[seen]
    low = np.abs(out[:, FEET, 2].min(axis=1))  # (F,) the lowest foot point's |Z|
    on = planted[seen]
    return {
        "frames": int(seen.sum()), "of": n,
        "pitch": camera.get("pitch_deg"), "true_pitch": float(true_cam["pitch_deg"]),
        "height": camera.get("height_m"), "true_height": float(true_cam["height_m"]),
        "root_m": root_error(out[:, PELVIS], true[:, PELVIS]),
        "planted_mean_m": float(low[on].mean()) if on.any() else float("nan"),
        "planted_max_m": float(low[on].max()) if on.any() else float("nan"),
        "planted_frames": int(on.sum()),
        "float_max_m": float(low.max()), "float_p95_m": float(np.percentile(low, 95)),
        "pa_mpjpe_mm": 1000 * float(metrics.pa_mpjpe(out[:, H36M], true[:, H36M])),
    }  # fmt: skip


def fmt(value, spec: str) -> str:
    return "-" if value is None or not np.isfinite(value) else format(value, spec)


def table(rows: list[dict]) -> None:
    print(f"{'video (pitch, height)':<22}{'mode':<7}{'frames':>8}{'pitch':>7}{'true':>6}{'height':>8}{'true':>6}"
          f"{'root m':>8}{'plant mean':>11}{'plant max':>10}{'float max':>10}{'p95':>7}{'PA mm':>8}"
          f"{'s':>6}")  # fmt: skip
    for r in rows:
        name = f"({r['video'][0]:g}, {'default' if r['video'][1] is None else format(r['video'][1], 'g')})"
        print(f"{name:<22}{r['mode']:<7}{r['frames']:>5}/{r['of']:<3}{fmt(r['pitch'], '.1f'):>6}"
              f"{r['true_pitch']:>6.1f}{fmt(r['height'], '.2f'):>8}{r['true_height']:>6.2f}{r['root_m']:>8.3f}"
              f"{fmt(r['planted_mean_m'], '.3f'):>11}{fmt(r['planted_max_m'], '.3f'):>10}{r['float_max_m']:>10.3f}"
              f"{r['float_p95_m']:>7.3f}{r['pa_mpjpe_mm']:>8.1f}{r['seconds']:>6.0f}")  # fmt: skip


def targets(rows: list[dict]) -> dict:
    """Which targets hold on the "found" rows, and each pitched video's PA-MPJPE over the pitch-0 mean."""
    found = [r for r in rows if r["mode"] == "found"]
    level_pa = float(np.mean([r["pa_mpjpe_mm"] for r in found if r["video"][0] == 0]))
    pitched = {f"{r['video'][0]:g},{r['video'][1]}": round(r["pa_mpjpe_mm"] - level_pa, 1)
               for r in found if r["video"][0] != 0}  # fmt: skip
    return {
        "root_ok": all(r["root_m"] <= ROOT_TARGET_M for r in found),
        "planted_ok": all(r["planted_max_m"] <= PLANTED_TARGET_M for r in found),
        "pa_ok": all(d <= PA_TARGET_MM for d in pitched.values()),
        "pa_pitch0_mean_mm": round(level_pa, 1),
        "pa_over_pitch0_mm": pitched,
        "pa_found_minus_level_mm": {f"{a['video'][0]:g},{a['video'][1]}": round(a["pa_mpjpe_mm"] - b["pa_mpjpe_mm"], 1)
                                    for a, b in zip(rows[::2], rows[1::2], strict=True)},  # fmt: skip
    }


def level_videos(work: Path) -> list[dict]:
    """The default test video at each of LEVEL_SECONDS, the camera found (the default focal, the one it was
    rendered with) against its true one."""
    rows = []
    for seconds in LEVEL_SECONDS:
        video, truth_file = cached_test_video(seconds)
        _, camera, _ = run(video, None, [], work / "level.npz")
        true = read_pose_file(truth_file).metadata["camera"]
        rows.append({"seconds": seconds, "pitch": camera.get("pitch_deg"), "true_pitch": float(true["pitch_deg"]),
                     "roll": camera.get("roll_deg"),
                     "height": camera.get("height_m"), "true_height": float(true["height_m"])})  # fmt: skip
    print("\nthe default test video, a level camera")
    print(f"{'length s':>8}{'pitch':>7}{'true':>6}{'roll':>6}{'height':>8}{'true':>6}")
    for r in rows:
        print(f"{r['seconds']:>8g}{fmt(r['pitch'], '.1f'):>7}{r['true_pitch']:>6.1f}{fmt(r['roll'], '.1f'):>6}"
              f"{fmt(r['height'], '.2f'):>8}{r['true_height']:>6.2f}")  # fmt: skip
    return rows


def street(work: Path) -> list[dict]:
    """vtest.avi found and level: the camera and the longest track's lowest foot point's |Z| (m)."""
    rows = []
    for mode, extra in MODES.items():
        joints, camera, seconds = run(asset_path("vtest.avi"), None, extra, work / "street.npz")
        seen = np.isfinite(joints[:, FEET, 2]).any(axis=1)
        low = np.abs(np.nanmin(joints[seen][:, FEET, 2], axis=1))
        rows.append({"mode": mode, "pitch": camera.get("pitch_deg"), "height": camera.get("height_m"),
                     "frames": int(low.size), "float_max_m": float(low.max()),
                     "float_p95_m": float(np.percentile(low, 95)), "seconds": seconds})  # fmt: skip
    print("\nvtest.avi, the longest track")
    print(f"{'mode':<7}{'frames':>7}{'pitch':>7}{'height':>8}{'float max':>10}{'p95':>7}")
    for r in rows:
        print(f"{r['mode']:<7}{r['frames']:>7}{fmt(r['pitch'], '.1f'):>7}{fmt(r['height'], '.2f'):>8}"
              f"{r['float_max_m']:>10.3f}{r['float_p95_m']:>7.3f}")  # fmt: skip
    return rows


def rolled(work: Path) -> list[dict]:
    """The ROLLED videos, the camera found and told its roll: the roll found and `measure`'s numbers."""
    modes = {(p, h, r, t): {"found": [], "told": ["--camera-roll", f"{r:g}"]} for p, h, r, t in ROLLED}
    return turned_videos(work, modes, "rolled cameras (turn 90: the person walking across the picture)")


def across(work: Path) -> list[dict]:
    """The ACROSS videos, the camera found, level and told its pitch: `measure`'s numbers."""
    modes = {(p, h, 0.0, 90.0): {"found": [], "level": ["--camera-pitch", "0"], "told": ["--camera-pitch", f"{p:g}"]}
             for p, h in ACROSS}  # fmt: skip
    return turned_videos(work, modes, "walking across the picture (turn 90), no roll")


def turned_videos(work: Path, modes: dict[tuple, dict[str, list[str]]], title: str) -> list[dict]:
    """Each video (pitch, height, roll, turn) of `modes` run in each of its modes (name: the command's options):
    the roll found and `measure`'s numbers, printed under `title`."""
    rows = []
    for (pitch, height, roll, turn), extras in modes.items():
        video, truth_file = cached_test_video(6.0, TRAVEL_CLIP[1], SIZE, pitch=pitch, camera_height=height,
                                              clip=TRAVEL_CLIP[0], lens_mm=WIDE_LENS_MM, roll=roll,
                                              turn=turn)  # fmt: skip
        truth, planted, true_cam = truth_of(truth_file)
        for mode, extra in extras.items():
            joints, camera, seconds = run(video, float(true_cam["focal_px"]), extra, work / "turned.npz")
            row = {"video": [pitch, height, roll, turn], "mode": mode, "roll": camera.get("roll_deg"),
                   "seconds": seconds}  # fmt: skip
            rows.append(row | measure(joints, camera, truth, planted, true_cam))
    print(f"\n{title}")
    print(f"{'(pitch, height, roll, turn)':<28}{'mode':<7}{'roll':>6}{'pitch':>7}{'height':>8}{'root m':>8}"
          f"{'plant max':>10}{'float max':>10}{'PA mm':>8}")  # fmt: skip
    for r in rows:
        name = "({:g}, {:g}, {:g}, {:g})".format(*r["video"])
        print(f"{name:<28}{r['mode']:<7}{fmt(r['roll'], '.1f'):>6}{fmt(r['pitch'], '.1f'):>7}"
              f"{fmt(r['height'], '.2f'):>8}{r['root_m']:>8.3f}{fmt(r['planted_max_m'], '.3f'):>10}"
              f"{r['float_max_m']:>10.3f}{r['pa_mpjpe_mm']:>8.1f}")  # fmt: skip
    return rows


def main() -> None:
    began = time.perf_counter()
    rows = []
    with tempfile.TemporaryDirectory() as work:
        for pitch, height in CAMERAS:
            video, truth_file = cached_test_video(6.0, TRAVEL_CLIP[1], SIZE, pitch=pitch, camera_height=height,
                                                  clip=TRAVEL_CLIP[0], lens_mm=WIDE_LENS_MM)  # fmt: skip
            truth, planted, true_cam = truth_of(truth_file)
            for mode, extra in MODES.items():
                joints, camera, seconds = run(video, float(true_cam["focal_px"]), extra, Path(work) / "out.npz")
                row = {"video": [pitch, height], "mode": mode, "seconds": seconds}
                rows.append(row | measure(joints, camera, truth, planted, true_cam))
        table(rows)
        levels = level_videos(Path(work))
        streets = street(Path(work))
        rolls = rolled(Path(work))
        crossing = across(Path(work))
    held = targets(rows) | {"street_ok": streets[0]["float_max_m"] <= STREET_TARGET_M}
    print(f"targets (found): street max |Z| <= {STREET_TARGET_M} m {'holds' if held['street_ok'] else 'FAILS'}; "
          f"root <= {ROOT_TARGET_M} m {'holds' if held['root_ok'] else 'FAILS'}; "
          f"planted max |Z| <= {PLANTED_TARGET_M} m {'holds' if held['planted_ok'] else 'FAILS'}; "
          f"PA-MPJPE <= pitch-0 mean ({held['pa_pitch0_mean_mm']} mm) + {PA_TARGET_MM:g} mm "
          f"{'holds' if held['pa_ok'] else 'FAILS'} {held['pa_over_pitch0_mm']}; found - level on the same video "
          f"{held['pa_found_minus_level_mm']}")  # fmt: skip
    def rounded(table: list[dict]) -> list[dict]:
        return [{k: round(v, 4) if isinstance(v, float) else v for k, v in r.items()} for r in table]

    print(json.dumps({"bench": "camera", "rows": rounded(rows), "level_videos": levels, "street": rounded(streets),
                      "rolled": rounded(rolls), "across": rounded(crossing), **held,
                      "seconds": round(time.perf_counter() - began)}))  # fmt: skip


if __name__ == "__main__":
    main()
