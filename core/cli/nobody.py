"""Why nobody was found, and what to try: the clause `poselift image`, `video` and `scan` end their one sentence
with when they find no person.

BlazePose's detector sees the whole picture squeezed into its 224 x 224 input (the long side to 224 pixels) and
finds a person by the head and body it sees there, so how small a person it finds is a share of the picture's
long side. Measured by shrinking pictures step by step onto a grey canvas and running the pipeline
(`PoseEstimator.estimate`): the rendered test video's standing figure was found from 22% of the canvas's long
side, messi5.jpg's from 24-27%, basketball players in sporting poses only from about 45%; the lite, full and heavy
models alike (they share the one detector, so `--model heavy` does not find smaller people). Looking at tiles of
the picture too (`pose2d.SEARCH` and `SEARCH_VIDEO`, coarser, where the whole picture shows nobody; `SMALL_PEOPLE`
and `SMALL_PEOPLE_VIDEO` at every picture) brings that down to the same share of a tile's side, so the sentence
names the tiles' reach.
tests/core/cli/test_nobody.py keeps the measurement's two ends.
"""

from __future__ import annotations

from ..nets.tiles import TILE_SIDES, VIDEO_TILE_SIDES

FIGURE_SHARE = 0.25  # the least height of an upright person BlazePose finds, as a share of the picture's long side


def smallest_person(size: tuple[int, int], small_people: bool = False, picture: str = "photo") -> int:
    """Pixels: about the least height of an upright person BlazePose finds in a (W, H) picture ("photo" or
    "video"), looking at the whole picture or, with `small_people`, at its tiles too."""
    sides = TILE_SIDES if picture == "photo" else VIDEO_TILE_SIDES
    return round(FIGURE_SHARE * max(size) * (min(sides) if small_people else 1.0))


def what_to_try(size: tuple[int, int], picture: str) -> str:
    """The clause that says what to try, for a (W, H) `picture` ("photo", "video") searched at its tiles too."""
    w, h = size
    return (f"BlazePose finds people from about {smallest_person(size, True, picture)} px tall in a {w} x {h} "
            f"{picture} (looking at tiles of it), so crop the {picture} (or shoot from closer) so that people fill "
            "more of it")
