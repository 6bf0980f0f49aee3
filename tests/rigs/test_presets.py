"""Rig presets are sound data, are told apart by their bone names, and survive a save and a load."""

import json
import os

import numpy as np
import pytest
from byte_mutations import Tally, flip, splice, truncate

from poselift.core.skeleton import POSELIFT, mirror_name, side_of
from poselift.rigs.mapping_file import MappingFileError, load_mapping, save_mapping
from poselift.rigs.naming import bone_key, find_bones, shared_prefix
from poselift.rigs.presets import PRESETS, detect, match
from poselift.rigs.roles import ESSENTIAL_ROLES, ROLE_BY_NAME, ROLE_NAMES, ROLES


def test_roles_name_real_joints_come_after_their_parents_and_mirror():
    for role in ROLES:
        for joint in role.head + role.tail + role.twist:
            POSELIFT.index(joint)
        if role.parent is not None:
            assert ROLE_NAMES.index(role.parent) < ROLE_NAMES.index(role.name)
        twin = ROLE_BY_NAME[mirror_name(role.name)]
        assert twin.head == tuple(mirror_name(j) for j in role.head)
        assert twin.tail == tuple(mirror_name(j) for j in role.tail)
        if side_of(role.name) != "centre":
            assert all(side_of(j) == side_of(role.name) for j in role.head + role.tail if side_of(j) != "centre")


@pytest.mark.parametrize("preset", PRESETS.values(), ids=PRESETS.keys())
def test_every_preset_names_each_role_once_symmetrically_with_its_essentials(preset):
    assert set(preset.bones) <= set(ROLE_NAMES)
    assert set(ESSENTIAL_ROLES) <= set(preset.bones)
    assert len(set(preset.bones.values())) == len(preset.bones), "a bone plays two roles"
    assert preset.rest in ("T", "A")
    for role, bone in preset.bones.items():
        twin = mirror_name(role)
        assert twin in preset.bones
        if twin != role:
            assert bone != preset.bones[twin]


@pytest.mark.parametrize("preset", PRESETS.values(), ids=PRESETS.keys())
def test_each_preset_is_detected_on_its_own_bones_with_any_namespace(preset):
    for prefix in ("", "mixamorig:", "mixamorig1:", "Character1:"):
        bones = [prefix + b for b in preset.bones.values()] + ["prop_sword", "IK_target"]
        best = detect(bones)[0]
        assert best.preset is preset and best.score == 1.0, prefix
        assert best.bones == {role: prefix + b for role, b in preset.bones.items()}


def test_a_mixamo_rig_without_fingers_is_mixamo_not_the_smaller_cmu_preset():
    bones = ["mixamorig:" + b for role, b in PRESETS["mixamo"].bones.items() if "thumb" not in role
             and "index" not in role and "finger" not in role]  # fmt: skip
    best = detect(bones)[0]
    assert best.preset.name == "mixamo" and best.bones["upper_chest"] == "mixamorig:Spine2"


def test_a_prefix_shared_by_the_whole_rig_is_ignored():
    bones = ["m_avg_" + b for b in PRESETS["smpl"].bones.values()]
    assert shared_prefix(bones) == "m_avg_"
    assert detect(bones)[0].preset.name == "smpl"


def test_names_match_across_case_and_separators_but_not_inside_other_names():
    assert bone_key("mixamorig1:Left_Arm") == bone_key("LeftArm") == "leftarm"
    assert find_bones(["spine", "spine.001"], ["tweak_spine", "spine_001", "spine"]) == {
        "spine": "spine",
        "spine.001": "spine_001",
    }


def test_a_rig_missing_limbs_keeps_the_roles_it_has():
    bones = [b for r, b in PRESETS["mixamo"].bones.items() if not r.startswith("left_")]
    m = match(PRESETS["mixamo"], bones)
    assert "left_upper_arm" not in m.bones and m.bones["right_upper_arm"] == "RightArm"
    assert set(m.missing_essentials) == {"left_upper_arm", "left_forearm", "left_thigh", "left_shin"}


def test_an_unknown_rig_scores_low_everywhere():
    assert detect(["Bone", "Bone.001", "Bone.002", "Cube_ctrl"])[0].score == 0.0


def test_a_user_mapping_round_trips_and_bad_files_are_named(tmp_path):
    path = save_mapping(tmp_path / "my_rig.json", PRESETS["ue5"])
    loaded = load_mapping(path)
    assert (loaded.bones, loaded.rest, loaded.root_bone) == (PRESETS["ue5"].bones, "A", "root")
    bad = {
        "missing.json": None,
        "cut.json": '{"format": "poselift-bone-mapping", "ver',
        "other.json": json.dumps({"format": "something else"}),
        "roles.json": json.dumps({"format": "poselift-bone-mapping", "version": 1, "bones": {"tail": "Tail"}}),
        "version.json": json.dumps({"format": "poselift-bone-mapping", "version": 7, "bones": {}}),
    }
    for name, text in bad.items():
        if text is not None:
            (tmp_path / name).write_text(text)
        with pytest.raises(MappingFileError) as caught:
            load_mapping(tmp_path / name)
        assert str(caught.value).startswith(str(tmp_path / name)) and "\n" not in str(caught.value)


# Values a mapping field is replaced by in the fuzz test: other kinds, sizes and nestings.
ODD_VALUES = ("null", "true", "1e999", "-1", '""', '"x"', "[]", "{}", '{"hips": 3}', '{"hips": ""}', "[" * 5000,
              '"' + "x" * 100_000 + '"', '{"hips": "a", "tail": "b"}', '"T"', '"Q"', "NaN")  # fmt: skip


def _replace_field(data: bytes, rng: np.random.Generator) -> bytes:
    fields = json.loads(data)
    fields[("format", "version", "rest", "root_bone", "bones", "extra")[int(rng.integers(0, 6))]] = "@VALUE@"
    return json.dumps(fields).replace('"@VALUE@"', ODD_VALUES[int(rng.integers(0, len(ODD_VALUES)))]).encode()


def test_a_mutated_mapping_file_is_read_or_refused_in_one_sentence(tmp_path):
    """Only MappingFileError leaves the reader, whatever the bytes."""
    base = save_mapping(tmp_path / "rig.json", PRESETS["mixamo"]).read_bytes()
    rng, path = np.random.default_rng(0), tmp_path / "fuzzed.json"
    tally = Tally(load_mapping, MappingFileError, "read")
    cases = int(os.environ.get("POSELIFT_FUZZ_CASES", "1000"))
    tally.fuzz(path, base, (flip, truncate, splice, _replace_field), rng, cases, "mapping")
    assert tally.refused > tally.counts.total() / 2
