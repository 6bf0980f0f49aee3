"""The pose file: what is written reads back the same, and every broken file is named in one sentence."""

import os

import numpy as np
import pytest
from pose_samples import walking_sequence

from poselift.core.formats.posefile import FORMAT_VERSION, PoseFileError, PoseSequence, read_pose_file, write_pose_file
from poselift.core.skeleton import H36M_17


def _same(a: PoseSequence, b: PoseSequence) -> None:
    assert a.joint_names == b.joint_names
    for key in ("joints3d", "joints2d", "confidence", "track_id"):
        np.testing.assert_array_equal(getattr(a, key), getattr(b, key))
    assert (a.fps, a.image_size, a.source, a.metadata) == (b.fps, b.image_size, b.source, b.metadata)


@pytest.mark.parametrize("suffix", [".npz", ".json"])
def test_a_written_pose_reads_back_the_same_with_its_gaps(tmp_path, suffix):
    pose = walking_sequence(6)
    pose.joints3d[2, 0, 5] = np.nan
    pose.confidence[2, 0, 5] = 0.0
    pose.image_size = (640, 480)
    pose.metadata = {"joints3d_from": "hand-built"}
    _same(read_pose_file(write_pose_file(tmp_path / f"walk{suffix}", pose)), pose)


def test_shapes_and_units_of_a_sequence_built_from_3d_joints():
    pose = walking_sequence(5)
    assert (pose.frames, pose.people, pose.joints) == (5, 1, 27)
    assert pose.joints3d.dtype == np.float32 and pose.joints2d.shape == (5, 1, 27, 2)
    assert np.isnan(pose.joints2d).all() and (pose.confidence == 1).all() and (pose.track_id == 0).all()
    assert 1.6 < np.nanmax(pose.joints3d[..., 2]) < 1.9, "metres, Z up"


def test_a_subset_of_joints_in_any_order_is_a_valid_pose(tmp_path):
    names = tuple(reversed(H36M_17.joints))
    pose = PoseSequence.from_joints3d(np.zeros((2, 17, 3)), names)
    assert read_pose_file(write_pose_file(tmp_path / "p.npz", pose)).joint_names == names


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(tmp_path):
    path = write_pose_file(tmp_path / "walk.npz", walking_sequence(3))
    before = path.read_bytes()
    broken = walking_sequence(3)
    broken.joints3d[:] = np.nan
    with pytest.raises(PoseFileError, match="walk.npz"):
        write_pose_file(path, broken)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["walk.npz"]


def test_files_from_strangers_never_unpickle(tmp_path):
    path = tmp_path / "pickled.npz"
    data = dict(np.load(write_pose_file(tmp_path / "ok.npz", walking_sequence(2)), allow_pickle=False))
    np.savez(path, **{**data, "source": np.array([{"evil": 1}], dtype=object)})
    with pytest.raises(PoseFileError, match="pickled.npz"):
        read_pose_file(path)


def test_every_broken_file_gets_one_sentence_naming_it(bad_pose_files):
    for what, path in bad_pose_files.items():
        with pytest.raises(PoseFileError) as caught:
            read_pose_file(path)
        message = str(caught.value)
        assert message.startswith(str(path)), what
        assert message.endswith(".") and "\n" not in message, what


@pytest.mark.parametrize(
    ("what", "words"),
    [
        ("truncated", "truncated"),
        ("wrong_version", f"version 99, this PoseLift reads version {FORMAT_VERSION}"),
        ("wrong_shapes", "joints2d has shape"),
        ("all_nan", "no joint position"),
        ("unknown_joints", "unknown joint names 'hip_left_thingy'"),
        ("directory", "folder"),
        ("missing", "no such file"),
        ("not_npz", "not an .npz"),
        ("bad_json", "not JSON"),
    ],
)
def test_each_broken_file_says_what_is_wrong(bad_pose_files, what, words):
    with pytest.raises(PoseFileError, match=words):
        read_pose_file(bad_pose_files[what])
