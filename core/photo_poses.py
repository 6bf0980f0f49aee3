"""The people found in photos as a pose file: BlazePose's 33 landmarks mapped onto our skeleton.

Frame f of the pose file is photo f; person slot p is the p-th best detection in that photo (slots past the
photo's people are NaN, track id -1). joints2d are pixels of the full-resolution photo as displayed (EXIF
orientation applied, pixel i's centre at i); confidence is visibility x presence, mapped with
`JointMapping.apply_confidence`. Until the 3D lifting replaces them, joints3d are BlazePose's world
landmarks turned into the pose-file frame (metres, Z up, X image right, Y away from the camera), hip-centred
in X and Y, with the lowest foot point on Z = 0; the file's metadata says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from . import skeleton
from .posefile import PoseSequence

if TYPE_CHECKING:  # torch and Pillow stay out of a plain import of this module
    from .image_io import Photo
    from .pose2d import People2D

JOINTS3D_SOURCE = "blazepose_world_landmarks"
_FEET = ("left_ankle", "right_ankle", "left_heel", "right_heel", "left_toe", "right_toe")


def world_to_pose_frame(world: np.ndarray) -> np.ndarray:
    """(..., 3) MediaPipe world axes (x right, y down, z away from the camera) -> Z up, X right, Y away."""
    x, y, z = np.moveaxis(np.asarray(world, np.float32), -1, 0)
    return np.stack([x, z, -y], -1)


def stand_on_floor(joints3d: np.ndarray, joint_names: tuple[str, ...]) -> np.ndarray:
    """(..., J, 3) metres, Z up: the pelvis moved to X = Y = 0 and the lowest foot joint to Z = 0."""
    pelvis = joints3d[..., joint_names.index("pelvis"), :]
    feet = [joint_names.index(n) for n in _FEET if n in joint_names]
    floor = np.nanmin(joints3d[..., feet, 2], axis=-1)
    return joints3d - np.stack([pelvis[..., 0], pelvis[..., 1], floor], -1)[..., None, :]


@dataclass(frozen=True)
class PhotoPeople:
    """Everybody found in one photo, best detection first, on `skeleton.POSELIFT` joints (n people)."""

    path: Path
    size: tuple[int, int]  # (W, H) of the full-resolution photo as displayed, pixels
    joints2d: np.ndarray  # (n, J, 2) pixels of the full-resolution photo
    confidence: np.ndarray  # (n, J) in [0, 1]
    joints3d: np.ndarray  # (n, J, 3) metres, pose-file frame, pelvis at X = Y = 0, feet on Z = 0


def people_in_photos(photos: list[Photo], people: People2D) -> list[PhotoPeople]:
    """`PoseEstimator.estimate(photo pixels)` split by photo and mapped onto our skeleton."""
    mapping = skeleton.mapping(skeleton.BLAZEPOSE_33, skeleton.POSELIFT)
    names = skeleton.POSELIFT.joints
    index = people.image_index.cpu().numpy()
    keypoints = people.keypoints.cpu().numpy()
    confidence = np.clip(mapping.apply_confidence(people.confidence.cpu().numpy()), 0, 1).astype(np.float32)
    joints3d = stand_on_floor(mapping.apply(world_to_pose_frame(people.world.cpu().numpy())), names)
    found = []
    for i, photo in enumerate(photos):
        mine = np.flatnonzero(index == i)
        joints2d = mapping.apply(photo.to_full(keypoints[mine])).astype(np.float32)
        found.append(PhotoPeople(photo.path, photo.size, joints2d, confidence[mine], joints3d[mine].astype(np.float32)))
    return found


def photo_pose_sequence(found: list[PhotoPeople], *, model: str, fps: float = 30.0) -> PoseSequence:
    """The pose file of photos in order (frame f = photo f); slots past a photo's people are NaN, track -1."""
    names = skeleton.POSELIFT.joints
    frames, slots = len(found), max([1] + [len(f.joints2d) for f in found])
    joints2d = np.full((frames, slots, len(names), 2), np.nan, np.float32)
    joints3d = np.full((frames, slots, len(names), 3), np.nan, np.float32)
    confidence = np.zeros((frames, slots, len(names)), np.float32)
    track_id = np.full((frames, slots), -1, np.int32)
    for f, photo in enumerate(found):
        n = len(photo.joints2d)
        joints2d[f, :n], joints3d[f, :n], confidence[f, :n] = photo.joints2d, photo.joints3d, photo.confidence
        track_id[f, :n] = np.arange(n)
    sizes = {photo.size for photo in found}
    return PoseSequence(
        joint_names=names,
        joints3d=joints3d,
        joints2d=joints2d,
        confidence=confidence,
        track_id=track_id,
        fps=fps,
        image_size=sizes.pop() if len(sizes) == 1 else (0, 0),
        source=found[0].path.name if frames == 1 else f"{frames} photos",
        metadata={
            "joints3d": JOINTS3D_SOURCE,
            "joints2d": f"blazepose_{model} landmarks, pixels of each photo as displayed",
            "model": f"blazepose_{model}",
            "photos": [{"file": str(f.path), "size": list(f.size), "people": len(f.joints2d)} for f in found],
        },
    )
