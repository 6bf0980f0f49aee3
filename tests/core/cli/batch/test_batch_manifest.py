"""The manifest of a batch: its records read back as written, what counts as done (same input bytes, same
settings, outputs there), and a file that is not a manifest refused in one sentence."""

from __future__ import annotations

import hashlib

import pytest

from poselift.core.cli.batch.manifest import MANIFEST, Item, is_done, read_manifest, write_manifest
from poselift.core.cli.batch.settings import settings_of, sha256_of
from poselift.core.cli.common import CommandError
from poselift.core.cli.main import build_parser


def batch_settings(*options: str) -> dict:
    return settings_of(build_parser().parse_args(["batch", "in", "-o", "out", *options]))


def test_settings_are_the_motions_options_and_a_files_bytes_not_where_the_work_runs(tmp_path):
    plain = batch_settings()
    assert plain == batch_settings("--workers", "3", "--threads", "1", "--ray", "auto", "--device", "cpu",
                                   "--progress", "json")  # fmt: skip
    assert plain["smoothing"] == 1.0 and plain["track"] is None and "output" not in plain
    assert batch_settings("--track", "2,0")["track"] == [2, 0]
    prior = tmp_path / "prior.npz"
    prior.write_bytes(b"one")
    first = batch_settings("--prior", str(prior))
    prior.write_bytes(b"two")
    assert batch_settings("--prior", str(prior)) != first
    assert first["prior"] == {"path": str(prior), "sha256": hashlib.sha256(b"one").hexdigest()}


def test_done_means_the_same_bytes_and_settings_with_every_output_still_there(tmp_path):
    video = tmp_path / "take1.mp4"
    video.write_bytes(b"frames")
    item = Item(video, "take1", sha256_of(video))
    (tmp_path / "take1.npz").write_bytes(b"pose")
    settings = batch_settings()
    record = {"input": str(video), "name": "take1", "sha256": item.sha256, "settings": settings, "status": "done",
              "outputs": ["take1.npz"]}  # fmt: skip
    write_manifest(tmp_path, {video: record})
    read = read_manifest(tmp_path)
    assert read == {video: record} and is_done(read[video], item, settings, tmp_path)
    assert not is_done(record, item, batch_settings("--smoothing", "2"), tmp_path)
    assert not is_done(record, Item(video, "take1", sha256_of(tmp_path / "take1.npz")), settings, tmp_path)
    assert not is_done(record | {"status": "failed"}, item, settings, tmp_path)
    assert not is_done(None, item, settings, tmp_path)
    (tmp_path / "take1.npz").unlink()
    assert not is_done(record, item, settings, tmp_path)


def test_a_manifest_that_is_not_a_batchs_is_one_sentence_naming_the_line(tmp_path):
    assert read_manifest(tmp_path) == {}
    (tmp_path / MANIFEST).write_text('{"input": "/a.mp4", "name": "a", "status": "done"}\nnot json\n')
    with pytest.raises(CommandError, match=rf"^{tmp_path / MANIFEST}: line 2 is not a batch record; move the file "
                                           r"away to start the batch afresh\.$"):  # fmt: skip
        read_manifest(tmp_path)
    (tmp_path / MANIFEST).write_text('{"input": "/a.mp4", "name": "a", "status": "maybe"}\n')
    with pytest.raises(CommandError, match="line 1 is not a batch record"):
        read_manifest(tmp_path)
