"""Atomic file writes: a temporary file in the target's folder, then a rename over the target."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import BinaryIO

Writer = Callable[[BinaryIO], None]


def write_atomically(path: Path, write: Writer) -> Path:
    """Call `write` on a temporary file beside `path`, then rename it to `path`.

    A failure or interruption leaves `path` as it was and removes the temporary file.
    """
    write_together([(path, write)])
    return path


def write_together(files: Sequence[tuple[Path, Writer]]) -> None:
    """Write every (path, write) to a temporary file beside its path, and only once all are written rename
    them over their paths: a failure or interruption while writing leaves every path as it was. An OSError
    names the path being written (not its temporary file)."""
    temporary: list[Path] = []
    target = None
    try:
        for path, write in files:
            target = path
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
            temporary.append(Path(tmp))
            with os.fdopen(fd, "wb") as out:
                write(out)
            os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes the file private; give it the usual permissions
        for (path, _), tmp in zip(files, temporary, strict=True):
            target = path
            os.replace(tmp, path)
    except BaseException as e:
        for tmp in temporary:
            tmp.unlink(missing_ok=True)
        if isinstance(e, OSError) and target is not None:
            raise OSError(e.errno, e.strerror or str(e), str(target)) from e
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
