"""The main job for now: a real mocap clip -> a pose file -> an animated armature saved in a .blend.

    python scripts/demo.py [--bvh CLIP.bvh] [--out DIR]

Reads a BVH clip (default: the mocapbank clip from the asset cache, fetched when missing), writes it as the
pose file DIR/demo.npz (metres, Z up), then runs scripts/poselift_blender.py with this same Python on it to
save DIR/demo.blend. DIR defaults to out/ at the repository root. Any failure prints one sentence and exits 1.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))

from fetch_assets import AssetError, asset_path  # noqa: E402

from poselift.core.bvh import BvhError, read_bvh  # noqa: E402
from poselift.core.mocap_names import pose_from_bvh  # noqa: E402
from poselift.core.posefile import PoseFileError, write_pose_file  # noqa: E402

DEFAULT_CLIP = "test_mocapbank.bvh"


def run(bvh: Path | None, out: Path) -> tuple[Path, Path]:
    """Write out/demo.npz from the clip and out/demo.blend from that; both paths."""
    clip = read_bvh(bvh or asset_path(DEFAULT_CLIP))
    pose = pose_from_bvh(clip)
    out.mkdir(parents=True, exist_ok=True)
    posefile = write_pose_file(out / "demo.npz", pose)
    head_top = pose.joints3d[0, 0, pose.joint_names.index("head_top"), 2]
    lowest = np.nanmin(pose.joints3d[0, 0, :, 2])
    print(
        f"wrote {posefile}: {clip.source}, {pose.frames} frames at {pose.fps:.3g} fps, {pose.joints} joints "
        f"({pose.metadata['bvh']['convention']} names, {pose.metadata['bvh']['unit']} -> m), "
        f"{head_top - lowest:.2f} m tall in frame 0"
    )
    blend = out / "demo.blend"
    script = REPO / "scripts" / "poselift_blender.py"
    command = [sys.executable, str(script), str(posefile), "-o", str(blend)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        lines = [ln for ln in done.stderr.splitlines() if ln.strip()] or [f"exit status {done.returncode}"]
        raise RuntimeError(f"{script.name} could not make {blend}: {lines[-1].strip()}")
    print(f"wrote {blend}: an armature animated over {pose.frames} frames")
    return posefile, blend


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bvh", type=Path, help=f"BVH clip to use (default: {DEFAULT_CLIP} from the asset cache)")
    parser.add_argument("--out", type=Path, default=REPO / "out", help="output folder (default: out/)")
    args = parser.parse_args(argv)
    try:
        run(args.bvh, args.out)
    except (AssetError, BvhError, PoseFileError, RuntimeError, OSError) as e:
        print(f"demo: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
