"""What installing the engine costs: its download, its size on disk, and its time from the package registries,
from pip's cache, and when it is already there, in one run.

    python bench/engine.py [--device cpu|cuda] [--base PYTHON]

Runs the engine installer as Install Engine does (`python -m poselift.engine.install`, made from `--base`,
default this Python) three times into fresh temporary folders: with an empty pip cache (every package from the
registries), again into a new folder with the cache the first run filled, and again into that same folder (the
second Install: nothing to do). The download is measured apart with `pip download` of the same packages. Prints
a table and one JSON line. pip's cache holds what it fetched over HTTP: where the registries are local folders,
the first two rows cost about the same.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from poselift.core.nets.weights import WEIGHT_FILES
from poselift.engine.home import EngineHome
from poselift.engine.packages import plan


def size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def install(base: str, home: Path, device: str, cache: Path) -> float:
    """Seconds for one install into `home` with pip's cache in `cache`."""
    env = dict(os.environ, PIP_CACHE_DIR=str(cache))
    start = time.perf_counter()
    done = subprocess.run([base, "-m", "poselift.engine.install", "--home", str(home), "--device", device],
                          capture_output=True, text=True, env=env)  # fmt: skip
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"the install failed: {done.stdout.strip().splitlines()[-1:]}")
    return seconds


def download_size(base: str, device: str, work: Path) -> int:
    """Bytes pip downloads for the engine's packages (their wheels, with what they need)."""
    packages = plan(device)
    extra = [a for url in packages.extra_index_urls for a in ("--extra-index-url", url)]
    subprocess.run([base, "-m", "pip", "download", "-q", "--disable-pip-version-check", "-d", str(work),
                    *packages.requirements, *extra], check=True, capture_output=True)  # fmt: skip
    return size(work)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--base", default=sys.executable, help="the Python the engine is made from")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="poselift-bench-engine-") as tmp:
        root = Path(tmp)
        downloaded = download_size(args.base, args.device, root / "download")
        weights = sum(f.size for f in WEIGHT_FILES.values())
        cold = install(args.base, root / "cold", args.device, root / "cache")
        warm = install(args.base, root / "warm", args.device, root / "cache")
        again = install(args.base, root / "warm", args.device, root / "cache")
        home = EngineHome(root / "warm")
        env_size, weights_size = size(home.root / "envs"), size(home.weights)
    mb = 1e6
    print(f"engine ({args.device}, made from {args.base}): download {downloaded / mb:.0f} MB of packages and "
          f"{weights / mb:.0f} MB of weights; on disk {env_size / mb:.0f} MB environment, {weights_size / mb:.0f} MB "
          "weights")
    print(f"{'install':34} {'seconds':>8} {'x first':>8}")
    rows = {"from the registries (empty cache)": cold, "from pip's cache": warm, "again (nothing to do)": again}
    for label, seconds in rows.items():
        print(f"{label:34} {seconds:8.1f} {seconds / cold:8.2f}")
    print(json.dumps({"bench": "engine", "device": args.device, "download_bytes": downloaded, "weights_bytes": weights,
                      "environment_bytes": env_size, "seconds": {"registries": cold, "pip_cache": warm,
                                                                 "again": again}}))  # fmt: skip


if __name__ == "__main__":
    main()
