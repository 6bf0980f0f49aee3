"""rigs.joint_armature's account of Blender, checked against Blender: rest matrices, roll and pose evaluation."""

from __future__ import annotations

import numpy as np
from pose_samples import walking_sequence
from scene_checks import with_jittered_bones

from poselift.rigs import joint_armature


def _rig_in_blender(blender, joints, names):
    rig = joint_armature.build_armature(joints, names)
    obj = blender.module("addon.armature").create_armature(blender.bpy.context, "rig", rig)
    return rig, obj


def test_blender_keeps_the_rest_matrices_lengths_and_roll_0_of_the_rig(blender, scene):
    pose = with_jittered_bones(walking_sequence(12))
    rig, obj = _rig_in_blender(blender, pose.joints3d[:, 0], pose.joint_names)
    for b, name in enumerate(rig.bone_names):
        bone = obj.data.bones[name]
        np.testing.assert_allclose(np.array(bone.matrix_local), rig.rest[b], atol=1e-6)
        assert abs(bone.length - rig.lengths[b]) < 1e-6
        assert bone.inherit_scale == ("FULL" if rig.is_root(b) else "NONE")
    bpy = blender.bpy
    bpy.ops.object.mode_set(mode="EDIT")
    rolls = [abs(bone.roll) for bone in obj.data.edit_bones]
    bpy.ops.object.mode_set(mode="OBJECT")
    assert max(rolls) < 1e-5


def test_pose_matrices_are_blenders_for_any_rotation_scale_and_location(blender, scene):
    """Random channels on every bone, locations on the unconnected ones: Blender's evaluated pose matrices and
    pose_matrices agree, so the channels bone_channels computes move Blender's bones where the maths says."""
    bpy = blender.bpy
    rng = np.random.default_rng(7)
    pose = walking_sequence(3)
    rig, obj = _rig_in_blender(blender, pose.joints3d[:, 0], pose.joint_names)
    bones = len(rig.bone_names)
    rotation = rng.normal(size=(1, bones, 4))
    rotation /= np.linalg.norm(rotation, axis=-1, keepdims=True)
    channels = joint_armature.BoneChannels(
        location=rng.uniform(-0.3, 0.3, (1, bones, 3)),
        rotation=rotation,
        scale=rng.uniform(0.5, 2.0, (1, bones, 3)),
    )
    for b, name in enumerate(rig.bone_names):
        pose_bone = obj.pose.bones[name]
        pose_bone.location = channels.location[0, b]
        pose_bone.rotation_quaternion = channels.rotation[0, b]
        pose_bone.scale = channels.scale[0, b]
    evaluated = obj.evaluated_get(bpy.context.evaluated_depsgraph_get())
    got = np.array([np.array(evaluated.pose.bones[name].matrix) for name in rig.bone_names])
    np.testing.assert_allclose(got, joint_armature.pose_matrices(rig, channels)[0], atol=2e-5)
    unconnected_children = [b for b in range(bones) if not rig.is_root(b) and not rig.is_connected(b)]
    assert unconnected_children, "children of the root bone: their location goes through the parent's matrix"
