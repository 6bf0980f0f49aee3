"""A batch's inputs: videos, folders searched recursively, lists of paths; an output name per video, unique in
OUTDIR however the videos' names clash."""

from __future__ import annotations

from pathlib import Path

import pytest

from poselift.core.cli.batch.inputs import find_videos, output_names
from poselift.core.cli.common import CommandError


def touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")
    return path


def test_folders_are_searched_recursively_by_extension_and_lists_name_paths_beside_them(tmp_path):
    shoot = tmp_path / "shoot"
    a, b = touch(shoot / "a" / "take1.MP4"), touch(shoot / "b" / "deep" / "take1.mov")
    touch(shoot / "notes.txt")
    touch(shoot / "a" / "take1.npz")
    extra = touch(tmp_path / "extra" / "walk.avi")
    listing = tmp_path / "list.txt"
    listing.write_text(f"# the walk, twice, and a missing clip\nextra/walk.avi\n\n{extra}\nmissing.mp4\n")
    found = find_videos([shoot, listing, shoot / "a" / "take1.MP4"])
    assert found == [a, b, extra, tmp_path / "missing.mp4"]  # each once; a named missing video is kept


def test_a_list_that_is_missing_or_lists_itself_is_one_sentence(tmp_path):
    with pytest.raises(CommandError, match=r"^/.*absent\.txt: no such list of videos\.$"):
        find_videos([tmp_path / "absent.txt"])
    loop = tmp_path / "loop.txt"
    loop.write_text("loop.txt\n")
    with pytest.raises(CommandError, match=r"loop\.txt: lists itself \(through .*loop\.txt\)\.$"):
        find_videos([loop])


def test_clashing_stems_take_their_folders_names_then_a_number():
    videos = [Path("/s/a/take1.mp4"), Path("/s/b/take1.mp4"), Path("/s/c/TAKE2.mp4"), Path("/s/c/take2.mov"),
              Path("/x/day1/cam/take3.mp4"), Path("/x/day2/cam/take3.mp4"), Path("/s/walk.mp4")]  # fmt: skip
    assert list(output_names(videos).values()) == ["a_take1", "b_take1", "TAKE2", "take2-2", "day1_cam_take3",
                                                   "day2_cam_take3", "walk"]  # fmt: skip


def test_names_an_earlier_run_gave_are_kept_and_never_given_again():
    kept = {Path("/old/take1.mp4"): "take1", Path("/s/b/take1.mp4"): "b_take1"}
    names = output_names([Path("/s/a/take1.mp4"), Path("/s/b/take1.mp4")], kept)
    assert names == {Path("/s/a/take1.mp4"): "a_take1", Path("/s/b/take1.mp4"): "b_take1"}
    assert output_names([Path("/new/Take1.mp4")], kept) == {Path("/new/Take1.mp4"): "new_Take1"}
