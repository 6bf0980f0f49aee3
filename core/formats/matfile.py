"""The numeric matrices of a MATLAB 5 .mat file, read without scipy, whose parser can crash the process on damaged
bytes. Whatever the bytes, the reader returns arrays or raises ValueError whose text completes "<file>: ..." as one
sentence; every size is checked against the file (and a compressed element against a cap) before it is read.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np

MI_MATRIX, MI_COMPRESSED = 14, 15
# Data types of a data element: numpy's name for each (without byte order).
_TYPES = {1: "i1", 2: "u1", 3: "i2", 4: "u2", 5: "i4", 6: "u4", 7: "f4", 9: "f8", 12: "i8", 13: "u8"}
# Array classes that hold numbers (double, single, the integers), and the names of those that do not.
_NUMERIC = set(range(6, 16))
_OTHER = {1: "a cell array", 2: "a struct", 3: "an object", 4: "text", 5: "a sparse matrix"}
_COMPLEX = 0x0800


def read_mat(data: bytes, names: tuple[str, ...], max_bytes: int) -> dict[str, np.ndarray]:
    """The matrices `names` (those the file has) of the MATLAB 5 file `data`, as stored (column-major, MATLAB's
    shape); ValueError when the file is damaged or one of them is not real numbers. A compressed element may
    expand to at most `max_bytes`."""
    if len(data) < 128 or data[126:128] not in (b"IM", b"MI"):
        raise ValueError("it is not a MATLAB 5 .mat file")
    order = "<" if data[126:128] == b"IM" else ">"
    if struct.unpack(order + "H", data[124:126])[0] != 0x0100:
        raise ValueError("it is a .mat file of another version than MATLAB 5 (7.3 files are HDF5)")
    found: dict[str, np.ndarray] = {}
    for kind, body in _elements(data, 128, len(data), order):
        if kind == MI_COMPRESSED:
            kind, body = _inflate(body, order, max_bytes)
        if kind == MI_MATRIX:
            name, array = _matrix(body, order, names)
            if array is not None and name not in found:
                found[name] = array
    return found


def _elements(data: bytes, start: int, end: int, order: str):
    """(type, bytes) of each data element from `start` to `end`, small elements included."""
    at = start
    while at < end:
        if end - at < 8:
            raise ValueError("it ends inside a data element's tag")
        kind, size = struct.unpack(order + "II", data[at : at + 8])
        if kind >> 16:  # a small element: the size in the upper half, the data in the tag's last 4 bytes
            kind, size = kind & 0xFFFF, kind >> 16
            if size > 4:
                raise ValueError(f"a small data element declares {size} bytes, more than 4")
            yield kind, data[at + 4 : at + 4 + size]
            at += 8
            continue
        if size > end - at - 8:
            raise ValueError(f"a data element declares {size} bytes, more than the file holds")
        yield kind, data[at + 8 : at + 8 + size]
        at += 8 + size + (0 if kind == MI_COMPRESSED else -size % 8)


def _inflate(body: bytes, order: str, max_bytes: int) -> tuple[int, bytes]:
    inflater = zlib.decompressobj()
    data = inflater.decompress(body, max_bytes + 8)
    if len(data) > max_bytes:
        raise ValueError(f"a compressed element expands to more than {max_bytes} bytes")
    elements = list(_elements(data, 0, len(data), order))
    if len(elements) != 1:
        raise ValueError("a compressed element does not hold one data element")
    return elements[0]


def _matrix(body: bytes, order: str, names: tuple[str, ...]) -> tuple[str, np.ndarray | None]:
    """The name and numbers of an miMATRIX element (None when `names` lacks its name); ValueError names a matrix
    that does not hold real numbers."""
    parts = list(_elements(body, 0, len(body), order))
    if len(parts) < 3 or len(parts[0][1]) < 4 or parts[1][0] != 5 or parts[2][0] not in (1, 2):
        raise ValueError("a matrix lacks its flags, dimensions or name")
    flags = struct.unpack(order + "I", parts[0][1][:4])[0]
    name = parts[2][1].decode("latin-1")
    shape = tuple(int(n) for n in np.frombuffer(parts[1][1], order + "i4"))
    if name not in names:
        return name, None
    array_class = flags & 0xFF
    if array_class not in _NUMERIC or flags & _COMPLEX:
        what = "complex numbers" if flags & _COMPLEX else _OTHER.get(array_class, f"array class {array_class}")
        raise ValueError(f"its {name!r} holds {what}, expected real numbers")
    if len(parts) != 4 or parts[3][0] not in _TYPES:
        raise ValueError(f"its {name!r} lacks its numbers")
    kind, numbers = parts[3]
    dtype = np.dtype(order + _TYPES[kind])
    if any(n < 0 for n in shape) or len(numbers) != int(np.prod(shape, dtype=object)) * dtype.itemsize:
        raise ValueError(f"its {name!r} declares shape {shape} but holds {len(numbers)} bytes of {dtype.name}")
    return name, np.frombuffer(numbers, dtype).reshape(shape, order="F").copy()
