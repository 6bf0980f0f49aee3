"""Import a pose file as an animated armature into an empty scene and save it as a .blend, headless.

    blender -b --python scripts/poselift_blender.py -- POSEFILE -o OUT.blend [--person N]
    python scripts/poselift_blender.py POSEFILE -o OUT.blend [--person N]        (Python with the bpy module)

PoseLift comes from the extension installed in Blender when there is one (enabled here if it is not), else from
the `poselift` package importable in this Python. Any failure prints one sentence on stderr, exits with status
1 and writes no .blend; the .blend is saved under a temporary name and then renamed, so an existing OUT.blend
is replaced whole or not at all.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


class ScriptError(Exception):
    """A failure reported as one sentence."""


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="poselift_blender.py", description=__doc__.splitlines()[0])
    parser.add_argument("posefile", type=Path, metavar="POSEFILE", help="pose file (.npz or .json)")
    parser.add_argument("-o", "--output", type=Path, required=True, metavar="OUT.blend", help=".blend to write")
    parser.add_argument("--person", type=int, default=0, help="which person of the file (default 0)")
    return parser.parse_args(argv)


def load_poselift() -> str:
    """Register PoseLift's operators; return where they come from."""
    import addon_utils

    for module in addon_utils.modules():
        name = module.__name__
        if name.startswith("bl_ext.") and name.endswith(".poselift"):
            if not addon_utils.check(name)[1] and addon_utils.enable(name, default_set=True) is None:
                raise ScriptError(f"the PoseLift extension {name} is installed but could not be enabled.")
            return f"the extension {name}"
    try:
        import poselift
    except ImportError:
        raise ScriptError(
            "PoseLift is not installed: install its extension zip in Blender (Preferences > Get Extensions > "
            "Install from Disk) or `pip install -e` the repository into this Python."
        ) from None
    poselift.register()
    return f"the package at {Path(poselift.__file__).parent}"


def run(args: argparse.Namespace) -> Path:
    try:
        import bpy
    except ImportError:
        raise ScriptError(
            "this Python has no bpy module: run the script with `blender -b --python` or `pip install bpy==5.0.1`."
        ) from None
    output = args.output.resolve()
    if output.suffix != ".blend":
        raise ScriptError(f"{output}: the output must be a .blend file.")
    if not output.parent.is_dir():
        raise ScriptError(f"{output}: the folder {output.parent} does not exist.")
    bpy.ops.wm.read_homefile(use_empty=True)
    print(f"PoseLift from {load_poselift()}")
    try:
        bpy.ops.poselift.import_pose(filepath=str(args.posefile.resolve()), person=args.person)
    except RuntimeError as e:
        raise ScriptError(_operator_error(e)) from None
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
        print(f"saved {run(args)}")
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
