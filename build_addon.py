"""Build the PoseLift extension zip with Blender's own tool and validate it.

    python build_addon.py [--output-dir DIR]     ->  DIR/poselift-<version>.zip (DIR defaults to dist/)

The tool is `blender_ext.py`, which ships inside the `bpy` wheel (and inside every Blender since 4.2); it runs
as a plain script, so the build does not start Blender. What goes into the zip is set by the manifest's
[build] section: the root __init__.py, the manifest, addon/, core/ and rigs/.
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent
MANIFEST = REPO / "blender_manifest.toml"


class BuildError(RuntimeError):
    """The zip could not be built or did not validate; the message is one sentence."""


def manifest() -> dict:
    """The extension manifest as a dict (id, version, ...)."""
    with MANIFEST.open("rb") as f:
        return tomllib.load(f)


def blender_ext_tool() -> Path:
    """The path of Blender's extension tool inside the installed bpy module, found without importing bpy."""
    spec = importlib.util.find_spec("bpy")
    if spec is None or not spec.submodule_search_locations:
        raise BuildError(
            "bpy is not installed in this Python, and the build needs Blender's extension tool from it: "
            "run `pip install bpy==5.0.1` (Python 3.11) or use the setup script."
        )
    for location in spec.submodule_search_locations:
        tools = sorted(Path(location).glob("*/scripts/addons_core/bl_pkg/cli/blender_ext.py"))
        if tools:
            return tools[-1]
    raise BuildError(f"the bpy module at {spec.submodule_search_locations[0]} has no blender_ext.py build tool.")


def build(output_dir: Path = REPO / "dist") -> Path:
    """Build and validate the zip; return its path."""
    tool = blender_ext_tool()
    output_dir = Path(output_dir).resolve()
    output_dir.mkdir(parents=True, exist_ok=True)
    info = manifest()
    zip_path = output_dir / f"{info['id']}-{info['version']}.zip"
    _run(tool, "build", "--source-dir", str(REPO), "--output-dir", str(output_dir))
    if not zip_path.is_file():
        raise BuildError(f"Blender's build tool did not write {zip_path}.")
    _run(tool, "validate", str(zip_path))
    return zip_path


def _run(tool: Path, *args: str) -> None:
    done = subprocess.run([sys.executable, str(tool), *args], capture_output=True, text=True)
    if done.returncode != 0:
        detail = " ".join((done.stderr or done.stdout).split())
        raise BuildError(f"blender_ext.py {args[0]} failed: {detail}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output-dir", type=Path, default=REPO / "dist", help="folder for the zip (default: dist/)")
    args = parser.parse_args(argv)
    try:
        print(build(args.output_dir))
    except BuildError as e:
        print(f"build_addon.py: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
