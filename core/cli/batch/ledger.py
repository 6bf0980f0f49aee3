"""The driver's side of a batch: each outcome a worker sends becomes the video's record in the manifest (written
at once), a step of the one progress bar over all videos, and, for a failure, its sentence on stderr."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from ..progress import Progress, end_bar_line
from .manifest import MANIFEST, Item, write_manifest


class Ledger:
    """Records the outcomes of `todo` into OUTDIR's manifest, over the `records` an earlier run left, `order`
    (the batch's videos) first; `settings` go into every record; progress as `mode` ("bar", "json", "quiet")."""

    def __init__(self, outdir: Path, records: dict[Path, dict], order: list[Path], settings: dict, todo: int,
                 mode: str):  # fmt: skip
        self.outdir, self.records, self.order, self.settings = outdir, records, order, settings
        self.progress = Progress(todo, "videos", mode)
        self.done, self.failed, self.began = 0, 0, time.monotonic()
        if todo:
            self.progress.update(0, "starting the workers")

    def record(self, item: Item, outcome: dict) -> None:
        """`item` ended with `outcome` (a `Worker.lift` outcome): into the manifest, the bar and stderr."""
        before = self.records.get(item.video)
        record = {"input": str(item.video), "name": item.name, "sha256": item.sha256, "settings": self.settings,
                  "status": outcome["status"], "error": outcome.get("error"), "seconds": outcome.get("seconds", 0.0),
                  "frames": outcome.get("frames", 0), "people": outcome.get("people", 0),
                  "tracks": outcome.get("tracks", []), "outputs": outcome.get("outputs", []),
                  "notes": outcome.get("notes", []),
                  "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}  # fmt: skip
        self.records[item.video] = record
        ordered = {video: self.records[video] for video in self.order if video in self.records}
        write_manifest(self.outdir, ordered | self.records)
        if record["status"] == "done" and before is not None:
            for stale in set(before.get("outputs", ())) - set(record["outputs"]):  # --track all wrote more before
                (self.outdir / stale).unlink(missing_ok=True)
        self.done += record["status"] == "done"
        self.failed += record["status"] == "failed"
        if record["status"] == "failed" and self.progress.mode != "json":
            end_bar_line()
            print(record["error"], file=sys.stderr)
        if self.progress.mode == "json":
            print(json.dumps({"event": "video"} | record), flush=True)
        self.progress.update(self.done + self.failed, f"{item.name}: {record['status']}")

    def summary(self, skipped: int) -> str:
        """The sentence that ends the batch."""
        took = time.monotonic() - self.began
        return (f"poselift batch: {self.done} done, {self.failed} failed, {skipped} done before, in {took:.0f} s; "
                f"see {self.outdir / MANIFEST}")  # fmt: skip
