"""The pose file: per-frame 2D and 3D joints of the people in an image or video, versioned and validated.

One `.npz` (or a `.json` mirror for small results). Arrays, by key:
  joints3d   (F, P, J, 3) float32  metres, right-handed, Z up, X = image right, Y = away from the camera
  joints2d   (F, P, J, 2) float32  pixels, origin top-left, y down
  confidence (F, P, J)    float32  in [0, 1]
  track_id   (F, P)       int32    -1 where the slot holds no person
  root       (F, P, 3)    float32  metres, same frame as joints3d (optional)
NaN marks a missing person or joint. Scalars: format_version, fps, image_size (w, h), source, joint_names (J,),
metadata (a JSON object). Writes are atomic: a temporary file in the same folder, then a rename.

Reading refuses, in one sentence (PoseFileError), any bytes that are not such a file, and what is larger or deeper
than core/formats/limits.py allows before reading it; members of the .npz outside the format are never read.
"""

from __future__ import annotations

import json
import os
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..skeleton import H36M_17, POSELIFT
from . import limits
from .atomic import Writer, write_atomically
from .files import not_regular

FORMAT_VERSION = 1
SUFFIXES = (".npz", ".json")
_ARRAYS = ("joints3d", "joints2d", "confidence", "track_id")
_REQUIRED = ("format_version", "fps", "image_size", "source", "joint_names", *_ARRAYS)
_FIELDS = (*_REQUIRED, "root", "metadata")
_TEXT = ("source", "joint_names", "metadata")
# What bad bytes make the readers below raise (zip, zlib and .npy parsing included), each turned into one sentence.
_CONTENT_ERRORS = (
    ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile, zlib.error, struct.error, NotImplementedError,
    RuntimeError, MemoryError, RecursionError, OverflowError,
)  # fmt: skip


class PoseFileError(ValueError):
    """A pose file that cannot be read or written; the message is one sentence naming the file."""


@dataclass
class PoseSequence:
    """F frames x P people x J joints; see the module docstring for shapes, units and frames."""

    joint_names: tuple[str, ...]
    joints3d: np.ndarray
    joints2d: np.ndarray
    confidence: np.ndarray
    track_id: np.ndarray
    fps: float = 30.0
    image_size: tuple[int, int] = (0, 0)
    source: str = ""
    root: np.ndarray | None = None
    metadata: dict = field(default_factory=dict)

    @property
    def frames(self) -> int:
        return self.joints3d.shape[0]

    @property
    def people(self) -> int:
        return self.joints3d.shape[1]

    @property
    def joints(self) -> int:
        return self.joints3d.shape[2]

    @classmethod
    def from_joints3d(
        cls,
        joints3d: np.ndarray,
        joint_names: tuple[str, ...] | list[str],
        *,
        fps: float = 30.0,
        source: str = "",
        metadata: dict | None = None,
    ) -> PoseSequence:
        """A pose sequence from 3D joints alone: (F, J, 3) or (F, P, J, 3) metres, Z up; 2D unknown."""
        j3 = np.asarray(joints3d, dtype=np.float32)
        if j3.ndim == 3:
            j3 = j3[:, None]
        f, p, j, _ = j3.shape
        present = np.isfinite(j3).all(axis=-1)
        track = np.where(present.any(axis=-1), np.arange(p, dtype=np.int32)[None, :], -1).astype(np.int32)
        return cls(
            joint_names=tuple(joint_names),
            joints3d=j3,
            joints2d=np.full((f, p, j, 2), np.nan, np.float32),
            confidence=present.astype(np.float32),
            track_id=track,
            fps=float(fps),
            source=source,
            metadata=dict(metadata or {}),
        )

    def validate(self) -> None:
        """Raise ValueError with one sentence (no file name) when the contents break the contract."""
        names = self.joint_names
        unknown = [n for n in names if n not in POSELIFT.joints]
        if unknown:
            raise ValueError(f"it has unknown joint names {', '.join(repr(n) for n in unknown[:5])}")
        if len(set(names)) != len(names):
            raise ValueError("its joint names repeat")
        missing = [n for n in H36M_17.joints if n not in names]
        if missing:
            raise ValueError(f"it lacks the required joints {', '.join(missing)}")
        j3 = self.joints3d
        if j3.ndim != 4 or j3.shape[2:] != (len(names), 3) or j3.shape[0] < 1 or j3.shape[1] < 1:
            raise ValueError(f"joints3d has shape {j3.shape}, expected (frames, people, {len(names)}, 3)")
        f, p, j = j3.shape[:3]
        _check_size(f * p * j)
        expected = {"joints2d": (f, p, j, 2), "confidence": (f, p, j), "track_id": (f, p)}
        if self.root is not None:
            expected["root"] = (f, p, 3)
        for key, shape in expected.items():
            if getattr(self, key).shape != shape:
                raise ValueError(f"{key} has shape {getattr(self, key).shape}, expected {shape}")
        if np.isinf(j3).any():
            raise ValueError("joints3d holds infinite values")
        if not np.isfinite(j3).all(axis=-1).any():
            raise ValueError("it holds no joint position (joints3d is all NaN)")
        conf = self.confidence[np.isfinite(self.confidence)]
        if conf.size and (conf.min() < 0 or conf.max() > 1):
            raise ValueError("confidence lies outside [0, 1]")
        if not (np.isfinite(self.fps) and self.fps > 0):
            raise ValueError(f"its fps is {self.fps}, expected a positive number")
        if len(self.image_size) != 2 or min(self.image_size) < 0:
            raise ValueError(f"its image_size is {self.image_size}, expected (width, height)")


def _check_size(positions: int) -> None:
    if positions > limits.MAX_JOINT_POSITIONS:
        raise ValueError(f"it holds {positions} joint positions, more than the {limits.MAX_JOINT_POSITIONS} allowed")


def write_pose_file(path: str | os.PathLike, pose: PoseSequence) -> Path:
    """Write `pose` to `path` (.npz, or .json for the JSON mirror) atomically; return the path."""
    path = Path(path)
    write = pose_file_writer(path, pose)
    try:
        write_atomically(path, write)
    except OSError as e:
        raise PoseFileError(f"{path}: cannot be written ({e.strerror or e}).") from None
    return path


def pose_file_writer(path: Path, pose: PoseSequence) -> Writer:
    """What writes `pose` as the pose file `path` into an open binary file, once the pose and the path are
    checked (PoseFileError with one sentence naming the file)."""
    if path.suffix.lower() not in SUFFIXES:
        raise PoseFileError(f"{path}: a pose file must end in .npz or .json.")
    try:
        pose.validate()
    except ValueError as e:
        raise PoseFileError(f"{path}: cannot write this pose, {e}.") from None
    if not path.parent.is_dir():
        raise PoseFileError(f"{path}: the folder {path.parent} does not exist.")
    fields = _to_fields(pose)
    text = json.dumps(_json_ready(fields)).encode() if path.suffix.lower() == ".json" else b""
    if len(text) > limits.MAX_JSON_BYTES:
        raise PoseFileError(
            f"{path}: this pose takes {len(text)} bytes as JSON, more than the mirror's "
            f"{limits.MAX_JSON_BYTES}; write it as .npz."
        )

    def write(out) -> None:
        if text:
            out.write(text)
        else:
            np.savez_compressed(out, **fields)

    return write


def read_pose_file(path: str | os.PathLike) -> PoseSequence:
    """Read and validate a pose file; any problem raises PoseFileError with one sentence naming the file."""
    path = Path(path)
    problem = not_regular(path, "a pose file")
    if problem:
        raise PoseFileError(problem)
    if path.suffix.lower() not in SUFFIXES:
        raise PoseFileError(f"{path}: not a pose file (expected .npz or .json).")
    try:
        return _from_fields(_read_json(path) if path.suffix.lower() == ".json" else _read_npz(path))
    except OSError as e:
        raise PoseFileError(f"{path}: cannot be read ({e.strerror or e}).") from None
    except _CONTENT_ERRORS as e:
        raise PoseFileError(f"{path}: {_sentence(e)}.") from None


def read_person(path: str | os.PathLike, person: int) -> PoseSequence:
    """Read a pose file that must hold 3D joints for `person`; PoseFileError with one sentence otherwise."""
    pose = read_pose_file(path)
    if not 0 <= person < pose.people:
        raise PoseFileError(f"{path}: it holds {pose.people} person slot(s), so there is no person {person}.")
    if not np.isfinite(pose.joints3d[:, person]).all(axis=-1).any():
        raise PoseFileError(f"{path}: person {person} has no 3D joint in any frame.")
    return pose


def _sentence(e: BaseException) -> str:
    """The reason of a content error, as the rest of one sentence."""
    if isinstance(e, (MemoryError, RecursionError)):
        return "it declares more data or deeper nesting than can be read"
    if isinstance(e, (zipfile.BadZipFile, zlib.error, EOFError, struct.error, NotImplementedError, RuntimeError)):
        return f"the file is truncated or damaged ({limits.clause(e)})"
    return limits.clause(e)


def _read_npz(path: Path) -> dict:
    return limits.read_npz(path, _FIELDS, _check_declared, max_member_bytes=limits.MAX_MEMBER_BYTES)


def _check_declared(members: dict[str, limits.Member]) -> None:
    """Refuse, from the .npy headers alone, members of the wrong kind or of shapes that do not fit joints3d's."""
    _check_present(members)
    for name, member in members.items():
        kinds = "U" if name in _TEXT else "biuf"
        if member.dtype.kind not in kinds:
            raise ValueError(f"{name} holds {member.dtype}, expected {'text' if name in _TEXT else 'real numbers'}")
    j3 = members["joints3d"].shape
    if len(j3) != 4 or j3[3] != 3:
        raise ValueError(f"joints3d has shape {j3}, expected (frames, people, joints, 3)")
    f, p, j = j3[:3]
    _check_size(f * p * j)
    expected = {"joints2d": (f, p, j, 2), "confidence": (f, p, j), "track_id": (f, p), "root": (f, p, 3)}
    expected |= {"joint_names": (j,), "format_version": (), "fps": (), "image_size": (2,)}
    expected |= {"source": (), "metadata": ()}
    for name, member in members.items():
        if name in expected and member.shape != expected[name]:
            raise ValueError(f"{name} has shape {member.shape}, expected {expected[name]}")
        if name in _TEXT and member.dtype.itemsize > 4 * limits.MAX_TEXT_CHARS:
            raise ValueError(f"{name} is longer than {limits.MAX_TEXT_CHARS} characters")


def _check_present(fields) -> None:
    missing = [k for k in _REQUIRED if k not in fields]
    if missing:
        raise ValueError(f"it lacks the fields {', '.join(missing)}")


def _read_json(path: Path) -> dict:
    size = path.stat().st_size
    if size > limits.MAX_JSON_BYTES:
        raise ValueError(f"it is {size} bytes, more than the JSON mirror's {limits.MAX_JSON_BYTES}")
    try:
        data = limits.loads_json(path.read_bytes().decode("utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ValueError(f"the file is truncated or not JSON ({e})") from None
    if not isinstance(data, dict):
        raise ValueError("the file is JSON but not a pose file object")
    return {key: data[key] for key in _FIELDS if key in data}


def _to_fields(pose: PoseSequence) -> dict[str, np.ndarray]:
    fields = {
        "format_version": np.array(FORMAT_VERSION, np.int32),
        "fps": np.array(pose.fps, np.float64),
        "image_size": np.array(pose.image_size, np.int32),
        "source": np.array(pose.source),
        "joint_names": np.array(pose.joint_names, dtype=str),
        "joints3d": np.asarray(pose.joints3d, np.float32),
        "joints2d": np.asarray(pose.joints2d, np.float32),
        "confidence": np.asarray(pose.confidence, np.float32),
        "track_id": np.asarray(pose.track_id, np.int32),
        "metadata": np.array(json.dumps(pose.metadata)),
    }
    if pose.root is not None:
        fields["root"] = np.asarray(pose.root, np.float32)
    return fields


def _json_ready(fields: dict[str, np.ndarray]) -> dict:
    out: dict = {}
    for key, value in fields.items():
        if key == "metadata":
            out[key] = json.loads(str(value))
        elif value.dtype.kind == "f":
            out[key] = _nan_to_none(value.tolist())
        else:
            out[key] = value.tolist()
    return out


def _nan_to_none(value):
    if isinstance(value, list):
        return [_nan_to_none(v) for v in value]
    return None if isinstance(value, float) and value != value else value


def _numbers(fields: dict, key: str) -> np.ndarray:
    """fields[key] as an array of real numbers (a JSON list's None is NaN); ValueError otherwise."""
    value = fields[key]
    if isinstance(value, list):
        value = np.array(value, dtype=object)
        if not all(v is None or isinstance(v, (int, float)) for v in value.flat):
            raise ValueError(f"{key} is not an array of numbers")
        value = np.frompyfunc(lambda v: np.nan if v is None else v, 1, 1)(value).astype(np.float64)
    value = np.asarray(value)
    if value.dtype.kind == "O":
        raise ValueError(f"{key} is not an array of numbers")
    if value.dtype.kind not in "biuf":
        raise ValueError(f"{key} holds {value.dtype}, expected real numbers")
    return value


def _floats(fields: dict, key: str) -> np.ndarray:
    """fields[key] as float32; numbers beyond its range become infinite (which validation refuses for joints)."""
    with np.errstate(over="ignore"):
        return _numbers(fields, key).astype(np.float32)


def _integers(fields: dict, key: str) -> np.ndarray:
    """fields[key] as int32 when every value is a whole number in int32's range; ValueError otherwise."""
    value = _numbers(fields, key)
    if value.dtype.kind == "f" and not (np.isfinite(value).all() and (value == np.round(value)).all()):
        raise ValueError(f"{key} holds values that are not whole numbers (NaN, infinite or fractional)")
    if value.size and (value.min() < np.iinfo(np.int32).min or value.max() > np.iinfo(np.int32).max):
        raise ValueError(f"{key} holds values outside the 32-bit integers")
    return value.astype(np.int32)


def _text(fields: dict, key: str) -> str:
    """fields[key] as text of at most MAX_TEXT_CHARS characters; ValueError otherwise."""
    value = fields[key]
    if isinstance(value, np.ndarray) and value.dtype.kind == "U" and value.shape == ():
        value = str(value)
    if not isinstance(value, str):
        raise ValueError(f"{key} is not text")
    if len(value) > limits.MAX_TEXT_CHARS:
        raise ValueError(f"{key} is longer than {limits.MAX_TEXT_CHARS} characters")
    return value


def _from_fields(fields: dict) -> PoseSequence:
    _check_present(fields)
    version = _numbers(fields, "format_version")
    if version.shape != () or version != FORMAT_VERSION:
        raise ValueError(f"it is format version {version.tolist()}, this PoseLift reads version {FORMAT_VERSION}")
    names = np.asarray(fields["joint_names"])
    if names.ndim != 1 or names.dtype.kind != "U":
        raise ValueError("joint_names is not a list of names")
    metadata = fields.get("metadata", {})
    if not isinstance(metadata, dict):
        try:
            metadata = limits.loads_json(_text(fields, "metadata"))
        except json.JSONDecodeError as e:
            raise ValueError(f"its metadata is not JSON ({e})") from None
    fps = _numbers(fields, "fps")
    if fps.shape != ():
        raise ValueError(f"fps has shape {fps.shape}, expected a number")
    pose = PoseSequence(
        joint_names=tuple(str(n) for n in names),
        joints3d=_floats(fields, "joints3d"),
        joints2d=_floats(fields, "joints2d"),
        confidence=_floats(fields, "confidence"),
        track_id=_integers(fields, "track_id"),
        fps=float(fps),
        image_size=tuple(int(v) for v in _integers(fields, "image_size").reshape(-1)),  # type: ignore[arg-type]
        source=_text(fields, "source"),
        root=_floats(fields, "root") if "root" in fields else None,
        metadata=metadata if isinstance(metadata, dict) else {},
    )
    pose.validate()
    return pose
