"""What an operator changes in the scene besides its own data (selection, active object, timing), captured
before and restored after a failure; and the scene timing a pose file sets when the user asks for it."""

from __future__ import annotations

from dataclasses import dataclass

import bpy

from ..core.formats.posefile import PoseSequence


def set_timing(scene: bpy.types.Scene, pose: PoseSequence) -> None:
    """The scene plays the pose file's frames at its fps, from its first frame: frame_start to frame_start + F - 1,
    and renders at the video's picture size (so a camera that matches the video frames it as the video did). A
    single pose (a photo's) has no timing of its own: the scene keeps its frame rate, range and size."""
    if pose.frames == 1:
        return
    scene.render.resolution_x, scene.render.resolution_y = (int(n) for n in pose.image_size)
    scene.render.resolution_percentage = 100
    fps = max(1, round(pose.fps))
    scene.render.fps = fps
    scene.render.fps_base = fps / pose.fps
    scene.frame_end = scene.frame_start + pose.frames - 1


def scene_fps(scene: bpy.types.Scene) -> float:
    """The scene's frame rate, frames per second."""
    return scene.render.fps / scene.render.fps_base


def nothing_animated(scene: bpy.types.Scene) -> bool:
    """True when no object of the scene has an action yet: a scene whose timing nobody has chosen."""
    return not any(o.animation_data and o.animation_data.action for o in scene.objects)


@dataclass
class SceneState:
    """Selection, active object, timing, picture size and current frame of the scene."""

    active: bpy.types.Object | None
    selected: list[bpy.types.Object]
    timing: tuple[int, float, int, int]
    size: tuple[int, int, int]
    frame: int

    @classmethod
    def capture(cls, context: bpy.types.Context) -> SceneState:
        scene = context.scene
        return cls(
            active=context.view_layer.objects.active,
            selected=[o for o in context.view_layer.objects if o.select_get()],
            timing=(scene.render.fps, scene.render.fps_base, scene.frame_start, scene.frame_end),
            size=(scene.render.resolution_x, scene.render.resolution_y, scene.render.resolution_percentage),
            frame=scene.frame_current,
        )

    def restore(self, context: bpy.types.Context) -> None:
        scene = context.scene
        scene.render.fps, scene.render.fps_base, scene.frame_start, scene.frame_end = self.timing
        scene.render.resolution_x, scene.render.resolution_y, scene.render.resolution_percentage = self.size
        scene.frame_set(self.frame)
        context.view_layer.update()  # forget the bases of removed objects
        for obj in context.view_layer.objects:
            obj.select_set(obj in self.selected)
        context.view_layer.objects.active = self.active


def reason(e: Exception) -> str:
    """An exception as a clause: 'OSError: no space left on device'."""
    return f"{type(e).__name__}: {' '.join(str(e).split())}".rstrip(".")
