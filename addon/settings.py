"""The options of a lift, stored with the scene (`scene.poselift`), so a .blend remembers how its motion was made;
and what the last look at a photo or a video found (its people, their previews), for the panels."""

from __future__ import annotations

import bpy
from bpy.props import (
    BoolProperty,
    CollectionProperty,
    EnumProperty,
    FloatProperty,
    IntProperty,
    PointerProperty,
    StringProperty,
)

from .scene_state import nothing_animated

MODELS = [
    ("full", "Full", "BlazePose full: the default balance of speed and accuracy"),
    ("lite", "Lite", "BlazePose lite: fastest"),
    ("heavy", "Heavy", "BlazePose heavy: most accurate, slowest"),
]
DEVICES = [
    ("auto", "Auto", "The GPU when the worker's torch sees one, else the CPU"),
    ("cpu", "CPU", "Always the CPU"),
    ("cuda", "GPU (CUDA)", "An NVIDIA GPU through CUDA"),
]
TARGETS = [
    ("NEW", "New armature", "A new armature per person, at the 3D cursor"),
    ("ACTIVE", "Active rig", "The active armature, retargeted (a copy of it for each further person)"),
]
PEOPLE = [
    ("LONGEST", "Longest track", "The person seen longest"),
    ("CHOSEN", "Chosen", "The people ticked in the list (Scan finds them)"),
    ("ALL", "Everybody", "Every person tracked: one armature (or copy of the rig) each"),
]


class POSELIFT_track(bpy.types.PropertyGroup):
    """One person a scan of the video found."""

    track: IntProperty(name="Track")  # type: ignore[valid-type]
    frames: IntProperty(name="Frames")  # type: ignore[valid-type]
    seconds: FloatProperty(name="Seen", unit="TIME_ABSOLUTE")  # type: ignore[valid-type]
    first_s: FloatProperty(name="From", unit="TIME_ABSOLUTE")  # type: ignore[valid-type]
    last_s: FloatProperty(name="To", unit="TIME_ABSOLUTE")  # type: ignore[valid-type]
    height_px: FloatProperty(name="Height in the picture")  # type: ignore[valid-type]
    thumbnail: StringProperty(name="Thumbnail", subtype="FILE_PATH")  # type: ignore[valid-type]
    chosen: BoolProperty(name="Use", description="Animate this person", default=True)  # type: ignore[valid-type]


def _armatures(_settings, obj: bpy.types.Object) -> bool:
    return obj.type == "ARMATURE"


class POSELIFT_batch_item(bpy.types.PropertyGroup):
    """One video of a batch and the rig it goes onto (none: a new armature)."""

    video: StringProperty(name="Video", subtype="FILE_PATH")  # type: ignore[valid-type]
    rig: PointerProperty(name="Rig", type=bpy.types.Object, poll=_armatures)  # type: ignore[valid-type]
    status: StringProperty(name="Status")  # type: ignore[valid-type]


def _get_match_scene(self) -> bool:
    return bool(self.get("match_scene", nothing_animated(self.id_data)))


def _set_match_scene(self, value: bool) -> None:
    self["match_scene"] = value


class POSELIFT_settings(bpy.types.PropertyGroup):
    image: StringProperty(name="Photo", subtype="FILE_PATH", description="The photo to lift a pose from")  # type: ignore[valid-type]
    video: StringProperty(name="Video", subtype="FILE_PATH", description="The video to animate from")  # type: ignore[valid-type]
    model: EnumProperty(name="2D model", items=MODELS, default="full")  # type: ignore[valid-type]
    device: EnumProperty(name="Device", items=DEVICES, default="auto")  # type: ignore[valid-type]
    use_height: BoolProperty(name="Height", description="Scale every person to this stature (else 1.70 m)")  # type: ignore[valid-type]
    height: FloatProperty(  # type: ignore[valid-type]
        name="Height", description="The people's stature", default=1.7, min=0.5, max=2.5, unit="LENGTH"
    )
    smoothing: FloatProperty(  # type: ignore[valid-type]
        name="Smoothing", description="Strength of the temporal model: 1 the default, more is smoother, 0 none",
        default=1.0, min=0.0, max=10.0,
    )
    lock_feet: BoolProperty(  # type: ignore[valid-type]
        name="Lock feet", description="Hold feet still while they touch the floor (stops foot skating)"
    )
    in_place: BoolProperty(name="In place", description="Keep the height, drop the travel across the floor")  # type: ignore[valid-type]
    keep_above_floor: BoolProperty(  # type: ignore[valid-type]
        name="Keep above floor", description="Raise the body where a foot would sink below the floor", default=True
    )
    max_people: IntProperty(name="Most people", description="Most people found in a photo", default=10, min=1, max=50)  # type: ignore[valid-type]
    start: FloatProperty(  # type: ignore[valid-type]
        name="Start", description="First second of the video to read", default=0.0, min=0.0, unit="TIME_ABSOLUTE"
    )
    end: FloatProperty(  # type: ignore[valid-type]
        name="End", description="Second to stop reading at (0: the end of the video)", default=0.0, min=0.0,
        unit="TIME_ABSOLUTE",
    )
    use_focal: BoolProperty(  # type: ignore[valid-type]
        name="Focal length", description="The camera's focal length (else the one a phone wrote into the video, "
        "else 50 mm)",
    )
    focal_mm: FloatProperty(  # type: ignore[valid-type]
        name="Focal length", description="The camera's focal length, 35 mm equivalent (a full-frame sensor 36 mm "
        "wide)", default=50.0, min=5.0, max=1200.0,
    )
    target: EnumProperty(name="Onto", items=TARGETS, default="NEW")  # type: ignore[valid-type]
    people: EnumProperty(name="People", items=PEOPLE, default="LONGEST")  # type: ignore[valid-type]
    person: IntProperty(name="Person", description="Which person of the photo (the number drawn on it)", min=0)  # type: ignore[valid-type]
    keep_pose_file: BoolProperty(  # type: ignore[valid-type]
        name="Keep pose file", description="Save the lifted motion as a pose file beside the .blend, to retarget "
        "it again later without lifting again",
    )
    match_scene: BoolProperty(  # type: ignore[valid-type]
        name="Match scene to video", description="Set the scene's frame rate, range and picture size to the "
        "video's (on by default while nothing in the scene is animated)", get=_get_match_scene, set=_set_match_scene,
    )
    with_camera: BoolProperty(  # type: ignore[valid-type]
        name="Add camera", description="Also add the camera that filmed the video (its height, pitch and lens, as "
        "the lift found them), with the video behind it, for new armatures", default=True,
    )
    # What the last look found: a photo's people, a video's tracks, and the settings they were found with.
    image_found: StringProperty(options={"HIDDEN"})  # type: ignore[valid-type]
    image_result: StringProperty(options={"HIDDEN"}, subtype="FILE_PATH")  # type: ignore[valid-type]
    image_preview: StringProperty(options={"HIDDEN"}, subtype="FILE_PATH")  # type: ignore[valid-type]
    image_people: IntProperty(options={"HIDDEN"})  # type: ignore[valid-type]
    video_scanned: StringProperty(options={"HIDDEN"})  # type: ignore[valid-type]
    video_preview: StringProperty(options={"HIDDEN"}, subtype="FILE_PATH")  # type: ignore[valid-type]
    tracks: CollectionProperty(type=POSELIFT_track)  # type: ignore[valid-type]
    track_index: IntProperty(options={"HIDDEN"})  # type: ignore[valid-type]
    batch: CollectionProperty(type=POSELIFT_batch_item)  # type: ignore[valid-type]
    batch_index: IntProperty(options={"HIDDEN"})  # type: ignore[valid-type]


def settings(context: bpy.types.Context) -> POSELIFT_settings:
    return context.scene.poselift


classes = (POSELIFT_track, POSELIFT_batch_item, POSELIFT_settings)
_register, _unregister = bpy.utils.register_classes_factory(classes)


def register() -> None:
    _register()
    bpy.types.Scene.poselift = PointerProperty(type=POSELIFT_settings)


def unregister() -> None:
    del bpy.types.Scene.poselift
    _unregister()
