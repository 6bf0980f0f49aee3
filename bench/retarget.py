"""Retargeting speed: PoseLift's path (rest-aware maths on arrays + bulk keys) against constraints and a bake
(COPY_ROTATION constraints to an animated source armature, then `nla.bake` with visual keying, as Rokoko's
retargeter does), on the same motion and the same rig in one bpy process.

    python bench/retarget.py [--frames 10000]

The rig is the Mixamo armature Blender's BVH importer makes from bvhtoolbox's test_freebvh.bvh (55 bones, 22
of them mapped); the motion is bvhtoolbox's Mocapbank walk repeated to the frame count. The reference's source
armature is made by PoseLift's own pose import (bulk keys), timed apart and left out of its total. The table
gives seconds; the last line is JSON with the ratio (the target is at least 10x).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import bpy
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))

from fetch_assets import asset_path  # noqa: E402

from poselift.addon import bone_mapping, pose_import, retargeting  # noqa: E402
from poselift.core.formats.bvh import read_bvh  # noqa: E402
from poselift.core.formats.mocap_names import pose_from_bvh  # noqa: E402
from poselift.core.formats.posefile import PoseSequence, write_pose_file  # noqa: E402
from poselift.rigs.roles import ROLE_BY_NAME  # noqa: E402


def long_walk(frames: int) -> PoseSequence:
    """The Mocapbank walk repeated to `frames`, each repeat carried on from where the last one ended."""
    clip = pose_from_bvh(read_bvh(asset_path("test_mocapbank.bvh")))
    walk = clip.joints3d[:, 0].astype(np.float64)
    pelvis = clip.joint_names.index("pelvis")
    step = walk[-1, pelvis] - walk[0, pelvis]
    step[2] = 0.0
    repeats = -(-frames // len(walk))
    joints = np.concatenate([walk + k * step for k in range(repeats)])[:frames]
    return PoseSequence.from_joints3d(joints, clip.joint_names, fps=clip.fps, source="Mocapbank walk, repeated")


def target_rig() -> bpy.types.Object:
    bpy.ops.import_anim.bvh(filepath=str(asset_path("test_freebvh.bvh")), global_scale=0.01)
    obj = bpy.context.active_object
    obj.animation_data_clear()
    return obj


def constraint_bake(rig: bpy.types.Object, source: bpy.types.Object, bones: dict[str, str], frames: int) -> None:
    """The reference: each mapped bone copies the world rotation of the source bone along the same limb (the
    hips its location too), then nla.bake keys every frame visually and removes the constraints."""
    for role, bone in bones.items():
        tail = ROLE_BY_NAME[role].tail
        if tail and tail[0] in source.pose.bones:
            constraint = rig.pose.bones[bone].constraints.new("COPY_ROTATION")
            constraint.target, constraint.subtarget = source, tail[0]
    hips = rig.pose.bones[bones["hips"]].constraints.new("COPY_LOCATION")
    hips.target, hips.subtarget = source, "pelvis"
    bpy.context.view_layer.objects.active = rig
    bpy.ops.object.mode_set(mode="POSE")
    for pose_bone in rig.pose.bones:
        pose_bone.select = pose_bone.name in bones.values()
    bpy.ops.nla.bake(
        frame_start=1, frame_end=frames, only_selected=True, visual_keying=True, clear_constraints=True,
        bake_types={"POSE"},
    )  # fmt: skip
    bpy.ops.object.mode_set(mode="OBJECT")


def measure(frames: int, folder: Path) -> dict:
    pose = long_walk(frames)
    path = write_pose_file(folder / "walk.npz", pose)
    context = bpy.context

    ours = target_rig()
    bones = bone_mapping.best_match(ours).bones
    start = time.perf_counter()
    plan = retargeting.plan_retarget(ours, path)
    maths_s = time.perf_counter() - start
    start = time.perf_counter()
    retargeting.retarget_pose(context, ours, path)
    ours_s = time.perf_counter() - start

    reference = target_rig()
    start = time.perf_counter()
    source = pose_import.import_pose(context, path)
    source_s = time.perf_counter() - start
    start = time.perf_counter()
    constraint_bake(reference, source, bones, frames)
    bake_s = time.perf_counter() - start
    return {
        "bones": len(ours.data.bones),
        "mapped": len(bones),
        "frames": frames,
        "curves": len(plan.curves),
        "poselift_maths_s": maths_s,
        "poselift_total_s": ours_s,
        "reference_source_import_s": source_s,
        "reference_bake_s": bake_s,
        "ratio": bake_s / ours_s,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=10_000)
    args = parser.parse_args()
    bpy.ops.wm.read_factory_settings(use_empty=True)
    import poselift

    poselift.register()
    with tempfile.TemporaryDirectory(prefix="poselift-bench-") as tmp:
        r = measure(args.frames, Path(tmp))
    print(f"Blender {bpy.app.version_string}: retargeting {r['frames']} frames onto {r['bones']} bones, seconds")
    print(f"{'path':<44} {'seconds':>9}")
    print(f"{'PoseLift: read + maths alone':<44} {r['poselift_maths_s']:>9.2f}")
    print(f"{'PoseLift: read + maths + bulk keys (total)':<44} {r['poselift_total_s']:>9.2f}")
    print(f"{'reference: source armature (not counted)':<44} {r['reference_source_import_s']:>9.2f}")
    print(f"{'reference: constraints + nla.bake':<44} {r['reference_bake_s']:>9.2f}")
    print(f"{'ratio (reference / PoseLift)':<44} {r['ratio']:>8.1f}x")
    print(json.dumps({"bench": "retarget", "blender": bpy.app.version_string, **r, "target_ratio": 10}))


if __name__ == "__main__":
    main()
