"""Retargeting maths on rigs built in the test: bones follow the limbs whatever their rest pose, roll,
object transform or missing limbs; the hips carry the root motion and the feet stay above the floor."""

import numpy as np
import pytest
from pose_samples import STANDING, walking_sequence

from poselift.core.rotations import axis_angle_matrix, normalize, rotation_between
from poselift.core.skeleton import BODY
from poselift.core.synth.evolution import EvolutionConfig, evolve
from poselift.rigs.presets import PRESETS
from poselift.rigs.retarget import RigRest, pose_matrices, retarget
from poselift.rigs.roles import ROLES

NAMES = tuple(STANDING)


def _arms_raised(points, degrees):
    """The standing body's arms turned about the shoulders' forward axis: 90 = T-pose, about 45 = A-pose."""
    out = {k: np.asarray(v, float) for k, v in points.items()}
    for side, sign in (("left", 1.0), ("right", -1.0)):
        shoulder = out[f"{side}_shoulder"]
        turn = axis_angle_matrix(np.array([0.0, 1.0, 0.0]), -sign * np.radians(degrees))
        for joint in ("elbow", "wrist", "thumb", "index", "pinky"):
            out[f"{side}_{joint}"] = shoulder + turn @ (out[f"{side}_{joint}"] - shoulder)
    return out


def build_rig(preset="mixamo", arms_deg=90.0, roll_seed=0, drop=(), matrix_world=None):
    """A rig with one bone per role of `preset`, joint to joint at rest, each with a random roll."""
    points = _arms_raised(STANDING, arms_deg)
    rng = np.random.default_rng(roll_seed)
    names, parents, rest, lengths = [], [], [], []
    for role in ROLES:
        if role.name not in PRESETS[preset].bones or role.name in drop:
            continue
        if role.tail:
            head = np.mean([points[j] for j in role.head], axis=0)
            tail = np.mean([points[j] for j in role.tail], axis=0)
        else:
            head = points[role.name]
            tail = head + np.array([0.0, -0.05, 0.0])
        d = normalize(tail - head)
        m = np.eye(4)
        m[:3, :3] = rotation_between(np.array([0.0, 1.0, 0.0]), d) @ axis_angle_matrix(
            np.array([0.0, 1.0, 0.0]), rng.uniform(-np.pi, np.pi)
        )
        m[:3, 3] = head
        parent = role.parent
        while parent is not None and PRESETS[preset].bones[parent] not in names:
            parent = next(r.parent for r in ROLES if r.name == parent)
        parents.append(-1 if parent is None else names.index(PRESETS[preset].bones[parent]))
        names.append(PRESETS[preset].bones[role.name])
        rest.append(m)
        lengths.append(np.linalg.norm(tail - head))
    world = np.eye(4) if matrix_world is None else matrix_world
    return RigRest(tuple(names), tuple(parents), np.array(rest), np.array(lengths), world)


def _posed_directions(rig, result):
    pose = pose_matrices(rig, result.rotation, result.location)
    return pose, pose[..., :3, 1]


def _angles_deg(a, b):
    cos = np.sum(normalize(a) * normalize(b), axis=-1)
    return np.degrees(np.arccos(np.clip(cos, -1, 1)))


def _source(frames=40):
    walk = walking_sequence(frames)
    return walk.joints3d[:, 0].astype(np.float64), walk.joint_names


def _limb_errors(rig, result, joints, names):
    pose, y = _posed_directions(rig, result)
    world = np.einsum("ij,fbj->fbi", rig.matrix_world[:3, :3], y)
    by_name = {n: joints[:, k] for k, n in enumerate(names)}
    errors = {}
    for role in ROLES:
        if role.name in result.roles and role.tail and all(j in by_name for j in role.head + role.tail):
            target = np.mean([by_name[j] for j in role.tail], 0) - np.mean([by_name[j] for j in role.head], 0)
            errors[role.name] = _angles_deg(world[:, result.roles[role.name]], target)
    return errors


@pytest.mark.parametrize("arms_deg", [90.0, 45.0], ids=["T-pose", "A-pose"])
@pytest.mark.parametrize("preset", ["mixamo", "ue5", "metarig"])
def test_every_mapped_bone_points_along_its_limb(preset, arms_deg):
    joints, names = _source()
    rig = build_rig(preset, arms_deg, roll_seed=hash(preset) % 100)
    result = retarget(joints, names, rig, PRESETS[preset].bones)
    for role, error in _limb_errors(rig, result, joints, names).items():
        assert error.max() < 0.5, role


def test_varied_evolved_poses_are_followed_too():
    body = evolve(EvolutionConfig(seed=5, initial=300, target=300)).astype(np.float64)
    rig = build_rig("mixamo", 90.0, roll_seed=2)
    result = retarget(body, BODY.joints, rig, PRESETS["mixamo"].bones)
    errors = _limb_errors(rig, result, body, BODY.joints)
    for role in ("left_upper_arm", "left_forearm", "right_thigh", "right_shin", "left_foot", "head"):
        assert np.median(errors[role]) < 0.5 and errors[role].max() < 1.0, role


def test_the_upper_arm_turns_the_rigs_elbow_bend_into_the_poses():
    body = evolve(EvolutionConfig(seed=6, initial=300, target=300)).astype(np.float64)
    rig = build_rig("mixamo", 90.0)
    result = retarget(body, BODY.joints, rig, PRESETS["mixamo"].bones)
    arm = result.roles["left_upper_arm"]
    turn = pose_matrices(rig, result.rotation, result.location)[:, arm, :3, :3] @ rig.rest[arm, :3, :3].T
    shoulder, elbow, wrist = (body[:, BODY.index(f"left_{j}")] for j in ("shoulder", "elbow", "wrist"))
    axis = normalize(elbow - shoulder)
    # In a T-pose the elbow bends forwards (-Y); posed, that direction must point where the pose's elbow bends.
    rig_bend = turn @ np.array([0.0, -1.0, 0.0])
    pose_bend = (wrist - elbow) - np.sum((wrist - elbow) * axis, -1)[:, None] * axis
    bent = _angles_deg(elbow - shoulder, wrist - elbow) > 30
    assert bent.sum() > 50
    assert np.median(_angles_deg(rig_bend[bent], pose_bend[bent])) < 1.0


def test_object_rotation_and_scale_do_not_change_where_bones_point():
    joints, names = _source()
    m = np.eye(4)
    m[:3, :3] = axis_angle_matrix(np.array([1.0, 0.0, 0.0]), np.pi / 2) * 0.01
    m[:3, 3] = (2.0, -1.0, 0.5)
    rig = build_rig("mixamo", 90.0, matrix_world=m)
    result = retarget(joints, names, rig, PRESETS["mixamo"].bones)
    for role, error in _limb_errors(rig, result, joints, names).items():
        assert error.max() < 0.5, role


def test_a_rig_without_a_left_arm_keeps_the_rest():
    joints, names = _source()
    drop = ("left_upper_arm", "left_forearm", "left_hand")
    rig = build_rig("mixamo", 90.0, drop=drop)
    result = retarget(joints, names, rig, {r: b for r, b in PRESETS["mixamo"].bones.items() if r not in drop})
    assert not set(drop) & set(result.roles)
    assert _limb_errors(rig, result, joints, names)["right_forearm"].max() < 0.5


def test_root_motion_follows_the_pelvis_scaled_by_leg_length_and_feet_stay_above_the_floor():
    joints, names = _source()
    rig = build_rig("mixamo", 90.0)
    rest = rig.rest.copy()
    rest[:, :3, 3] *= 2
    big = RigRest(rig.bone_names, rig.parents, rest, rig.lengths * 2, rig.matrix_world)
    result = retarget(joints, names, big, PRESETS["mixamo"].bones)
    pose = pose_matrices(big, result.rotation, result.location)
    hips = pose[:, result.roles["hips"], :3, 3]
    pelvis = joints[:, names.index("pelvis")]
    np.testing.assert_allclose(hips[:, :2] - hips[:1, :2], 2 * (pelvis[:, :2] - pelvis[:1, :2]), atol=1e-6)
    feet = [result.roles[r] for r in ("left_foot", "right_foot", "left_toe", "right_toe")]
    heads = pose[:, feet][..., :3, 3]
    tails = heads + pose[:, feet][..., :3, 1] * big.lengths[feet, None]
    floor = min(big.rest[feet, 2, 3].min(), big.tails[feet, 2].min())
    assert min(heads[..., 2].min(), tails[..., 2].min()) > floor - 0.01
    in_place = retarget(joints, names, big, PRESETS["mixamo"].bones, in_place=True)
    still = pose_matrices(big, in_place.rotation, in_place.location)[:, result.roles["hips"], :2, 3]
    np.testing.assert_allclose(still, still[:1].repeat(len(still), 0), atol=1e-9)


def test_missing_joints_hold_the_nearest_frame():
    joints, names = _source()
    joints[10:15, names.index("left_wrist")] = np.nan
    rig = build_rig("mixamo", 90.0)
    result = retarget(joints, names, rig, PRESETS["mixamo"].bones)
    assert np.isfinite(result.rotation).all() and np.isfinite(result.location).all()
    forearm = pose_matrices(rig, result.rotation, result.location)[:, result.roles["left_forearm"], :3, 1]
    np.testing.assert_allclose(forearm[10:15], forearm[9:10].repeat(5, 0), atol=1e-9)


def _lowest_foot_height(rig, result):
    """(F,) world height of the lowest foot or toe point of the posed rig."""
    pose = pose_matrices(rig, result.rotation, result.location)
    feet = [result.roles[r] for r in ("left_foot", "right_foot", "left_toe", "right_toe")]
    heads = pose[:, feet][..., :3, 3]
    tails = heads + pose[:, feet][..., :3, 1] * rig.lengths[feet, None]
    points = np.concatenate([heads, tails], axis=1) @ rig.matrix_world[:3, :3].T + rig.matrix_world[:3, 3]
    return points[..., 2].min(axis=1)


def _rest_floor(rig, result):
    feet = [result.roles[r] for r in ("left_foot", "right_foot", "left_toe", "right_toe")]
    points = np.concatenate([rig.rest[feet, :3, 3], rig.tails[feet]]) @ rig.matrix_world[:3, :3].T
    return (points + rig.matrix_world[:3, 3])[:, 2].min()


def test_a_jump_lifts_the_rigs_feet_by_the_jump_scaled_to_its_legs_and_standing_feet_touch_its_floor():
    joints, names = _source(30)
    joints[10:20] += np.array([0.0, 0.0, 0.3])
    rig = build_rig("mixamo", 90.0)
    rest = rig.rest.copy()
    rest[:, :3, 3] *= 2
    big = RigRest(rig.bone_names, rig.parents, rest, rig.lengths * 2, rig.matrix_world)
    result = retarget(joints, names, big, PRESETS["mixamo"].bones)
    lift = _lowest_foot_height(big, result) - _rest_floor(big, result)
    source_lift = joints[:, [names.index(n) for n in ("left_toe", "right_toe", "left_heel", "right_heel")], 2].min(1)
    source_lift -= np.percentile(source_lift, 5)
    np.testing.assert_allclose(lift, np.maximum(2 * source_lift, 0.0), atol=1e-9)
    assert lift[10:20].min() > 0.55 and np.isclose(lift.min(), 0.0)


def test_a_game_engine_root_stays_on_the_ground_and_the_hips_carry_the_height():
    joints, names = _source(30)
    joints[10:20] += np.array([0.0, 0.0, 0.3])  # a jump
    rig = build_rig("ue5", 45.0)
    rest = np.concatenate([np.eye(4)[None], rig.rest])  # a root bone at the origin, parent of the pelvis
    rig = RigRest(("root", *rig.bone_names), (-1, *(p + 1 for p in rig.parents)), rest,
                  np.concatenate([[0.1], rig.lengths]), rig.matrix_world)  # fmt: skip
    bones, on_ground = PRESETS["ue5"].bones, PRESETS["ue5"].root_on_ground
    grounded = retarget(joints, names, rig, bones, "root", root_on_ground=on_ground)
    lifted = retarget(joints, names, rig, bones, "root")
    world_root = grounded.location[:, 0] @ rig.rest[0, :3, :3].T
    assert on_ground and np.allclose(world_root[:, 2], 0.0) and np.ptp(world_root[:, 1]) > 0.5, "travels, no height"
    assert grounded.located == (0, grounded.roles["hips"])
    np.testing.assert_allclose(_lowest_foot_height(rig, grounded), _lowest_foot_height(rig, lifted), atol=1e-9)
    assert (_lowest_foot_height(rig, grounded)[10:20] - _rest_floor(rig, grounded)).min() > 0.2


def test_a_rig_without_legs_travels_as_far_as_the_pose_whatever_its_units():
    joints, names = _source(30)
    legs = ("thigh", "shin", "foot", "toe")
    bones = {r: b for r, b in PRESETS["mixamo"].bones.items() if not any(k in r for k in legs)}
    travel = []
    for units in (1.0, 100.0):  # metres, then centimetres: the object's scale says so
        rig = build_rig("mixamo", 90.0, drop=tuple(r for r in PRESETS["mixamo"].bones if r not in bones))
        world = np.diag([1 / units, 1 / units, 1 / units, 1.0])
        rest = rig.rest.copy()
        rest[:, :3, 3] *= units
        rig = RigRest(rig.bone_names, rig.parents, rest, rig.lengths * units, world)
        result = retarget(joints, names, rig, bones)
        hips = result.roles["hips"]
        travel.append(np.linalg.norm((result.location[-1, hips] @ rig.rest[hips, :3, :3].T)[:2]) / units)
    pelvis = joints[:, names.index("pelvis")]
    assert travel[0] == pytest.approx(travel[1]) == pytest.approx(np.linalg.norm((pelvis[-1] - pelvis[0])[:2]))


def test_the_floor_is_level_in_the_world_when_the_rig_object_is_tilted():
    joints, names = _source()
    m = np.eye(4)
    m[:3, :3] = axis_angle_matrix(np.array([1.0, 0.0, 0.0]), np.radians(25.0)) * 1.5
    rig = build_rig("mixamo", 90.0, matrix_world=m)
    result = retarget(joints, names, rig, PRESETS["mixamo"].bones)
    lift = _lowest_foot_height(rig, result) - _rest_floor(rig, result)
    assert lift.min() > -1e-9 and np.isclose(np.percentile(lift, 5), 0.0, atol=1e-3)


def test_locked_feet_hold_a_sliding_planted_foot_still_on_the_rig():
    frames = 60
    base = np.array([STANDING[n] for n in NAMES], dtype=np.float64)
    joints = np.repeat(base[None], frames, axis=0)
    foot = [NAMES.index(n) for n in ("left_ankle", "left_heel", "left_toe")]
    joints[:, foot, 1] += 0.04 * np.sin(2 * np.pi * np.arange(frames) / frames)[:, None]
    rig = build_rig("mixamo", 90.0)
    ankle = rig.bone_names.index(PRESETS["mixamo"].bones["left_foot"])

    def ankle_speed(**options):
        result = retarget(joints, NAMES, rig, PRESETS["mixamo"].bones, fps=30.0, **options)
        track = pose_matrices(rig, result.rotation, result.location)[:, ankle, :2, 3]
        return np.linalg.norm(np.diff(track, axis=0), axis=-1).max() * 30.0

    assert ankle_speed() > 0.1
    assert ankle_speed(lock_feet=True) < 0.01
