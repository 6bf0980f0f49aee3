"""What a look at a photo or a video leaves for the panel: a folder per look (its pose file or track list, the
pictures the core drew), and those pictures as icons the panel can show.

Folders live in the extension's user folder under looks/, named by a hash of what was looked at and how (the
file, its size and time, the settings), so looking again with the same settings finds the same folder. A look is
written into a partial folder of its own and renamed into place only once it succeeded, so a look that fails, or
two at once, never spoil a finished one; the least recently used beyond KEEP are removed. The icons come from one
`bpy.utils.previews` collection (not saved in the .blend).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from pathlib import Path

import bpy
import bpy.utils.previews

from .preferences import PACKAGE

KEEP = 20  # finished looks kept on disk
PARTIAL = ".partial-"
_icons = None
_loaded: dict[str, str] = {}  # picture path -> the name its current icon is loaded under


def look_key(source: Path, *settings: object) -> str:
    """A key for looking at `source` (its path, size and time) with `settings`: equal keys, equal results."""
    try:
        stat = source.stat()
        stamp = [stat.st_size, stat.st_mtime_ns]
    except OSError:
        stamp = []
    text = json.dumps([str(source), stamp, [str(s) for s in settings]])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _root() -> Path:
    try:
        return Path(bpy.utils.extension_path_user(PACKAGE, path="looks", create=True))
    except ValueError:  # a checkout's add-on: Blender's config folder
        return Path(bpy.utils.user_resource("CONFIG", path="poselift-looks", create=True))


def partial_folder(key: str) -> Path:
    """A new folder path (not made yet) for a look `key` being made."""
    return _root() / f"{key}{PARTIAL}{uuid.uuid4().hex[:8]}"


def finished(key: str) -> Path:
    """The folder of the finished look `key` (it may not exist)."""
    return _root() / key


def commit(partial: Path, key: str) -> Path:
    """Make the look written into `partial` the finished look `key` (replacing an older one) and remove the
    least recently used finished looks beyond KEEP; returns its folder."""
    final = finished(key)
    shutil.rmtree(final, ignore_errors=True)
    os.replace(partial, final)
    looks = sorted((p for p in _root().iterdir() if p.is_dir() and PARTIAL not in p.name and p != final),
                   key=lambda p: p.stat().st_mtime)  # fmt: skip
    for old in looks[: max(0, len(looks) - KEEP + 1)]:
        shutil.rmtree(old, ignore_errors=True)
    return final


def touch(folder: Path) -> None:
    """Mark a finished look as just used (it is kept longest)."""
    try:
        os.utime(folder)
    except OSError:
        pass


def icon(path: str) -> int:
    """The icon id of the picture at `path` (loaded once, again when the file changes); 0 when it is gone."""
    global _icons
    file = Path(path)
    if not path or not file.is_file():
        return 0
    if _icons is None:
        _icons = bpy.utils.previews.new()
    name = f"{file}:{file.stat().st_mtime_ns}"
    if _loaded.get(str(file)) != name:
        old = _loaded.pop(str(file), None)
        if old is not None and old in _icons:
            del _icons[old]
        _icons.load(name, str(file), "IMAGE")
        _loaded[str(file)] = name
    return _icons[name].icon_id


def register() -> None:
    pass


def unregister() -> None:
    global _icons
    if _icons is not None:
        bpy.utils.previews.remove(_icons)
        _icons = None
    _loaded.clear()
