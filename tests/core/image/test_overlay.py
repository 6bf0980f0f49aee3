"""Skeletons drawn over a picture, with a label per person above the head that reads on any background."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from poselift.core import skeleton
from poselift.core.image.overlay import draw_skeletons, write_overlay

NAMES = skeleton.POSELIFT.joints
HEAD = NAMES.index("head_top")


def figure(x: float, top: float, tall: float) -> np.ndarray:
    """(27, 2) pixels: a person `tall` pixels tall standing at `x`, head top at `top` (the joints spread down a
    narrow column, the head top highest)."""
    column = np.arange(len(NAMES))
    points = np.stack([x + 0.1 * tall * np.sin(column), top + tall * np.linspace(0.1, 1, len(NAMES))], -1)
    points[HEAD] = x, top
    return points


def label_box(drawn: np.ndarray, plain: np.ndarray) -> tuple[slice, slice]:
    """The rows and columns where `drawn` (with labels) differs from `plain` (without)."""
    rows, cols = np.nonzero((drawn != plain).any(-1))
    return slice(rows.min(), rows.max() + 1), slice(cols.min(), cols.max() + 1)


@pytest.mark.parametrize("background", [0, 255, 128])
def test_a_label_sits_above_the_head_as_white_text_on_a_dark_box_on_any_background(background):
    pixels = np.full((400, 600, 3), background, np.uint8)
    people = np.stack([figure(150, 120, 250), figure(420, 100, 200)])
    confidence = np.ones(people.shape[:2])
    plain = draw_skeletons(pixels, people, confidence)
    drawn = draw_skeletons(pixels, people, confidence, labels=["0", "12"])
    for person in people:
        x, top = person[HEAD]
        near = np.s_[: int(top), int(x) - 60 : int(x) + 60]  # above the head
        rows, cols = label_box(drawn[near], plain[near])
        box = drawn[near][rows, cols]
        assert rows.stop <= top and abs((cols.start + cols.stop) / 2 - 60) < 3, "centred above the head"
        assert (box.min(-1) >= 230).mean() > 0.05, "white text"
        assert (box.max(-1) <= 100).mean() > 0.3, "on a dark box"
    assert np.array_equal(drawn[130:], plain[130:]), "nothing else changes"


def test_labels_grow_with_the_image_and_stay_inside_it_at_its_edges():
    heights = []
    for side in (300, 1200):
        pixels = np.full((side, side, 3), 200, np.uint8)
        person = figure(side / 2, side / 3, side / 2)[None]
        drawn = draw_skeletons(pixels, person, np.ones((1, len(NAMES))), labels=["3"])
        rows, _ = label_box(drawn, draw_skeletons(pixels, person, np.ones((1, len(NAMES)))))
        heights.append(rows.stop - rows.start)
    assert 3 < heights[1] / heights[0] < 5, heights
    pixels = np.full((300, 400, 3), 200, np.uint8)
    corner = figure(2, 3, 200)[None]  # the head at the top-left corner: the label goes below it, inside
    drawn = draw_skeletons(pixels, corner, np.ones((1, len(NAMES))), labels=["7"])
    rows, cols = label_box(drawn[:60], draw_skeletons(pixels, corner, np.ones((1, len(NAMES))))[:60])
    assert rows.start > 3 and cols.start >= 0


def test_an_overlay_is_written_with_its_labels_and_a_wrong_count_is_refused(tmp_path):
    pixels = np.full((200, 300, 3), 90, np.uint8)
    person = figure(150, 60, 120)[None]
    path = write_overlay(tmp_path / "drawn.png", pixels, person, np.ones((1, len(NAMES))), labels=["0"])
    assert np.array_equal(np.asarray(Image.open(path)), draw_skeletons(pixels, person, np.ones((1, 27)), labels=["0"]))
    with pytest.raises(ValueError, match="2 labels for 1 people"):
        draw_skeletons(pixels, person, np.ones((1, len(NAMES))), labels=["0", "1"])
