"""What a look at a photo or a video leaves for the panel: a folder per look (its pose file or track list, the
pictures the core drew), and those pictures as icons the panel can show.

Folders live in the extension's user folder under looks/, named by a hash of what was looked at and how (the
file, its size and time, the settings), so looking again with the same settings finds the same folder; the
oldest beyond KEEP are removed. The icons come from one `bpy.utils.previews` collection (not saved in the .blend).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import bpy
import bpy.utils.previews

from .preferences import PACKAGE

KEEP = 20  # looks kept on disk
_icons = None


def look_key(source: Path, *settings: object) -> str:
    """A key for looking at `source` (its path, size and time) with `settings`: equal keys, equal results."""
    try:
        stat = source.stat()
        stamp = [stat.st_size, stat.st_mtime_ns]
    except OSError:
        stamp = []
    text = json.dumps([str(source), stamp, [str(s) for s in settings]])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def look_folder(key: str) -> Path:
    """The folder of the look `key`, made empty; older looks beyond KEEP are removed."""
    try:
        root = Path(bpy.utils.extension_path_user(PACKAGE, path="looks", create=True))
    except ValueError:  # a checkout's add-on: Blender's config folder
        root = Path(bpy.utils.user_resource("CONFIG", path="poselift-looks", create=True))
    folder = root / key
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    older = sorted((p for p in root.iterdir() if p.is_dir() and p != folder), key=lambda p: p.stat().st_mtime)
    for old in older[: max(0, len(older) - KEEP + 1)]:
        shutil.rmtree(old, ignore_errors=True)
    return folder


def icon(path: str) -> int:
    """The icon id of the picture at `path` (loaded once, reloaded when the file changes); 0 when it is gone."""
    global _icons
    file = Path(path)
    if not path or not file.is_file():
        return 0
    if _icons is None:
        _icons = bpy.utils.previews.new()
    name = f"{file}:{file.stat().st_mtime_ns}"
    found = _icons.get(name) or _icons.load(name, str(file), "IMAGE")
    return found.icon_id


def register() -> None:
    pass


def unregister() -> None:
    global _icons
    if _icons is not None:
        bpy.utils.previews.remove(_icons)
        _icons = None
