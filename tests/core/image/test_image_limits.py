"""Photos that would take too much: a small PNG declaring a huge image, a damaged one, a pipe; each one sentence."""

import io
import os
import struct
import zlib

import numpy as np
import pytest
from byte_mutations import Tally, flip, splice, truncate
from PIL import Image

from poselift.core.image.image_io import MAX_PIXELS, ImageReadError, probe_image, read_image


def _png(path, width: int, height: int, rows: int) -> None:
    """A gray PNG declaring `width` x `height` whose data holds `rows` black rows (zlib packs them to a few KB)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    data = zlib.compress(b"\0" * (width + 1) * rows, 9)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b""))


@pytest.mark.parametrize("side", [13000, 60000])
def test_a_small_png_declaring_a_huge_image_is_refused_from_its_header(tmp_path, side):
    path = tmp_path / "bomb.png"
    _png(path, side, side, 200)
    assert path.stat().st_size < 16_000 and side * side > MAX_PIXELS
    for read in (probe_image, read_image):
        with pytest.raises(ImageReadError, match=r"bomb.png: the image (is|has) .*megapixels") as error:
            read(path)  # refused on opening, from the header's size: no pixel is decoded
        assert str(error.value).count(".") <= 2 and "\n" not in str(error.value)


def test_a_png_cut_short_is_truncated_in_one_sentence(tmp_path):
    path = tmp_path / "short.png"
    _png(path, 640, 480, 480)
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(ImageReadError, match="short.png: the image is truncated or corrupt"):
        read_image(path)


def test_a_pipe_is_refused_without_waiting_for_a_writer(tmp_path):
    os.mkfifo(tmp_path / "pipe.png")
    for read in (probe_image, read_image):
        with pytest.raises(ImageReadError, match="pipe.png: is not a regular file"):
            read(tmp_path / "pipe.png")


IMAGE_CASES = int(os.environ.get("POSELIFT_FUZZ_CASES", "2500")) // 5


@pytest.mark.parametrize("form", ["PNG", "JPEG"])
def test_a_mutated_photo_is_read_or_refused_in_one_sentence(tmp_path, form):
    """Only ImageReadError leaves the reader, whatever the bytes of a small photo."""
    rng = np.random.default_rng([int(os.environ.get("POSELIFT_FUZZ_SEED", "0")), len(form)])
    out = io.BytesIO()
    Image.fromarray(rng.integers(0, 256, (48, 64, 3), np.uint8)).save(out, format=form)
    path, tally = tmp_path / f"fuzzed.{form.lower()}", Tally(read_image, ImageReadError, "read")
    tally.fuzz(path, out.getvalue(), (flip, truncate, splice), rng, IMAGE_CASES, form)
    assert tally.refused > 0
