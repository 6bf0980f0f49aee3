"""BVH mocap: real clips read, posed by forward kinematics as Blender poses them, and named onto our skeleton."""


import numpy as np
import pytest

from poselift.core.formats.bvh import BvhError, axes_to_z_up, parse_bvh, read_bvh, to_pose_frame, unit_scale, up_axis
from poselift.core.formats.mocap_names import normalise, pose_from_bvh
from poselift.core.formats.posefile import read_pose_file, write_pose_file
from poselift.core.skeleton import H36M_17, POSELIFT

# name: (joints, End Sites, frames, fps, naming convention, unit, height head top over toes in frame 0 (m))
CLIPS = {
    "test_mocapbank.bvh": (19, 5, 455, 30.0, "mocapbank", "cm", (1.55, 1.75)),
    "test_freebvh.bvh": (55, 15, 69, 30.0, "mixamo", "cm", (1.65, 1.85)),
    # A short rig: hips 0.72 m above the floor; its head top is derived (no End Site reaches it).
    "test3.bvh": (19, 7, 3089, 24.0, "rigify", "m", (1.40, 1.60)),
}


@pytest.fixture(scope="module", params=sorted(CLIPS))
def clip(request, asset):
    return read_bvh(asset(request.param))


@pytest.fixture
def bpy():
    """Real Blender with an empty scene (its user folder is the session's temporary one: tests/conftest.py)."""
    import bpy

    bpy.ops.wm.read_homefile(use_empty=True)
    return bpy


def _at(pose, name):
    """(F, 3) metres: one joint of a one-person pose."""
    return pose.joints3d[:, 0, pose.joint_names.index(name)]


def test_a_real_clip_has_its_joints_end_sites_frames_and_rate(clip):
    joints, end_sites, frames, fps, *_ = CLIPS[clip.source]
    assert sum(not j.end_site for j in clip.joints) == joints
    assert sum(j.end_site for j in clip.joints) == end_sites
    assert clip.motion.shape == (frames, sum(len(j.channels) for j in clip.joints))
    assert clip.frames == frames and clip.fps == pytest.approx(fps, rel=1e-4)
    assert all(clip.joints[j.parent].name + "_end" == j.name for j in clip.joints if j.end_site)


def test_forward_kinematics_keeps_every_bone_of_the_file_rigid(clip):
    p = clip.positions()
    lengths = np.stack([np.linalg.norm(p[:, j] - p[:, clip.parents[j]], axis=-1) for j in range(1, len(clip.joints))])
    scale = np.ptp(clip.rest_positions(), axis=0).max()
    assert np.ptp(lengths, axis=1).max() < 1e-5 * scale, "rigid to the file's printed precision"


def test_joint_positions_match_blenders_own_bvh_importer(bpy, clip, asset):
    _, metres_per_unit = unit_scale(np.ptp(clip.rest_positions()[:, 1]))
    bpy.ops.import_anim.bvh(filepath=str(asset(clip.source)), global_scale=metres_per_unit, rotate_mode="NATIVE")
    armature = bpy.context.object
    ours, frame = to_pose_frame(clip)
    assert frame["up_axis"] == "+y", "Blender's importer reads Y up, as these files are"
    index = {name: j for j, name in enumerate(clip.names)}
    for f in (0, clip.frames // 3, clip.frames - 1):
        bpy.context.scene.frame_set(f + 1)
        evaluated = armature.evaluated_get(bpy.context.evaluated_depsgraph_get())
        heads = {b.name: np.array(evaluated.matrix_world @ b.head) for b in evaluated.pose.bones}
        root = clip.names[0]
        for name, head in heads.items():
            # Root-relative: test3.bvh's root positions are displacements, which Blender takes as absolute.
            ours_rel = ours[f, index[name]] - ours[f, 0]
            np.testing.assert_allclose(head - heads[root], ours_rel, atol=1e-5, err_msg=f"{name} at frame {f}")


def test_a_clip_becomes_a_pose_in_metres_z_up_with_its_naming_convention(clip):
    _, _, frames, fps, convention, unit, (low, high) = CLIPS[clip.source]
    pose = pose_from_bvh(clip)
    assert pose.joints3d.shape == (frames, 1, pose.joints, 3) and pose.fps == pytest.approx(fps, rel=1e-4)
    assert set(H36M_17.joints) <= set(pose.joint_names)
    assert list(pose.joint_names) == [j for j in POSELIFT.joints if j in pose.joint_names]
    assert pose.metadata["bvh"]["convention"] == convention and pose.metadata["bvh"]["unit"] == unit
    lowest_toe = np.minimum(_at(pose, "left_toe")[:, 2], _at(pose, "right_toe")[:, 2])
    assert low < _at(pose, "head_top")[0, 2] - lowest_toe[0] < high


def test_the_feet_are_on_the_floor(clip):
    pose = pose_from_bvh(clip)
    lowest_toe = np.minimum(_at(pose, "left_toe")[:, 2], _at(pose, "right_toe")[:, 2])
    assert np.abs(lowest_toe).max() < 0.05, "the lower toe tip within 5 cm of z = 0 in every frame"
    assert pose.joints3d[..., 2].min() > -0.05, "nothing under the floor"


def test_the_subjects_left_is_named_left_in_every_frame(clip):
    pose = pose_from_bvh(clip)
    # The subject faces where the toes point; the subject's left is up x facing.
    facing = sum(_at(pose, f"{s}_toe") - _at(pose, f"{s}_ankle") for s in ("left", "right"))
    facing[:, 2] = 0.0
    left = np.cross([0.0, 0.0, 1.0], facing)
    for joint in ("hip", "knee", "shoulder", "elbow"):
        across = _at(pose, f"left_{joint}") - _at(pose, f"right_{joint}")
        assert (np.einsum("fd,fd->f", across, left) > 0).all(), joint
    # These files face +Z, Y up: kept as the file has it, that is towards the camera (-Y) in our frame.
    assert facing[0, 1] < -0.9 * np.linalg.norm(facing[0])


def test_hand_points_come_from_mixamo_fingers_only(asset):
    with_fingers = pose_from_bvh(read_bvh(asset("test_freebvh.bvh")))
    assert {"left_thumb", "left_index", "left_pinky", "right_thumb"} <= set(with_fingers.joint_names)
    wrist_to_index = np.linalg.norm(_at(with_fingers, "left_index") - _at(with_fingers, "left_wrist"), axis=-1)
    assert (0.05 < wrist_to_index).all() and (wrist_to_index < 0.15).all()
    without = pose_from_bvh(read_bvh(asset("test_mocapbank.bvh")))
    assert not {"left_thumb", "left_heel"} & set(without.joint_names)


def test_names_match_whatever_their_case_namespace_or_separators(asset):
    text = asset("test_mocapbank.bvh").read_text()
    renamed = text
    for old, new in (("LeftHip", "Take1:left_hip"), ("RightKnee", "Take1:RIGHT_KNEE"), ("Chest2", "chest.2")):
        renamed = renamed.replace(f"JOINT {old}\n", f"JOINT {new}\n")
    assert renamed.count("Take1:") == 2
    original = pose_from_bvh(parse_bvh(text, "a.bvh"))
    np.testing.assert_array_equal(pose_from_bvh(parse_bvh(renamed, "a.bvh")).joints3d, original.joints3d)
    assert normalise("mixamorig:LeftUpLeg") == normalise("Character1|left_up_leg") == "leftupleg"


def test_a_clip_written_as_a_pose_file_reads_back(tmp_path, asset):
    pose = pose_from_bvh(read_bvh(asset("test_mocapbank.bvh")))
    again = read_pose_file(write_pose_file(tmp_path / "clip.npz", pose))
    np.testing.assert_array_equal(again.joints3d, pose.joints3d)
    assert again.source == "test_mocapbank.bvh" and again.metadata == pose.metadata


CHAIN = """HIERARCHY
ROOT hips
{
  OFFSET 0 0 0
  CHANNELS 5 Xposition Yposition Zposition Yrotation Xrotation
  JOINT chest {
    OFFSET 0 1 0
    CHANNELS 6 Xrotation Zrotation Yrotation Xposition Yposition Zposition
    End Site
    {
      OFFSET 0 2 0
    }
  }
}
MOTION
Frames: 2
Frame Time: 0.5
1 2 3 90 90  0 0 0 0 1 0
0 0 0 0 0  0 90 0 0 3 0
"""


def test_channels_in_any_order_and_count_rotate_in_the_order_listed():
    clip = parse_bvh(CHAIN, "chain.bvh")
    assert [len(j.channels) for j in clip.joints] == [5, 6, 0] and clip.names[2] == "chest_end"
    p = clip.positions()
    # Frame 0: R = Ry(90) @ Rx(90) takes (0, 1, 0) to (1, 0, 0); the chest's position channels equal its offset.
    np.testing.assert_allclose(p[0], [[1, 2, 3], [2, 2, 3], [4, 2, 3]], atol=1e-12)
    # Frame 1: the chest's position channel (0, 3, 0) replaces its offset; Rz(90) turns (0, 2, 0) to (-2, 0, 0).
    np.testing.assert_allclose(p[1], [[0, 0, 0], [0, 3, 0], [-2, 3, 0]], atol=1e-12)
    assert clip.fps == 2.0


def test_position_values_near_zero_beside_a_large_offset_are_added_to_it():
    text = CHAIN.replace("ROOT hips\n{\n  OFFSET 0 0 0", "ROOT hips\n{\n  OFFSET 0 5 0")
    p = parse_bvh(text, "chain.bvh").positions()
    np.testing.assert_allclose(p[:, 0], [[1, 7, 3], [0, 5, 0]], atol=1e-12)


@pytest.mark.parametrize("axis", [0, 1, 2])
@pytest.mark.parametrize("sign", [1, -1])
def test_the_up_axis_and_unit_come_from_the_rest_pose_however_it_is_turned(asset, axis, sign):
    rest = read_bvh(asset("test_freebvh.bvh")).rest_positions()  # Y up, centimetres, T-pose
    turn = axes_to_z_up(axis, sign).T  # takes +Z to the chosen axis; +Y goes elsewhere
    turned = rest @ (turn @ axes_to_z_up(1, 1)).T
    assert up_axis(turned) == (axis, sign)
    assert np.linalg.det(axes_to_z_up(axis, sign)) == pytest.approx(1.0), "a rotation, never a mirror"
    height = np.ptp(turned[:, axis])
    assert unit_scale(height) == ("cm", 0.01)
    assert unit_scale(height / 100)[0] == "m" and unit_scale(height * 10)[0] == "mm"
    assert unit_scale(height / 2.54)[0] == "inch"


@pytest.mark.parametrize(
    "make, problem",
    [
        (lambda text: "", "not a BVH file"),
        (lambda text: "\x89PNG\r\n\x1a\n" + "\x00" * 20, "not a BVH file"),
        (lambda text: text[: len(text) // 2], "truncated"),
        (lambda text: text[: text.rindex("}", 0, text.index("MOTION"))], "truncated"),
        (lambda text: text.split("MOTION")[0], "no MOTION"),
        (lambda text: text.replace("CHANNELS 6", "CHANNELS 7", 1), "count"),
        (lambda text: text.replace("Zrotation", "Wrotation", 1), "unknown or repeated channels"),
        (lambda text: text.replace("Frame Time:\t0.033333", "Frame Time:\t-1"), "frame time"),
        (lambda text: text.replace("Frames:\t455", "Frames:\t0"), "no frames"),
        (lambda text: text.replace("-44.0003 ", "abc ", 1), "not a number"),
        (lambda text: text.replace("OFFSET 0.0000 0.0000 0.0000", "OFFSET 0 0", 1), "malformed OFFSET"),
        (lambda text: text.replace("JOINT Chest2", "JOINT Chest", 1), "names repeat"),
    ],
)
def test_a_broken_bvh_file_is_named_in_one_sentence(tmp_path, asset, make, problem):
    path = tmp_path / "broken.bvh"
    path.write_text(make(asset("test_mocapbank.bvh").read_text()))
    with pytest.raises(BvhError) as caught:
        read_bvh(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ") and message.endswith(".") and "\n" not in message
    assert problem in message


def test_a_missing_file_a_folder_and_unknown_joint_names_are_named(tmp_path, asset):
    for path, problem in ((tmp_path / "none.bvh", "no such file"), (tmp_path, "is a folder")):
        with pytest.raises(BvhError, match=problem) as caught:
            read_bvh(path)
        assert str(caught.value).startswith(str(path))
    text = (
        asset("test_mocapbank.bvh").read_text().replace("JOINT Left", "JOINT Port").replace("JOINT Right", "JOINT Stb")
    )
    with pytest.raises(BvhError, match=r"^odd\.bvh: its joint names follow no known convention .*\.$"):
        pose_from_bvh(parse_bvh(text, "odd.bvh"))


def test_a_rigify_metarig_exported_by_blender_reads_back_where_blender_poses_it(bpy, tmp_path):
    from mathutils import Euler

    bpy.ops.preferences.addon_enable(module="rigify")
    try:
        bpy.ops.object.armature_human_metarig_add()
    finally:
        bpy.ops.preferences.addon_disable(module="rigify")
    metarig = bpy.context.object
    for name, angles in (("upper_arm.L", (0.3, 0.2, 0.9)), ("thigh.R", (-0.8, 0.0, 0.1)), ("spine.003", (0.2, 0, 0))):
        bone = metarig.pose.bones[name]
        bone.rotation_mode = "XYZ"
        bone.rotation_euler = Euler(angles)
    metarig.pose.bones["spine"].location = (0.5, -0.2, 0.1)  # moves the root: its position channels
    bpy.context.view_layer.update()
    path = tmp_path / "metarig.bvh"
    bpy.ops.export_anim.bvh(filepath=str(path), frame_start=1, frame_end=1)
    clip = read_bvh(path)
    ours, frame = to_pose_frame(clip)
    assert frame["up_axis"] == "+z" and frame["unit"] == "m", "Blender writes armature space: Z up, metres"
    index = {name: j for j, name in enumerate(clip.names)}
    for bone in metarig.pose.bones:
        np.testing.assert_allclose(ours[0, index[bone.name]], bone.head, atol=1e-4)
    pose = pose_from_bvh(clip)
    assert pose.metadata["bvh"]["convention"] == "rigify" and pose.joints == 19
    np.testing.assert_allclose(_at(pose, "left_toe")[0], metarig.pose.bones["toe.L"].tail, atol=1e-4)
