"""Where a lifted person stands in the scene and on which frames they are shown: the start on the floor, a
group's places kept, travel dropped or kept, feet above the floor, visibility keys exactly around the frames."""

import numpy as np
from pose_samples import walking_sequence

from poselift.core.skeleton import POSELIFT
from poselift.rigs.placement import (
    Settling,
    group_offsets,
    present,
    scene_frames,
    settled,
    slot_tracks,
    start_point,
    visibility_keys,
)

NAMES = POSELIFT.joints
PELVIS = NAMES.index("pelvis")


def _walk(frames=20, at=(0.0, 0.0)):
    joints = walking_sequence(frames).joints3d[:, 0].astype(np.float64)
    joints[..., :2] += np.asarray(at)
    return joints


def test_a_person_starts_where_their_pelvis_first_stands_on_the_floor():
    joints = _walk(at=(1.0, 8.0))
    joints[:3] = np.nan  # seen from the fourth frame
    start = start_point(joints, NAMES)
    np.testing.assert_allclose(start[:2], joints[3, PELVIS, :2])
    assert start[2] == 0.0
    assert present(joints).tolist() == [False] * 3 + [True] * 17


def test_a_group_keeps_its_places_about_its_centre():
    people = np.stack([_walk(at=(-1.0, 6.0)), _walk(at=(1.0, 10.0))], axis=1)
    starts, offsets = group_offsets(people, NAMES)
    np.testing.assert_allclose(offsets[1] - offsets[0], starts[1] - starts[0])
    np.testing.assert_allclose(offsets.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(offsets[:, 0], [-1.0, 1.0], atol=1e-6)


def test_in_place_drops_the_travel_and_keeps_the_height():
    joints = _walk()
    assert np.ptp(joints[:, PELVIS, 1]) > 0.9, "the walk travels a metre"
    out = settled(joints, NAMES, Settling(in_place=True), fps=24.0)
    np.testing.assert_allclose(out[:, PELVIS, :2], np.repeat(joints[:1, PELVIS, :2], 20, axis=0), atol=1e-9)
    np.testing.assert_allclose(out[..., 2], joints[..., 2])


def test_keep_above_floor_raises_only_the_frames_whose_feet_sink():
    joints = _walk()
    joints[5] -= [0.0, 0.0, 0.2]
    out = settled(joints, NAMES, Settling(keep_above_floor=True), fps=24.0)
    feet = [NAMES.index(n) for n in ("left_ankle", "right_ankle", "left_toe", "right_toe", "left_heel", "right_heel")]
    assert out[:, feet, 2].min() >= -1e-9
    untouched = [f for f in range(20) if joints[f, feet, 2].min() >= 0]
    np.testing.assert_array_equal(out[untouched], joints[untouched])


def test_missing_frames_stay_missing_whatever_is_asked():
    joints = _walk()
    joints[8:11] = np.nan
    out = settled(joints, NAMES, Settling(in_place=True, keep_above_floor=True, lock_feet=True), fps=24.0)
    assert np.isnan(out[8:11]).all() and np.isfinite(out[:8]).all() and np.isfinite(out[11:]).all()


def test_visibility_keys_show_exactly_the_frames_with_the_person():
    shown = np.array([False, False, True, True, True, False, True, True, False, False])
    keys = visibility_keys(shown)
    assert keys == [(0, True), (2, False), (5, True), (6, False), (8, True)]
    held = [dict(keys).get(f) for f in range(10)]
    state = []
    for f in range(10):  # a constant-interpolated key holds until the next
        state.append(held[f] if held[f] is not None else state[-1])
    assert [not hidden for hidden in state] == shown.tolist()
    assert visibility_keys(np.ones(5, bool)) == []


def test_a_file_plays_at_its_own_speed_in_a_scene_of_another_rate():
    np.testing.assert_allclose(scene_frames(np.arange(4), 30.0, 24.0, 101), [101, 101.8, 102.6, 103.4])
    np.testing.assert_array_equal(scene_frames(np.array([0, 2]), 30.0, 30.0, 1), [1, 3])


def test_each_slot_is_named_by_its_track():
    ids = np.array([[-1, 4, -1], [0, 4, -1], [0, -1, -1]])
    assert slot_tracks(ids) == [0, 4, 2]
