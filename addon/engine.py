"""The engine from inside Blender: which Python runs the core, and Install, Check and Remove Engine in PoseLift's
preferences. The work is engine/'s (Blender-free, run as worker processes); here are the operators, the state the
preferences draw, and the worker's Python and environment for a lift."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import bpy
from bpy.props import StringProperty

from ..core.nets.weights import DETECTOR_FILE, LANDMARK_FILES
from ..engine.check import package_version, probe
from ..engine.home import Engine, EngineHome
from ..engine.packages import EngineError, nvidia_driver, plan, python_in
from .preferences import PACKAGE, preferences
from .worker import WorkerError, WorkerRun, bpy_path

INSTALLER = "poselift.engine.install"
CHECKER = "poselift.engine.check"
NOT_INSTALLED = (
    "PoseLift's engine is not installed: press Install Engine in PoseLift's preferences (Edit > Preferences > "
    "Add-ons)."
)


def engine_home() -> EngineHome:
    """The folder engines live in: the extension's user folder (a checkout's add-on: Blender's config folder)."""
    try:
        folder = bpy.utils.extension_path_user(PACKAGE, path="engine")
    except ValueError:
        folder = bpy.utils.user_resource("CONFIG", path="poselift-engine")
    return EngineHome(Path(folder))


@dataclass(frozen=True)
class Worker:
    """The Python that runs the core, the environment it runs in (the weights folder), and the engine if it is the
    installed one."""

    python: str
    environment: dict[str, str]
    engine: Engine | None = None


def worker(context: bpy.types.Context, model: str | None = None) -> Worker:
    """The Python that runs the core: the one the preferences name (a file, or an environment's folder), else the
    installed engine, else Blender's own if it has torch. With `model`, the weight files that model needs are
    checked first. WorkerError (one sentence) when none can run it."""
    prefs = preferences(context)
    named, folder = (prefs.python, prefs.weights) if prefs else ("", "")
    engine = engine_home().current()
    if named:
        path = Path(bpy_path(named))
        if not path.exists():
            raise WorkerError(f"{path}: the worker's Python (PoseLift's preferences) does not exist.")
        try:
            python = str(python_in(path))
            wanted = plan("cpu")
            problem = probe(python, list(wanted.versions)).problem(wanted)
        except EngineError as e:
            raise WorkerError(str(e)) from None
        if problem:
            raise WorkerError(problem)
        engine = None
    elif engine is not None and Path(engine.python).is_file():
        python = engine.python
        folder = folder or engine.weights
    elif importlib.util.find_spec("torch") is not None:
        python, engine = sys.executable, None
    else:
        raise WorkerError(NOT_INSTALLED)
    environment = {"POSELIFT_CACHE": bpy_path(folder)} if folder else {}
    if folder and model:
        _check_weights(Path(bpy_path(folder)), model, engine)
    return Worker(python, environment, engine)


def _check_weights(folder: Path, model: str, engine: Engine | None) -> None:
    for name in (DETECTOR_FILE, LANDMARK_FILES[model]):
        if not (folder / name).is_file():
            why = engine.unavailable.get(name) if engine else None
            why = why or "Install Engine in PoseLift's preferences fetches it"
            raise WorkerError(f"The {model} model's weight file {name} is not in {folder}: {why}.")


def base_python(context: bpy.types.Context) -> str:
    """The Python an engine is made from: the one the preferences name, else Blender's own where it can make a
    virtual environment, else a Python 3.11 on the PATH."""
    prefs = preferences(context)
    if prefs and prefs.engine_python:
        try:
            return str(python_in(bpy_path(prefs.engine_python)))
        except EngineError as e:
            raise WorkerError(str(e)) from None
    for candidate in (sys.executable, shutil.which("python3.11")):
        if candidate and _makes_environments(candidate):
            return candidate
    raise WorkerError(
        "Blender's Python cannot make a virtual environment and no Python 3.11 was found: name one in PoseLift's "
        "preferences (Make the engine from)."
    )


def _makes_environments(python: str) -> bool:
    check = "import sys, venv, ensurepip; sys.exit(sys.version_info[:2] != (3, 11))"
    try:
        return subprocess.run([python, "-I", "-c", check], capture_output=True, timeout=60).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@dataclass
class _Install:
    """The install running in the background, as the preferences and the status bar show it."""

    run: WorkerRun
    message: str = "starting"
    fraction: float = 0.0
    cancelled: bool = False


_install: _Install | None = None
_report: list[str] = []  # what the last Install, Check or Remove said, line by line, for the preferences


def report_lines() -> list[str]:
    return list(_report)


def _say(lines: list[str]) -> None:
    _report[:] = lines
    for window in bpy.context.window_manager.windows if bpy.context.window_manager else ():
        for area in window.screen.areas:
            if area.type == "PREFERENCES":
                area.tag_redraw()


class POSELIFT_OT_install_engine(bpy.types.Operator):
    """Make PoseLift's engine (a Python environment with torch) and fetch the BlazePose weights from the package
    registries; again, it repairs what is missing and keeps the rest"""

    bl_idname = "poselift.install_engine"
    bl_label = "Install Engine"

    requirements: StringProperty(  # type: ignore[valid-type]
        name="Package list", description="Another pinned package list to install (for testing)",
        options={"HIDDEN", "SKIP_SAVE"},
    )
    _timer = None

    def execute(self, context: bpy.types.Context) -> set[str]:
        global _install
        if _install is not None:
            self.report({"WARNING"}, "The engine is being installed already.")
            return {"CANCELLED"}
        prefs = preferences(context)
        home = engine_home()
        arguments = ["--home", str(home.root), "--device", prefs.engine_build if prefs else "cpu"]
        if prefs and prefs.weights:
            arguments += ["--weights", bpy_path(prefs.weights)]
        if self.requirements:
            arguments += ["--requirements", self.requirements]
        try:
            home.root.mkdir(parents=True, exist_ok=True)
            _install = _Install(WorkerRun.start(base_python(context), arguments, module=INSTALLER))
        except (WorkerError, OSError) as e:
            self.report({"ERROR"}, str(e))
            return {"CANCELLED"}
        _say([f"Installing the engine (log: {home.log})"])
        if bpy.app.background or context.window is None:
            _install.run.process.wait()
            return self._finish(context)
        self._timer = context.window_manager.event_timer_add(0.25, window=context.window)
        context.window_manager.modal_handler_add(self)
        return {"RUNNING_MODAL"}

    def modal(self, context: bpy.types.Context, event: bpy.types.Event) -> set[str]:
        if event.type != "TIMER":
            return {"PASS_THROUGH"}
        state = _install
        if state.cancelled:
            state.run.cancel()
            return self._finish(context)
        for e in state.run.poll():
            if e.get("event") == "progress":
                state.message = e.get("message", state.message)
                state.fraction = e.get("done", 0) / max(e.get("total", 1), 1)
        _say([f"{state.message} (log: {engine_home().log})"])
        if context.workspace is not None:
            context.workspace.status_text_set(f"PoseLift engine: {state.message}")
        if not state.run.finished:
            return {"RUNNING_MODAL"}
        return self._finish(context)

    def cancel(self, context: bpy.types.Context) -> None:
        """Blender ending the modal run (a file opened, Blender quitting): the install stops, its environment is
        not put in use."""
        global _install
        if _install is not None:
            _install.run.cancel()
            _install = None
        self._end(context)

    def _end(self, context: bpy.types.Context) -> None:
        if self._timer is not None:
            context.window_manager.event_timer_remove(self._timer)
            self._timer = None
            if context.workspace is not None:
                context.workspace.status_text_set(None)

    def _finish(self, context: bpy.types.Context) -> set[str]:
        global _install
        state, _install = _install, None
        self._end(context)
        if state.cancelled:
            _say(["The install was cancelled; the engine in use is as it was."])
            self.report({"WARNING"}, _report[0])
            return {"CANCELLED"}
        try:
            done = state.run.result()
        except WorkerError as e:
            _say([str(e)])
            self.report({"ERROR"}, str(e))
            return {"CANCELLED"}
        _say([done["message"]])
        self.report({"INFO"}, done["message"])
        return {"FINISHED"}


class POSELIFT_OT_cancel_engine_install(bpy.types.Operator):
    """Stop installing the engine; the engine in use, if any, stays as it was"""

    bl_idname = "poselift.cancel_engine_install"
    bl_label = "Cancel"

    def execute(self, context: bpy.types.Context) -> set[str]:
        if _install is not None:
            _install.cancelled = True
        return {"FINISHED"}


class POSELIFT_OT_check_engine(bpy.types.Operator):
    """Say what runs PoseLift's core: its Python, its packages, torch and its device, the weights, the core"""

    bl_idname = "poselift.check_engine"
    bl_label = "Check Engine"

    def execute(self, context: bpy.types.Context) -> set[str]:
        try:
            lines = check_lines(context)
        except WorkerError as e:
            lines = [str(e)]
            _say(lines)
            self.report({"ERROR"}, lines[0])
            return {"CANCELLED"}
        _say(lines)
        for line in lines:
            self.report({"INFO"}, line)
        return {"FINISHED"}


def check_lines(context: bpy.types.Context) -> list[str]:
    """One line per part of what runs the core (see engine.check), as the worker would run it."""
    found = worker(context)
    device = ["--device", found.engine.torch_build] if found.engine is not None else []
    run = WorkerRun.start(found.python, device, module=CHECKER, environment=found.environment)
    report = run.result()["report"]
    python, torch, core, packages = report["python"], report["torch"], report["core"], report["packages"]
    lines = [f"Python {python['version']}: {python['executable']}"]
    wrong = [f"{n} {p['installed']} (pinned {p['pinned']})" for n, p in packages.items()
             if p["installed"] and p["installed"] != p["pinned"]]  # fmt: skip
    if report["problem"]:
        lines.append(report["problem"])
    else:
        lines.append(f"Packages: all {len(packages)} there" + (f"; not as pinned: {', '.join(wrong)}" if wrong else ""))
    if "error" in torch:
        lines.append(f"torch does not load: {torch['error']}")
    else:
        lines.append(f"torch {torch['version']} on {torch['device'] if torch['cuda'] else 'the CPU'}")
    weights = report["weights"]
    ok = [name for name, found_file in weights.items() if found_file["state"] == "ok"]
    folders = sorted({str(Path(weights[name]["path"]).parent) for name in ok})
    lines.append(f"Weights: {', '.join(_model_name(n) for n in ok) or 'none'}" + (f" in {', '.join(folders)}"
                                                                                   if folders else ""))  # fmt: skip
    for name, found_file in weights.items():
        if found_file["state"] != "ok":
            why = (found.engine.unavailable.get(name) if found.engine else None) or "Install Engine fetches it"
            lines.append(f"{_model_name(name).capitalize()} weights {found_file['state']}: {why}.")
    ours = package_version()
    same = "the extension's" if core["version"] == ours else f"the extension is {ours}"
    lines.append(f"Core {core['version']} ({same}): {core['path']}")
    return lines


def _model_name(file: str) -> str:
    names = {DETECTOR_FILE: "detector"} | {f: variant for variant, f in LANDMARK_FILES.items()}
    return names.get(file, file)


class POSELIFT_OT_remove_engine(bpy.types.Operator):
    """Delete PoseLift's engine: its Python environments, and the weights in its folder"""

    bl_idname = "poselift.remove_engine"
    bl_label = "Remove Engine"

    def execute(self, context: bpy.types.Context) -> set[str]:
        if _install is not None:
            self.report({"WARNING"}, "Cancel the install first.")
            return {"CANCELLED"}
        home = engine_home()
        try:
            home.remove()
        except EngineError as e:
            _say([str(e)])
            self.report({"ERROR"}, str(e))
            return {"CANCELLED"}
        _say([f"The engine in {home.root} is removed."])
        self.report({"INFO"}, _report[0])
        return {"FINISHED"}


def draw_engine(layout: bpy.types.UILayout, prefs) -> None:
    """The preferences' engine box: what is installed or installing, the buttons, what the last action said."""
    box = layout.box()
    box.label(text="Engine: the Python with torch that runs PoseLift's core", icon="PREFERENCES")
    state = _install
    engine = engine_home().current()
    if state is not None:
        row = box.row()
        row.progress(factor=state.fraction, type="BAR", text=state.message)
        row.operator(POSELIFT_OT_cancel_engine_install.bl_idname, icon="CANCEL")
    elif prefs.python:
        box.label(text="The Python named below runs the core instead of the engine.", icon="INFO")
    elif engine is not None:
        build = "the GPU (CUDA)" if engine.torch_build == "cuda" else "the CPU"
        box.label(text=f"Installed, torch built for {build}", icon="CHECKMARK")
    else:
        box.label(text="Not installed: Install Engine fetches it from the package registries.", icon="ERROR")
    row = box.row()
    row.enabled = state is None
    row.operator(POSELIFT_OT_install_engine.bl_idname, icon="IMPORT")
    row.operator(POSELIFT_OT_check_engine.bl_idname, icon="VIEWZOOM")
    row.operator(POSELIFT_OT_remove_engine.bl_idname, icon="TRASH")
    box.prop(prefs, "engine_build")
    if prefs.engine_build == "cuda":
        try:
            plan("cuda")
            if not nvidia_driver():
                box.label(text="No NVIDIA driver found: the GPU build would not run here.", icon="ERROR")
        except EngineError as e:
            box.label(text=str(e), icon="ERROR")
    for line in _report:
        box.label(text=line)
    if engine is not None:
        for name, why in engine.unavailable.items():
            box.label(text=f"The {_model_name(name)} model is not installed: {why}.", icon="INFO")


classes = (
    POSELIFT_OT_install_engine,
    POSELIFT_OT_cancel_engine_install,
    POSELIFT_OT_check_engine,
    POSELIFT_OT_remove_engine,
)
register, unregister = bpy.utils.register_classes_factory(classes)
