"""Pose files for tests: a hand-built person, and one broken file per way a pose file can be wrong."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from poselift.core.formats.posefile import PoseSequence, write_pose_file
from poselift.core.skeleton import POSELIFT

# A person standing, facing the camera (-Y), so the subject's left is at +X (image right). Metres, Z up.
STANDING = {
    "pelvis": (0.0, 0.0, 0.95), "left_hip": (0.1, 0.0, 0.95), "right_hip": (-0.1, 0.0, 0.95),
    "left_knee": (0.1, 0.0, 0.5), "right_knee": (-0.1, 0.0, 0.5),
    "left_ankle": (0.1, 0.0, 0.08), "right_ankle": (-0.1, 0.0, 0.08),
    "left_heel": (0.1, 0.05, 0.02), "right_heel": (-0.1, 0.05, 0.02),
    "left_toe": (0.1, -0.15, 0.02), "right_toe": (-0.1, -0.15, 0.02),
    "left_foot_index": (0.1, -0.15, 0.02), "right_foot_index": (-0.1, -0.15, 0.02),
    "spine": (0.0, 0.0, 1.2), "thorax": (0.0, 0.0, 1.45), "neck": (0.0, -0.1, 1.62), "head_top": (0.0, 0.0, 1.75),
    "nose": (0.0, -0.1, 1.62), "upper_neck": (0.0, 0.0, 1.5),
    "left_eye_inner": (0.015, -0.09, 1.65), "left_eye": (0.03, -0.09, 1.65), "left_eye_outer": (0.045, -0.09, 1.65),
    "right_eye_inner": (-0.015, -0.09, 1.65), "right_eye": (-0.03, -0.09, 1.65),
    "right_eye_outer": (-0.045, -0.09, 1.65),
    "left_ear": (0.07, 0.0, 1.62), "right_ear": (-0.07, 0.0, 1.62),
    "mouth_left": (0.02, -0.09, 1.58), "mouth_right": (-0.02, -0.09, 1.58),
    "left_shoulder": (0.18, 0.0, 1.45), "right_shoulder": (-0.18, 0.0, 1.45),
    "left_elbow": (0.2, 0.0, 1.15), "right_elbow": (-0.2, 0.0, 1.15),
    "left_wrist": (0.2, 0.0, 0.9), "right_wrist": (-0.2, 0.0, 0.9),
    "left_thumb": (0.18, -0.03, 0.85), "right_thumb": (-0.18, -0.03, 0.85),
    "left_index": (0.2, -0.01, 0.8), "right_index": (-0.2, -0.01, 0.8),
    "left_pinky": (0.22, 0.0, 0.82), "right_pinky": (-0.22, 0.0, 0.82),
}


def standing_pose(joint_set=POSELIFT) -> np.ndarray:
    """(J, 3) metres, Z up: the standing person in the given joint set's order."""
    return np.array([STANDING[name] for name in joint_set.joints], dtype=np.float64)


def walking_sequence(frames: int = 24) -> PoseSequence:
    """The standing person swinging arms and legs, walking towards the camera: (F, 1, J, 3), fixed bone lengths."""
    base = standing_pose().astype(np.float32)
    t = np.linspace(0, 2 * np.pi, frames, endpoint=False)
    joints = np.repeat(base[None], frames, axis=0)
    for side, sign in (("left", 1.0), ("right", -1.0)):
        for hinge, chain in (
            ("hip", ("knee", "ankle", "heel", "toe")),
            ("shoulder", ("elbow", "wrist", "thumb", "index", "pinky")),
        ):
            origin = base[POSELIFT.index(f"{side}_{hinge}")]
            angle = sign * 0.4 * np.sin(t) * (1 if hinge == "hip" else -1)
            c, s = np.cos(angle), np.sin(angle)
            for name in chain:
                d = base[POSELIFT.index(f"{side}_{name}")] - origin
                j = POSELIFT.index(f"{side}_{name}")
                joints[:, j, 0] = origin[0] + d[0]
                joints[:, j, 1] = origin[1] + c * d[1] - s * d[2]
                joints[:, j, 2] = origin[2] + s * d[1] + c * d[2]
    joints[..., 1] -= np.linspace(0, 1.0, frames, dtype=np.float32)[:, None]
    return PoseSequence.from_joints3d(joints, POSELIFT.joints, fps=24.0, source="walking (hand-built)")


def bad_pose_files(folder: Path) -> dict[str, Path]:
    """One broken pose file per failure the reader must name: {what is wrong: path}."""
    folder.mkdir(parents=True, exist_ok=True)
    good = write_pose_file(folder / "good.npz", walking_sequence(4))
    data = dict(np.load(good, allow_pickle=False))
    out: dict[str, Path] = {}

    def npz(name: str, **changes) -> None:
        out[name] = folder / f"{name}.npz"
        np.savez(out[name], **{**data, **changes})

    out["truncated"] = folder / "truncated.npz"
    out["truncated"].write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    npz("wrong_version", format_version=np.array(99))
    npz("wrong_shapes", joints2d=data["joints2d"][:, :, :5])
    npz("all_nan", joints3d=np.full_like(data["joints3d"], np.nan))
    npz("unknown_joints", joint_names=np.array(["hip_left_thingy", *data["joint_names"][1:]]))
    out["not_npz"] = folder / "notes.npz"
    out["not_npz"].write_text("these are not poses\n")
    out["bad_json"] = folder / "cut.json"
    out["bad_json"].write_text(json.dumps({"format_version": 1, "fps": 30})[:-3])
    out["directory"] = folder / "a_folder.npz"
    out["directory"].mkdir(exist_ok=True)
    out["missing"] = folder / "missing.npz"
    return out
