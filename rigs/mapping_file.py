"""A user's bone mapping saved as a small JSON file, read back as a rig preset."""

from __future__ import annotations

import json
import os
from pathlib import Path

from ..core.formats.atomic import write_atomically
from ..core.formats.files import not_regular
from ..core.formats.limits import loads_json
from .presets import RigPreset
from .roles import ROLE_NAMES

FORMAT = "poselift-bone-mapping"
VERSION = 1
MAX_BYTES = 2**20  # a mapping names a few dozen bones: a few KB


class MappingFileError(ValueError):
    """A bone-mapping file that cannot be read; the message is one sentence naming the file."""


def save_mapping(path: str | os.PathLike, preset: RigPreset) -> Path:
    """Write the preset's roles, rest pose and root bone as JSON, atomically."""
    path = Path(path)
    data = {
        "format": FORMAT,
        "version": VERSION,
        "name": preset.name,
        "label": preset.label,
        "rest": preset.rest,
        "root_bone": preset.root_bone,
        "bones": {role: preset.bones[role] for role in ROLE_NAMES if role in preset.bones},
    }
    return write_atomically(path, lambda out: out.write(json.dumps(data, indent=2).encode()))


def load_mapping(path: str | os.PathLike) -> RigPreset:
    """Read a bone-mapping file; any problem raises MappingFileError naming the file."""
    path = Path(path)
    problem = not_regular(path, "a bone-mapping file")
    if problem:
        raise MappingFileError(problem)
    if path.stat().st_size > MAX_BYTES:
        raise MappingFileError(f"{path}: over {MAX_BYTES // 2**10} KB, too large for a bone-mapping file.")
    try:
        data = loads_json(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise MappingFileError(f"{path}: cannot be read as a bone-mapping file ({e}).") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise MappingFileError(f"{path}: not a PoseLift bone-mapping file.")
    if data.get("version") != VERSION:
        raise MappingFileError(f"{path}: mapping version {data.get('version')}, this PoseLift reads {VERSION}.")
    bones = data.get("bones")
    if not isinstance(bones, dict) or not all(isinstance(b, str) and b for b in bones.values()):
        raise MappingFileError(f"{path}: 'bones' must map roles to bone names.")
    unknown = sorted(set(bones) - set(ROLE_NAMES))
    if unknown:
        raise MappingFileError(f"{path}: unknown roles {', '.join(unknown)}; roles are {', '.join(ROLE_NAMES)}.")
    rest = data.get("rest", "T")
    if rest not in ("T", "A"):
        raise MappingFileError(f"{path}: rest must be 'T' or 'A', not {rest!r}.")
    root_bone = data.get("root_bone")
    return RigPreset(
        str(data.get("name") or path.stem), str(data.get("label") or path.stem), rest, dict(bones),
        root_bone if isinstance(root_bone, str) and root_bone else None,
    )
