"""scripts/poselift_blender.py retargeting onto a rig from a file and exporting with Blender's own exporters."""

from __future__ import annotations

import os
import subprocess
import sys

import rig_builders
from pose_samples import walking_sequence
from retarget_checks import angle_deg, evaluated_bones
from scene_checks import REPO

from poselift.core.formats.posefile import write_pose_file
from poselift.core.skeleton import POSELIFT

SCRIPT = REPO / "scripts" / "poselift_blender.py"


def _run(blender, *args):
    env = {**os.environ, "BLENDER_USER_RESOURCES": str(blender.user_resources)}
    return subprocess.run([sys.executable, str(SCRIPT), *map(str, args)], capture_output=True, text=True, env=env)


def _forearm_error(bpy, obj, bone: str, pose, frame: int, offset: int = 0) -> float:
    head, tail, _ = evaluated_bones(bpy, obj, frame + offset)[bone]
    joints = pose.joints3d[frame - 1, 0]
    want = joints[POSELIFT.index("left_wrist")] - joints[POSELIFT.index("left_elbow")]
    return float(angle_deg(tail - head, want))


def test_a_rig_in_a_blend_is_retargeted_saved_and_exported_as_fbx(blender, scene, asset, tmp_path):
    bpy = blender.bpy
    rig_builders.mpfb_rig(bpy, asset(rig_builders.MPFB_RIGS["game_engine"]), "mannequin")
    rig_file = tmp_path / "mannequin.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(rig_file), copy=True)
    pose = walking_sequence(20)
    posefile = write_pose_file(tmp_path / "walk.npz", pose)
    out, fbx = tmp_path / "walk.blend", tmp_path / "walk.fbx"
    done = _run(blender, posefile, "--target", rig_file, "--rig", "ue4", "-o", out, "--export", fbx)
    assert done.returncode == 0, done.stderr
    assert "target armature: mannequin" in done.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mannequin.blend", "walk.blend", "walk.fbx", "walk.npz"]

    bpy.ops.wm.open_mainfile(filepath=str(out))
    obj = bpy.data.objects["mannequin"]
    assert obj.animation_data.action.name == "mannequin_walk"
    assert _forearm_error(bpy, obj, "lowerarm_l", pose, 11) < 1.0

    bpy.ops.wm.read_factory_settings(use_empty=True)
    bpy.ops.import_scene.fbx(filepath=str(fbx))
    (imported,) = [o for o in bpy.data.objects if o.type == "ARMATURE"]
    first, last = imported.animation_data.action.frame_range
    assert last - first == 19, "20 frames (FBX's importer may start them one frame later)"
    assert _forearm_error(bpy, imported, "lowerarm_l", pose, 11, offset=int(first) - 1) < 1.0


def test_a_bvh_rig_is_retargeted_and_exported_as_bvh_and_gltf(blender, scene, asset, tmp_path):
    pose = walking_sequence(16)
    posefile = write_pose_file(tmp_path / "walk.npz", pose)
    for out in (tmp_path / "walk.bvh", tmp_path / "walk.glb", tmp_path / "walk.gltf"):
        done = _run(blender, posefile, "--target", asset("test_freebvh.bvh"), "--export", out)
        assert done.returncode == 0, done.stderr
    assert (tmp_path / "walk.glb").read_bytes()[:4] == b"glTF"
    assert (tmp_path / "walk.bin").is_file(), "the .gltf's buffer beside it"
    assert not [p for p in tmp_path.iterdir() if ".part" in p.name]
    bpy = blender.bpy
    # Blender's BVH exporter writes its own axes (Z up), so read it back without turning it.
    bpy.ops.import_anim.bvh(filepath=str(tmp_path / "walk.bvh"), axis_forward="Y", axis_up="Z")
    obj = bpy.context.active_object
    assert tuple(obj.animation_data.action.frame_range) == (1.0, 16.0)
    errors = [_forearm_error(bpy, obj, "mixamorig:LeftForeArm", pose, f) for f in (1, 8, 16)]
    assert max(errors) < 1.0


def test_a_target_with_no_recognisable_bones_fails_in_one_sentence_and_writes_nothing(blender, scene, tmp_path):
    bpy = blender.bpy
    bpy.ops.object.armature_add()
    rig_file = tmp_path / "stick.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(rig_file), copy=True)
    posefile = write_pose_file(tmp_path / "walk.npz", walking_sequence(4))
    done = _run(blender, posefile, "--target", rig_file, "--export", tmp_path / "walk.fbx", "-o", tmp_path / "o.blend")
    assert done.returncode == 1
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("poselift_blender.py: Armature has no bones PoseLift recognises")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["stick.blend", "walk.npz"]


def test_of_a_metarig_and_the_rig_rigify_generated_from_it_the_generated_rig_is_retargeted(blender, scene, tmp_path):
    bpy = blender.bpy
    rig = rig_builders.rigify_generated(bpy)  # the metarig stays in the file, hidden
    rig_file = tmp_path / "rigify.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(rig_file), copy=True)
    posefile = write_pose_file(tmp_path / "walk.npz", walking_sequence(4))
    done = _run(blender, posefile, "--target", rig_file, "-o", tmp_path / "walk.blend")
    assert done.returncode == 0, done.stderr
    assert f"target armature: {rig.name}\n" in done.stdout
