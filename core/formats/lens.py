"""The focal length a photo's or a video's own metadata gives, as a 35 mm equivalent: `lens_from_file(path)`.

Photos (read with Pillow): EXIF FocalLengthIn35mmFilm (0xA405); else EXIF FocalLength (0x920A) scaled to the
35 mm format by the sensor's size, which FocalPlaneXResolution (0xA20E, pixels per FocalPlaneResolutionUnit,
0xA210) and the image's long side in pixels give. MP4/MOV: the QuickTime metadata key Apple's cameras write,
`QUICKTIME_KEY`, a movie-level 'mdta' metadata item (moov/meta or moov/udta/meta: its keys and ilst boxes), read
by a box walker that seeks past everything else and reads at most `MAX_META_BYTES` of the file. Other phones
write no common focal length key. A file with none of these, or with metadata that is broken or out of
`FOCAL_RANGE_MM`, gives None: nothing here raises.
"""

from __future__ import annotations

import io
import math
import numbers
import os
import struct
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

QUICKTIME_KEY = "com.apple.quicktime.camera.focal_length.35mm_equivalent"
FOCAL_RANGE_MM = (1.0, 10000.0)  # 35 mm-equivalent focal lengths taken as real; others are broken metadata
MAX_META_BYTES = 1 << 20  # a movie's metadata box larger than this is not read
FULL_FRAME_MM = 36.0  # the 35 mm format's long side
_MAX_BOXES = 4096  # boxes walked per level: a camera's file has a handful
_QUICKTIME_TOP = {b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"pnot"}  # a file's first box
_EXIF_IFD = 0x8769  # the EXIF tags' own directory, beside the image's
_FOCAL_35, _FOCAL, _PLANE_X, _PLANE_UNIT, _PIXELS_X, _PIXELS_Y = 0xA405, 0x920A, 0xA20E, 0xA210, 0xA002, 0xA003
_UNIT_MM = {2: 25.4, 3: 10.0}  # FocalPlaneResolutionUnit: inch (the default), centimetre
_SIGNED, _UNSIGNED = {21, 65, 66, 67, 74}, {22, 75, 76, 77, 78}  # QuickTime well-known integer types, big-endian
_FLOATS = {23: ">f", 24: ">d"}  # QuickTime well-known float types: struct format
_UTF8 = 1


@dataclass(frozen=True)
class Lens:
    """A camera's focal length as a file's metadata gives it."""

    focal_mm: float  # 35 mm equivalent, millimetres
    source: str  # the metadata it was read from, e.g. "EXIF FocalLengthIn35mmFilm"


def lens_from_file(path: str | os.PathLike) -> Lens | None:
    """The focal length in the metadata of the photo or video at `path`; None where it gives none, or where the
    file is missing, unreadable or damaged."""
    try:
        with open(path, "rb") as file:
            if file.read(8)[4:] in _QUICKTIME_TOP:
                return _quicktime_lens(file)
        return _exif_lens(path)
    except OSError:
        return None


def _quicktime_lens(file: BinaryIO) -> Lens | None:
    """The focal length of `QUICKTIME_KEY` in the movie's metadata, or None."""
    for start, stop in _movie_metas(file):
        if stop - start <= MAX_META_BYTES:
            file.seek(start)
            mm = _mdta_value(file.read(stop - start), QUICKTIME_KEY)
            if mm is not None and _plausible(mm):
                return Lens(mm, f"QuickTime {QUICKTIME_KEY}")
    return None


def _movie_metas(file: BinaryIO) -> Iterator[tuple[int, int]]:
    """(body start, body end) of the movie's metadata boxes: moov/meta, then moov/udta/meta."""
    moov = _child(file, 0, file.seek(0, os.SEEK_END), b"moov")
    if moov is None:
        return
    for path in ((b"meta",), (b"udta", b"meta")):
        box = moov
        for kind in path:
            box = None if box is None else _child(file, *box, kind)
        if box is not None:
            yield box


def _boxes(file: BinaryIO, start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
    """(type, body start, body end) of each box from byte `start` to `end` of `file`, in order (ISO/IEC 14496-12:
    a 32-bit size, a four-character type, a 64-bit size where the first is 1, to the end where it is 0); stops
    at the first box that does not fit."""
    at = start
    for _ in range(_MAX_BOXES):
        if at + 8 > end:
            return
        file.seek(at)
        header = file.read(16)
        if len(header) < 8:
            return
        size, kind = struct.unpack(">I4s", header[:8])
        body = at + 8
        if size == 1 and len(header) == 16:
            size, body = struct.unpack(">Q", header[8:])[0], at + 16
        elif size == 0:
            size = end - at
        if size < body - at or at + size > end:
            return
        yield kind, body, at + size
        at += size


def _child(file: BinaryIO, start: int, end: int, kind: bytes) -> tuple[int, int] | None:
    """(body start, body end) of the first box of type `kind` from byte `start` to `end`, or None."""
    return next(((body, stop) for found, body, stop in _boxes(file, start, end) if found == kind), None)


def _mdta_value(meta: bytes, key: str) -> float | None:
    """The number stored under the 'mdta' key `key` in the body of a QuickTime 'meta' box (QuickTime File Format:
    hdlr of type 'mdta', keys, ilst), or None."""
    file = io.BytesIO(meta)
    start = 4 if meta[:4] == bytes(4) else 0  # the ISO form of 'meta' has a version and flags first
    boxes = {kind: meta[body:stop] for kind, body, stop in _boxes(file, start, len(meta))}
    if boxes.get(b"hdlr", b"")[8:12] != b"mdta" or b"keys" not in boxes or b"ilst" not in boxes:
        return None
    index, ilst = _key_index(boxes[b"keys"], key), boxes[b"ilst"]
    if index is None:
        return None
    items = io.BytesIO(ilst)
    for kind, body, stop in _boxes(items, 0, len(ilst)):
        if int.from_bytes(kind, "big") == index:  # an item's type is its key's index
            for data, value_start, value_stop in _boxes(items, body, stop):
                value = _number(ilst[value_start:value_stop]) if data == b"data" else None
                if value is not None:
                    return value
    return None


def _key_index(keys: bytes, key: str) -> int | None:
    """The 1-based index of the 'mdta' key `key` in the body of a 'keys' box, or None."""
    at, wanted = 8, b"mdta" + key.encode()  # past the version, flags and entry count
    for index in range(1, _MAX_BOXES + 1):
        size = int.from_bytes(keys[at : at + 4], "big")
        if size < 8 or at + size > len(keys):
            return None
        if keys[at + 4 : at + size] == wanted:
            return index
        at += size
    return None


def _number(data: bytes) -> float | None:
    """The value of a 'data' box body (a type indicator, a locale, the value) as a number, or None where its
    type is not a number, or a UTF-8 text that is not one."""
    kind, value = int.from_bytes(data[:4], "big"), data[8:]
    if kind in _SIGNED | _UNSIGNED and 1 <= len(value) <= 8:
        return float(int.from_bytes(value, "big", signed=kind in _SIGNED))
    if kind in _FLOATS and len(value) == struct.calcsize(_FLOATS[kind]):
        return struct.unpack(_FLOATS[kind], value)[0]
    if kind == _UTF8:
        try:
            return float(value.decode("utf-8").strip("\0 "))
        except ValueError:  # UnicodeDecodeError included
            return None
    return None


def _exif_lens(path: str | os.PathLike) -> Lens | None:
    """The focal length in the photo's EXIF, or None (also where Pillow cannot read the file or its EXIF)."""
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Pillow warns of corrupt EXIF; None says it
            with Image.open(path) as image:
                exif = image.getexif().get_ifd(_EXIF_IFD)
                long_side = max(image.size)
        return _exif_35mm(exif) or _exif_scaled(exif, long_side)
    except Exception:  # a damaged file or EXIF fails in many ways inside Pillow; each means no focal length
        return None


def _exif_35mm(exif: dict) -> Lens | None:
    """FocalLengthIn35mmFilm, where it is a plausible length (0 says unknown)."""
    mm = _real(exif.get(_FOCAL_35))
    return Lens(mm, "EXIF FocalLengthIn35mmFilm") if mm is not None and _plausible(mm) else None


def _exif_scaled(exif: dict, long_side: int) -> Lens | None:
    """FocalLength as a 35 mm equivalent: its length in pixels (FocalLength times the focal plane's pixels per
    mm) on a picture whose long side is `FULL_FRAME_MM` long. The long side in pixels is the larger of
    PixelXDimension and PixelYDimension (the image as the camera wrote it), else `long_side`, the stored
    image's."""
    focal, per_unit = _real(exif.get(_FOCAL)), _real(exif.get(_PLANE_X))
    unit_mm = _UNIT_MM.get(exif.get(_PLANE_UNIT, 2))
    pixels = max(_real(exif.get(_PIXELS_X)) or 0, _real(exif.get(_PIXELS_Y)) or 0) or long_side
    if focal is None or per_unit is None or unit_mm is None or not per_unit > 0 or not pixels > 0:
        return None
    mm = focal * per_unit / unit_mm * FULL_FRAME_MM / pixels
    return Lens(mm, "EXIF FocalLength and FocalPlaneXResolution") if _plausible(mm) else None


def _real(value) -> float | None:
    """An EXIF value as a finite float, or None where it is no single real number."""
    if not isinstance(value, numbers.Real):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _plausible(mm: float) -> bool:
    """Whether `mm` is a 35 mm-equivalent focal length within FOCAL_RANGE_MM."""
    return math.isfinite(mm) and FOCAL_RANGE_MM[0] <= mm <= FOCAL_RANGE_MM[1]
