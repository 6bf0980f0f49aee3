"""Worker processes: PoseLift's core (or the engine's installer) run by another Python, outside Blender's own.

A worker runs a module of the extension (`poselift.core.cli` with `--progress json`, `poselift.engine.install`)
that reports JSON lines on stdout (core/cli/progress.py) and writes its files atomically, so a cancelled or
crashed worker leaves no half file. The extension's own folder goes on the worker's PYTHONPATH, so the worker
imports the very code this add-on ships; which Python runs it is the engine's business (addon/engine.py).
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parents[1]  # the extension's root package (the repository root in a checkout)
CORE_MODULE = "poselift.core.cli"


class WorkerError(Exception):
    """The worker could not run or failed; the message is one sentence."""


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
    def start(cls, python: str, arguments: list[str], *, module: str = CORE_MODULE,
              environment: dict[str, str] | None = None) -> WorkerRun:
        """Start `python -m MODULE ARGUMENTS` (for the core, with `--progress json`), with `environment` added to
        this process's; in a process group of its own, so that cancel stops whatever it started too."""
        env = dict(os.environ) | (environment or {})
        if PACKAGE_DIR.name == "poselift":  # an installed extension: its folder's parent makes it importable
            env["PYTHONPATH"] = os.pathsep.join(p for p in (str(PACKAGE_DIR.parent), env.get("PYTHONPATH", "")) if p)
        command = [python, "-m", module, *arguments, *(["--progress", "json"] if module == CORE_MODULE else [])]
        try:
            process = subprocess.Popen(
                command,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                stdin=subprocess.DEVNULL,
                text=True,
                env=env,
                start_new_session=os.name != "nt",
            )
        except OSError as e:
            raise WorkerError(f"{python}: this Python cannot be started ({e.strerror or e}).") from None
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
        """Stop the worker and what it started; its files are written atomically, so nothing half-written stays."""
        if self.finished:
            return
        self._signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._signal(signal.SIGKILL if os.name != "nt" else signal.SIGTERM)
            self.process.wait()

    def _signal(self, number: int) -> None:
        try:
            if os.name != "nt":
                os.killpg(self.process.pid, number)
            else:
                self.process.send_signal(number)
        except ProcessLookupError:
            pass

    def output(self) -> Path:
        """After the core's worker ended: the file it wrote, or WorkerError with its one-sentence reason."""
        return Path(self.result()["output"])

    def result(self) -> dict:
        """After the worker ended: its "done" event, or WorkerError with its one-sentence reason."""
        self.process.wait()
        for reader in self.readers:
            reader.join()
        events = self.poll()
        events = events or ([self.last] if self.last else [])
        done = [e for e in events if e.get("event") == "done"]
        if self.process.returncode == 0 and done:
            return done[-1]
        errors = [e["message"] for e in events if e.get("event") == "error"]
        if errors:
            raise WorkerError(errors[-1])
        said = [line for line in self.stderr if line.strip()]
        if said and "Traceback" not in "\n".join(said):
            raise WorkerError(said[-1])
        tail = said[-1] if said else f"exit status {self.process.returncode}"
        raise WorkerError(f"The worker failed ({tail}).")

    def wait(self) -> Path:
        """Run the core's worker to the end (background mode has no timers) and return the file written."""
        self.process.wait()
        return self.output()
