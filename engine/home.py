"""Where engines live: one folder (in Blender, the extension's user folder) holding the virtual environments
(envs/<key>/, one per set of packages), the weights, the log of the last install, and engine.json, which names
the engine in use. An environment only becomes the one in use once it is complete, by an atomic rewrite of
engine.json, so a cancelled or failed install leaves the engine in use as it was."""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .packages import EngineError


@dataclass(frozen=True)
class Engine:
    """The engine in use: its interpreter, the key of its packages (packages.PackagePlan.key), its torch build,
    its weights folder, and why some weight files are not there ({file name: one sentence})."""

    python: str
    key: str
    torch_build: str
    weights: str
    unavailable: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class EngineHome:
    root: Path

    @property
    def pointer(self) -> Path:
        return self.root / "engine.json"

    @property
    def log(self) -> Path:
        return self.root / "install.log"

    @property
    def weights(self) -> Path:
        return self.root / "weights"

    def env(self, key: str) -> Path:
        return self.root / "envs" / key

    def current(self) -> Engine | None:
        """The engine in use, or None when none is installed (or engine.json is unreadable)."""
        try:
            data = json.loads(self.pointer.read_text())
            return Engine(**data)
        except (OSError, ValueError, TypeError):
            return None

    def use(self, engine: Engine) -> bool:
        """Make `engine` the one in use (atomically); False when it already was, byte for byte."""
        text = json.dumps(asdict(engine), indent=2, sort_keys=True) + "\n"
        try:
            if self.pointer.read_text() == text:
                return False
        except OSError:
            pass
        part = self.pointer.with_name(f".{self.pointer.name}.part")
        part.write_text(text)
        os.replace(part, self.pointer)
        return True

    def remove_other_envs(self, keep: str) -> None:
        """Delete every environment but `keep`'s (older package sets, and those an install left unfinished)."""
        for env in (self.root / "envs").glob("*"):
            if env.name != keep:
                shutil.rmtree(env, ignore_errors=True)

    def remove(self) -> None:
        """Delete every engine and the log; weights stay only where they live outside this folder."""
        if not self.root.exists():
            return
        self.pointer.unlink(missing_ok=True)
        try:
            shutil.rmtree(self.root)
        except OSError as e:
            raise EngineError(f"{self.root}: the engine could not be removed whole ({e.strerror or e}).") from None


def env_python(env: Path) -> Path:
    """The interpreter of a virtual environment made by `venv` on this system."""
    return env / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
