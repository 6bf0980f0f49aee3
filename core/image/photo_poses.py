"""The people found in photos as a pose file: BlazePose's 2D lifted to 3D on our skeleton by the seed's loop.

Frame f of the pose file is photo f; person slot p is the p-th best detection in that photo (slots past the
photo's people are NaN, track id -1). joints2d are the loop's last 2D (`lifting.Lifted.joints2d`: BlazePose's
landmarks, re-read from the fused belief maps after the first stage) in pixels of the full-resolution photo as
displayed (EXIF orientation applied, pixel i's centre at i); confidence is BlazePose's (visibility x presence,
the least of a recipe's landmarks). joints3d are `lifting.Lifter`'s: metres, Z up, X image right, Y away from the
camera, pelvis at X = Y = 0, the lowest foot point on Z = 0. The metadata says how the 3D was made ("joints3d")
and, per photo, which people the lift calls ok ("photos"[f]["lifted_ok"]); a person not ok keeps a defined pose
and its confidence.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .. import skeleton
from ..formats.posefile import PoseSequence

if TYPE_CHECKING:  # torch and Pillow stay out of a plain import of this module
    from ..lift.lifting import Lifted
    from ..nets.pose2d import People2D
    from .image_io import Photo


@dataclass(frozen=True)
class PhotoPeople:
    """Everybody found in one photo, best detection first, on `skeleton.POSELIFT` joints (n people)."""

    path: Path
    size: tuple[int, int]  # (W, H) of the full-resolution photo as displayed, pixels
    joints2d: np.ndarray  # (n, J, 2) pixels of the full-resolution photo
    confidence: np.ndarray  # (n, J) in [0, 1]
    joints3d: np.ndarray  # (n, J, 3) metres, pose-file frame, pelvis at X = Y = 0, feet on Z = 0
    ok: np.ndarray  # (n,) bool: whether the lift calls each person's 3D ok


def people_in_photos(photos: list[Photo], people: People2D, lifted: Lifted) -> list[PhotoPeople]:
    """`PoseEstimator.estimate(photo pixels)` and `Lifter.lift` of those people, split by photo."""
    index = people.image_index.cpu().numpy()
    found = []
    for i, photo in enumerate(photos):
        mine = np.flatnonzero(index == i)
        found.append(PhotoPeople(photo.path, photo.size, photo.to_full(lifted.joints2d[mine]),
                                 lifted.confidence[mine], lifted.joints3d[mine], lifted.ok[mine]))  # fmt: skip
    return found


def photo_pose_sequence(found: list[PhotoPeople], *, model: str, lifting: str, fps: float = 30.0) -> PoseSequence:
    """The pose file of photos in order (frame f = photo f); slots past a photo's people are NaN, track -1.
    `lifting` says how joints3d were made (`Lifter.description`)."""
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
            "joints3d": lifting,
            "joints2d": f"blazepose_{model} landmarks through the lifting loop, pixels of each photo as displayed",
            "model": f"blazepose_{model}",
            "photos": [
                {"file": str(f.path), "size": list(f.size), "people": len(f.joints2d),
                 "lifted_ok": [bool(ok) for ok in f.ok]}
                for f in found
            ],  # fmt: skip
        },
    )
