"""The batch's Blender stage: each pose file made into an animation by the headless script
scripts/poselift_blender.py (a joint armature, or retargeted onto the rig of --target, its bones detected by
name), exported as OUTDIR/<name>.fbx or .glb and/or saved as OUTDIR/<name>.blend (<name>_track<ID>.* per person
with several), one Blender run per video. It needs a PoseLift checkout (the script is not in the installed
package) and a Blender: --blender PATH, else this Python when it has the bpy module, else `blender` on PATH."""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

from ..common import CommandError

SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "poselift_blender.py"
EXPORTS = ("fbx", "glb")


def add_blender_options(parser: argparse.ArgumentParser) -> None:
    """--export-as, --blend, --target and --blender."""
    blender = parser.add_argument_group("Blender", "each pose file made into an animation by "
                                        "scripts/poselift_blender.py, one Blender run per video")  # fmt: skip
    blender.add_argument("--export-as", choices=EXPORTS, help="also export each animation as OUTDIR/<name>.fbx or .glb")
    blender.add_argument("--blend", action="store_true", help="also save each animation as OUTDIR/<name>.blend")
    blender.add_argument("--target", type=Path, metavar="RIG",
                         help="rig file (.blend, .fbx, .glb, .bvh) to retarget onto (default: a joint "
                              "armature)")  # fmt: skip
    blender.add_argument("--blender", type=Path, metavar="PATH",
                         help="the Blender to run (default: this Python if it has bpy, else blender on "
                              "PATH)")  # fmt: skip


def blender_command(args: argparse.Namespace) -> list[str] | None:
    """The command that runs the script, up to its arguments; None when no Blender stage is asked for; one
    sentence when it cannot run here."""
    if not (args.export_as or args.blend):
        if args.target is not None:
            raise CommandError("poselift batch: --target is the rig of --export-as or --blend; give one of them.")
        return None
    if not SCRIPT.is_file():
        raise CommandError(f"poselift batch --export-as/--blend runs {SCRIPT}, which this installation lacks: "
                           "run poselift from a PoseLift checkout.")  # fmt: skip
    if args.target is not None and not args.target.is_file():
        raise CommandError(f"{args.target}: no such rig file.")
    if args.blender is not None:
        return [str(args.blender), "-b", "--python", str(SCRIPT), "--"]
    if importlib.util.find_spec("bpy") is not None:
        return [sys.executable, str(SCRIPT)]
    if shutil.which("blender"):
        return [shutil.which("blender"), "-b", "--python", str(SCRIPT), "--"]
    raise CommandError("poselift batch --export-as/--blend needs Blender: the bpy module in this Python, blender on "
                       "PATH, or --blender PATH.")  # fmt: skip


def animate(command: list[str], pose: Path, tracks: list[int], args: argparse.Namespace) -> list[Path]:
    """The files Blender made from `pose` (its person slots, of `tracks`) as `args` asks; one sentence when it
    could not."""
    made = []
    for person, track in enumerate(tracks):
        stem = pose.stem if len(tracks) == 1 else f"{pose.stem}_track{track}"
        outputs = ([pose.with_name(f"{stem}.{args.export_as}")] if args.export_as else []) + (
            [pose.with_name(f"{stem}.blend")] if args.blend else [])  # fmt: skip
        options = ["--person", str(person)]
        options += ["--export", str(outputs[0])] if args.export_as else []
        options += ["-o", str(outputs[-1])] if args.blend else []
        options += ["--target", str(args.target.absolute())] if args.target is not None else []
        done = subprocess.run([*command, str(pose), *options], capture_output=True, text=True)
        if done.returncode != 0:
            said = [line for line in done.stderr.splitlines() if line.strip()] or [f"exit status {done.returncode}"]
            raise CommandError(f"{pose}: Blender made no animation of it ({said[-1].rstrip('.')}).")
        made += outputs
    return made
