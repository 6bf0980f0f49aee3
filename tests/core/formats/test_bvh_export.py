"""BVH export from the core: joints in the pose file's frame come back from Blender's importer and from
core/formats/bvh.py where they were, whatever the bones do, and bad input is one sentence with nothing written."""

import numpy as np
import pytest

from poselift.core.formats.bvh import parse_bvh, read_bvh, to_pose_frame
from poselift.core.formats.bvh_export import BvhExportError, bvh_text, write_bvh
from poselift.core.formats.mocap_names import pose_from_bvh
from poselift.core.motion.temporal import fix_bone_lengths
from poselift.core.rotations import axis_angle_matrix, normalize
from poselift.core.skeleton import H36M_17, POSELIFT, subset_parents

MILLIMETRE = 1e-3


@pytest.fixture(scope="module")
def walk(asset):
    """A real mocap clip on our joints with every bone at its median length: (F, J, 3) metres, names, fps."""
    pose = pose_from_bvh(read_bvh(asset("test_mocapbank.bvh")))
    joints = fix_bone_lengths(pose.joints3d[:, 0].astype(np.float64), subset_parents(pose.joint_names))
    return joints, pose.joint_names, pose.fps


def tumbling_body(frames: int = 120, seed: int = 0) -> np.ndarray:
    """(F, 27, 3) metres: all POSELIFT joints, every bone of fixed length swinging on its own (siblings
    included: shoulders shrug, hips tilt, fingers spread), the whole body making two full turns about the
    vertical and one head over heels while it travels."""
    rng = np.random.default_rng(seed)
    t = np.linspace(0.0, 1.0, frames)[:, None]
    lengths = rng.uniform(0.05, 0.45, len(POSELIFT))
    out = np.zeros((frames, len(POSELIFT), 3))
    out[:, 0] = np.hstack([2.0 * t, np.sin(6 * t), 0.9 + 0.1 * t])
    spin = axis_angle_matrix(np.array([0.0, 0.0, 1.0]), 4 * np.pi * t[:, 0])
    tumble = axis_angle_matrix(np.array([1.0, 0.0, 0.0]), 2 * np.pi * t[:, 0])
    for j, p in enumerate(POSELIFT.parents):
        if p < 0:
            continue
        base, wobble = normalize(rng.normal(size=3)), rng.normal(size=(3, 3))
        direction = normalize(base + np.sin(2 * np.pi * (t * rng.uniform(0.5, 2.0, 3) + rng.uniform(size=3))) @ wobble)
        out[:, j] = out[:, p] + np.einsum("fij,fj->fi", spin @ tumble, direction) * lengths[j]
    return out


@pytest.fixture
def bpy():
    import bpy

    bpy.ops.wm.read_homefile(use_empty=True)
    return bpy


def blender_joints(bpy, path, names, frames, scale=1.0) -> np.ndarray:
    """(F, J, 3) metres: the heads of the bones named `names` in world space, after Blender's own importer."""
    bpy.ops.import_anim.bvh(filepath=str(path), global_scale=scale, rotate_mode="NATIVE", use_fps_scale=False)
    armature = bpy.context.object
    out = np.zeros((frames, len(names), 3))
    for f in range(frames):
        bpy.context.scene.frame_set(f + 1)
        evaluated = armature.evaluated_get(bpy.context.evaluated_depsgraph_get())
        out[f] = [np.array(evaluated.matrix_world @ evaluated.pose.bones[n].head) for n in names]
    return out


def core_joints(text: str, names) -> np.ndarray:
    """(F, J, 3) metres: the joints named `names` as core/formats/bvh.py poses a BVH text in metres, Y up (said, not
    guessed: a body of random proportions is no adult to guess its unit from)."""
    clip = parse_bvh(text)
    positions, _ = to_pose_frame(clip, up=(1, 1), unit=1.0)
    return positions[:, [clip.names.index(n) for n in names]]


def test_a_walk_with_fixed_bone_lengths_imports_into_blender_where_it_was(bpy, walk, tmp_path):
    joints, names, fps = walk
    path = write_bvh(tmp_path / "walk.bvh", joints, names, fps)
    assert np.abs(blender_joints(bpy, path, names, len(joints)) - joints).max() < MILLIMETRE


def test_every_joint_of_a_tumbling_body_imports_into_blender_where_it_was(bpy, tmp_path):
    joints = tumbling_body()
    path = write_bvh(tmp_path / "tumble.bvh", joints, POSELIFT.joints, 30.0)
    assert np.abs(blender_joints(bpy, path, POSELIFT.joints, len(joints)) - joints).max() < MILLIMETRE


def test_centimetres_import_at_blenders_scale_of_a_hundredth(bpy, walk, tmp_path):
    joints, names, fps = walk
    path = write_bvh(tmp_path / "walk_cm.bvh", joints[:30], names, fps, unit="cm")
    assert np.abs(blender_joints(bpy, path, names, 30, scale=0.01) - joints[:30]).max() < MILLIMETRE


def test_core_bvh_reads_back_the_joints_units_up_axis_and_rate(walk, tmp_path):
    joints, names, fps = walk
    for unit in ("m", "cm"):
        clip = read_bvh(write_bvh(tmp_path / f"walk_{unit}.bvh", joints, names, fps, unit=unit))
        positions, frame = to_pose_frame(clip)
        assert frame["up_axis"] == "+y" and frame["unit"] == unit
        assert clip.frames == len(joints) and clip.fps == pytest.approx(fps, rel=1e-6)
        assert np.abs(positions[:, [clip.names.index(n) for n in names]] - joints).max() < 1e-5


def test_core_bvh_reads_back_every_joint_of_a_tumbling_body():
    joints = tumbling_body()
    assert np.abs(core_joints(bvh_text(joints, POSELIFT.joints, 30.0), POSELIFT.joints) - joints).max() < 1e-5


def test_the_hierarchy_is_our_skeleton_in_a_t_pose_at_the_median_bone_lengths(walk):
    joints, names, fps = walk
    clip = parse_bvh(bvh_text(joints, names, fps))
    parents = subset_parents(names)
    assert clip.joints[0].name == "pelvis" and clip.joints[0].channels[:3] == ("Xposition", "Yposition", "Zposition")
    assert np.all(clip.offsets[0] == 0.0), "absolute root positions: readers that add and that replace agree"
    assert all(len(j.channels) == 3 for j in clip.joints[1:] if not j.end_site)
    for j, name in enumerate(names):
        if parents[j] < 0:
            continue
        # Our parent, or a helper standing on it: each sibling of a branching joint turns on its own.
        above = clip.names[clip.parents[clip.names.index(name)]]
        assert above in (names[parents[j]], f"{names[parents[j]]}_to_{name}")
        median = np.median(np.linalg.norm(joints[:, j] - joints[:, parents[j]], axis=-1))
        assert np.linalg.norm(clip.offsets[clip.names.index(name)]) == pytest.approx(median, abs=2e-6)
    rest = clip.rest_positions()
    at = {n: rest[clip.names.index(n)] for n in ("head_top", "left_wrist", "right_wrist", "left_ankle")}
    assert at["head_top"][1] > 0 > at["left_ankle"][1], "Y up"
    assert at["left_wrist"][0] > 0.5 > -0.5 > at["right_wrist"][0], "arms out, the subject's left on +x"


def bending_and_turning(frames: int = 91) -> np.ndarray:
    """(F, 17, 3) metres, H36M joints: knees bending from straight to 150 degrees and hips to 120, arms lowering
    from the T-pose to the sides, while the body makes a full turn about the vertical."""
    t = np.linspace(0.0, 1.0, frames)
    hip, knee, arm = np.radians(120) * t, np.radians(150) * t, np.radians(90) * t
    out = np.zeros((frames, len(H36M_17), 3))

    def put(name, parent, direction, length):
        out[:, H36M_17.index(name)] = out[:, H36M_17.index(parent)] + np.asarray(direction).T * length

    out[:, 0] = [0.0, 0.0, 1.0]
    zero, one = np.zeros(frames), np.ones(frames)
    for side, x in (("left", 1.0), ("right", -1.0)):
        put(f"{side}_hip", "pelvis", [x * one, zero, zero], 0.1)
        put(f"{side}_knee", f"{side}_hip", [zero, -np.sin(hip), -np.cos(hip)], 0.45)
        put(f"{side}_ankle", f"{side}_knee", [zero, -np.sin(hip - knee), -np.cos(hip - knee)], 0.4)
    put("spine", "pelvis", [zero, zero, one], 0.25)
    put("thorax", "spine", [zero, zero, one], 0.25)
    put("neck", "thorax", [zero, zero, one], 0.1)
    put("head_top", "neck", [zero, zero, one], 0.15)
    for side, x in (("left", 1.0), ("right", -1.0)):
        put(f"{side}_shoulder", "thorax", [x * one, zero, zero], 0.18)
        put(f"{side}_elbow", f"{side}_shoulder", [x * np.cos(arm), zero, -np.sin(arm)], 0.28)
        put(f"{side}_wrist", f"{side}_elbow", [x * np.cos(arm), zero, -np.sin(arm)], 0.25)
    turn = axis_angle_matrix(np.array([0.0, 0.0, 1.0]), 2 * np.pi * t)
    return np.einsum("fij,fkj->fki", turn, out)


def test_deep_knee_bends_hanging_arms_and_a_full_turn_keep_every_joint_away_from_gimbal_lock():
    joints = bending_and_turning()
    text = bvh_text(joints, H36M_17.joints, 30.0)
    clip, column = parse_bvh(text), 0
    for joint in clip.joints:
        if joint.channels:
            middle = column + len(joint.channels) - 2  # the three rotations come last
            assert np.abs(clip.motion[:, middle]).max() < 80.0, joint.name
        column += len(joint.channels)
    assert np.abs(core_joints(text, H36M_17.joints) - joints).max() < 1e-5


def test_varying_bone_lengths_keep_every_bone_direction_and_take_the_median_length():
    joints = tumbling_body(60, seed=1)
    joints[:, 1:] += np.random.default_rng(2).normal(0.0, 0.01, joints[:, 1:].shape)
    back = core_joints(bvh_text(joints, POSELIFT.joints, 30.0), POSELIFT.joints)
    for p, j in POSELIFT.bones:
        cosine = np.sum(normalize(back[:, p] - back[:, j]) * normalize(joints[:, p] - joints[:, j]), axis=-1)
        assert cosine.min() > 1 - 1e-9, POSELIFT.joints[j]
        length = np.linalg.norm(back[:, j] - back[:, p], axis=-1)
        median = np.median(np.linalg.norm(joints[:, j] - joints[:, p], axis=-1))
        assert np.ptp(length) < 1e-5 and length[0] == pytest.approx(median, abs=1e-5)


def test_joints_never_seen_are_left_out_and_missing_ones_hold_their_place_on_their_parent(walk):
    joints, names, fps = walk
    gappy = joints[:40].copy()
    gappy[:, names.index("left_toe")] = np.nan
    gappy[10:20] = np.nan  # nobody in these frames
    gappy[:5, names.index("right_wrist")] = np.nan
    kept = [n for n in names if n != "left_toe"]
    clip = parse_bvh(bvh_text(gappy, names, fps))
    assert "left_toe" not in clip.names and clip.frames == 40
    back = core_joints(bvh_text(gappy, names, fps), kept)
    expected = joints[:40, [names.index(n) for n in kept]].copy()
    expected[10:20] = expected[9]
    wrist, elbow = kept.index("right_wrist"), kept.index("right_elbow")
    expected[:5, wrist] = expected[:5, elbow] + expected[5, wrist] - expected[5, elbow]
    assert np.abs(back - expected).max() < 1e-5


@pytest.mark.parametrize(
    "joints, names, fps, unit, says",
    [
        (np.zeros((5, 17)), H36M_17.joints, 30.0, "m", "shape (5, 17)"),
        (np.zeros((5, 16, 3)), H36M_17.joints, 30.0, "m", "16 joints but 17 joint names"),
        (np.zeros((5, 2, 3)), ("pelvis", "nose"), 30.0, "m", "'nose' is not a PoseLift joint name"),
        (np.zeros((5, 17, 3)), H36M_17.joints, 0.0, "m", "frame rate is 0.0"),
        (np.zeros((5, 17, 3)), H36M_17.joints, 30.0, "km", "unit 'km'"),
        (np.full((5, 17, 3), np.nan), H36M_17.joints, 30.0, "m", "no joint has a position"),
        (np.zeros((5, 16, 3)), H36M_17.joints[1:], 30.0, "m", "3 separate trees (right_hip, left_hip, spine)"),
    ],
)
def test_bad_input_is_one_sentence_naming_the_file_and_leaves_the_file_as_it_was(
    joints, names, fps, unit, says, tmp_path
):
    path = tmp_path / "out.bvh"
    path.write_text("before")
    with pytest.raises(BvhExportError) as caught:
        write_bvh(path, joints, names, fps, unit=unit)
    message = str(caught.value)
    assert message.startswith(f"{path}: ") and says in message and message.count(". ") == 0 and message.endswith(".")
    assert path.read_text() == "before" and [p.name for p in tmp_path.iterdir()] == ["out.bvh"]


def test_a_folder_that_does_not_exist_is_one_sentence(walk, tmp_path):
    joints, names, fps = walk
    path = tmp_path / "missing" / "out.bvh"
    with pytest.raises(BvhExportError, match=r"out\.bvh: cannot be written \(No such file or directory\)\.$"):
        write_bvh(path, joints, names, fps)
