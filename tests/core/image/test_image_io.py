"""Reading photos: every kind a user may hand over gives 8-bit RGB as displayed, or one sentence naming the file."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from poselift.core.image.image_io import MAX_SIDE, ImageReadError, probe_image, read_image


def _save(image: Image.Image, path, **options):
    image.save(path, **options)
    return path


def test_a_colour_photo_reads_as_its_pixels(asset):
    photo = read_image(asset("messi5.jpg"))
    assert photo.pixels.shape == (342, 548, 3) and photo.pixels.dtype == np.uint8
    assert photo.size == (548, 342) and photo.scale == (1.0, 1.0)
    np.testing.assert_array_equal(photo.pixels, np.asarray(Image.open(asset("messi5.jpg")).convert("RGB")))


def test_grayscale_becomes_three_equal_channels(asset):
    photo = read_image(asset("basketball1.png"))  # an 8-bit gray PNG
    assert photo.pixels.shape == (480, 640, 3)
    assert (photo.pixels[..., 0] == photo.pixels[..., 2]).all()


def test_sixteen_bit_gray_is_scaled_to_eight_bits_not_clipped(tmp_path):
    values = np.array([[0, 257, 32896, 65535]], dtype=np.uint16)
    path = _save(Image.fromarray(values), tmp_path / "deep.png")
    assert Image.open(path).mode.startswith("I")
    np.testing.assert_array_equal(read_image(path).pixels[0, :, 0], [0, 1, 128, 255])


def test_sixteen_bit_colour_reads_as_eight_bit_rgb(tmp_path):
    # Pillow cannot write 48-bit PNGs; this minimal one is built by hand: 1 x 2 pixels, 16 bits per channel.
    import struct
    import zlib

    rows = b"\x00" + struct.pack(">6H", 65535, 0, 0, 0, 32896, 65535)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 1, 16, 2, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
    path = tmp_path / "deep_colour.png"
    path.write_bytes(png)
    np.testing.assert_array_equal(read_image(path).pixels[0], [[255, 0, 0], [0, 128, 255]])


def test_transparency_is_composited_over_white(tmp_path):
    rgba = np.zeros((2, 2, 4), np.uint8)
    rgba[0, 0] = (10, 20, 30, 255)  # opaque
    rgba[1, 1] = (200, 0, 0, 0)  # fully transparent
    photo = read_image(_save(Image.fromarray(rgba, "RGBA"), tmp_path / "cutout.png"))
    np.testing.assert_array_equal(photo.pixels[0, 0], [10, 20, 30])
    np.testing.assert_array_equal(photo.pixels[1, 1], [255, 255, 255])
    palette = Image.fromarray(rgba[..., :3], "RGB").convert("P")
    clear = palette.getpixel((1, 1))
    photo = read_image(_save(palette, tmp_path / "palette.png", transparency=clear))
    np.testing.assert_array_equal(photo.pixels[1, 1], [255, 255, 255])


def test_an_exif_rotated_jpeg_reads_as_displayed(tmp_path):
    stored = np.zeros((40, 60, 3), np.uint8)
    stored[:10, :10] = 255  # a white block at the stored top-left
    exif = Image.Exif()
    exif[0x0112] = 6  # display turned a quarter clockwise
    path = _save(Image.fromarray(stored), tmp_path / "phone.jpg", exif=exif, quality=95)
    photo = read_image(path)
    assert photo.size == (40, 60) and photo.pixels.shape == (60, 40, 3) and probe_image(path) == (40, 60)
    assert photo.pixels[:10, -10:].mean() > 200 and photo.pixels[-10:, :10].mean() < 50  # now top-right


def test_a_one_pixel_image_reads(tmp_path):
    photo = read_image(_save(Image.new("RGB", (1, 1), (1, 2, 3)), tmp_path / "dot.png"))
    assert photo.pixels.tolist() == [[[1, 2, 3]]]


@pytest.mark.parametrize("suffix", [".jpg", ".png"])
def test_a_12000_by_8000_image_is_reduced_and_keeps_full_resolution_coordinates(tmp_path, suffix):
    image = Image.new("RGB", (12000, 8000), (90, 90, 90))
    image.paste((250, 10, 10), (6000, 4000, 6400, 4400))  # a red square, full-resolution pixels
    photo = read_image(_save(image, tmp_path / f"huge{suffix}"))
    assert photo.size == (12000, 8000) and max(photo.pixels.shape) <= MAX_SIDE
    red = np.argwhere((photo.pixels[..., 0] > 200) & (photo.pixels[..., 1] < 60))
    (y0, x0), (y1, x1) = red.min(0), red.max(0)
    np.testing.assert_allclose(photo.to_full(np.array([[x0, y0], [x1, y1]])), [[6000, 4000], [6399, 4399]], atol=4)
    np.testing.assert_allclose(photo.to_pixels(photo.to_full(np.array([[x0, y0]]))), [[x0, y0]], atol=1e-3)


def _one_sentence(e: pytest.ExceptionInfo, path) -> str:
    message = str(e.value)
    assert message.startswith(str(path)) and message.endswith(".") and "\n" not in message
    return message


def test_every_unreadable_file_is_one_sentence_naming_it(tmp_path, asset):
    corrupt = tmp_path / "noise.jpg"
    corrupt.write_bytes(np.random.default_rng(0).integers(0, 256, 5000).astype(np.uint8).tobytes())
    truncated = tmp_path / "half.jpg"
    truncated.write_bytes(asset("messi5.jpg").read_bytes()[:20000])
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    cases = {corrupt: "not an image", truncated: "truncated", empty: "not an image",
             tmp_path / "absent.jpg": "no such file", tmp_path: "folder"}
    for path, words in cases.items():
        with pytest.raises(ImageReadError) as e:
            read_image(path)
        assert words in _one_sentence(e, path)
