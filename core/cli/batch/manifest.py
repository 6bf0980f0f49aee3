"""OUTDIR/manifest.jsonl: one JSON object a line per video a batch has tried, rewritten atomically after each
video ends, so it is true at any moment (after Ctrl-C too): what it says is done is on disk, whole.

A record: {"input": absolute path, "name": its outputs' stem, "sha256": the input's (null if unreadable),
"settings": `settings.settings_of`, "status": "done" or "failed", "error": one sentence or null, "seconds": the
worker's time on it, "frames": of the pose file, "people": person slots, "tracks": the tracks kept, "outputs":
file names in OUTDIR, "notes": what the run said on the side (a file that ends early), "finished": UTC time}.
An item is done when its record is "done" with the same sha256 and settings and its outputs are all there;
everything else (new, failed, changed, outputs gone) is to do.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ...formats.atomic import write_atomically
from ..common import CommandError

MANIFEST = "manifest.jsonl"
STATUSES = ("done", "failed")


@dataclass(frozen=True)
class Item:
    """A video to lift and the stem of its outputs in OUTDIR."""

    video: Path
    name: str
    sha256: str | None


def read_manifest(outdir: Path) -> dict[Path, dict]:
    """{input: record} of OUTDIR's manifest (empty when there is none); a manifest that is not ours, one
    sentence."""
    path = outdir / MANIFEST
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as e:
        raise CommandError(f"{path}: cannot be read ({getattr(e, 'strerror', None) or e}).") from None
    records = {}
    for number, line in enumerate(lines, 1):
        try:
            record = json.loads(line)
            records[Path(record["input"])] = record
            if record["status"] not in STATUSES or not isinstance(record["name"], str):
                raise ValueError
        except (ValueError, KeyError, TypeError):
            raise CommandError(f"{path}: line {number} is not a batch record; move the file away to start the "
                               "batch afresh.") from None  # fmt: skip
    return records


def write_manifest(outdir: Path, records: dict[Path, dict]) -> None:
    """All `records`, one a line, in place of OUTDIR's manifest, atomically."""
    text = "".join(json.dumps(record) + "\n" for record in records.values())
    write_atomically(outdir / MANIFEST, lambda out: out.write(text.encode("utf-8")))


def is_done(record: dict | None, item: Item, settings: dict, outdir: Path) -> bool:
    """Whether `record` shows `item` done with these settings, and its outputs are still in OUTDIR."""
    return (record is not None and record["status"] == "done" and item.sha256 is not None
            and record.get("sha256") == item.sha256 and record.get("settings") == settings
            and all((outdir / name).is_file() for name in record.get("outputs", ())))  # fmt: skip
