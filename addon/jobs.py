"""Worker runs one after another, each result applied in Blender as soon as its run ends: what a lift, a scan and
a batch share. Each job's files go to a folder of its own, made when it starts and removed when it ends (its
`apply` moves out what it keeps), so a cancelled or failed run leaves no file behind."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import bpy

from .scene_state import reason
from .worker import WorkerError, WorkerRun


class LiftError(Exception):
    """A lift that could not be done; the message is one sentence."""


@dataclass
class Job:
    """One run of the core (`arguments`, without --progress) writing into `folder`, and `apply`, which turns its
    "done" event into Blender data and returns the sentence to report (or raises LiftError)."""

    label: str
    arguments: list[str]
    folder: Path
    apply: Callable[[bpy.types.Context, dict], str]
    outcome: str = ""  # the report once done, or the error's sentence
    failed: bool = False


@dataclass
class JobQueue:
    """`jobs` run by `python` one at a time. With `keep_going` (a batch) a failed job is recorded and the next
    runs; else the first failure ends the queue."""

    python: str
    environment: dict[str, str]
    jobs: list[Job]
    keep_going: bool = False
    current: int = 0
    run: WorkerRun | None = None
    fraction: float = 0.0  # of the current job
    message: str = ""
    done: list[Job] = field(default_factory=list)

    @property
    def finished(self) -> bool:
        return self.current >= len(self.jobs)

    @property
    def progress(self) -> float:
        """The share of the whole queue done, 0 to 1."""
        return (self.current + self.fraction) / max(len(self.jobs), 1)

    def status(self) -> str:
        """One line for the header: which job, and what its worker last said."""
        if self.finished:
            return "done"
        job = self.jobs[self.current]
        where = f"{self.current + 1} of {len(self.jobs)}: " if len(self.jobs) > 1 else ""
        return f"{where}{job.label}: {self.message or 'starting'}"

    def start(self) -> None:
        """Start the current job's worker (WorkerError if it cannot start: the job fails)."""
        job = self.jobs[self.current]
        job.folder.mkdir(parents=True, exist_ok=True)
        self.fraction, self.message = 0.0, ""
        self.run = WorkerRun.start(self.python, job.arguments, environment=self.environment)

    def step(self, context: bpy.types.Context) -> None:
        """Start the current job's worker, or read its progress; once it ends, apply its result."""
        if self.finished:
            return
        job = self.jobs[self.current]
        if self.run is None:
            try:
                self.start()
            except WorkerError as e:
                self._end(job, str(e), failed=True)
            return
        for event in self.run.poll():
            if event.get("event") == "progress":
                total = event.get("total") or 0
                self.fraction = min(event.get("done", 0) / total, 1.0) if total else self.fraction
                self.message = event.get("message") or self.message
        if not self.run.finished:
            return
        try:
            outcome = job.apply(context, self.run.result())
        except (WorkerError, LiftError) as e:
            self._end(job, str(e), failed=True)
        except Exception as e:  # anything else Blender or a file raised: this job failed, the queue goes on
            self._end(job, f"{job.label}: could not be applied ({reason(e)}).", failed=True)
        else:
            self._end(job, outcome, failed=False)

    def wait(self, context: bpy.types.Context) -> None:
        """Run every job to the end (background mode, where there is no timer)."""
        while not self.finished:
            if self.run is not None:
                self.run.process.wait()
            self.step(context)

    def cancel(self) -> None:
        """Stop the current job's worker; the jobs done stay done, the rest never run."""
        if self.run is not None:
            self.run.cancel()
        for job in self.jobs[self.current :]:
            _clean(job)
        self.current = len(self.jobs)

    def _end(self, job: Job, outcome: str, failed: bool) -> None:
        job.outcome, job.failed = outcome, failed
        _clean(job)
        self.run = None
        self.done.append(job)
        self.current += 1
        if failed and not self.keep_going:
            self.cancel()
            raise LiftError(outcome)


def _clean(job: Job) -> None:
    shutil.rmtree(job.folder, ignore_errors=True)
