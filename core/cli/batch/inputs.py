"""The videos a batch's inputs name, and a file name for each one's outputs.

An input is a video, a folder (searched recursively for files with a video's extension) or a `.txt` file
listing paths, one a line (blank lines and lines starting with # are skipped; relative paths are relative to the
list's folder; a listed folder or list is expanded too). A named video that is missing is kept: the batch records
its sentence. Output names are the videos' stems; videos whose stems clash (two take1.mp4 in different folders)
take as many of their parent folders' names as tell them apart (a_take1 and b_take1 for a/take1.mp4 and
b/take1.mp4); when none do (take1.mp4 and take1.mov), a number (take1, take1-2).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path

from ..common import CommandError

VIDEO_SUFFIXES = (".mp4", ".m4v", ".mov", ".avi", ".mkv", ".webm", ".mpg", ".mpeg", ".wmv")
LIST_SUFFIX = ".txt"


def find_videos(inputs: Iterable[Path]) -> list[Path]:
    """The videos `inputs` name, absolute, each once, in the order named (a folder's in sorted order)."""
    found: dict[Path, None] = {}
    for path in inputs:
        _expand(Path(path), found, ())
    return list(found)


def _expand(path: Path, found: dict[Path, None], lists: tuple[Path, ...]) -> None:
    path = path.expanduser().absolute()
    if path.is_dir():
        for video in sorted(p for p in path.rglob("*") if p.suffix.lower() in VIDEO_SUFFIXES and p.is_file()):
            found.setdefault(video)
    elif path.suffix.lower() == LIST_SUFFIX:
        if path in lists:
            raise CommandError(f"{path}: lists itself (through {lists[-1]}).")
        for line in _lines(path):
            listed = Path(line).expanduser()
            _expand(listed if listed.is_absolute() else path.parent / listed, found, (*lists, path))
    else:
        found.setdefault(path)


def _lines(listing: Path) -> list[str]:
    try:
        text = listing.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CommandError(f"{listing}: no such list of videos.") from None
    except (OSError, UnicodeDecodeError) as e:
        why = getattr(e, "strerror", None) or e
        raise CommandError(f"{listing}: cannot be read as a list of paths ({why}).") from None
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def output_names(videos: list[Path], kept: Mapping[Path, str] | None = None) -> dict[Path, str]:
    """{video: the stem of its output files}, unique without regard to case; `kept` are names given before (by
    an earlier run's manifest), which those videos keep."""
    kept = {video: name for video, name in (kept or {}).items()}
    taken = {name.lower() for name in kept.values()}
    names = {video: kept[video] for video in videos if video in kept}
    clashes: dict[str, list[Path]] = defaultdict(list)
    for video in videos:
        if video not in names:
            clashes[video.stem.lower()].append(video)
    for stem, group in clashes.items():
        depth = 0
        if len(group) > 1 or stem in taken:
            deepest = max(len(video.parents) - 1 for video in group)
            apart = (d for d in range(1, deepest + 1) if len({_named(v, d).lower() for v in group}) == len(group))
            depth = next(apart, 0)
        for video in group:
            name = base = _named(video, depth)
            number = 2
            while name.lower() in taken:
                name, number = f"{base}-{number}", number + 1
            names[video] = name
            taken.add(name.lower())
    return {video: names[video] for video in videos}


def _named(video: Path, depth: int) -> str:
    """The video's stem after the names of its `depth` nearest folders, joined by _."""
    folders = [p.name for p in list(video.parents)[:depth] if p.name]
    return "_".join([*reversed(folders), video.stem])
