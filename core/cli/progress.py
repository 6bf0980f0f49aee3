"""Progress of a long job: a bar on stderr for people, or JSON lines on stdout for the add-on's worker.

JSON lines, one object each: {"event": "progress", "done", "total", "rate", "eta_s", "message"},
{"event": "done", "output": path}, {"event": "error", "message": sentence}.
"""

from __future__ import annotations

import json
import sys
import time
from typing import TextIO

_open_bar: list[TextIO] = []  # the stream whose last line is a bar not yet ended (one process, one terminal)


def end_bar_line() -> None:
    """End the line a bar was left on, so what is printed next starts on a line of its own."""
    while _open_bar:
        stream = _open_bar.pop()
        stream.write("\n")
        stream.flush()


class Progress:
    """Counts `total` steps of `unit` (frames, images); `mode` is "bar", "json" or "quiet"."""

    def __init__(self, total: int, unit: str = "frames", mode: str = "bar", stream: TextIO | None = None):
        if mode not in ("bar", "json", "quiet"):
            raise ValueError(f"unknown progress mode {mode!r}")
        self.total, self.unit, self.mode = max(int(total), 0), unit, mode
        self.stream = stream or (sys.stdout if mode == "json" else sys.stderr)
        self.start = time.monotonic()
        self.done = 0

    def update(self, done: int, message: str = "") -> None:
        """`done` steps of `total` are finished."""
        self.done = done
        elapsed = max(time.monotonic() - self.start, 1e-9)
        rate = done / elapsed
        eta = (self.total - done) / rate if rate > 0 and self.total else None
        if self.mode == "json":
            event = {"event": "progress", "done": done, "total": self.total, "rate": round(rate, 3)}
            event |= {"eta_s": None if eta is None else round(eta, 1), "message": message}
            self._json(event)
        elif self.mode == "bar":
            width = 30
            left = "" if eta is None else f", {eta:.0f} s left"
            if self.total:
                filled = int(width * done / self.total)
                self.stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{self.total} {self.unit} "
                                  f"({rate:.1f}/s{left}) ")  # fmt: skip
            else:  # a total nobody knows: the count alone
                self.stream.write(f"\r{done} {self.unit} ({rate:.1f}/s) ")
            self.stream.flush()
            if not _open_bar:
                _open_bar.append(self.stream)

    def finish(self, output: str) -> None:
        """The job wrote `output`."""
        if self.mode == "json":
            self._json({"event": "done", "output": output})
        elif self.mode == "bar":
            end_bar_line()

    def error(self, message: str) -> None:
        """The job failed, for the reason `message` (one sentence)."""
        if self.mode == "json":
            self._json({"event": "error", "message": message})
        else:
            end_bar_line()

    def _json(self, event: dict) -> None:
        self.stream.write(json.dumps(event) + "\n")
        self.stream.flush()
