"""Random perspective cameras around a person, and their photographs: the views bench/lift.py lifts from.

A camera stands `distance` metres from its target (the person's pelvis) at a compass `yaw` and an `elevation`
above the horizontal, looks at the target with no roll, and has a pinhole of focal length `focal` pixels centred
on a 1920 x 1080 image. Its frame is the pose file's: X image right, Y along the optical axis (away from the
camera), Z image up.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

IMAGE_SIZE = (1920, 1080)  # (w, h) pixels
SENSOR_WIDTH_MM = 36.0  # the 35 mm film frame that "equivalent focal length" refers to


@dataclass(frozen=True)
class Cameras:
    yaw: np.ndarray  # (N,) radians: the direction the camera looks, counter-clockwise from +X seen from above
    elevation: np.ndarray  # (N,) radians above the horizontal (the camera looks down at positive values)
    distance: np.ndarray  # (N,) metres from the target
    focal: np.ndarray  # (N,) pixels


def random_cameras(
    rng: np.random.Generator,
    count: int,
    *,
    elevation_deg: tuple[float, float] = (-10.0, 40.0),
    distance_m: tuple[float, float] = (3.0, 6.0),
    lens_mm: tuple[float, float] = (24.0, 35.0),
) -> Cameras:
    """`count` cameras: yaw uniform over 360 degrees, the rest uniform in the given ranges (lens: 35 mm equivalent
    focal length, turned into pixels for the image width)."""
    return Cameras(
        yaw=rng.uniform(0.0, 2 * np.pi, count),
        elevation=np.radians(rng.uniform(*elevation_deg, count)),
        distance=rng.uniform(*distance_m, count),
        focal=rng.uniform(*lens_mm, count) * IMAGE_SIZE[0] / SENSOR_WIDTH_MM,
    )


def photograph(joints: np.ndarray, target: np.ndarray, cameras: Cameras) -> tuple[np.ndarray, np.ndarray]:
    """(N, J, 3) world joints (metres, Z up) each seen by its camera aimed at (N, 3) targets -> (N, J, 2) pixels
    (image y down) and (N, J, 3) the joints in the camera's frame (metres, X right, Y away, Z up)."""
    ce, se = np.cos(cameras.elevation), np.sin(cameras.elevation)
    forward = np.stack([ce * np.cos(cameras.yaw), ce * np.sin(cameras.yaw), -se], -1)
    right = np.stack([np.sin(cameras.yaw), -np.cos(cameras.yaw), np.zeros_like(cameras.yaw)], -1)
    up = np.cross(right, forward)
    position = target - cameras.distance[:, None] * forward
    rotation = np.stack([right, forward, up], axis=1)  # (N, 3, 3) rows: the camera's axes in the world
    camera_frame = np.einsum("nab,njb->nja", rotation, joints - position[:, None])
    depth = camera_frame[..., 1]
    w, h = IMAGE_SIZE
    pixels = np.stack(
        [w / 2 + cameras.focal[:, None] * camera_frame[..., 0] / depth,
         h / 2 - cameras.focal[:, None] * camera_frame[..., 2] / depth], -1
    )  # fmt: skip
    return pixels, camera_frame
