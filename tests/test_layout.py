"""The layout holds: core/'s stations import only the stations below them, and core/, engine/ and rigs/ never
import Blender or the add-on (read from the source, so a lazy import inside a function counts too)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
GROUND = {"core.skeleton", "core.rotations"}
# Each station and the stations it may import (besides itself): arrows only point down, so there is no cycle.
ALLOWED: dict[str, set[str]] = {
    "core.skeleton": set(),
    "core.rotations": set(),
    "core.formats": GROUND,
    "core.nets": GROUND | {"core.formats"},
    "core.motion": GROUND,
    "core.lift": GROUND | {"core.nets", "core.formats"},
    "core.synth": GROUND | {"core.lift", "core.formats"},
    "core.video": GROUND | {"core.nets", "core.lift", "core.motion", "core.formats"},
    "core.image": GROUND | {"core.nets", "core.lift", "core.formats"},
    "core.cli": GROUND | {"core.nets", "core.lift", "core.motion", "core.video", "core.image", "core.formats"},
    "rigs": GROUND | {"core.motion", "core.formats"},
    "engine": {"core.nets"},
}
PACKAGES = ("core", "rigs", "engine")
BLENDER = {"bpy", "bmesh", "mathutils", "bpy_extras", "gpu", "idprop"}


def modules(package: str) -> dict[str, Path]:
    """{dotted name relative to the repository root (e.g. "core.lift.fit"): file} for a package's modules."""
    found = {}
    for path in sorted((REPO / package).rglob("*.py")):
        parts = path.relative_to(REPO).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imports(name: str, path: Path) -> set[str]:
    """The modules `path` imports: the repository's as dotted names relative to its root, others by top name."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            out.add(node.module.split(".")[0])
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1]
            target = ".".join(base + ([node.module] if node.module else []))
            out |= {f"{target}.{alias.name}" for alias in node.names} if not node.module else {target}
    return out


def station(name: str) -> str:
    """The station a module belongs to: core's subpackage or ground module, or rigs, or engine."""
    parts = name.split(".")
    return parts[0] if parts[0] in ("rigs", "engine") else ".".join(parts[:2])


def arrows() -> set[tuple[str, str, str]]:
    """(station, imported station, importing module) for every import between two stations of core/, rigs/ and
    engine/."""
    out = set()
    for name, path in (modules("core") | modules("rigs") | modules("engine")).items():
        for target in imports(name, path):
            if target.split(".")[0] in PACKAGES and target not in PACKAGES:
                if station(target) != station(name) and name not in PACKAGES:
                    out.add((station(name), station(target), name))
    return out


def test_every_module_of_core_belongs_to_a_station_of_the_table():
    unknown = {station(name) for name in modules("core") if name != "core"} - set(ALLOWED)
    assert not unknown, f"new stations need their place in ALLOWED: {sorted(unknown)}"


def test_the_stations_import_only_the_stations_below_them():
    wrong = sorted(f"{module} ({source}) imports {target}" for source, target, module in arrows()
                   if target not in ALLOWED[source])  # fmt: skip
    assert not wrong, "\n".join(wrong)


def test_the_allowed_arrows_have_no_cycle():
    def reaches(start: str, seen: set[str]) -> set[str]:
        for step in ALLOWED[start] - seen:
            seen |= {step} | reaches(step, seen | {step})
        return seen

    assert not [s for s in ALLOWED if s in reaches(s, set())]


@pytest.mark.parametrize("package", PACKAGES)
def test_core_rigs_and_the_engine_never_import_blender_or_the_addon(package):
    for name, path in modules(package).items():
        found = imports(name, path)
        assert not found & BLENDER, f"{path.relative_to(REPO)} imports {sorted(found & BLENDER)}"
        assert not [t for t in found if t.split(".")[0] == "addon"], f"{path.relative_to(REPO)} imports the add-on"
        if package != "rigs":
            assert not [t for t in found if t.split(".")[0] == "rigs"], f"{path.relative_to(REPO)} imports rigs/"
        if package == "core":
            assert not [t for t in found if t.split(".")[0] == "engine"], f"{path.relative_to(REPO)} imports engine/"
