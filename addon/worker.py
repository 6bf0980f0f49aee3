"""The worker process: PoseLift's core run by a Python that has torch, outside Blender's own Python.

The worker runs `poselift.core.cli` with `--progress json`, which reports JSON lines on stdout
(core/cli/progress.py) and writes its pose file atomically, so a cancelled or crashed worker leaves no file.
The extension's own folder goes on the worker's PYTHONPATH, so the worker imports the very core this
add-on ships; the worker's Python only needs numpy, torch and the core's other packages.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parents[1]  # the extension's root package (the repository root in a checkout)
CORE_MODULE = "poselift.core.cli"


class WorkerError(Exception):
    """The worker could not run or failed; the message is one sentence."""


def worker_python(preference: str) -> str:
    """The interpreter to run: the one the preferences name, else Blender's own if it has torch."""
    if preference:
        path = Path(bpy_path(preference))
        if not path.is_file():
            raise WorkerError(f"{path}: the worker's Python (PoseLift's preferences) does not exist.")
        return str(path)
    try:
        import torch  # noqa: F401
    except ImportError:
        raise WorkerError(
            "This Blender's Python has no torch: set the worker's Python in PoseLift's preferences "
            "(a Python 3.11 with torch, e.g. the .venv that scripts/setup.sh makes)."
        ) from None
    return sys.executable


def bpy_path(path: str) -> str:
    """A path from a Blender property, with Blender's '//' (relative to the .blend) resolved."""
    try:
        import bpy

        return bpy.path.abspath(path)
    except ImportError:
        return path


@dataclass
class WorkerRun:
    """A running worker: `events` fills with its JSON events; `stderr` holds what it printed there."""

    process: subprocess.Popen
    events: queue.Queue = field(default_factory=queue.Queue)
    stderr: list[str] = field(default_factory=list)
    readers: list[threading.Thread] = field(default_factory=list)
    last: dict | None = None

    @classmethod
    def start(cls, python: str, arguments: list[str]) -> WorkerRun:
        """Start `python -m poselift.core.cli ARGUMENTS --progress json`."""
        env = dict(os.environ)
        if PACKAGE_DIR.name == "poselift":  # an installed extension: its folder's parent makes it importable
            env["PYTHONPATH"] = os.pathsep.join(p for p in (str(PACKAGE_DIR.parent), env.get("PYTHONPATH", "")) if p)
        try:
            process = subprocess.Popen(
                [python, "-m", CORE_MODULE, *arguments, "--progress", "json"],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                stdin=subprocess.DEVNULL,
                text=True,
                env=env,
            )
        except OSError as e:
            raise WorkerError(f"{python}: the worker's Python cannot be started ({e.strerror or e}).") from None
        run = cls(process)
        run.readers = [threading.Thread(target=f, daemon=True) for f in (run._read_events, run._read_stderr)]
        for reader in run.readers:
            reader.start()
        return run

    def _read_events(self) -> None:
        for line in self.process.stdout:  # type: ignore[union-attr]
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(event, dict):
                self.events.put(event)

    def _read_stderr(self) -> None:
        for line in self.process.stderr:  # type: ignore[union-attr]
            self.stderr.append(line.rstrip("\n"))

    def poll(self) -> list[dict]:
        """The events that came since the last poll."""
        out = []
        while not self.events.empty():
            out.append(self.events.get_nowait())
        if out:
            self.last = out[-1]
        return out

    @property
    def finished(self) -> bool:
        return self.process.poll() is not None

    def cancel(self) -> None:
        """Stop the worker; its pose file is written atomically, so nothing half-written stays."""
        if not self.finished:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def output(self) -> Path:
        """After the worker ended: the file it wrote, or WorkerError with its one-sentence reason."""
        self.process.wait()
        for reader in self.readers:
            reader.join()
        events = self.poll()
        events = events or ([self.last] if self.last else [])
        done = [e for e in events if e.get("event") == "done"]
        if self.process.returncode == 0 and done:
            return Path(done[-1]["output"])
        errors = [e["message"] for e in events if e.get("event") == "error"]
        if errors:
            raise WorkerError(errors[-1])
        said = [line for line in self.stderr if line.strip()]
        if said and "Traceback" not in "\n".join(said):
            raise WorkerError(said[-1])
        tail = said[-1] if said else f"exit status {self.process.returncode}"
        raise WorkerError(f"The worker failed ({tail}).")

    def wait(self) -> Path:
        """Run to the end (background mode has no timers) and return the file written."""
        self.process.wait()
        return self.output()
