"""What an engine has: its Python, its packages against the pinned ones, torch and the device it sees, the weight
files, and the core it runs.

    python -m poselift.engine.check [--device cpu|cuda]

prints one JSON line, {"event": "done", "report": {...}} (see `report`), as the extension's workers report. The
weight files are looked for as the core looks for them (core.nets.weights: $POSELIFT_CACHE, where the extension
points its workers, an installed MediaPipe, the checkout's cache).

`probe` asks any interpreter from outside (no import of torch, a fraction of a second): what the add-on does
before it starts a worker, so that a Python that lacks packages is named with all of them at once.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

from ..core.nets.weights import WEIGHT_FILES, PackagedFile, WeightsNotFoundError, find_weights
from .packages import EngineError, PackagePlan, normalise, plan
from .registry import intact

# Run by the interpreter probed: its version and the installed version of each distribution named on stdin.
_PROBE = """
import importlib.metadata as m, json, sys
names = json.loads(sys.stdin.read())
def version(name):
    try:
        return m.version(name)
    except m.PackageNotFoundError:
        return None
print(json.dumps({"python": "%d.%d.%d" % sys.version_info[:3], "packages": {n: version(n) for n in names}}))
"""


@dataclass(frozen=True)
class Probe:
    """An interpreter as seen from outside: its version and {distribution: installed version or None}."""

    python: str
    version: str
    packages: dict[str, str | None]

    def problem(self, wanted: PackagePlan) -> str | None:
        """One sentence on what keeps this Python from running the core with `wanted`'s packages, or None. A
        package of another version counts as there: a Python the user names may have its own builds."""
        if not self.version.startswith("3.11."):
            return f"{self.python} is Python {self.version}; PoseLift's engine needs Python 3.11."
        lacking = [name for name in wanted.versions if not self.packages.get(name)]
        if not lacking:
            return None
        listed = lacking[0] if len(lacking) == 1 else f"{', '.join(lacking[:-1])} and {lacking[-1]}"
        return (f"{self.python} lacks {listed}: install the engine from PoseLift's preferences, or name a Python "
                f"that has {'it' if len(lacking) == 1 else 'them'}.")

    def matches(self, wanted: PackagePlan) -> bool:
        """Whether every pinned package is there at exactly its pinned version."""
        return all(self.packages.get(name) == version for name, version in wanted.versions.items())


def probe(python: str | Path, names: list[str]) -> Probe:
    """Ask `python` its version and which of the distributions `names` it has; EngineError when it cannot run."""
    try:
        done = subprocess.run([str(python), "-I", "-c", _PROBE], input=json.dumps([normalise(n) for n in names]),
                              capture_output=True, text=True, timeout=60)  # fmt: skip
        answer = json.loads(done.stdout)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise EngineError(f"{python}: this Python cannot be started ({getattr(e, 'strerror', None) or e}).") from None
    except ValueError:
        raise EngineError(f"{python}: this is not a Python that PoseLift can use (it did not answer).") from None
    return Probe(str(python), answer["python"], answer["packages"])


def report(device: str) -> dict:
    """This interpreter's engine, as JSON-ready data (see the module docstring); imports torch when it can."""
    wanted = plan(device)
    here = probe(sys.executable, list(wanted.versions))
    out: dict = {
        "python": {"executable": sys.executable, "version": here.version},
        "packages": {name: {"pinned": version, "installed": here.packages.get(name)}
                     for name, version in wanted.versions.items()},
        "problem": here.problem(wanted),
        "weights": {f.name: _weight(f) for f in WEIGHT_FILES.values()},
        "core": _core(),
    }
    try:
        import torch

        cuda = torch.cuda.is_available()
        out["torch"] = {"version": torch.__version__, "cuda": cuda,
                        "device": torch.cuda.get_device_name(0) if cuda else "CPU"}  # fmt: skip
    except Exception as e:  # a broken torch is what this reports, whatever it raises
        out["torch"] = {"error": f"{type(e).__name__}: {e}"}
    return out


def _weight(file: PackagedFile) -> dict[str, str]:
    """{"state": "ok", "damaged" or "missing", "path": where the core finds it}."""
    try:
        path = find_weights(file.name)
    except WeightsNotFoundError:
        return {"state": "missing"}
    return {"state": "ok" if intact(path, file) else "damaged", "path": str(path)}


PACKAGE_DIR = Path(__file__).resolve().parents[1]  # the extension's root package (the checkout in a checkout)


def package_version(package: Path = PACKAGE_DIR) -> str:
    """The version in a PoseLift package's blender_manifest.toml, or "unknown"."""
    try:
        with open(package / "blender_manifest.toml", "rb") as f:
            return tomllib.load(f).get("version", "unknown")
    except (OSError, tomllib.TOMLDecodeError):
        return "unknown"


def _core() -> dict:
    """Where the core this interpreter imports lives, and its version."""
    return {"path": str(PACKAGE_DIR), "version": package_version()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Report this Python's PoseLift engine as one JSON object.")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu", help="the torch build expected")
    args = parser.parse_args(argv)
    try:
        print(json.dumps({"event": "done", "report": report(args.device)}))
    except EngineError as e:
        print(e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
