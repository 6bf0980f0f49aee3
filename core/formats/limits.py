"""What a pose file or a pose model may declare, and readers that refuse more before reading it.

Each limit is checked against what a file declares (the zip's member list and sizes, each .npy header's dtype and
shape, the nesting of JSON text) before any data is decompressed or parsed, so that a small file cannot make a reader
allocate much. Every refusal is a ValueError whose text completes "<file>: ..." as one sentence.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# Frames x people x joints of one pose: an hour at 60 fps of 10 people on POSELIFT's 27 joints is 58.3 million, and
# reading that many (3D, 2D and confidence as float32: 24 bytes each) takes about 1.5 GB.
MAX_JOINT_POSITIONS = 64_000_000
# Nesting of JSON text, arrays and objects together: the JSON mirror needs 5 levels (joints3d inside the document),
# metadata a few; deeper text is refused before it is parsed.
MAX_JSON_DEPTH = 64
# The JSON mirror is for small results (about a million joint positions); parsing takes several times its size.
MAX_JSON_BYTES = 64 * 2**20
# Bytes of one .npz member: joints3d of the largest pose as float64 (3 coordinates x 8 bytes per joint position).
MAX_MEMBER_BYTES = 24 * MAX_JOINT_POSITIONS
# Characters of one text field (source, metadata, a joint name).
MAX_TEXT_CHARS = 1_000_000
# Deflate expands at most about 1032 to 1: a member declaring more than that of its compressed size is forged.
DEFLATE_MAX_RATIO = 1032
_METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflate"}


@dataclass(frozen=True)
class Member:
    """One .npy member of an .npz as its headers declare it; nothing of its data is read."""

    name: str
    info: zipfile.ZipInfo
    dtype: np.dtype
    shape: tuple[int, ...]
    fortran_order: bool
    offset: int  # bytes of the .npy header before the data


Check = Callable[[dict[str, Member]], None]


def read_npz(path: Path, names: Iterable[str], check: Check, max_member_bytes: int) -> dict[str, np.ndarray]:
    """The arrays `names` of the .npz `path` (those it has): each member's zip entry and .npy header are read and
    given to `check` (which raises ValueError) before any data is; members not named are never decompressed."""
    with path.open("rb") as f:
        if f.read(4) != b"PK\x03\x04":
            raise ValueError("the file is empty or not an .npz archive")
        try:
            with zipfile.ZipFile(f) as archive:
                entries = {info.filename: info for info in archive.infolist()}
                members = {
                    name: _member(archive, name, entries[f"{name}.npy"], max_member_bytes)
                    for name in names
                    if f"{name}.npy" in entries
                }
                check(members)
                return {name: _data(archive, member) for name, member in members.items()}
        except OSError as e:  # the file is open: a seek the damaged directory asks for fails
            raise ValueError(f"the file is truncated or damaged ({e.strerror or e})") from None


def _member(archive: zipfile.ZipFile, name: str, info: zipfile.ZipInfo, max_bytes: int) -> Member:
    if info.flag_bits & 0x1:
        raise ValueError(f"its member {name} is encrypted")
    if info.compress_type not in _METHODS:
        raise ValueError(f"its member {name} uses zip compression method {info.compress_type}, not stored or deflate")
    most = info.compress_size * (DEFLATE_MAX_RATIO if info.compress_type == zipfile.ZIP_DEFLATED else 1)
    if info.file_size > max_bytes or info.file_size > most + 1024:
        raise ValueError(f"its member {name} declares {info.file_size} bytes, more than the archive can hold")
    with archive.open(info) as fp:
        version = np.lib.format.read_magic(fp)
        if version == (1, 0):
            shape, fortran_order, dtype = np.lib.format.read_array_header_1_0(fp)
        elif version == (2, 0):
            shape, fortran_order, dtype = np.lib.format.read_array_header_2_0(fp)
        else:
            raise ValueError(f"its member {name} is .npy version {version}, not 1.0 or 2.0")
        offset = fp.tell()
    if dtype.hasobject or dtype.names is not None or dtype.subdtype is not None or dtype.itemsize == 0:
        raise ValueError(f"its member {name} holds {dtype}, not plain numbers or text")
    declared = int(np.prod(shape, dtype=object)) * dtype.itemsize
    if offset + declared != info.file_size:
        raise ValueError(f"its member {name} declares {declared} bytes of data but holds {info.file_size - offset}")
    return Member(name, info, dtype, tuple(shape), fortran_order, offset)


def _data(archive: zipfile.ZipFile, member: Member) -> np.ndarray:
    with archive.open(member.info) as fp:
        fp.read(member.offset)
        data = fp.read()
    order = "F" if member.fortran_order else "C"
    return np.frombuffer(data, member.dtype).reshape(member.shape, order=order).copy()


def loads_json(text: str) -> object:
    """Parse JSON text nested at most MAX_JSON_DEPTH deep (checked first); ValueError otherwise."""
    depth = json_depth(text)
    if depth > MAX_JSON_DEPTH:
        raise ValueError(f"its JSON is nested {depth} levels deep, more than {MAX_JSON_DEPTH}")
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        raise
    except ValueError:  # the only other: an integer of more digits than Python converts
        raise ValueError("its JSON holds an integer of too many digits") from None


def json_depth(text: str) -> int:
    """How deep the arrays and objects of JSON text nest (brackets inside strings do not count); vectorised, so that
    it costs little next to parsing."""
    b = np.frombuffer(text.encode("utf-8", "surrogatepass"), np.uint8)
    quotes = np.flatnonzero(b == ord('"'))
    quotes = quotes[_unescaped(quotes, np.flatnonzero(b == ord("\\")))]
    opens = (b == ord("[")) | (b == ord("{"))
    brackets = np.flatnonzero(opens | (b == ord("]")) | (b == ord("}")))
    brackets = brackets[np.searchsorted(quotes, brackets) % 2 == 0]
    steps = np.where(opens[brackets], 1, -1)
    return int(np.cumsum(steps).max(initial=0))


def _unescaped(quotes: np.ndarray, slashes: np.ndarray) -> np.ndarray:
    """Which of the quote positions are not escaped: those after an even run of backslashes."""
    if slashes.size == 0:
        return np.ones(quotes.size, bool)
    new_run = np.r_[True, np.diff(slashes) != 1]
    run_start = slashes[new_run][np.cumsum(new_run) - 1]  # where the run of each backslash begins
    before = np.minimum(np.searchsorted(slashes, quotes - 1), slashes.size - 1)
    run = np.where(slashes[before] == quotes - 1, quotes - run_start[before], 0)
    return run % 2 == 0


def clause(e: BaseException) -> str:
    """What an exception says, as a clause of one sentence: one line, at most 300 characters, no final period."""
    text = str(e.args[0]) if isinstance(e, KeyError) and e.args else str(e)
    return shown(text, 300).rstrip(".") or type(e).__name__


def shown(value: object, length: int = 80) -> str:
    """A value as text for a message: one line of at most `length` characters."""
    return " ".join(str(value).split())[:length]
