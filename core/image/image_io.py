"""Photos read for the pose pipeline, with Pillow; every failure is an `ImageReadError` of one sentence.

Pillow reads stills without OpenCV (whose `cv2` the video reader and MediaPipe's reference runtime bring in
their own distributions). A photo is returned as displayed: EXIF orientation applied, grayscale, palette,
CMYK and 16-bit images turned into 8-bit RGB, transparency composited over white. Photos larger than
`MAX_SIDE` on their long side are reduced (JPEG decodes at the reduced scale directly); `Photo.to_full`
takes pixel coordinates back to the full-resolution image.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from ..formats.files import not_regular

MAX_SIDE = 4096  # long side, pixels, of the image the pipeline works on
MAX_PIXELS = 100_000_000  # largest image decoded: its RGB pixels alone take 300 MB (a 13000 x 13000 PNG, 2.2 GB)
_TRANSPARENT = ("RGBA", "LA", "PA", "RGBa", "La")
_ORIENTATION = 0x0112  # the EXIF tag
T = TypeVar("T")


class ImageReadError(ValueError):
    """A file that cannot be read as a photo; the message is one sentence naming the file."""


@dataclass(frozen=True)
class Photo:
    """A decoded photo: `pixels` (h, w, 3) uint8 RGB as displayed, of an image `size` (W, H) pixels."""

    path: Path
    pixels: np.ndarray
    size: tuple[int, int]

    @property
    def scale(self) -> tuple[float, float]:
        """Full-resolution pixels per pixel of `pixels`, along x and y (1.0 unless the photo was reduced)."""
        return self.size[0] / self.pixels.shape[1], self.size[1] / self.pixels.shape[0]

    def to_full(self, points: np.ndarray) -> np.ndarray:
        """(..., 2) pixel coordinates in `pixels` -> in the full-resolution image (pixel i's centre at i)."""
        scale = np.asarray(self.scale, dtype=np.float64)
        return ((np.asarray(points, np.float64) + 0.5) * scale - 0.5).astype(np.float32)

    def to_pixels(self, points: np.ndarray) -> np.ndarray:
        """(..., 2) full-resolution pixel coordinates -> in `pixels` (the inverse of `to_full`)."""
        scale = np.asarray(self.scale, dtype=np.float64)
        return ((np.asarray(points, np.float64) + 0.5) / scale - 0.5).astype(np.float32)


def read_image(path: str | os.PathLike, *, max_side: int = MAX_SIDE) -> Photo:
    """The photo at `path`, as displayed, reduced to at most `max_side` pixels on its long side."""
    path = Path(path)
    return _opened(path, lambda image: _decode(path, image, max_side))


def probe_image(path: str | os.PathLike) -> tuple[int, int]:
    """(W, H) of the photo at `path` as displayed, from its header alone (a damaged body shows on reading)."""
    return _opened(Path(path), _displayed_size)


def _opened(path: Path, use: Callable[[Image.Image], T]) -> T:
    """`use(image)` on the file opened with Pillow; any failure becomes an ImageReadError naming the file."""
    problem = not_regular(path, "an image")
    if problem:
        raise ImageReadError(problem)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                if image.width * image.height > MAX_PIXELS:
                    raise ImageReadError(f"{path}: the image is {image.width} x {image.height} pixels, over the "
                                         f"{MAX_PIXELS / 1e6:.0f} megapixels this reads.")  # fmt: skip
                return use(image)
    except ImageReadError:
        raise
    except Image.DecompressionBombError:
        message = f"{path}: the image has over {MAX_PIXELS / 1e6:.0f} megapixels, the most this reads."
        raise ImageReadError(message) from None
    except UnidentifiedImageError:
        raise ImageReadError(f"{path}: not an image file, or one too damaged to recognise.") from None
    except PermissionError:
        raise ImageReadError(f"{path}: cannot be read (permission denied).") from None
    except (OSError, SyntaxError, ValueError, EOFError, MemoryError) as e:
        raise ImageReadError(f"{path}: the image is truncated or corrupt ({_reason(e)}).") from None


def _displayed_size(image: Image.Image) -> tuple[int, int]:
    """(W, H) once the EXIF orientation is applied."""
    turned = image.getexif().get(_ORIENTATION, 1) in (5, 6, 7, 8)
    return (image.height, image.width) if turned else (image.width, image.height)


def _decode(path: Path, image: Image.Image, max_side: int) -> Photo:
    size = _displayed_size(image)
    factor = math.ceil(max(image.size) / max_side)
    if factor > 1 and image.format == "JPEG":  # decode at 1/2, 1/4 or 1/8 scale, no smaller than asked
        image.draft("RGB", (image.width // factor, image.height // factor))
    pixels = _rgb(ImageOps.exif_transpose(image))
    if max(pixels.shape[:2]) > max_side:
        pixels = np.array(Image.fromarray(pixels).reduce(math.ceil(max(pixels.shape[:2]) / max_side)))
    return Photo(path, pixels, size)


def _rgb(image: Image.Image) -> np.ndarray:
    """(h, w, 3) uint8 RGB of any Pillow mode."""
    if image.mode.startswith("I") or image.mode == "F":
        return np.repeat(_eight_bit(np.asarray(image))[..., None], 3, axis=-1)
    if image.mode in _TRANSPARENT or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(white, rgba)
    return np.array(image.convert("RGB"), dtype=np.uint8)


def _eight_bit(gray: np.ndarray) -> np.ndarray:
    """A 16-bit, 32-bit integer or float gray image as uint8: 16-bit data scale by 255/65535; 32-bit integers
    above 255 are taken as 16-bit data too; floats in [0, 1] scale by 255, larger floats are clipped."""
    values = np.nan_to_num(gray.astype(np.float64))
    if gray.dtype == np.uint16 or (gray.dtype.kind == "i" and values.max(initial=0) > 255):
        top = 65535.0
    elif gray.dtype.kind == "f" and values.max(initial=0) <= 1.0:
        top = 1.0
    else:
        top = 255.0
    return np.clip(values * (255.0 / top) + 0.5, 0, 255).astype(np.uint8)


def _reason(e: BaseException) -> str:
    text = str(e).strip().rstrip(".")
    return text or type(e).__name__
