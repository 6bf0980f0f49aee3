"""A corpus of bad inputs, made here, each run through `poselift` in a subprocess: one sentence on stderr (no
traceback), exit status 1 (2 for a value argparse refuses), no file left behind, and quickly (no read of a pipe
waits for a writer, no output is found unwritable after the work)."""

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image
from video_samples import write_h264, write_mjpg
from weight_files import shuffled_landmark_weights

from poselift.core.nets.weights import LANDMARK_FILES, find_weights

SLOWEST = 10.0  # seconds any one run may take
UNWRITABLE = Path("/proc")  # a folder nobody can make files in, root included
RUNS_AT_ONCE = 2  # the runs are mostly imports: one per core


def _inputs(folder: Path) -> dict[str, Path]:
    """The files the cases read, good and bad, written into `folder`."""
    folder.mkdir()
    photo = folder / "photo.png"
    Image.new("RGB", (64, 48), (90, 90, 90)).save(photo)
    frames = np.full((3, 48, 64, 3), 90, np.uint8)
    video = write_mjpg(folder / "video.avi", frames)
    mp4 = write_h264(folder / "video.mp4", frames, [0, 33, 66])
    files = {"photo": photo, "video": video}
    for name, data in {
        "bomb.png": _png_header(13000, 13000),
        "cut.png": photo.read_bytes()[:60],
        "text.jpg": b"not a photo\n" * 50,
        "cut.mp4": mp4.read_bytes()[: mp4.stat().st_size // 2],
        "text.mp4": b"not a video\n" * 100,
        "empty.mp4": b"",
        "codec.avi": video.read_bytes().replace(b"MJPG", b"ZZZZ"),
        "text.npz": b"not a pose file\n",
        "text.json": b"{not json",
    }.items():
        files[name] = folder / name
        files[name].write_bytes(data)
    Image.new("RGB", (64, 48)).save(folder / "png.mp4", format="PNG")
    Image.new("RGB", (64, 48)).save(folder / "jpeg.mp4", format="JPEG")
    Image.new("RGB", (64, 48)).save(folder / "photo.npz", format="PNG")
    write_mjpg(folder / "video.npz", frames)
    write_mjpg(folder / "none.avi", frames[:0])
    for name in ("png.mp4", "jpeg.mp4", "photo.npz", "video.npz", "none.avi"):
        files[name] = folder / name
    files["shuffled.tflite"] = shuffled_landmark_weights(folder / "shuffled.tflite")
    files["lite.tflite"] = find_weights(LANDMARK_FILES["lite"])
    for name, data in {"text.tflite": b"not weights\n" * 20, "empty.npz": b"", "zeros.npy": _npy()}.items():
        files[name] = folder / name
        files[name].write_bytes(data)
    for name in ("pipe.png", "pipe.mp4", "pipe.npz", "pipe.json", "pipe.tflite"):
        files[name] = folder / name
        os.mkfifo(files[name])
    (folder / "sub").mkdir()
    files["sub"] = folder / "sub"
    return files


def _npy() -> bytes:
    """A NumPy array file: an array, but no pose model."""
    import io

    out = io.BytesIO()
    np.save(out, np.zeros(3))
    return out.getvalue()


def _png_header(width: int, height: int) -> bytes:
    """A PNG declaring `width` x `height` whose pixel data is one compressed row: a few dozen bytes."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\0" * (width + 1), 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def _cases(f: dict[str, Path], out: Path) -> dict[str, tuple[list, str]]:
    """{case: (poselift arguments, words the sentence holds)}."""
    image = ["image", f["photo"], "-o", out]
    video = ["video", f["video"], "-o", out]
    return {
        "image: 13000 x 13000 PNG": (["image", f["bomb.png"], "-o", out], "megapixels"),
        "image: cut PNG": (["image", f["cut.png"], "-o", out], "truncated or corrupt"),
        "image: text named .jpg": (["image", f["text.jpg"], "-o", out], "not an image"),
        "image: pipe": (["image", f["pipe.png"], "-o", out], "not a regular file"),
        "image: missing": (["image", f["sub"] / "absent.jpg", "-o", out], "no such file"),
        "image: folder": (["image", f["sub"], "-o", out], "folder"),
        "image: good then pipe": (["image", f["photo"], f["pipe.png"], "-o", out], "pipe.png"),
        "image: output a folder": (["image", f["photo"], "-o", f["sub"]], "is a folder"),
        "image: output .txt": (["image", f["photo"], "-o", out.with_suffix(".txt")], ".npz or .json"),
        "image: output folder missing": (["image", f["photo"], "-o", f["sub"] / "no" / "out.npz"], "does not exist"),
        "image: output is the input": (["image", f["photo.npz"], "-o", f["photo.npz"]], "also an input"),
        "image: output unwritable": (["image", f["photo"], "-o", UNWRITABLE / "out.npz"], "cannot be written"),
        "image: overlay under a file": ([*image, "--overlay", f["photo"] / "overlays"], "is a file"),
        "image: overlay unwritable": ([*image, "--overlay", UNWRITABLE / "overlays"], "cannot be written"),
        "image: --max-people 0": ([*image, "--max-people", "0"], "--max-people"),
        "video: PNG named .mp4": (["video", f["png.mp4"], "-o", out], "PNG image, not a video"),
        "video: JPEG named .mp4": (["video", f["jpeg.mp4"], "-o", out], "JPEG image, not a video"),
        "video: pipe": (["video", f["pipe.mp4"], "-o", out], "not a regular file"),
        "video: empty": (["video", f["empty.mp4"], "-o", out], "empty"),
        "video: text": (["video", f["text.mp4"], "-o", out], "not a video"),
        "video: missing": (["video", f["sub"] / "absent.mp4", "-o", out], "no such file"),
        "video: folder": (["video", f["sub"], "-o", out], "folder"),
        "video: cut MP4": (["video", f["cut.mp4"], "-o", out], "damaged or truncated"),
        "video: unknown codec": (["video", f["codec.avi"], "-o", out], "codec (ZZZZ)"),
        "video: no frames": (["video", f["none.avi"], "-o", out], "no frames"),
        "video: --end inf": ([*video, "--end", "inf"], "--end must be a finite number"),
        "video: --end nan": ([*video, "--end", "nan"], "--end must be a finite number"),
        "video: --start inf": ([*video, "--start", "inf"], "--start must be a finite number"),
        "video: --end before --start": ([*video, "--start", "2", "--end", "1"], "must come after --start"),
        "video: --end abc": ([*video, "--end", "abc"], "invalid float value"),
        "video: --smoothing nan": ([*video, "--smoothing", "nan"], "--smoothing"),
        "video: output is the input": (["video", f["video.npz"], "-o", f["video.npz"]], "also an input"),
        "video: output unwritable": (["video", f["video"], "-o", UNWRITABLE / "o.npz"], "cannot be written"),
        "video: output a folder": (["video", f["video"], "-o", f["sub"]], "is a folder"),
        "video: --bvh a folder": ([*video, "--bvh", f["sub"]], "is a folder"),
        "video: --bvh .txt": ([*video, "--bvh", out.with_suffix(".txt")], "must end in .bvh"),
        "video: --bvh unwritable": ([*video, "--bvh", UNWRITABLE / "o.bvh"], "cannot be written"),
        "scan: pipe": (["scan", f["pipe.mp4"], "-o", f["sub"]], "not a regular file"),
        "scan: PNG named .mp4": (["scan", f["png.mp4"], "-o", f["sub"]], "not a video"),
        "scan: --end inf": (["scan", f["video"], "-o", f["sub"], "--end", "inf"], "--end must be a finite number"),
        "image: --landmark-weights wrong": (
            [*image, "--landmark-weights", f["shuffled.tflite"]],
            "not BlazePose weights PoseLift can use",
        ),
        "image: --landmark-weights text": ([*image, "--landmark-weights", f["text.tflite"]], "not a readable TFLite"),
        "image: --landmark-weights lite as full": ([*image, "--landmark-weights", f["lite.tflite"]], "full landmark"),
        "image: --landmark-weights missing": ([*image, "--landmark-weights", f["sub"] / "a.tflite"], "no such file"),
        "image: --detector-weights pipe": ([*image, "--detector-weights", f["pipe.tflite"]], "not a regular file"),
        "image: --detector-weights folder": ([*image, "--detector-weights", f["sub"]], "is a folder"),
        "image: --prior pipe": ([*image, "--prior", f["pipe.npz"]], "not a regular file"),
        "image: --prior text .npz": ([*image, "--prior", f["text.npz"]], "not a readable pose model file"),
        "image: --prior .npy": ([*image, "--prior", f["zeros.npy"]], "not a pose model file"),
        "video: --prior empty .npz": ([*video, "--prior", f["empty.npz"]], "not a readable pose model file"),
        "video: --focal-px -5": ([*video, "--focal-px", "-5"], "--focal-px must be a positive number"),
        "video: --camera-pitch 95": ([*video, "--camera-pitch", "95"], "--camera-pitch must be degrees"),
        "video: --camera-roll 60": ([*video, "--camera-roll", "60"], "--camera-roll must be degrees"),
        "scan: output under a file": (["scan", f["video"], "-o", f["photo"] / "scan"], "is a file"),
        "scan: output unwritable": (["scan", f["video"], "-o", UNWRITABLE / "scan"], "cannot be written"),
        "scan: missing video": (["scan", f["sub"] / "absent.mp4", "-o", f["sub"]], "no such file"),
        "scan: text video": (["scan", f["text.mp4"], "-o", f["sub"] / "scan"], "not a video"),
        "scan: --landmark-weights text": (
            ["scan", f["video"], "-o", f["sub"] / "scan", "--landmark-weights", f["text.tflite"]],
            "not a readable TFLite",
        ),
        "check: text .npz": (["check", f["text.npz"]], "text.npz"),
        "check: pipe": (["check", f["pipe.npz"]], "not a regular file"),
        "check: folder": (["check", f["sub"]], "is a folder"),
        "check: empty .npz": (["check", f["empty.npz"]], "empty or not an .npz"),
        "check: .npy": (["check", f["zeros.npy"]], "expected .npz or .json"),
        "convert: broken JSON": (["convert", f["text.json"], "-o", out], "text.json"),
        "convert: pipe": (["convert", f["pipe.json"], "-o", out], "not a regular file"),
        "convert: photo named .npz": (["convert", f["photo.npz"], "-o", out.with_suffix(".json")], "photo.npz"),
    }


def _listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def _run(args: list) -> tuple[subprocess.CompletedProcess | None, float]:
    began = time.perf_counter()
    try:
        run = subprocess.run([sys.executable, "-m", "poselift.core.cli", *map(str, args)], capture_output=True,
                             text=True, timeout=SLOWEST, stdin=subprocess.DEVNULL)  # fmt: skip
    except subprocess.TimeoutExpired:
        run = None
    return run, time.perf_counter() - began


def _fault(run: subprocess.CompletedProcess | None, seconds: float, words: str) -> str | None:
    """What is wrong with how a case was refused, or None."""
    if run is None:
        return f"still running after {SLOWEST:g} s"
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    if "Traceback" in run.stderr or run.returncode not in (1, 2):
        return f"status {run.returncode}: {run.stderr[-600:]!r}"
    sentence = lines[-1] if lines else ""
    if (run.returncode == 1 and len(lines) != 1) or words not in sentence:
        return f"not one sentence with {words!r}: {run.stderr!r}"
    return None


def test_every_bad_input_is_refused_in_one_sentence_leaving_nothing(tmp_path):
    files = _inputs(tmp_path / "in")
    cases = _cases(files, tmp_path / "in" / "out.npz")
    before = _listing(tmp_path)
    assert len(cases) >= 60
    with ThreadPoolExecutor(RUNS_AT_ONCE) as pool:
        runs = dict(zip(cases, pool.map(lambda case: _run(case[0]), cases.values()), strict=True))
    faults = {name: _fault(*runs[name], words) for name, (_, words) in cases.items()}
    assert {name: fault for name, fault in faults.items() if fault} == {}
    assert _listing(tmp_path) == before
