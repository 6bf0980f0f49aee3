"""What the engine installs and from where: the pinned list in requirements.txt, with torch's build chosen by the
device asked for and the operating system."""

from __future__ import annotations

import hashlib
import os
import platform
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

REQUIREMENTS = Path(__file__).with_name("requirements.txt")
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"
"""PyTorch's own index of its CPU-only builds: on Linux and Windows, PyPI's torch is another build (on Linux, the
CUDA one with its NVIDIA libraries, several times the size)."""
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([A-Za-z0-9.+!_-]+)$")


class EngineError(RuntimeError):
    """The engine cannot be installed, checked or run; the message is one sentence."""


@dataclass(frozen=True)
class PackagePlan:
    """The pip requirements of one engine (`name==version` lines), the extra package indexes they come from, and
    the torch build they give ("cpu" or "cuda")."""

    requirements: tuple[str, ...]
    extra_index_urls: tuple[str, ...]
    torch_build: str

    @property
    def versions(self) -> dict[str, str]:
        """{distribution name, normalised: version} as pinned."""
        return dict(_split(line) for line in self.requirements)

    @property
    def key(self) -> str:
        """12 hex digits naming this set of packages: an engine's folder, so a new set never touches the old."""
        text = "\n".join([*self.requirements, *self.extra_index_urls])
        return hashlib.sha256(text.encode()).hexdigest()[:12]


def pinned(path: Path = REQUIREMENTS) -> tuple[str, ...]:
    """The `name==version` lines of a requirements file, comments and blank lines left out; EngineError naming the
    file and the line for any other kind of line."""
    try:
        text = Path(path).read_text()
    except OSError as e:
        raise EngineError(f"{path}: the engine's package list cannot be read ({e.strerror or e}).") from None
    lines = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if not _PIN.match(line):
            raise EngineError(f"{path}, line {number}: {line!r} is not a pinned requirement (name==version).")
        lines.append(line)
    return tuple(lines)


def plan(device: str = "cpu", system: str | None = None, path: Path = REQUIREMENTS) -> PackagePlan:
    """The packages for `device` ("cpu" or "cuda") on `system` (platform.system()'s name; default this one). The
    CUDA build is PyPI's own torch on Linux, the only system it is offered on; the CPU build is PyTorch's `+cpu`
    build from its index on Linux and Windows, PyPI's torch on macOS."""
    system = system or platform.system()
    if device not in ("cpu", "cuda"):
        raise EngineError(f"the engine is built for the CPU or for CUDA, not {device!r}.")
    if device == "cuda" and system != "Linux":
        raise EngineError(f"the engine's GPU build is offered on Linux only, not on {system}: choose the CPU.")
    requirements = pinned(path)
    if device == "cuda" or system == "Darwin":
        return PackagePlan(requirements, (), device)
    torch = [line for line in requirements if _split(line)[0] == "torch"]
    cpu = tuple(f"{line}+cpu" if line in torch and "+" not in line else line for line in requirements)
    return PackagePlan(cpu, (TORCH_CPU_INDEX,) if torch else (), "cpu")


def nvidia_driver() -> bool:
    """Whether this machine has an NVIDIA driver (what the CUDA build needs)."""
    return Path("/proc/driver/nvidia/version").exists() or shutil.which("nvidia-smi") is not None


def normalise(name: str) -> str:
    """A distribution name as pip compares them (PEP 503): lower case, runs of -_. as one -."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _split(line: str) -> tuple[str, str]:
    name, version = line.split("==", 1)
    return normalise(name), version


def python_in(path: str | os.PathLike) -> Path:
    """The interpreter a path names: the file itself, or the python of a virtual environment's (or an install's)
    folder; EngineError when there is none."""
    path = Path(path).expanduser()
    if path.is_file():
        return path
    if path.is_dir():
        for candidate in ("bin/python3", "bin/python", "Scripts/python.exe", "python.exe", "python3", "python"):
            if (path / candidate).is_file():
                return path / candidate
        raise EngineError(f"{path}: the folder has no Python in it (bin/python or Scripts\\python.exe).")
    raise EngineError(f"{path}: no such Python.")
