"""scripts/render_result.py in its own process (its own bpy): the test video's frames above Workbench renders of
the armature PoseLift makes from it."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
from make_test_video import cached_test_video
from PIL import Image
from render_result import cell_box, grid_size, video_frames
from scene_checks import REPO

SCRIPT = REPO / "scripts" / "render_result.py"


def test_the_picture_shows_the_video_above_the_armature_poselift_made_of_it(tmp_path):
    video, _ = cached_test_video(seconds=3.0)
    out = tmp_path / "result.png"
    command = [sys.executable, SCRIPT, "--video", video, "--frames", "1,60", "--height", "192", "-o", out]
    done = subprocess.run(list(map(str, command)), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert f"wrote {out}" in done.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["result.png"]  # nothing left behind
    cell = (256, 192)  # the 512 x 384 video at 192 pixels tall
    with Image.open(out) as image:
        assert image.format == "PNG" and image.size == grid_size(2, cell)
        picture = np.asarray(image.convert("RGB")).astype(np.int16)
    crop = [[picture[top:bottom, left:right] for left, top, right, bottom in (cell_box(row, c, cell) for c in range(2))]
            for row in range(2)]  # fmt: skip

    # The top row is the video at those frames (palette colours: close, not equal).
    for column, frame in enumerate(video_frames(video, [0, 59])):
        small = np.asarray(Image.fromarray(frame).resize(cell, Image.Resampling.LANCZOS)).astype(np.int16)
        assert np.abs(crop[0][column] - small).mean() < 6

    # The bottom row shows the armature: the person's left side blue, right side orange, both in each render,
    # and it moved between the frames (standing, then kneeling).
    for render in crop[1]:
        r, g, b = render[..., 0], render[..., 1], render[..., 2]
        blue = (b > r + 60) & (b > g + 30)
        orange = (r > b + 80) & (r > g + 30)
        assert blue.sum() > 60 and orange.sum() > 60, (blue.sum(), orange.sum())  # the video: under 20, 0
    moved = np.abs(crop[1][0] - crop[1][1]).max(axis=-1) > 40
    assert moved.sum() > 500
