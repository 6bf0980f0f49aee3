"""How small a person BlazePose finds, as `poselift` says when it finds nobody: the measurement's two ends, on the
rendered test video's standing figure and a real photo, shrunk onto a grey canvas."""

from __future__ import annotations

import numpy as np
import pytest
from make_test_video import cached_test_video
from PIL import Image

from poselift.core import skeleton
from poselift.core.cli.nobody import FIGURE_SHARE, smallest_person, what_to_try
from poselift.core.image.image_io import read_image
from poselift.core.nets.pose2d import PoseEstimator
from poselift.core.video.video_io import VideoFrames, probe_video

CANVAS = (896, 672)  # (W, H) pixels, grey


@pytest.fixture(scope="module")
def estimator():
    return PoseEstimator(variant="full", device="cpu")


def tallest(estimator: PoseEstimator, pixels: np.ndarray) -> float:
    """Pixels: the height (vertical extent of the joints) of the tallest person found in `pixels`, 0 for nobody."""
    people = estimator.estimate([pixels])
    joints = skeleton.mapping("blazepose33", "poselift").apply(people.keypoints.numpy())
    return float(np.max(np.ptp(joints[..., 1], axis=1), initial=0.0))


def on_canvas(pixels: np.ndarray, scale: float) -> np.ndarray:
    """`pixels` scaled by `scale`, centred on the grey canvas."""
    h, w = round(pixels.shape[0] * scale), round(pixels.shape[1] * scale)
    canvas = np.full((CANVAS[1], CANVAS[0], 3), 128, np.uint8)
    top, left = (CANVAS[1] - h) // 2, (CANVAS[0] - w) // 2
    canvas[top : top + h, left : left + w] = np.asarray(Image.fromarray(pixels).resize((w, h), Image.LANCZOS))
    return canvas


def test_an_upright_person_is_found_from_about_a_quarter_of_the_long_side(estimator, asset):
    video, _ = cached_test_video(seconds=3.0)
    standing = next(iter(VideoFrames(probe_video(video), end=0.1))).pixels[0]
    reach = smallest_person(CANVAS)
    assert reach == round(FIGURE_SHARE * 896)
    for pixels in (standing, read_image(asset("messi5.jpg")).pixels):
        height = tallest(estimator, pixels)
        assert height > 0
        assert tallest(estimator, on_canvas(pixels, 1.25 * reach / height)) > 0, "found a little above the reach"
        assert tallest(estimator, on_canvas(pixels, 0.6 * reach / height)) == 0, "not found well below it"


def test_the_advice_names_the_size_the_tiles_reach_in_the_pictures_own_pixels():
    assert what_to_try((768, 576), "video") == (
        "BlazePose finds people from about 72 px tall in a 768 x 576 video (looking at tiles of it), so crop the "
        "video (or shoot from closer) so that people fill more of it")
    assert what_to_try((512, 384), "photo") == (
        "BlazePose finds people from about 32 px tall in a 512 x 384 photo (looking at tiles of it), so crop the "
        "photo (or shoot from closer) so that people fill more of it")
