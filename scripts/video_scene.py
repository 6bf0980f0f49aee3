"""The Blender scene of the test video: the body posed by PoseLift's retargeting, its ground truth read from
the evaluated rig, a still camera (level or pitched down), a floor, Workbench rendering to H.264. Used by
make_test_video.py.

The ground truth joints (GROUND_TRUTH says each one's definition) are named from the rig's bones by the Mixamo
convention of core/formats/mocap_names.py, as if the rig were a mocap file: a bone's head is the joint named after the
bone, a bone without children ends in '<bone>_end' at its tail.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import bpy
import numpy as np
from anny_body import Body, build
from bpy_extras.object_utils import world_to_camera_view

from poselift.core.formats.mocap_names import MIXAMO
from poselift.core.formats.posefile import PoseSequence
from poselift.core.skeleton import POSELIFT
from poselift.rigs.presets import PRESETS, match
from poselift.rigs.retarget import RigRest, retarget

GROUND_TRUTH = (
    "Joints of the rendered body's rig as Blender evaluates it, named by the Mixamo convention of "
    "core/formats/mocap_names.py: pelvis = mid-point of the UpLeg heads; spine = Spine1's head; thorax = Neck's head; "
    "neck = Head's head; head_top = Head's tail; hip, knee, ankle, shoulder, elbow, wrist = the heads of UpLeg, "
    "Leg, Foot, Arm, ForeArm, Hand; toe = ToeBase's tail (the second toe's tip); thumb = HandThumb2's head, "
    "index = HandIndex1's head, pinky = HandPinky1's head; heel = the rear of the heel's sole at rest, carried "
    "by the Foot bone. Every joint is known in every frame (confidence 1); occlusion is not marked."
)
FLOOR_COLOUR = (0.60, 0.55, 0.45)
BACKDROP_COLOUR = (0.55, 0.60, 0.66)
PROJECTION_TOLERANCE_PX = 0.01


@dataclass
class VideoScene:
    """The body in an otherwise empty scene; `size` (W, H) pixels of the render."""

    body: Body
    rig: bpy.types.Object
    size: tuple[int, int]
    frames: int = 0

    @classmethod
    def new(cls, body: Body, size: tuple[int, int]) -> VideoScene:
        """A factory-empty scene with the body, a floor, a backdrop colour and the render settings."""
        bpy.ops.wm.read_factory_settings(use_empty=True)
        rig, _ = build(bpy, body)
        scene = bpy.context.scene
        floor = bpy.data.meshes.new("Floor")
        floor.from_pydata([(-50, -50, 0), (50, -50, 0), (50, 50, 0), (-50, 50, 0)], [], [(0, 1, 2, 3)])
        material = bpy.data.materials.new("Floor")
        material.diffuse_color = (*FLOOR_COLOUR, 1.0)
        floor.materials.append(material)
        scene.collection.objects.link(bpy.data.objects.new("Floor", floor))
        scene.world = bpy.data.worlds.new("Backdrop")
        scene.world.color = BACKDROP_COLOUR
        scene.render.engine = "BLENDER_WORKBENCH"
        scene.display.shading.light = "STUDIO"
        scene.display.shading.color_type = "MATERIAL"
        scene.display.shading.show_shadows = True
        scene.display.render_aa = "FXAA"
        scene.view_settings.view_transform = "Standard"
        scene.render.resolution_x, scene.render.resolution_y = size
        scene.render.resolution_percentage = 100
        scene.render.pixel_aspect_x = scene.render.pixel_aspect_y = 1.0
        return cls(body, rig, size)

    def animate(self, joints: np.ndarray, joint_names: tuple[str, ...], fps: float) -> None:
        """Key the rig to follow `joints` (F, J, 3) metres, Z up, one frame each from frame 1, through
        rigs/retarget.py with the Mixamo preset and planted feet locked."""
        rig = _rig_rest(self.rig)
        found = match(PRESETS["mixamo"], list(rig.bone_names))  # its root motion goes on the hips bone
        result = retarget(joints, joint_names, rig, found.bones, lock_feet=True, fps=fps)
        self.frames = len(joints)
        action = bpy.data.actions.new("TestVideo")
        self.rig.animation_data_create().action = action
        keys = np.arange(1, self.frames + 1, dtype=np.float64)
        for b in result.keyed:
            bone = rig.bone_names[b]
            self.rig.pose.bones[bone].rotation_mode = "QUATERNION"
            channels = [("rotation_quaternion", result.rotation[:, b])]
            if b == result.root_bone:
                channels.append(("location", result.location[:, b]))
            for prop, values in channels:
                path = f'pose.bones["{bpy.utils.escape_identifier(bone)}"].{prop}'
                for i in range(values.shape[1]):
                    curve = action.fcurve_ensure_for_datablock(self.rig, path, index=i, group_name=bone)
                    curve.keyframe_points.add(self.frames)
                    curve.keyframe_points.foreach_set("co", np.stack([keys, values[:, i]], 1).ravel())
                    curve.update()
        scene = bpy.context.scene
        scene.frame_start, scene.frame_end = 1, self.frames
        scene.render.fps, scene.render.fps_base = round(fps), 1.0

    def ground_truth(self) -> np.ndarray:
        """(F, 27, 3) metres, world frame: the POSELIFT joints of the evaluated rig at every keyed frame."""
        names, recipes = _joint_sources(self.body)
        heels = {
            POSELIFT.index("left_heel" if bone.split(":")[-1].startswith("Left") else "right_heel"): (
                bone,
                np.linalg.inv(np.array(self.rig.data.bones[bone].matrix_local)) @ np.append(point, 1.0),
            )
            for bone, point in self.body.heels.items()
        }  # joint: (foot bone, the heel in that bone's rest frame)
        out = np.full((self.frames, len(POSELIFT), 3), np.nan)
        scene = bpy.context.scene
        world = np.array(self.rig.matrix_world)
        for f in range(self.frames):
            scene.frame_set(f + 1)
            evaluated = self.rig.evaluated_get(bpy.context.evaluated_depsgraph_get())
            points = _bone_points(evaluated, names, world)
            for joint, weights in recipes.items():
                out[f, POSELIFT.index(joint)] = sum(w * points[s] for s, w in weights.items())
            for joint, (bone, local) in heels.items():
                out[f, joint] = (world @ np.array(evaluated.pose.bones[bone].matrix) @ local)[:3]
        scene.frame_set(1)
        if np.isnan(out).any():
            raise ValueError("the rig does not give every PoseLift joint")
        return out

    def place_camera(self, location: np.ndarray, pitch: float, lens_mm: float, sensor_mm: float,
                     roll: float = 0.0) -> None:  # fmt: skip
        """A camera at `location` looking along +Y pitched down by `pitch` degrees, then rolled by `roll` degrees
        about its optical axis, counter-clockwise seen from behind (image right = +X; image up = +Z when level)."""
        camera = bpy.data.cameras.new("Camera")
        camera.lens, camera.sensor_width, camera.sensor_fit = lens_mm, sensor_mm, "HORIZONTAL"
        camera.clip_start, camera.clip_end = 0.05, 200.0
        obj = bpy.data.objects.new("Camera", camera)
        obj.location = location.tolist()
        obj.rotation_mode = "ZXY"  # turned about its own optical axis first, then pitched
        obj.rotation_euler = (np.pi / 2 - np.radians(pitch), 0.0, np.radians(roll))
        bpy.context.scene.collection.objects.link(obj)
        bpy.context.scene.camera = obj
        bpy.context.view_layer.update()

    def check_projection(self, joints3d: np.ndarray, joints2d: np.ndarray) -> None:
        """ValueError unless the 2D ground truth is Blender's own projection of the 3D, to the tolerance."""
        scene = bpy.context.scene
        w, h = self.size
        worst = 0.0
        for f in (0, self.frames // 2, self.frames - 1):
            for j in range(joints3d.shape[1]):
                x, y, _ = world_to_camera_view(scene, scene.camera, _vector(joints3d[f, j]))
                blender = np.array([x * w - 0.5, (1 - y) * h - 0.5])
                worst = max(worst, float(np.abs(blender - joints2d[f, j]).max()))
        if worst > PROJECTION_TOLERANCE_PX:
            raise ValueError(f"the camera model is {worst:.3f} px from Blender's projection")
        if not ((joints2d >= 0) & (joints2d <= np.array(self.size) - 1)).all():
            raise ValueError("a joint leaves the picture")

    def render(self, path: Path, fps: float) -> Path:
        """Render every keyed frame to `path` as H.264 in MP4 (written beside it, then renamed)."""
        scene = bpy.context.scene
        settings = scene.render.image_settings
        settings.media_type = "VIDEO"
        settings.file_format = "FFMPEG"
        settings.color_mode = "RGB"
        scene.render.ffmpeg.format = "MPEG4"
        scene.render.ffmpeg.codec = "H264"
        scene.render.ffmpeg.constant_rate_factor = "HIGH"
        scene.render.ffmpeg.ffmpeg_preset = "GOOD"
        scene.render.ffmpeg.audio_codec = "NONE"
        for stamp in ("date", "time", "render_time", "memory", "hostname", "frame", "frame_range", "camera", "lens",
                      "scene", "marker", "filename", "sequencer_strip", "note"):  # fmt: skip
            setattr(scene.render, f"use_stamp_{stamp}", False)  # no metadata that changes from run to run
        with tempfile.TemporaryDirectory(prefix=".render-", dir=path.parent) as tmp:
            scene.render.filepath = str(Path(tmp) / "video")
            bpy.ops.render.render(animation=True)
            made = sorted(Path(tmp).glob("*.mp4"))
            if len(made) != 1:
                raise ValueError(f"Blender wrote {len(made)} video files instead of one")
            shutil.move(made[0], path)
        return path


def pose_sequence(joints3d, joints2d, fps: float, size: tuple[int, int], source: str, metadata: dict) -> PoseSequence:
    """The ground truth as a one-person pose sequence: every joint known (confidence 1), track 0."""
    frames = len(joints3d)
    return PoseSequence(
        joint_names=POSELIFT.joints,
        joints3d=joints3d[:, None].astype(np.float32),
        joints2d=joints2d[:, None].astype(np.float32),
        confidence=np.ones((frames, 1, len(POSELIFT)), np.float32),
        track_id=np.zeros((frames, 1), np.int32),
        fps=fps,
        image_size=size,
        source=source,
        metadata=metadata,
    )


def _rig_rest(obj: bpy.types.Object) -> RigRest:
    """The armature at rest for rigs/retarget.py (bones parents first, as anny_body builds them)."""
    bones = obj.data.bones
    names = tuple(b.name for b in bones)
    return RigRest(
        bone_names=names,
        parents=tuple(names.index(b.parent.name) if b.parent else -1 for b in bones),
        rest=np.array([np.array(b.matrix_local) for b in bones]),
        lengths=np.array([b.length for b in bones]),
        matrix_world=np.array(obj.matrix_world),
    )


def _joint_sources(body: Body) -> tuple[list[str], dict[str, dict[int, float]]]:
    """The rig's named points (bone heads, then the tails of bones without children as '<bone>_end') and the
    Mixamo convention's recipe for each joint it gives: {joint: {point index: weight}}."""
    leaves = [n for b, n in enumerate(body.bone_names) if b not in body.parents]
    names = list(body.bone_names) + [f"{n}_end" for n in leaves]
    return names, MIXAMO.resolve(names)


def _bone_points(evaluated: bpy.types.Object, names: list[str], world: np.ndarray) -> list[np.ndarray]:
    """(3,) world positions of the named points of the evaluated rig, in `names` order."""
    bones = evaluated.pose.bones
    out = []
    for name in names:
        point = bones[name[:-4]].tail if name.endswith("_end") else bones[name].head
        out.append(world[:3, :3] @ np.array(point) + world[:3, 3])
    return out


def _vector(point: np.ndarray):
    from mathutils import Vector

    return Vector(point.tolist())
