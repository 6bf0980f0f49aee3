"""BVH motion capture files: hierarchy, motion and forward kinematics, in numpy.

A BVH file has a HIERARCHY (joints with an OFFSET from their parent and a list of CHANNELS; End Sites with an
OFFSET only) and a MOTION block (frame count, frame time, one line of channel values per frame). Rotation
channels are Euler angles in degrees applied in the order listed, the first outermost: `Zrotation Xrotation
Yrotation` means R = Rz @ Rx @ Ry acting on column vectors. A joint's world transform is its parent's, times a
translation, times R. The translation is the OFFSET; position channels replace it (as Blender reads them),
except where a joint's position values stay nearer zero over the clip than its non-zero OFFSET: those files
(bvhtools' among them) add them to the OFFSET.

Positions come out in the file's units and axes. `to_pose_frame` turns them into the pose file's frame
(metres, right-handed, Z up) without turning the subject: see `up_axis` and `unit_scale` for how the file's up
axis and unit are decided from the rest pose.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path

import numpy as np

from .files import not_regular

_AXES = "XYZ"
_CHANNELS = tuple(f"{a}{kind}" for kind in ("position", "rotation") for a in _AXES)
# Units a BVH file may be written in (metres per unit), tried against a standing adult's height.
UNITS = {"m": 1.0, "cm": 0.01, "mm": 0.001, "inch": 0.0254}
ADULT_HEIGHT_M = 1.7
MAX_JOINTS = 1000  # joints and End Sites: mocap skeletons have under 200, and forward kinematics grows with them
MAX_FRAMES = 1_000_000  # frames of motion: over 4.5 hours at 60 fps


class BvhError(ValueError):
    """A BVH file that cannot be read; the message is one sentence naming the file."""


@dataclass(frozen=True)
class BvhJoint:
    """One joint of the hierarchy; an End Site is a joint without channels named '<parent>_end'."""

    name: str
    parent: int  # index into BvhClip.joints, -1 for a root
    offset: tuple[float, float, float]  # file units, in the parent's frame
    channels: tuple[str, ...]  # e.g. ('Xposition', 'Yposition', 'Zposition', 'Zrotation', ...)
    end_site: bool = False


@dataclass(frozen=True)
class BvhClip:
    """A parsed BVH file: `motion` is (F, C) channel values, columns in hierarchy order."""

    source: str
    joints: tuple[BvhJoint, ...]
    frame_time: float  # seconds
    motion: np.ndarray

    @property
    def frames(self) -> int:
        return self.motion.shape[0]

    @property
    def fps(self) -> float:
        return 1.0 / self.frame_time

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(j.name for j in self.joints)

    @property
    def parents(self) -> tuple[int, ...]:
        return tuple(j.parent for j in self.joints)

    @cached_property
    def offsets(self) -> np.ndarray:
        """(J, 3) file units: each joint's OFFSET from its parent."""
        return np.array([j.offset for j in self.joints], dtype=np.float64).reshape(-1, 3)

    @cached_property
    def _columns(self) -> tuple[int, ...]:
        """Each joint's first column in `motion`."""
        starts, column = [], 0
        for joint in self.joints:
            starts.append(column)
            column += len(joint.channels)
        return tuple(starts)

    def rest_positions(self) -> np.ndarray:
        """(J, 3) world positions with every channel at zero and no position channel: offsets summed."""
        out = np.zeros((len(self.joints), 3))
        for j, joint in enumerate(self.joints):
            out[j] = self.offsets[j] + (out[joint.parent] if joint.parent >= 0 else 0.0)
        return out

    def positions(self) -> np.ndarray:
        """(F, J, 3) world joint positions (End Sites included), in the file's units and axes."""
        f, n = self.frames, len(self.joints)
        out = np.zeros((f, n, 3))
        world_rot = np.zeros((f, n, 3, 3))
        for j, joint in enumerate(self.joints):
            translation, rotation = self._local(j)
            if joint.parent < 0:
                out[:, j] = translation
                world_rot[:, j] = rotation
            else:
                parent_rot = world_rot[:, joint.parent]
                out[:, j] = out[:, joint.parent] + np.einsum("fab,fb->fa", parent_rot, translation)
                world_rot[:, j] = parent_rot @ rotation
        return out

    def _local(self, j: int) -> tuple[np.ndarray, np.ndarray]:
        """Joint j's (F, 3) translation from its parent and (F, 3, 3) rotation, both in the parent's frame."""
        joint, start = self.joints[j], self._columns[j]
        translation = np.broadcast_to(self.offsets[j], (self.frames, 3)).copy()
        rotation = np.broadcast_to(np.eye(3), (self.frames, 3, 3))
        for k, channel in enumerate(joint.channels):
            values = self.motion[:, start + k]
            axis = _AXES.index(channel[0])
            if channel.endswith("rotation"):
                rotation = rotation @ _axis_rotation(axis, np.radians(values))
            else:
                translation[:, axis] = values
        position_axes = [_AXES.index(c[0]) for c in joint.channels if c.endswith("position")]
        if position_axes and _adds_offset(translation[:, position_axes], self.offsets[j, position_axes]):
            translation[:, position_axes] += self.offsets[j, position_axes]
        return translation, rotation


def _adds_offset(values: np.ndarray, offset: np.ndarray) -> bool:
    """Whether position channel values (F, k) are displacements from the OFFSET rather than replacements."""
    mean = values.mean(axis=0)
    return bool(np.linalg.norm(mean - offset) > np.linalg.norm(mean))


def _axis_rotation(axis: int, angle: np.ndarray) -> np.ndarray:
    """(F, 3, 3) right-handed rotations by `angle` (F,) radians about axis 0, 1 or 2."""
    c, s = np.cos(angle), np.sin(angle)
    m = np.zeros((angle.shape[0], 3, 3))
    i, k = (axis + 1) % 3, (axis + 2) % 3
    m[:, axis, axis] = 1.0
    m[:, i, i], m[:, i, k], m[:, k, i], m[:, k, k] = c, -s, s, c
    return m


def read_bvh(path: str | os.PathLike) -> BvhClip:
    """Read a BVH file; any problem raises BvhError with one sentence naming the file."""
    path = Path(path)
    problem = not_regular(path, "a BVH file")
    if problem:
        raise BvhError(problem)
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as e:
        raise BvhError(f"{path}: cannot be read ({e.strerror or e}).") from None
    try:
        return parse_bvh(text, source=path.name)
    except ValueError as e:
        raise BvhError(f"{path}: {str(e).rstrip('.')}.") from None


def parse_bvh(text: str, source: str = "") -> BvhClip:
    """A BvhClip from the text of a BVH file; ValueError with one sentence (no file name) when malformed."""
    parts = re.split(r"^[ \t]*MOTION[ \t]*\r?$", text, maxsplit=1, flags=re.MULTILINE)
    lines = [ln.split() for ln in parts[0].splitlines() if ln.strip()]
    if not lines or lines[0] != ["HIERARCHY"]:
        raise ValueError("it is not a BVH file (it does not start with HIERARCHY)")
    joints = _parse_hierarchy(lines[1:])
    if len(parts) < 2:
        raise ValueError("it has no MOTION section")
    frames, frame_time, motion = _parse_motion(parts[1], sum(len(j.channels) for j in joints))
    return BvhClip(source, tuple(joints), frame_time, motion.reshape(frames, -1))


def _parse_hierarchy(lines: list[list[str]]) -> list[BvhJoint]:
    joints: list[BvhJoint] = []
    stack: list[int] = []  # the joints whose braces are open, innermost last
    declared: int | None = None  # a joint whose opening brace has not come yet
    for words in lines:
        keyword = words[0]
        if keyword in ("ROOT", "JOINT", "End"):
            if declared is not None:
                raise ValueError(f"joint {joints[declared].name} has no opening brace")
            if (keyword == "ROOT") == bool(stack):
                raise ValueError(f"its hierarchy has a {keyword} {'inside' if stack else 'outside'} a joint")
            if len(joints) == MAX_JOINTS:
                raise ValueError(f"its hierarchy has over {MAX_JOINTS} joints, the most this reads")
            parent = stack[-1] if stack else -1
            name = f"{joints[parent].name}_end" if keyword == "End" else " ".join(w for w in words[1:] if w != "{")
            if not name:
                raise ValueError(f"its hierarchy has a {keyword} without a name")
            joints.append(BvhJoint(name, parent, (np.nan,) * 3, (), keyword == "End"))
            declared = len(joints) - 1
            if words[-1] == "{":
                stack.append(declared)
                declared = None
        elif keyword == "{":
            if declared is None:
                raise ValueError("its hierarchy has a brace that opens no joint")
            stack.append(declared)
            declared = None
        elif keyword == "}":
            if not stack:
                raise ValueError("its hierarchy closes more braces than it opens")
            joint = joints[stack.pop()]
            if np.isnan(joint.offset).any():
                raise ValueError(f"joint {joint.name} has no OFFSET")
        elif keyword in ("OFFSET", "CHANNELS"):
            if not stack or declared is not None:
                raise ValueError(f"its hierarchy has an {keyword} line outside a joint's braces")
            j = stack[-1]
            if keyword == "OFFSET":
                joints[j] = replace(joints[j], offset=_numbers(words[1:], 3, "OFFSET", joints[j].name))
            else:
                joints[j] = replace(joints[j], channels=_channels(words[1:], joints[j]))
        else:
            raise ValueError(f"its hierarchy has an unexpected line starting {keyword!r}")
    if stack or declared is not None:
        raise ValueError("its hierarchy ends inside a joint (truncated?)")
    if not joints:
        raise ValueError("its hierarchy has no joints")
    twice = sorted(name for name, count in Counter(j.name for j in joints).items() if count > 1)
    if twice:
        raise ValueError(f"its joint names repeat ({', '.join(twice[:3])})")
    return joints


def _numbers(words: list[str], count: int, what: str, joint: str) -> tuple[float, ...]:
    try:
        values = tuple(float(w) for w in words)
    except ValueError:
        values = ()
    if len(values) != count or not np.isfinite(values).all():
        raise ValueError(f"joint {joint} has a malformed {what} line ({' '.join(words)!r})")
    return values


def _channels(words: list[str], joint: BvhJoint) -> tuple[str, ...]:
    if joint.end_site:
        raise ValueError(f"the End Site of {joint.name[:-4]} has CHANNELS")
    if not words or not words[0].isdecimal() or int(words[0]) != len(words) - 1:
        raise ValueError(f"joint {joint.name} has a CHANNELS line whose count does not match its channels")
    channels = tuple(w.capitalize() for w in words[1:])
    unknown = [c for c in channels if c not in _CHANNELS]
    if unknown or len(set(channels)) != len(channels):
        raise ValueError(f"joint {joint.name} has unknown or repeated channels ({' '.join(words[1:])})")
    return channels


def _parse_motion(text: str, channels: int) -> tuple[int, float, np.ndarray]:
    lines = text.lstrip().split("\n", 2)
    if len(lines) < 2:
        raise ValueError("its MOTION section lacks the Frames and Frame Time lines")
    frames_line, time_line = lines[0].split(), lines[1].split()
    if frames_line[:1] != ["Frames:"] or len(frames_line) != 2 or not frames_line[1].isdecimal():
        raise ValueError(f"its MOTION section has {lines[0].strip()!r} where 'Frames: N' belongs")
    if time_line[:2] != ["Frame", "Time:"] or len(time_line) != 3:
        raise ValueError(f"its MOTION section has {lines[1].strip()!r} where 'Frame Time: T' belongs")
    frames = int(frames_line[1])
    if frames > MAX_FRAMES:
        raise ValueError(f"it says it has {frames} frames, over the {MAX_FRAMES} this reads")
    try:
        frame_time = float(time_line[2])
        values = np.array(lines[2].split() if len(lines) > 2 else [], dtype=np.float64)
    except ValueError as e:
        raise ValueError(f"its motion data holds something that is not a number ({e})") from None
    if not (np.isfinite(frame_time) and frame_time > 0):
        raise ValueError(f"its frame time is {frame_time}, expected a positive number of seconds")
    if frames < 1:
        raise ValueError("it has no frames of motion")
    if values.size != frames * channels:
        raise ValueError(
            f"its motion data holds {values.size} values where {frames} frames of {channels} channels need "
            f"{frames * channels} (truncated?)"
        )
    if not np.isfinite(values).all():
        raise ValueError("its motion data holds NaN or infinite values")
    return frames, frame_time, values


def up_axis(rest: np.ndarray) -> tuple[int, int]:
    """The file's up axis (0, 1, 2) and its sign (+1, -1), read from (J, 3) rest positions of a standing body.

    The left-right axis is the one across which the rest pose is most nearly its own mirror image; of the two
    others, up is the one with the larger extent (height beats foot length). Up points to the end of that axis
    whose farthest joint lies nearest the mirror plane: the head, not the two feet.
    """
    centred = rest - rest.mean(axis=0)
    scale = np.ptp(rest, axis=0).max() or 1.0
    asymmetry = []
    for axis in range(3):
        mirrored = centred * np.where(np.arange(3) == axis, -1.0, 1.0)
        gaps = np.linalg.norm(mirrored[:, None] - centred[None], axis=-1).min(axis=1)
        asymmetry.append(gaps.mean() / scale)
    lateral = int(np.argmin(asymmetry))
    axis = max((a for a in range(3) if a != lateral), key=lambda a: np.ptp(rest[:, a]))
    top, bottom = np.argmax(rest[:, axis]), np.argmin(rest[:, axis])
    side = abs(centred[:, lateral])
    return axis, (1 if side[top] <= side[bottom] else -1)


def unit_scale(height: float) -> tuple[str, float]:
    """The unit name and metres per unit that make a rest-pose `height` (file units) nearest an adult's."""
    if not (np.isfinite(height) and height > 0):
        raise ValueError(f"a skeleton {height} units tall has no unit")
    name = min(UNITS, key=lambda u: abs(np.log(height * UNITS[u] / ADULT_HEIGHT_M)))
    return name, UNITS[name]


def axes_to_z_up(axis: int, sign: int) -> np.ndarray:
    """(3, 3) rotation taking the file's up axis to +Z, keeping X where X is not up (as Blender's importer).

    For a Y-up file: (x, y, z) -> (x, -z, y); a subject facing +Z in the file faces -Y, towards the camera.
    """
    up = np.eye(3)[axis] * sign
    x = np.eye(3)[0] if axis != 0 else np.eye(3)[1] * sign
    return np.stack([x, np.cross(up, x), up])


def to_pose_frame(
    clip: BvhClip, positions: np.ndarray | None = None, *, up: tuple[int, int] | None = None, unit: float | None = None
) -> tuple[np.ndarray, dict]:
    """(F, J, 3) positions in metres, Z up (the pose file's frame), and how they were converted.

    `positions` defaults to `clip.positions()`; `up` (axis, sign) and `unit` (metres per file unit) default to
    what the rest pose says (`up_axis`, `unit_scale`). The dict holds 'up_axis' (e.g. '+y'), 'unit' and
    'metres_per_unit'.
    """
    rest = clip.rest_positions()
    axis, sign = up or up_axis(rest)
    height = float(np.ptp(rest[:, axis]))
    unit_name, scale = ("given", unit) if unit else unit_scale(height)
    p = clip.positions() if positions is None else positions
    out = np.einsum("ab,fjb->fja", axes_to_z_up(axis, sign) * scale, p)
    info = {"up_axis": ("+" if sign > 0 else "-") + "xyz"[axis], "unit": unit_name, "metres_per_unit": scale}
    return out, info
