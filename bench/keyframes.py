"""Keying speed: PoseLift's bulk keys (keyframe_points.add + foreach_set) against per-frame keyframe_insert.

    python bench/keyframes.py [--frames 100 300 1000]

The same poses (17 joints, so 17 bones: 16 joint bones and the root) are keyed both ways on two armatures built
by the product's own code, in one bpy process; the table gives seconds and the ratio, the last line is JSON with
the ratio for 17 bones x 1,000 frames (the target is at least 50x). Both actions are read back and compared.
"""

from __future__ import annotations

import argparse
import json
import time

import bpy
import numpy as np

from poselift.addon import armature, keyframes, pose_import
from poselift.core.skeleton import H36M_17
from poselift.rigs import joint_armature

# A person standing, facing the camera (-Y): the subject's left at +X. Metres, Z up; H36M_17 order.
STANDING = np.array(
    [
        (0.0, 0.0, 0.95), (-0.1, 0.0, 0.95), (-0.1, 0.0, 0.5), (-0.1, 0.0, 0.08), (0.1, 0.0, 0.95),
        (0.1, 0.0, 0.5), (0.1, 0.0, 0.08), (0.0, 0.0, 1.2), (0.0, 0.0, 1.45), (0.0, -0.1, 1.62),
        (0.0, 0.0, 1.75), (0.18, 0.0, 1.45), (0.2, 0.0, 1.15), (0.2, 0.0, 0.9), (-0.18, 0.0, 1.45),
        (-0.2, 0.0, 1.15), (-0.2, 0.0, 0.9),
    ]
)  # fmt: skip


def moving_joints(frames: int, seed: int = 0) -> np.ndarray:
    """(F, 17, 3) metres: the standing person with every joint swaying smoothly, so bone lengths vary too."""
    rng = np.random.default_rng(seed)
    t = np.arange(frames)[:, None, None] / 30.0
    sway = 0.08 * np.sin(2 * np.pi * rng.uniform(0.3, 1.5, (17, 3)) * t + rng.uniform(0, 2 * np.pi, (17, 3)))
    return STANDING[None] + sway


def key_per_frame(obj: bpy.types.Object, rig: joint_armature.JointArmature, channels) -> None:
    """The reference: set each pose bone's channels and call keyframe_insert, frame after frame."""
    bones = [obj.pose.bones[name] for name in rig.bone_names]
    for f in range(channels.rotation.shape[0]):
        for b, pose_bone in enumerate(bones):
            if rig.is_root(b):
                pose_bone.location = channels.location[f, b]
                pose_bone.keyframe_insert("location", frame=f + 1, group=pose_bone.name)
            else:
                pose_bone.rotation_quaternion = channels.rotation[f, b]
                pose_bone.scale = channels.scale[f, b]
                pose_bone.keyframe_insert("rotation_quaternion", frame=f + 1, group=pose_bone.name)
                pose_bone.keyframe_insert("scale", index=1, frame=f + 1, group=pose_bone.name)


def curve_values(obj: bpy.types.Object, curves: list[keyframes.Curve]) -> np.ndarray:
    """(C, F) the keyed values of `curves` read back from the object's action."""
    keyed = {(fc.data_path, fc.array_index): keyframes.keys(fc)[:, 1] for fc in keyframes.object_fcurves(obj)}
    return np.array([keyed[curve.data_path, curve.index] for curve in curves])


def measure(frames: int) -> dict:
    joints = moving_joints(frames)
    rig = joint_armature.build_armature(joints, H36M_17.joints)
    channels = joint_armature.bone_channels(rig, joints)
    curves = pose_import.rig_curves(rig, channels)
    context = bpy.context
    reference_obj = armature.create_armature(context, "per_frame", rig)
    bulk_obj = armature.create_armature(context, "bulk", rig)

    start = time.perf_counter()
    key_per_frame(reference_obj, rig, channels)
    per_frame_s = time.perf_counter() - start
    start = time.perf_counter()
    keyframes.new_action(bulk_obj, "bulk", curves)
    bulk_s = time.perf_counter() - start

    difference = float(np.abs(curve_values(reference_obj, curves) - curve_values(bulk_obj, curves)).max())
    return {
        "bones": len(rig.bone_names),
        "frames": frames,
        "curves": len(curves),
        "keyframe_insert_s": per_frame_s,
        "bulk_s": bulk_s,
        "ratio": per_frame_s / bulk_s,
        "max_value_difference": difference,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, nargs="+", default=[100, 300, 1000])
    args = parser.parse_args()
    bpy.ops.wm.read_factory_settings(use_empty=True)
    rows = [measure(frames) for frames in args.frames]
    print(f"Blender {bpy.app.version_string}: keying one armature's poses, seconds")
    print(f"{'bones':>5} {'frames':>6} {'curves':>6} {'keyframe_insert':>15} {'bulk':>8} {'ratio':>7} {'max diff':>9}")
    for r in rows:
        print(
            f"{r['bones']:>5} {r['frames']:>6} {r['curves']:>6} {r['keyframe_insert_s']:>15.3f} {r['bulk_s']:>8.4f} "
            f"{r['ratio']:>6.0f}x {r['max_value_difference']:>9.1e}"
        )
    last = rows[-1]
    print(json.dumps({"bench": "keyframes", "blender": bpy.app.version_string, **last, "target_ratio": 50}))


if __name__ == "__main__":
    main()
