"""A Blender session as a new user has it, run by a Python that has the bpy module and no torch (as Blender's own
Python has none): the extension installed from its zip, then the steps asked for. Prints one JSON object with what
each step saw; the tests (test_engine.py, test_blender_versions.py) hold the assertions.

    python engine_session.py --zip ZIP --user DIR --steps STEP,... [--photo JPG] [--pose NPZ] [--python PY]
                             [--failing-list TXT] [--other-list TXT]

Steps: "engine" (lift before any engine, Install Engine, Check Engine, lift a photo, a second Install, an install
cancelled and one that fails, a lift after them), "check" (Check Engine with --python named as the Python to use),
"import" (import a pose file).
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import os
import sys
import time
from pathlib import Path

EXTENSION = "bl_ext.user_default.poselift"


def errors(error: RuntimeError) -> list[str]:
    return [line.removeprefix("Error: ") for line in str(error).splitlines() if line.startswith("Error: ")]


def operator(call, **arguments) -> dict:
    """Run an operator: its result and the error lines it reported (background mode raises them)."""
    try:
        return {"result": sorted(call(**arguments)), "errors": []}
    except RuntimeError as e:
        return {"result": ["CANCELLED"], "errors": errors(e)}


def tree(folder: Path) -> dict[str, float]:
    """{file: mtime} of everything under `folder` but the install's log (what a second install leaves as it was)."""
    return {str(p.relative_to(folder)): p.stat().st_mtime for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != "install.log"}  # fmt: skip


def lift(bpy, photo: str) -> dict:
    done = operator(bpy.ops.poselift.lift_image, filepath=photo)
    obj = bpy.context.view_layer.objects.active
    if done["result"] == ["FINISHED"] and obj is not None:
        bpy.context.scene.frame_set(1)
        done["armature"] = {"bones": len(obj.data.bones), "type": obj.type,
                            "head_z": max(b.head[2] for b in obj.pose.bones)}  # fmt: skip
    return done


def engine_steps(bpy, args) -> dict:
    engine = importlib.import_module(f"{EXTENSION}.addon.engine")
    worker = importlib.import_module(f"{EXTENSION}.addon.worker")
    home = engine.engine_home()
    out: dict = {"lift_before": lift(bpy, args.photo)}
    start = time.perf_counter()
    out["install"] = operator(bpy.ops.poselift.install_engine)
    out["install"]["seconds"] = time.perf_counter() - start
    out["check"] = operator(bpy.ops.poselift.check_engine) | {"lines": engine.report_lines()}
    out["lift"] = lift(bpy, args.photo)
    before = tree(home.root)
    start = time.perf_counter()
    out["again"] = operator(bpy.ops.poselift.install_engine) | {"lines": engine.report_lines()}
    out["again"]["seconds"] = time.perf_counter() - start
    out["again"]["unchanged"] = tree(home.root) == before

    # An install of another package list (a new environment), stopped once pip is at work.
    pointer = home.pointer.read_text()
    run = worker.WorkerRun.start(engine.base_python(bpy.context), ["--home", str(home.root), "--requirements",
                                 args.other_list], module=engine.INSTALLER)  # fmt: skip
    seen = []
    while not run.finished and not any(e.get("step") == "packages" for e in seen):
        time.sleep(0.2)
        seen += run.poll()
    time.sleep(2.0)
    run.cancel()
    out["cancel"] = {"saw": [e.get("message") for e in seen], "pointer_kept": home.pointer.read_text() == pointer,
                     "stopped": run.finished}  # fmt: skip
    out["failing"] = operator(bpy.ops.poselift.install_engine, requirements=args.failing_list)
    out["failing"]["pointer_kept"] = home.pointer.read_text() == pointer
    out["lift_after"] = lift(bpy, args.photo)
    out["remove"] = operator(bpy.ops.poselift.remove_engine)
    out["removed"] = not home.root.exists()
    return out


def check_step(bpy, args) -> dict:
    prefs = bpy.context.preferences.addons[EXTENSION].preferences
    prefs.python = args.python
    engine = importlib.import_module(f"{EXTENSION}.addon.engine")
    return operator(bpy.ops.poselift.check_engine) | {"lines": engine.report_lines()}


def import_step(bpy, args) -> dict:
    done = operator(bpy.ops.poselift.import_pose, filepath=args.pose)
    obj = bpy.context.view_layer.objects.active
    if obj is not None and obj.type == "ARMATURE":
        scene = bpy.context.scene
        done["armature"] = {"bones": len(obj.data.bones), "action": bool(obj.animation_data and
                            obj.animation_data.action), "frames": [scene.frame_start, scene.frame_end]}  # fmt: skip
    return done


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--zip", required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--steps", required=True)
    parser.add_argument("--photo")
    parser.add_argument("--pose")
    parser.add_argument("--python")
    parser.add_argument("--failing-list")
    parser.add_argument("--other-list")
    args = parser.parse_args()
    os.environ["BLENDER_USER_RESOURCES"] = args.user  # read when bpy is first imported
    import bpy

    bpy.ops.wm.read_factory_settings(use_empty=True)
    report: dict = {"blender": bpy.app.version_string, "torch_here": importlib.util.find_spec("torch") is not None}
    report["install_extension"] = operator(bpy.ops.extensions.package_install_files, filepath=args.zip,
                                           repo="user_default", enable_on_install=True)  # fmt: skip
    import addon_utils

    report["enabled"] = bool(addon_utils.check(EXTENSION)[1])
    steps = {"engine": engine_steps, "check": check_step, "import": import_step}
    for step in args.steps.split(","):
        report[step] = steps[step](bpy, args)
    print("ENGINE-SESSION " + json.dumps(report), flush=True)
    sys.stdout.flush()
    os._exit(0)  # bpy may hang at interpreter exit


if __name__ == "__main__":
    main()
