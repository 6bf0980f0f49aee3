"""Small people: the detector also looks at overlapping tiles of a picture, and what they find is merged into one
person each, without the fragments a tile cuts out of a big one."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from poselift.core.image.image_io import read_image
from poselift.core.nets import tiles
from poselift.core.nets.pose2d import NUM_BODY, SEARCH, SMALL_PEOPLE, People2D, PoseEstimator, distinct
from poselift.core.skeleton import BLAZEPOSE_33
from poselift.core.video.video_io import VideoFrames, probe_video


def test_the_whole_picture_comes_first_and_tiles_cover_it_overlapping_by_half():
    rois, cuts = tiles.views((1280, 720), (0.375,))
    side = 0.375 * 1280
    assert rois.size[0] == 1280 and rois.centre[0].tolist() == [640, 360] and not cuts[0].any()
    assert torch.all(rois.size[1:] == side) and torch.all(rois.rotation == 0)
    left, top = rois.centre[1:, 0] - side / 2, rois.centre[1:, 1] - side / 2
    assert left.min() == 0 and (left + side).max() == 1280 and top.min() == 0 and (top + side).max() == 720
    for x in np.arange(0, 1280 - side / 2 + 1, 8.0):  # every square half a tile wide lies inside a tile
        for y in np.arange(0, 720 - side / 2 + 1, 8.0):
            inside = (left <= x) & (left + side >= x + side / 2) & (top <= y) & (top + side >= y + side / 2)
            assert inside.any(), (x, y)
    assert cuts[1].tolist() == [False, False, True, True], "the top-left tile cuts the picture right and below"


def test_a_detection_at_an_edge_a_tile_cuts_or_larger_than_its_tile_is_dropped():
    cuts = torch.tensor([[False, False, True, False], [False, False, True, False]])
    boxes = torch.tensor([[0.3, 0.2, 0.99, 0.8], [0.0, 0.2, 0.7, 0.8]])
    assert tiles.cut_by_tile(boxes, cuts).tolist() == [True, False], "the picture's own edge cuts nobody"
    region, side = torch.tensor([100.0, 500.0, 500.0]), torch.tensor([200.0, 200.0, 1000.0])
    assert tiles.fits(region, side, torch.tensor([True, True, False])).tolist() == [True, False, True]


@pytest.fixture(scope="module")
def estimators():
    return PoseEstimator(variant="full", device="cpu"), PoseEstimator(variant="full", device="cpu", **SMALL_PEOPLE)


def heights(estimator: PoseEstimator, pixels: np.ndarray) -> list[float]:
    people = estimator.estimate([pixels])
    return sorted((people.keypoints[..., 1].amax(1) - people.keypoints[..., 1].amin(1)).tolist())


def test_walkers_a_tenth_of_the_picture_tall_are_found_only_with_the_tiles(estimators, asset):
    whole, tiled = estimators
    frame = next(iter(VideoFrames(probe_video(asset("vtest.avi")), start=20.0, end=20.05))).pixels[0]
    assert heights(whole, frame) == []
    found = heights(tiled, frame)
    assert len(found) >= 4 and all(40 < h < 130 for h in found), found


def test_where_the_whole_picture_shows_nobody_its_search_tiles_find_the_walkers_and_elsewhere_change_nothing(asset):
    searching = PoseEstimator(variant="full", device="cpu", **SEARCH)
    street = next(iter(VideoFrames(probe_video(asset("vtest.avi")), start=20.0, end=20.05))).pixels[0]
    found = heights(searching, street)
    assert len(found) >= 4 and all(40 < h < 130 for h in found), found
    pyramids = searching.pyramids([street, street])
    index, _, _ = searching.detect_regions(pyramids, search=[False, True])
    assert set(index.tolist()) == {1}, "the search only where asked"
    messi = read_image(asset("messi5.jpg")).pixels  # somebody big: the whole picture finds him, as without a search
    assert searching.detect(searching.pyramids([messi]))[2].tolist() == PoseEstimator(
        variant="full", device="cpu").detect(searching.pyramids([messi]))[2].tolist()


@pytest.mark.parametrize(("photo", "people"), [("basketball2.png", 2), ("messi5.jpg", 1), ("camera.png", 1),
                                               ("home.jpg", 0)])  # fmt: skip
def test_big_people_are_found_once_and_nothing_is_made_of_their_parts(estimators, asset, photo, people):
    whole, tiled = estimators
    pixels = read_image(asset(photo)).pixels
    found = heights(tiled, pixels)
    assert len(found) == people, found
    if people:
        assert max(found) == pytest.approx(max(heights(whole, pixels) or [max(found)]), rel=0.15)


def test_a_fragment_drawn_along_a_surer_persons_bones_is_kept_once(estimators, asset):
    # A tile's fragment of a big person: landmarks halfway along his legs' bones, far from his own landmarks.
    whole, _ = estimators
    person = whole.estimate([read_image(asset("messi5.jpg")).pixels])
    assert len(person.score) == 1
    points = person.keypoints[0]
    bones = [(f"{side}_{a}", f"{side}_{b}") for side in ("left", "right") for a, b in (("hip", "knee"),
                                                                                        ("knee", "ankle"))]
    middles = torch.stack([(points[BLAZEPOSE_33.index(a)] + points[BLAZEPOSE_33.index(b)]) / 2 for a, b in bones])
    fragment = person._replace(keypoints=middles[torch.arange(NUM_BODY) % len(bones)][None], score=person.score / 2)
    kept = distinct(People2D.cat([person, fragment]))
    assert kept.keypoints.shape[0] == 1 and torch.equal(kept.keypoints[0], points)
