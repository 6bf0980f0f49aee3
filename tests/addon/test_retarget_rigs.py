"""Retargeting real mocap onto real rigs in Blender: every mapped limb bone of the evaluated rig points along
the source limb (within 3 degrees at the median over frames, 10 at worst) and the feet never sink more than
1 cm below the rig's rest floor. Twist errors of forearms and shins are printed (pytest -s)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
import rig_builders
from retarget_checks import LIMB_ROLES, angle_deg, evaluated_bones, measure

from poselift.core.formats.bvh import read_bvh
from poselift.core.formats.mocap_names import pose_from_bvh
from poselift.core.formats.posefile import PoseSequence, write_pose_file
from poselift.core.skeleton import BODY
from poselift.core.synth.evolution import EvolutionConfig, evolve
from poselift.rigs.presets import PRESETS


@dataclass(frozen=True)
class RigCase:
    build: str  # a rig_builders function, or an MPFB rig name
    preset: str
    units_per_metre: float = 1.0
    twist_markers: tuple[tuple[str, str], ...] = ()  # (role, bone whose head marks the twist side)


def _markers(thumb: str | None, toe: str, left: str, right: str) -> tuple[tuple[str, str], ...]:
    pairs = [("shin", toe)] + ([("forearm", thumb)] if thumb else [])
    sides = (("left", left), ("right", right))
    return tuple((f"{side}_{role}", bone.replace(left, token)) for role, bone in pairs for side, token in sides)


RIGS = {
    "rigify_human_metarig": RigCase("human", "metarig", twist_markers=_markers("thumb.01.L", "toe.L", ".L", ".R")),
    "rigify_basic_metarig": RigCase("basic", "metarig", twist_markers=_markers(None, "toe.L", ".L", ".R")),
    "rigify_generated": RigCase("generated", "rigify", twist_markers=_markers(None, "ORG-toe.L", ".L", ".R")),
    "mixamo_bvh_in_cm": RigCase(
        "bvh", "mixamo", 100.0, _markers("mixamorig:LeftHandThumb1", "mixamorig:LeftToeBase", "Left", "Right")
    ),
    "mpfb_mixamo": RigCase(
        "mixamo", "mixamo", twist_markers=_markers("mixamorig:LeftHandThumb1", "mixamorig:LeftToeBase", "Left", "Right")
    ),
    "mpfb_game_engine": RigCase("game_engine", "ue4", twist_markers=_markers("thumb_01_l", "ball_l", "_l", "_r")),
    "mpfb_cmu_mb": RigCase("cmu_mb", "cmu", twist_markers=_markers("LThumb", "LeftToeBase", "Left", "Right")),
    "mpfb_rigify_metarig": RigCase(
        "rigify_metarig", "metarig", twist_markers=_markers("thumb.01.L", "toe.L", ".L", ".R")
    ),
}


@pytest.fixture(scope="module")
def sources(asset, tmp_path_factory) -> dict[str, tuple[PoseSequence, object]]:
    """Real mocap as pose files: Mocapbank's walk (every 3rd frame) and the Mixamo clip, with hand points."""
    folder = tmp_path_factory.mktemp("mocap")
    out = {}
    for name, step in (("test_mocapbank.bvh", 3), ("test_freebvh.bvh", 1)):
        clip = pose_from_bvh(read_bvh(asset(name)))
        pose = PoseSequence.from_joints3d(clip.joints3d[::step, 0], clip.joint_names, fps=clip.fps / step)
        out[name] = (pose, write_pose_file(folder / f"{name}.npz", pose))
    return out


def _build(bpy, asset, case: RigCase):
    if case.build in ("human", "basic"):
        return rig_builders.rigify_metarig(bpy, case.build)
    if case.build == "generated":
        return rig_builders.rigify_generated(bpy)
    if case.build == "bvh":
        return rig_builders.bvh_rig(bpy, asset("test_freebvh.bvh"))
    return rig_builders.mpfb_rig(bpy, asset(rig_builders.MPFB_RIGS[case.build]))


@pytest.mark.parametrize("rig", list(RIGS))
def test_mocap_retargeted_onto_the_rig_points_every_limb_along_the_source_and_keeps_feet_up(
    blender, scene, asset, sources, rig
):
    bpy = blender.bpy
    case = RIGS[rig]
    obj = _build(bpy, asset, case)
    for name, (pose, path) in sources.items():  # each source on the scene's frames 1..F (the rig is animated after one)
        assert bpy.ops.poselift.retarget_pose(filepath=str(path), match_scene=True) == {"FINISHED"}
        bones = blender.module("addon.bone_mapping").best_match(obj).bones
        assert blender.module("addon.bone_mapping").best_match(obj).preset.name == case.preset
        measures = measure(bpy, obj, pose, bones, {role: bone for role, bone in case.twist_markers})
        print(measures.line(f"{rig} <- {name}"))
        assert set(measures.direction) >= {r for r in LIMB_ROLES if "hand" not in r}
        for role, error in measures.direction.items():
            assert np.median(error) < 3.0 and error.max() < 10.0, (name, role, np.median(error), error.max())
        assert measures.sink < 0.01 * case.units_per_metre, (name, measures.sink)


def test_the_generated_rigify_rig_plays_the_motion_on_its_deforming_bones_through_fk(blender, scene, sources):
    """The keyed FK controls move Rigify's ORG bones (which the DEF bones follow) because the action keys the
    arm and leg switches to FK."""
    bpy = blender.bpy
    obj = rig_builders.rigify_generated(bpy)
    pose, path = sources["test_mocapbank.bvh"]
    assert bpy.ops.poselift.retarget_pose(filepath=str(path)) == {"FINISHED"}
    switches = [(b.name, b["IK_FK"]) for b in obj.pose.bones if "IK_FK" in b.keys()]
    assert len(switches) == 4 and all(value == 1.0 for _, value in switches)
    metarig = PRESETS["metarig"].bones
    joints = {n: pose.joints3d[:, 0, j] for j, n in enumerate(pose.joint_names)}
    errors = []
    for frame in range(0, pose.frames, 10):
        posed = evaluated_bones(bpy, obj, frame + 1)
        for side in ("left", "right"):
            for role, (a, b) in {"upper_arm": ("shoulder", "elbow"), "shin": ("knee", "ankle")}.items():
                head, tail, _ = posed[f"ORG-{metarig[f'{side}_{role}']}"]
                errors.append(angle_deg(tail - head, joints[f"{side}_{b}"][frame] - joints[f"{side}_{a}"][frame]))
    assert np.median(errors) < 3.0 and max(errors) < 10.0


@pytest.mark.parametrize("rig", ["mpfb_mixamo", "rigify_human_metarig"])
def test_varied_evolved_poses_are_followed_as_closely(blender, scene, asset, tmp_path, rig):
    bpy = blender.bpy
    body = evolve(EvolutionConfig(seed=3, initial=120, target=120))
    pose = PoseSequence.from_joints3d(body, BODY.joints, fps=30.0)
    path = write_pose_file(tmp_path / "evolved.npz", pose)
    case = RIGS[rig]
    obj = _build(bpy, asset, case)
    assert bpy.ops.poselift.retarget_pose(filepath=str(path)) == {"FINISHED"}
    bones = blender.module("addon.bone_mapping").best_match(obj).bones
    measures = measure(bpy, obj, pose, bones, {role: bone for role, bone in case.twist_markers if "shin" in role})
    print(measures.line(f"{rig} <- evolved poses"))
    for role, error in measures.direction.items():
        assert np.median(error) < 3.0 and error.max() < 10.0, (role, np.median(error), error.max())
    assert measures.sink < 0.01
