"""The retarget operator in Blender: one new action on the user's rig, rigs with object transforms or missing
limbs, the bone-mapping editor and its files, and one clear sentence with the scene unchanged on failure."""

from __future__ import annotations

import numpy as np
import pytest
import rig_builders
from pose_samples import walking_sequence
from retarget_checks import measure
from scene_checks import scene_snapshot

from poselift.core.formats.posefile import write_pose_file
from poselift.core.skeleton import POSELIFT


def _walk(tmp_path, frames=24, name="walk.npz"):
    pose = walking_sequence(frames)
    return pose, write_pose_file(tmp_path / name, pose)


def _mixamo(bpy, asset):
    return rig_builders.mpfb_rig(bpy, asset(rig_builders.MPFB_RIGS["mixamo"]), "hero")


def _rig_snapshot(bpy, obj) -> dict:
    """What retargeting may change on the rig, to compare before and after a failure."""
    animation = obj.animation_data
    return {
        **scene_snapshot(bpy),
        "action": animation.action.name if animation and animation.action else None,
        "fake_users": sorted(a.name for a in bpy.data.actions if a.use_fake_user),
        "modes": [(b.name, b.rotation_mode, tuple(b.rotation_euler), tuple(b.location)) for b in obj.pose.bones],
    }


def _errors(error: RuntimeError) -> list[str]:
    return [line.removeprefix("Error: ") for line in str(error).splitlines() if line.strip()]


def _limb_medians(bpy, blender, obj, pose) -> dict[str, float]:
    bones = blender.module("addon.bone_mapping").best_match(obj).bones
    return {r: float(np.median(e)) for r, e in measure(bpy, obj, pose, bones, {}).direction.items()}


def test_one_new_action_keys_the_mapped_bones_in_quaternions_and_the_old_action_is_kept(
    blender, scene, asset, tmp_path
):
    bpy = blender.bpy
    keyframes = blender.module("addon.keyframes")
    obj = rig_builders.bvh_rig(bpy, asset("test_freebvh.bvh"))
    old = obj.animation_data.action
    pose, path = _walk(tmp_path, 30)
    assert bpy.ops.poselift.retarget_pose(filepath=str(path)) == {"FINISHED"}
    action = obj.animation_data.action
    assert action != old and old.use_fake_user, "the imported clip survives a save with a fake user"
    assert len(bpy.data.actions) == 2
    fcurves = keyframes.object_fcurves(obj)
    animated = [fc for fc in fcurves if len(fc.keyframe_points) > 1]
    assert len(animated) == 24 * 4 + 3, "a quaternion per mapped bone (thumbs included), the hips' location"
    for fcurve in animated:
        np.testing.assert_array_equal(keyframes.keys(fcurve)[:, 0], np.arange(1, 31))
    held = [fc for fc in fcurves if len(fc.keyframe_points) == 1]
    assert len(held) == 23 * 3 + 24 * 3, "the other mapped bones' locations and every mapped bone's scale, at rest"
    assert all(keyframes.keys(fc)[0, 0] == 1 for fc in held)
    keyed = {fc.data_path.split('"')[1] for fc in fcurves}
    assert all(obj.pose.bones[name].rotation_mode == "QUATERNION" for name in keyed)
    assert obj.pose.bones["mixamorig:LeftHandIndex1"].rotation_mode != "QUATERNION", "unmapped bones are untouched"
    assert (scene.frame_start, scene.frame_end) == (1, 250), "the rig was animated already: the timing is the user's"


def test_bones_between_the_mapped_ones_posed_by_an_older_action_are_put_at_rest(blender, scene, asset, tmp_path):
    bpy = blender.bpy
    obj = rig_builders.mpfb_rig(bpy, asset(rig_builders.MPFB_RIGS["cmu_mb"]), "cmu")
    obj.animation_data_create().action = bpy.data.actions.new("older")
    older = (("LHipJoint", "rotation_euler", (0.5, 0.0, 0.0)), ("Neck1", "rotation_euler", (0.0, 0.0, 0.4)),
             ("LeftForeArm", "location", (0.0, 0.05, 0.02)), ("LeftLeg", "scale", (1.2, 1.2, 1.2)))
    for name, prop, value in older:
        bone = obj.pose.bones[name]
        bone.rotation_mode = "XYZ"
        setattr(bone, prop, value)
        bone.keyframe_insert(prop, frame=1)
    pose, path = _walk(tmp_path)
    assert bpy.ops.poselift.retarget_pose(filepath=str(path)) == {"FINISHED"}
    for role, error in _limb_medians(bpy, blender, obj, pose).items():
        assert error < 1.0, (role, error)
    assert tuple(obj.pose.bones["LHipJoint"].rotation_quaternion) == pytest.approx((1, 0, 0, 0))


def test_object_rotation_and_scale_keep_limbs_on_the_source_and_feet_on_the_floor(blender, scene, asset, tmp_path):
    bpy = blender.bpy
    obj = _mixamo(bpy, asset)
    obj.rotation_euler = (0.0, 0.0, np.radians(120))
    obj.scale = (2.0, 2.0, 2.0)
    obj.location = (3.0, -1.0, 0.5)
    pose, path = _walk(tmp_path)
    assert bpy.ops.poselift.retarget_pose(filepath=str(path)) == {"FINISHED"}
    bones = blender.module("addon.bone_mapping").best_match(obj).bones
    measures = measure(bpy, obj, pose, bones, {})
    for role, error in measures.direction.items():
        assert error.max() < 1.0, role
    assert measures.sink < 0.01 * 2


def test_a_rig_without_a_left_arm_is_retargeted_for_the_limbs_it_has(blender, scene, asset, tmp_path):
    bpy = blender.bpy
    obj = _mixamo(bpy, asset)
    bpy.ops.object.mode_set(mode="EDIT")
    for bone in [b for b in obj.data.edit_bones if "LeftArm" in b.name or "LeftForeArm" in b.name]:
        obj.data.edit_bones.remove(bone)
    bpy.ops.object.mode_set(mode="OBJECT")
    pose, path = _walk(tmp_path)
    assert bpy.ops.poselift.retarget_pose(filepath=str(path)) == {"FINISHED"}
    medians = _limb_medians(bpy, blender, obj, pose)
    assert "left_upper_arm" not in medians and medians["right_forearm"] < 1.0 and medians["left_shin"] < 1.0


def test_a_pose_file_without_the_left_arm_retargets_the_rest_and_says_what_it_never_saw(
    blender, scene, asset, tmp_path
):
    bpy = blender.bpy
    obj = _mixamo(bpy, asset)
    pose = walking_sequence(20)
    for joint in ("left_elbow", "left_wrist", "left_thumb", "left_index", "left_pinky"):
        pose.joints3d[:, :, POSELIFT.index(joint)] = np.nan
    path = write_pose_file(tmp_path / "no_left_arm.npz", pose)
    assert bpy.ops.poselift.retarget_pose(filepath=str(path)) == {"FINISHED"}
    medians = _limb_medians(bpy, blender, obj, pose)
    assert medians["right_forearm"] < 1.0 and medians["left_thigh"] < 1.0
    forearm = obj.pose.bones["mixamorig:LeftForeArm"]
    assert np.allclose(forearm.rotation_quaternion, (1, 0, 0, 0), atol=1e-6), "follows its parent"


def test_an_armature_with_no_recognisable_bones_gets_one_sentence_and_the_scene_is_unchanged(blender, scene, tmp_path):
    bpy = blender.bpy
    bpy.ops.object.armature_add()
    obj = bpy.context.active_object
    obj.pose.bones[0].rotation_mode = "XYZ"
    before = _rig_snapshot(bpy, obj)
    _, path = _walk(tmp_path)
    with pytest.raises(RuntimeError) as error:
        bpy.ops.poselift.retarget_pose(filepath=str(path))
    (line,) = _errors(error.value)
    assert line.startswith(f"{obj.name} has no bones PoseLift recognises (1 bones): map its bones")
    assert _rig_snapshot(bpy, obj) == before


def test_a_linked_armature_is_refused_in_one_sentence_that_says_how_to_make_it_editable(
    blender, scene, asset, tmp_path
):
    bpy = blender.bpy
    obj = _mixamo(bpy, asset)
    library = tmp_path / "rigs.blend"
    bpy.data.libraries.write(str(library), {obj})
    data = obj.data
    bpy.data.objects.remove(obj)
    bpy.data.armatures.remove(data)
    with bpy.data.libraries.load(str(library), link=True) as (source, target):
        target.objects = ["hero"]
    linked = target.objects[0]
    bpy.context.collection.objects.link(linked)
    bpy.context.view_layer.objects.active = linked
    before = scene_snapshot(bpy)
    _, path = _walk(tmp_path)
    with pytest.raises(RuntimeError) as error:
        bpy.ops.poselift.retarget_pose(filepath=str(path))
    (line,) = _errors(error.value)
    assert line.startswith(f"hero is linked from {library}") and "library override" in line
    assert scene_snapshot(bpy) == before


def test_a_failure_while_keying_restores_rotation_modes_the_old_action_and_the_scene(
    blender, scene, asset, tmp_path, monkeypatch
):
    bpy = blender.bpy
    obj = rig_builders.bvh_rig(bpy, asset("test_freebvh.bvh"))
    for bone in obj.pose.bones:
        bone.rotation_mode = "ZXY"
    bpy.context.scene.frame_set(7)
    before = _rig_snapshot(bpy, obj)

    def disk_full(*args, **kwargs):
        raise OSError("no space left on device")

    monkeypatch.setattr(blender.module("addon.keyframes"), "new_action", disk_full)
    _, path = _walk(tmp_path)
    with pytest.raises(RuntimeError) as error:
        bpy.ops.poselift.retarget_pose(filepath=str(path))
    assert _errors(error.value) == [
        f"{path}: retargeting onto {obj.name} failed and was undone (OSError: no space left on device)."
    ]
    assert _rig_snapshot(bpy, obj) == before


def test_a_bad_pose_file_or_a_missing_person_is_one_sentence_naming_the_file(
    blender, scene, asset, tmp_path, bad_pose_files
):
    bpy = blender.bpy
    obj = _mixamo(bpy, asset)
    before = _rig_snapshot(bpy, obj)
    _, path = _walk(tmp_path)
    for bad, person in ((bad_pose_files["truncated"], 0), (path, 3)):
        with pytest.raises(RuntimeError) as error:
            bpy.ops.poselift.retarget_pose(filepath=str(bad), person=person)
        (line,) = _errors(error.value)
        assert line.startswith(f"{bad}: ")
    assert _rig_snapshot(bpy, obj) == before


def test_a_rig_with_its_own_names_is_mapped_in_the_editor_saved_and_loaded_as_a_file(blender, scene, asset, tmp_path):
    bpy = blender.bpy
    obj = _mixamo(bpy, asset)
    renamed = {b.name: f"b{i:02d}" for i, b in enumerate(obj.data.bones)}
    for bone in obj.data.bones:
        bone.name = renamed[bone.name]
    pose, path = _walk(tmp_path)
    with pytest.raises(RuntimeError, match="no bones PoseLift recognises"):
        bpy.ops.poselift.retarget_pose(filepath=str(path))

    # The editor: fill rows (nothing detected), then pick each role's bone as prop_search would.
    assert bpy.ops.poselift.mapping_fill(preset="AUTO") == {"FINISHED"}
    mixamo = blender.module("addon.bone_mapping").PRESETS["mixamo"].bones
    for item in obj.poselift_mapping.roles:
        item.bone = renamed[f"mixamorig:{mixamo[item.role]}"]
    mapping_file = tmp_path / "hero.json"
    assert bpy.ops.poselift.mapping_save(filepath=str(mapping_file)) == {"FINISHED"}
    assert bpy.ops.poselift.mapping_clear() == {"FINISHED"} and not obj.poselift_mapping.roles
    assert bpy.ops.poselift.mapping_load(filepath=str(mapping_file)) == {"FINISHED"}
    assert bpy.ops.poselift.retarget_pose(filepath=str(path), preset="MAPPING") == {"FINISHED"}
    assert max(_limb_medians(bpy, blender, obj, pose).values()) < 1.0


def test_constraints_that_turn_keyed_bones_away_from_the_pose_are_reported(blender, scene, asset, tmp_path):
    bpy = blender.bpy
    obj = _mixamo(bpy, asset)
    bpy.ops.object.empty_add(rotation=(np.pi / 2, 0.0, 0.0))
    turned = bpy.context.active_object
    constraint = obj.pose.bones["mixamorig:Spine1"].constraints.new("COPY_ROTATION")
    constraint.target = turned
    _, path = _walk(tmp_path)
    retargeting = blender.module("addon.retargeting")
    _, plan = retargeting.retarget_pose(bpy.context, obj, path)
    (note,) = [n for n in plan.notes if n.startswith("Constraints")]
    assert note.startswith("Constraints of hero turn ") and "check its IK/FK switches or constraints" in note
    constraint.mute = True
    _, plan = retargeting.retarget_pose(bpy.context, obj, path)
    assert not [n for n in plan.notes if n.startswith("Constraints")]
