"""The main job: a video of a person -> 3D motion in a pose file and a BVH -> an animated armature in a .blend.

    python scripts/demo.py [--video FILE] [--out DIR]

Without --video it uses the project's own test video (scripts/make_test_video.py: a real mocap clip played by
the CC0 anny body, rendered by Blender; made once under .cache/test-video/ and reused), whose
exact ground truth it then measures the result against. It runs `poselift video` on it (BlazePose in PyTorch,
the 3D pose model, the temporal model) to write DIR/demo.npz and DIR/demo.bvh, then scripts/poselift_blender.py
with this same Python to save DIR/demo.blend. DIR defaults to out/ at the repository root. Any failure prints
one sentence and exits 1.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))

from fetch_assets import AssetError  # noqa: E402
from make_test_video import cached_test_video  # noqa: E402

from poselift.core import skeleton  # noqa: E402
from poselift.core.cli.main import main as poselift  # noqa: E402
from poselift.core.formats.posefile import PoseFileError, read_pose_file  # noqa: E402
from poselift.core.lift.metrics import pa_mpjpe  # noqa: E402

H36M = [skeleton.POSELIFT.index(name) for name in skeleton.H36M_17.joints]


def run(video: Path | None, out: Path) -> Path:
    """Write DIR/demo.npz, DIR/demo.bvh and DIR/demo.blend from `video` (None: the test video); the .blend."""
    truth = None
    if video is None:
        print("the test video (rendered on first use, about a minute; cached under .cache/test-video/) ...", flush=True)
        video, truth = cached_test_video(seconds=3.0)
    out.mkdir(parents=True, exist_ok=True)
    posefile, bvh = out / "demo.npz", out / "demo.bvh"
    if poselift(["video", str(video), "-o", str(posefile), "--bvh", str(bvh)]) != 0:
        raise RuntimeError(f"poselift video could not turn {video} into a motion (said above)")
    if truth is not None:
        print(_accuracy(read_pose_file(posefile), read_pose_file(truth)))
    blend = out / "demo.blend"
    script = REPO / "scripts" / "poselift_blender.py"
    command = [sys.executable, str(script), str(posefile), "-o", str(blend)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        lines = [ln for ln in done.stderr.splitlines() if ln.strip()] or [f"exit status {done.returncode}"]
        raise RuntimeError(f"{script.name} could not make {blend}: {lines[-1].strip()}")
    print(f"wrote {blend}: an armature animated over the video's frames (open it in Blender, press play)")
    return blend


def _accuracy(result, truth) -> str:
    """One line: the result's PA-MPJPE against the rendered body's exact joints, 17 Human3.6M joints, mm."""
    ours, exact = result.joints3d[:, 0][:, H36M], truth.joints3d[:, 0][:, H36M]
    seen = np.isfinite(ours).all(axis=(1, 2)) & np.isfinite(exact).all(axis=(1, 2))
    error = pa_mpjpe(ours[seen], exact[seen]) * 1000
    return f"against the rendered body's exact joints: PA-MPJPE {error:.0f} mm over {seen.sum()} frames (17 joints)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--video", type=Path, help="video to animate (default: the project's rendered test video)")
    parser.add_argument("--out", type=Path, default=REPO / "out", help="output folder (default: out/)")
    args = parser.parse_args(argv)
    try:
        run(args.video, args.out)
    except (AssetError, PoseFileError, RuntimeError, OSError) as e:
        print(f"demo: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
