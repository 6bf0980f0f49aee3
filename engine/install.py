"""Install or repair an engine: a virtual environment with the pinned packages, and the BlazePose weights.

    python -m poselift.engine.install --home DIR [--device cpu|cuda] [--weights DIR] [--requirements FILE]

Run by the Python the environment is made from (Blender's own, or a Python 3.11 the user names). Reports JSON
lines on stdout: {"event": "progress", "step", "done", "total", "message"}, then {"event": "done", "changed",
"message"} or {"event": "error", "message"} (one sentence that ends with the log's path); everything the tools
print goes to the log (DIR/install.log). Running it again keeps what is there and right and repairs the rest:
an environment whose packages are all as pinned is not touched, an intact weight file is not fetched again. The
new environment becomes the engine in use only when it is complete (engine.home), so a cancelled or failed
install leaves the previous engine working.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TextIO

from ..core.nets.weights import REQUIRED_WEIGHTS, WEIGHT_FILES
from .check import probe
from .home import Engine, EngineHome, env_python
from .packages import REQUIREMENTS, EngineError, PackagePlan, plan
from .registry import RegistryError, client_missing, describe, fetch, intact

STEPS = ("python", "packages", "weights")


class _Installer:
    def __init__(self, home: EngineHome, log: TextIO):
        self.home = home
        self.log = log

    def progress(self, step: str, message: str, *, logged: bool = False) -> None:
        """Report a step's progress (and put it in the log, unless it comes from there)."""
        if not logged:
            self.log.write(f"== {message}\n")
            self.log.flush()
        print(json.dumps({"event": "progress", "step": step, "done": STEPS.index(step), "total": len(STEPS),
                          "message": message}), flush=True)  # fmt: skip

    def run(self, cmd: list[str], what: str, step: str | None = None) -> None:
        """Run a tool with its output in the log (and, for `step`, pip's "Collecting", "Downloading" and
        "Installing" lines as progress); EngineError naming `what` when it fails."""
        self.log.write(f"$ {' '.join(cmd)}\n")
        self.log.flush()
        with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                              text=True) as tool:  # fmt: skip
            for line in tool.stdout:
                self.log.write(line)
                if step and line.startswith(("Collecting", "Downloading", "Installing")):
                    self.progress(step, line.strip(), logged=True)
        if tool.returncode != 0:
            raise EngineError(f"{what} failed (exit status {tool.returncode})")

    def environment(self, packages: PackagePlan) -> tuple[Path, bool]:
        """The environment of `packages`, made or repaired; its interpreter and whether anything was changed."""
        env = self.home.env(packages.key)
        python = env_python(env)
        if python.is_file() and probe(python, list(packages.versions)).matches(packages):
            self.progress("packages", f"packages: all {len(packages.requirements)} as pinned, nothing to do")
            return python, False
        if not python.is_file():
            self.progress("python", f"making a Python environment from {sys.executable}")
            self.run([sys.executable, "-m", "venv", str(env)], f"making a virtual environment with {sys.executable}")
        self.progress("packages", f"installing {', '.join(packages.requirements)} (pip)")
        with tempfile.TemporaryDirectory(prefix="poselift-engine-") as tmp:
            listing = Path(tmp) / "requirements.txt"
            listing.write_text("\n".join(packages.requirements) + "\n")
            extra = [a for url in packages.extra_index_urls for a in ("--extra-index-url", url)]
            self.run([str(python), "-m", "pip", "install", "--disable-pip-version-check", "--no-input",
                      "-r", str(listing), *extra], "pip install", step="packages")  # fmt: skip
        if not probe(python, list(packages.versions)).matches(packages):
            raise EngineError("pip finished, but the environment's packages are not the pinned ones")
        return python, True

    def weights(self, folder: Path, python: Path) -> tuple[dict[str, str], bool]:
        """Fetch the weight files that are missing or damaged; ({file: why it is not there}, whether any came)."""
        wanted = [f for f in WEIGHT_FILES.values() if not intact(folder / f.name, f)]
        self.progress("weights", f"weights: {len(wanted)} to fetch" if wanted else "weights: all present and intact")
        unavailable: dict[str, str] = {}
        for package in dict.fromkeys((f.registry, f.package) for f in wanted):
            files = [f for f in wanted if (f.registry, f.package) == package]
            if why := client_missing(package[0]):
                if any(f.name in REQUIRED_WEIGHTS for f in files):
                    raise EngineError(f"cannot fetch the {describe(*package)}: {why}")
                unavailable |= {f.name: f"{why}, so the {describe(*package)} cannot be fetched" for f in files}
                continue
            try:
                fetch(files, folder, python=str(python), log=lambda line: self.progress("weights", line))
            except RegistryError as e:
                if any(f.name in REQUIRED_WEIGHTS for f in files):
                    raise EngineError(str(e)) from None
                unavailable |= {f.name: str(e) for f in files}
        return unavailable, bool(wanted)


def install(home: EngineHome, device: str, weights: Path | None, requirements: Path, log: TextIO) -> bool:
    """Install or repair the engine in `home`; whether anything changed. EngineError (one sentence) on failure."""
    if sys.version_info[:2] != (3, 11):
        raise EngineError(f"{sys.executable} is Python {sys.version.split()[0]}; the engine needs Python 3.11")
    packages = plan(device, path=requirements)
    installer = _Installer(home, log)
    python, made = installer.environment(packages)
    folder = weights or home.weights
    unavailable, fetched = installer.weights(folder, python)
    engine = Engine(str(python), packages.key, packages.torch_build, str(folder), unavailable)
    changed = home.use(engine) | made | fetched
    home.remove_other_envs(keep=packages.key)
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Install or repair PoseLift's engine.")
    parser.add_argument("--home", type=Path, required=True, help="the engine's folder")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu", help="torch's build (default: cpu)")
    parser.add_argument("--weights", type=Path, help="the weights' folder (default: HOME/weights)")
    parser.add_argument("--requirements", type=Path, default=REQUIREMENTS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    home = EngineHome(args.home)
    home.root.mkdir(parents=True, exist_ok=True)
    with open(home.log, "w") as log:
        try:
            changed = install(home, args.device, args.weights, args.requirements, log)
        except (EngineError, RegistryError, OSError) as e:
            why = str(e) if not isinstance(e, OSError) else f"{e.filename or ''}: {e.strerror or e}"
            log.write(f"!! {why}\n")
            print(json.dumps({"event": "error", "message": f"The engine could not be installed: {why} (log: "
                                                           f"{home.log})."}), flush=True)  # fmt: skip
            return 1
        except KeyboardInterrupt:
            log.write("!! cancelled\n")
            return 130
    message = "The engine is installed." if changed else "The engine was already installed and intact."
    print(json.dumps({"event": "done", "changed": changed, "message": message}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
