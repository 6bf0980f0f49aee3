"""The camera a pose file was filmed by, as a Blender camera object with the video behind it."""

from __future__ import annotations

import math
from pathlib import Path

import bpy
from mathutils import Vector

from ..core.motion.camera import FileCamera
from ..core.motion.root_motion import SENSOR_MM


def add_camera(context: bpy.types.Context, camera: FileCamera, origin: Vector, name: str,
               folder: Path) -> bpy.types.Object:  # fmt: skip
    """A camera object named `name` as `camera` saw the people: `origin` is where the pose file's origin lies in the
    scene, the camera `camera.height` above it looking along +Y pitched down by `camera.pitch` and rolled by
    `camera.roll`, its lens and sensor fitted to the picture's long side; the video (its path as written, else
    beside the pose file's `folder`) shown behind it where the file is there. Linked to the active collection; the
    scene's camera is not changed."""
    data = bpy.data.cameras.new(name)
    data.lens, data.sensor_width = camera.lens_mm, SENSOR_MM
    data.sensor_fit = "HORIZONTAL" if camera.image_size[0] >= camera.image_size[1] else "VERTICAL"
    data.sensor_height = SENSOR_MM
    obj = bpy.data.objects.new(name, data)
    obj.location = origin + Vector((0.0, 0.0, camera.height))
    obj.rotation_mode = "ZXY"  # turned about its own optical axis (the roll) first, then pitched
    obj.rotation_euler = (math.pi / 2 - camera.pitch, 0.0, camera.roll)
    context.collection.objects.link(obj)
    video = _video(camera.video, folder)
    if video is not None:
        clip = bpy.data.movieclips.load(str(video))  # its own clip, so undoing the import removes it
        clip.frame_start = context.scene.frame_start
        background = data.background_images.new()
        background.source, background.clip = "MOVIE_CLIP", clip
        data.show_background_images = True
    return obj


def _video(written: str | None, folder: Path) -> Path | None:
    if not written:
        return None
    for path in (Path(written), folder / Path(written).name):
        if path.is_file():
            return path.resolve()
    return None
