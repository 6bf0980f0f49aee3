"""The sidebar an animator works in: each panel draws in a real context with and without an armature, every
option is the scene's, a photo's people are shown numbered before the lift, and the choice is used."""

from __future__ import annotations

import numpy as np
import pytest
from layout_checks import draw_panel
from PIL import Image
from scene_checks import scene_snapshot

PANELS = (
    "POSELIFT_PT_image",
    "POSELIFT_PT_image_options",
    "POSELIFT_PT_video",
    "POSELIFT_PT_video_options",
    "POSELIFT_PT_batch",
    "POSELIFT_PT_retarget",
    "POSELIFT_PT_bone_mapping",
)
OPTIONS = {  # what the issue asks the panels to offer, as the scene's properties
    "model", "device", "height", "smoothing", "lock_feet", "in_place", "keep_above_floor", "max_people", "start",
    "end", "focal_mm", "target", "keep_pose_file", "match_scene", "people",
}  # fmt: skip


def _draw_all(blender) -> dict:
    bpy = blender.bpy
    return {name: draw_panel(bpy, getattr(bpy.types, name), bpy.context) for name in PANELS}


@pytest.mark.parametrize("with_armature", [False, True], ids=["empty scene", "armature active"])
def test_every_panel_draws_in_a_real_context_and_offers_every_option(blender, scene, with_armature):
    bpy = blender.bpy
    if with_armature:
        bpy.ops.object.armature_add()
    settings = scene.poselift
    settings.people = "CHOSEN"
    drawn = _draw_all(blender)
    offered = {name for d in drawn.values() for name in d.props()}
    assert OPTIONS <= offered, f"not in any panel: {sorted(OPTIONS - offered)}"
    operators = {op for d in drawn.values() for op in d.operators()}
    assert {"poselift.find_people", "poselift.lift_image", "poselift.scan_video", "poselift.lift_video",
            "poselift.batch_add", "poselift.batch_run"} <= operators  # fmt: skip
    assert any(name == "tracks" for d in drawn.values() for c in d.calls if c[0] == "list" for name in c[2:])
    retarget = drawn["POSELIFT_PT_retarget"]
    if with_armature:
        assert any("bones not recognised" in label for label in retarget.labels())
        assert "poselift.retarget_pose" in retarget.operators()
        assert drawn["POSELIFT_PT_bone_mapping"].operators(), "the mapping tools show for an armature"
    else:
        assert "Select an armature to retarget onto" in retarget.labels()
        assert not drawn["POSELIFT_PT_bone_mapping"].calls, "no mapping without an armature"


def test_the_options_are_stored_with_the_scene(blender, scene, tmp_path):
    bpy = blender.bpy
    settings = scene.poselift
    settings.model, settings.smoothing, settings.lock_feet, settings.start = "heavy", 2.5, True, 1.5
    path = tmp_path / "options.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(path))
    settings.model, settings.smoothing, settings.lock_feet, settings.start = "lite", 1.0, False, 0.0
    bpy.ops.wm.open_mainfile(filepath=str(path))
    settings = bpy.context.scene.poselift
    assert (settings.model, settings.smoothing, settings.lock_feet, settings.start) == ("heavy", 2.5, True, 1.5)


def test_match_scene_is_on_by_default_only_while_nothing_is_animated(blender, scene):
    bpy = blender.bpy
    assert scene.poselift.match_scene
    bpy.ops.mesh.primitive_cube_add()
    cube = bpy.context.active_object
    cube.keyframe_insert("location", frame=1)
    assert not scene.poselift.match_scene, "the scene has an animation: its timing is the user's"
    scene.poselift.match_scene = True
    assert scene.poselift.match_scene, "what the user sets stays"


def test_find_people_shows_the_photo_with_its_people_numbered_then_lifts_the_one_chosen(blender, scene, asset):
    bpy = blender.bpy
    settings = scene.poselift
    settings.image = str(asset("messi5.jpg"))
    assert bpy.ops.poselift.find_people() == {"FINISHED"}
    assert settings.image_people >= 1
    preview = np.asarray(Image.open(settings.image_preview).convert("RGB"))
    photo = np.asarray(Image.open(asset("messi5.jpg")).convert("RGB"))
    assert preview.shape == photo.shape and np.abs(preview.astype(int) - photo).max() > 100, "skeletons drawn"
    drawn = draw_panel(bpy, bpy.types.POSELIFT_PT_image, bpy.context)
    assert "person" in drawn.props() and any("found" in label for label in drawn.labels())
    assert len(drawn.icons()) == 1, "the preview is shown (its icon id is 0 without a GPU context)"
    before = set(bpy.data.objects)
    settings.person = settings.image_people  # one past the last
    with pytest.raises(RuntimeError, match="was not found"):
        bpy.ops.poselift.lift_image()
    assert set(bpy.data.objects) == before
    settings.person = 0
    assert bpy.ops.poselift.lift_image() == {"FINISHED"}
    (made,) = set(bpy.data.objects) - before
    assert made.type == "ARMATURE" and made.name == "messi5"


def test_a_photo_lift_with_a_rig_that_is_not_there_changes_nothing(blender, scene, asset):
    bpy = blender.bpy
    scene.poselift.target = "ACTIVE"
    scene.poselift.image = str(asset("messi5.jpg"))
    before = scene_snapshot(bpy)
    with pytest.raises(RuntimeError, match="Select an armature"):
        bpy.ops.poselift.lift_image()
    assert scene_snapshot(bpy) == before
