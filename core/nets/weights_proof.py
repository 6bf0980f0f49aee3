"""Weight files a user names, proven before use: the networks built from them must find the person in a built-in
picture and put the limb joints near where they truly are.

The picture (data/test_person.jpg, 512 x 384) is a frame the project rendered of its CC0 body, with the exact 2D
of its limb joints beside it (data/test_person.json, made by scripts/make_test_person.py). MediaPipe's own files
put them 7 px off on average on a person 262 px tall; a file whose weights parse but are wrong finds nobody or
puts them anywhere.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..skeleton import BLAZEPOSE_33
from .weights import WeightsError

DATA = Path(__file__).resolve().parent / "data"
LIMB_JOINTS = ("left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
               "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle")  # fmt: skip
MAX_MEAN_OFF = 0.1  # of the person's height: the most the limb joints may be off on average


def prove_weights(estimator, named: list[Path]) -> None:
    """Raise WeightsError naming the `named` files unless `estimator` (a `pose2d.PoseEstimator` built from them)
    finds the built-in test person with limb joints at most MAX_MEAN_OFF of their height off on average."""
    import cv2

    picture = cv2.imread(str(DATA / "test_person.jpg"), cv2.IMREAD_COLOR)[..., ::-1].copy()  # (384, 512, 3) RGB
    truth = json.loads((DATA / "test_person.json").read_text())
    files = " and ".join(str(p) for p in named)
    people = estimator.estimate([picture])
    if not len(people.score):
        raise WeightsError(f"{files}: the networks built from it find nobody in PoseLift's test picture of a "
                           "standing person, so they are not BlazePose weights PoseLift can use.")  # fmt: skip
    expected = np.array([truth["joints2d"][name] for name in LIMB_JOINTS])  # (12, 2) pixels
    found = people.keypoints.float().cpu().numpy()[:, [BLAZEPOSE_33.joints.index(n) for n in LIMB_JOINTS]]
    off = np.linalg.norm(found - expected, axis=-1).mean(axis=-1).min() / truth["height_px"]
    if not off <= MAX_MEAN_OFF:
        raise WeightsError(f"{files}: the networks built from it put the test person's joints {off:.0%} of their "
                           f"height off on average (MediaPipe's own files: 3%), so they are not BlazePose weights "
                           "PoseLift can use.")  # fmt: skip
