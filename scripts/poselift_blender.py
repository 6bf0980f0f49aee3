"""Import a pose file into Blender headless: as an animated joint armature, or retargeted onto a rig; save the
result as a .blend and/or export it as FBX, BVH or glTF.

    blender -b --python scripts/poselift_blender.py -- POSEFILE [-o OUT.blend] [--export OUT.fbx] [options]
    python scripts/poselift_blender.py POSEFILE [-o OUT.blend] [--export OUT.fbx|.bvh|.glb|.gltf] [options]

    --target RIG.blend|RIG.fbx|RIG.bvh|RIG.glb   retarget onto the armature of that file (the one whose bones
                                                 PoseLift recognises best, when it holds several)
    --target NAME                                retarget onto the armature NAME of the .blend Blender opened
                                                 (blender -b RIG.blend --python ...)
    --rig auto|mixamo|metarig|rigify|ue5|...     which bone plays which part (default auto)

Without --target the pose file becomes a joint armature. PoseLift comes from the extension installed in
Blender when there is one (enabled here if it is not), else from the `poselift` package importable in this
Python. Any failure prints one sentence on stderr, exits with status 1 and writes nothing; outputs are
written under temporary names and renamed, so an existing file is replaced whole or not at all.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from pathlib import Path


class ScriptError(Exception):
    """A failure reported as one sentence."""


PRESETS = ("auto", "mixamo", "metarig", "rigify", "ue5", "ue4", "smpl", "smplx", "cmu", "mapping")
TARGET_SUFFIXES = (".blend", ".fbx", ".bvh", ".glb", ".gltf")


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="poselift_blender.py", description=__doc__.splitlines()[0])
    parser.add_argument("posefile", type=Path, metavar="POSEFILE", help="pose file (.npz or .json)")
    parser.add_argument("-o", "--output", type=Path, metavar="OUT.blend", help=".blend to write")
    parser.add_argument("--export", type=Path, metavar="OUT", help="animation to export (.fbx, .bvh, .glb, .gltf)")
    parser.add_argument("--person", type=int, default=0, help="which person of the file (default 0)")
    parser.add_argument("--target", metavar="ARMATURE_OR_FILE", help="rig to retarget onto (see above)")
    parser.add_argument("--rig", default="auto", choices=PRESETS, help="bone preset of the target (default auto)")
    parser.add_argument("--in-place", action="store_true", help="retarget without travel across the floor")
    parser.add_argument("--lock-feet", action="store_true", help="hold feet still while they touch the floor")
    args = parser.parse_args(argv)
    if args.output is None and args.export is None:
        parser.error("give -o OUT.blend, --export OUT.fbx|.bvh|.glb|.gltf, or both")
    if args.target is None and (args.rig != "auto" or args.in_place or args.lock_feet):
        parser.error("--rig, --in-place and --lock-feet need --target")
    return args


def load_poselift() -> tuple[str, str]:
    """Register PoseLift's operators; return where they come from and the name of its package."""
    import addon_utils

    for module in addon_utils.modules():
        name = module.__name__
        if name.startswith("bl_ext.") and name.endswith(".poselift"):
            if not addon_utils.check(name)[1] and addon_utils.enable(name, default_set=True) is None:
                raise ScriptError(f"the PoseLift extension {name} is installed but could not be enabled.")
            return f"the extension {name}", name
    try:
        import poselift
    except ImportError:
        raise ScriptError(
            "PoseLift is not installed: install its extension zip in Blender (Preferences > Get Extensions > "
            "Install from Disk) or `pip install -e` the repository into this Python."
        ) from None
    poselift.register()
    return f"the package at {Path(poselift.__file__).parent}", "poselift"


def run(args: argparse.Namespace) -> list[Path]:
    try:
        import bpy
    except ImportError:
        raise ScriptError(
            "this Python has no bpy module: run the script with `blender -b --python` or `pip install bpy==5.0.1`."
        ) from None
    output = args.output.resolve() if args.output else None
    if output is not None and output.suffix != ".blend":
        raise ScriptError(f"{output}: the output must be a .blend file.")
    for path in (output, args.export):
        if path is not None and not path.resolve().parent.is_dir():
            raise ScriptError(f"{path.resolve()}: the folder {path.resolve().parent} does not exist.")
        if path is not None and path.resolve().is_dir():
            raise ScriptError(f"{path.resolve()}: is a folder, not a file to write.")
    armatures = _open_target(bpy, args.target)
    where, package = load_poselift()
    print(f"PoseLift from {where}")
    target = None if armatures is None else _choose(bpy, armatures, package)
    posefile = str(args.posefile.resolve())
    try:
        if target is None:
            bpy.ops.poselift.import_pose(filepath=posefile, person=args.person, match_scene=True)
        else:
            preset = {"auto": "AUTO", "mapping": "MAPPING"}.get(args.rig, args.rig)
            bpy.ops.poselift.retarget_pose(
                filepath=posefile, person=args.person, preset=preset, in_place=args.in_place, lock_feet=args.lock_feet,
                match_scene=True,  # the output plays the pose file: its frames, at its rate
            )
    except RuntimeError as e:
        raise ScriptError(_operator_error(e)) from None
    obj = bpy.context.view_layer.objects.active
    written = []
    if args.export is not None:
        exporting = importlib.import_module(f"{package}.addon.exporting")
        try:
            written.append(exporting.export_animation(bpy.context, obj, args.export))
        except exporting.ExportError as e:
            raise ScriptError(str(e)) from None
    if output is not None:
        written.append(_save_blend(bpy, output))
    return written


def _open_target(bpy, target: str | None) -> list | None:
    """Start from an empty scene, or the .blend Blender opened for an armature name; the candidate armatures."""
    if target is not None and Path(target).suffix.lower() not in TARGET_SUFFIXES:
        obj = bpy.context.view_layer.objects.get(target)
        if obj is None or obj.type != "ARMATURE":
            where = bpy.data.filepath or "the empty scene"
            raise ScriptError(f"{where} has no armature named {target!r} in its view layer.")
        return [obj]
    bpy.ops.wm.read_homefile(use_empty=True)
    if target is None:
        return None
    path = Path(target).resolve()
    if not path.is_file():
        raise ScriptError(f"{path}: no such file.")
    try:
        _load(bpy, path)
    except RuntimeError as e:
        raise ScriptError(f"{path}: cannot be loaded ({_operator_error(e)}).") from None
    armatures = [o for o in bpy.context.view_layer.objects if o.type == "ARMATURE"]
    if not armatures:
        raise ScriptError(f"{path}: holds no armature in its view layer to retarget onto.")
    return armatures


def _choose(bpy, armatures: list, package: str):
    """The armature whose bones PoseLift maps best (its saved mapping first), preferring one that moves a mesh or
    that Rigify generated (over its metarig), made the active, only selected object."""
    best_match = importlib.import_module(f"{package}.addon.bone_mapping").best_match
    moved = {m.object for o in bpy.context.view_layer.objects for m in getattr(o, "modifiers", ())
             if m.type == "ARMATURE" and m.object is not None}  # fmt: skip

    def rank(obj) -> tuple[int, bool, float]:
        found = best_match(obj)
        drives = obj in moved or obj.data.get("rig_id") is not None
        return (0, False, 0.0) if found is None else (len(found.bones), drives, found.score)

    ranks = {obj.name: rank(obj) for obj in armatures}
    best = max(ranks.values())
    tied = sorted(name for name, r in ranks.items() if r == best)
    if len(tied) > 1:
        raise ScriptError(f"{bpy.data.filepath or 'the scene'} holds armatures PoseLift maps equally well "
                          f"({', '.join(tied)}): open it and name one with --target NAME.")  # fmt: skip
    print(f"target armature: {tied[0]}")
    return _activate(bpy, bpy.data.objects[tied[0]])


def _load(bpy, path: Path) -> None:
    suffix = path.suffix.lower()
    if suffix == ".blend":
        bpy.ops.wm.open_mainfile(filepath=str(path), load_ui=False)
    elif suffix == ".fbx":
        bpy.ops.import_scene.fbx(filepath=str(path))
    elif suffix == ".bvh":
        bpy.ops.import_anim.bvh(filepath=str(path))
    else:
        bpy.ops.import_scene.gltf(filepath=str(path))


def _activate(bpy, obj):
    if bpy.context.mode != "OBJECT":
        bpy.ops.object.mode_set(mode="OBJECT")
    for other in bpy.context.view_layer.objects:
        other.select_set(other == obj)
    bpy.context.view_layer.objects.active = obj
    return obj


def _save_blend(bpy, output: Path) -> Path:
    temporary = output.with_name(f".{output.stem}.{os.getpid()}.part.blend")
    try:
        bpy.ops.wm.save_as_mainfile(filepath=str(temporary), copy=True, check_existing=False)
        os.replace(temporary, output)
    except (RuntimeError, OSError) as e:
        raise ScriptError(f"{output}: cannot be saved ({_operator_error(e)}).") from None
    finally:
        temporary.unlink(missing_ok=True)
    return output


def _operator_error(e: Exception) -> str:
    """The sentence of an operator's error report (bpy.ops raises it as 'Error: ...')."""
    lines = [line.strip() for line in str(e).splitlines() if line.strip()]
    return " ".join(line.removeprefix("Error:").strip() for line in lines) or type(e).__name__


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    try:
        for path in run(args):
            print(f"saved {path}")
    except ScriptError as e:
        print(f"poselift_blender.py: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    arguments = sys.argv[sys.argv.index("--") + 1 :] if "--" in sys.argv else sys.argv[1:]
    code = main(arguments)
    sys.stdout.flush()
    sys.stderr.flush()
    sys.exit(code)
