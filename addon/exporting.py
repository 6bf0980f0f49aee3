"""An animated armature (with the meshes it deforms) exported by Blender's own exporters: FBX, BVH, glTF.

Each exporter samples the evaluated pose frame by frame over the scene's frame range, so constraint-driven
bones (a Rigify rig's deform bones) carry the motion. Files are written into a temporary folder beside the target and
renamed into place (a .gltf's .bin before the .gltf), so an existing file is replaced whole or not at all.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import bpy

FORMATS = {".fbx": "FBX", ".bvh": "BVH", ".glb": "glTF binary", ".gltf": "glTF with its .bin"}


class ExportError(Exception):
    """An export that could not be done; the message is one sentence naming the file."""


def export_animation(context: bpy.types.Context, obj: bpy.types.Object, path: str | Path) -> Path:
    """Write `obj`'s animation (and the meshes parented to it) to `path`, its format from the suffix."""
    path = Path(path).resolve()
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise ExportError(f"{path}: cannot export to '{suffix}'; use {', '.join(FORMATS)}.")
    if not path.parent.is_dir():
        raise ExportError(f"{path}: the folder {path.parent} does not exist.")
    folder = path.with_name(f".{path.stem}.{os.getpid()}.part")
    selected = [o for o in context.view_layer.objects if o.select_get()]
    active = context.view_layer.objects.active
    try:
        folder.mkdir()
        for other in context.view_layer.objects:
            other.select_set(other == obj or (other.parent == obj and other.type == "MESH"))
        context.view_layer.objects.active = obj
        _EXPORTERS[suffix](obj, str(folder / path.name), context.scene)
        written = sorted(folder.iterdir(), key=lambda f: f.suffix == suffix)  # the main file last
        for file in written:
            os.replace(file, path.with_name(file.name))
    except (RuntimeError, OSError) as e:
        raise ExportError(f"{path}: the {FORMATS[suffix]} export failed ({' '.join(str(e).split())}).") from None
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        for other in context.view_layer.objects:
            other.select_set(other in selected)
        context.view_layer.objects.active = active
    return path


def _deform_only(obj: bpy.types.Object) -> bool:
    """Export only deform bones for a generated Rigify rig (its controls are not part of the character)."""
    return obj.data.get("rig_id") is not None


def _fbx(obj: bpy.types.Object, filepath: str, scene: bpy.types.Scene) -> None:
    bpy.ops.export_scene.fbx(
        filepath=filepath,
        use_selection=True,
        object_types={"ARMATURE", "MESH"},
        add_leaf_bones=False,
        use_armature_deform_only=_deform_only(obj),
        bake_anim=True,
        bake_anim_use_all_actions=False,
        bake_anim_use_nla_strips=False,
    )


def _bvh(obj: bpy.types.Object, filepath: str, scene: bpy.types.Scene) -> None:
    bpy.ops.export_anim.bvh(filepath=filepath, frame_start=scene.frame_start, frame_end=scene.frame_end)


def _gltf(export_format: str):
    def export(obj: bpy.types.Object, filepath: str, scene: bpy.types.Scene) -> None:
        bpy.ops.export_scene.gltf(
            filepath=filepath,
            export_format=export_format,
            use_selection=True,
            export_animations=True,
            export_animation_mode="ACTIVE_ACTIONS",
            export_def_bones=_deform_only(obj),
        )

    return export


_EXPORTERS = {".fbx": _fbx, ".bvh": _bvh, ".glb": _gltf("GLB"), ".gltf": _gltf("GLTF_SEPARATE")}
