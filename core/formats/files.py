"""Whether a path names a file a reader may open: a regular file, not a folder, a pipe or a device (reading a
pipe waits for a writer that may never come); and a file's sha256."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

CHUNK = 1 << 20  # bytes read at a time when hashing


def not_regular(path: Path, what: str) -> str | None:
    """None when `path` is a regular file; else one sentence naming it and saying why it is not read as `what`
    ("an image", "a video", ...): missing, unreadable, a folder, or something else than a regular file."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return f"{path}: no such file."
    except OSError as e:
        return f"{path}: cannot be read ({e.strerror or e})."
    if stat.S_ISDIR(mode):
        return f"{path}: is a folder, not {what}."
    if not stat.S_ISREG(mode):
        return f"{path}: is not a regular file (a pipe or a device?), so it is not read as {what}."
    return None


def sha256_of_file(path: str | os.PathLike) -> str:
    """The file's sha256 in hex, read in chunks (OSError where it cannot be read)."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while chunk := file.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
