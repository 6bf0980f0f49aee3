"""A person's motion over a video: per-frame lifts made smooth, rigid, grounded and travelling.

The real track is bvhtoolbox's mocap clip (a subject kneeling down and getting up) seen by a known level pinhole
camera: the 2D is its exact projection, and the per-frame "lifts" are its poses as a lifter gives them (pelvis at
X = Y = 0, the lowest foot on Z = 0) with 2 cm of noise on every coordinate.
"""

import numpy as np
import pytest
from make_test_video import project

from poselift.core.formats.bvh import read_bvh
from poselift.core.formats.mocap_names import pose_from_bvh
from poselift.core.motion import root_motion
from poselift.core.motion.animate import MAX_GAP_S, PELVIS, animate_track, filling_rts, gaps, pose_smoother
from poselift.core.motion.contacts import SIDES, foot_contacts
from poselift.core.skeleton import H36M_17, POSELIFT, stature

SIZE = (640, 480)
FOCAL = 500.0  # pixels: a 28 mm full-frame equivalent, not the 50 mm animate_track assumes when not told
CAMERA = np.array([0.3, -4.5, 1.1])  # metres: level, looking along +Y
NOISE_M = 0.02
NAMES = POSELIFT.joints
FEET = [[NAMES.index(f"{side}_{p}") for p in ("ankle", "toe")] for side in SIDES]


@pytest.fixture(scope="module")
def clip(asset):
    """(F, 27, 3) metres, the mocap clip on POSELIFT joints (NaN for those it lacks: heels, hands), floor at
    Z = 0 and the camera above the origin; and its fps."""
    pose = pose_from_bvh(read_bvh(asset("test_mocapbank.bvh")))
    joints = np.full((pose.frames, len(NAMES), 3), np.nan)
    for j, name in enumerate(pose.joint_names):
        joints[:, NAMES.index(name)] = pose.joints3d[:, 0, j]
    feet = np.nanmin(joints[:, sum(FEET, []), 2], axis=1)
    return joints - [CAMERA[0], CAMERA[1], np.median(feet)], pose.fps


def lifts(world: np.ndarray, noise: float = NOISE_M, seed: int = 0, pixel_noise: float = 0.0):
    """(joints3d, joints2d, confidence, found) as a per-frame lifter gives them for the true (F, 27, 3) `world`,
    with `noise` metres on the 3D and `pixel_noise` pixels on the 2D."""
    relative = world - world[:, PELVIS : PELVIS + 1] * [1.0, 1.0, 0.0]
    relative[..., 2] -= np.nanmin(relative[:, sum(FEET, []), 2], axis=1)[:, None]
    joints2d = project(world, CAMERA * [0.0, 0.0, 1.0], FOCAL, SIZE)
    # An orthographic lift sees the person along the ray to them: the pose turned by the ray's azimuth.
    azimuth = np.arctan2(joints2d[:, PELVIS, 0] - (SIZE[0] / 2 - 0.5), FOCAL)[:, None]
    c, s, x, y = np.cos(azimuth), np.sin(azimuth), relative[..., 0].copy(), relative[..., 1].copy()
    relative[..., 0], relative[..., 1] = c * x - s * y, s * x + c * y
    rng = np.random.default_rng(seed)
    relative = relative + rng.normal(0, noise, relative.shape)
    joints2d = joints2d + rng.normal(0, pixel_noise, joints2d.shape)
    confidence = np.isfinite(world[..., 0]).astype(np.float64)
    return relative, joints2d, confidence, np.ones(len(world), bool)


def animate(world, fps, found=None, pixel_noise=0.0, **kwargs):
    joints3d, joints2d, confidence, seen = lifts(world, pixel_noise=pixel_noise)
    found = seen if found is None else found
    height = float(stature(world[:, [NAMES.index(n) for n in H36M_17.joints]]).mean())
    return animate_track(joints3d, joints2d, confidence, found, fps=fps, image_size=SIZE,
                                focal_px=FOCAL, height=height, **kwargs)  # fmt: skip


@pytest.fixture(scope="module")
def track(clip):
    """The Motion of the whole clip, every frame found."""
    return animate(*clip)


def acceleration(joints, fps):
    """m/s^2: mean |second difference| * fps^2 of the pelvis-relative finite joints of (F, J, 3) joints."""
    relative = joints - joints[:, PELVIS : PELVIS + 1]
    return np.nanmean(np.linalg.norm(np.diff(relative, 2, axis=0), axis=-1)) * fps**2


def test_the_root_trajectory_is_recovered_from_the_2d_position_and_size(clip, track):
    world, fps = clip
    error = np.linalg.norm(track.root - world[:, PELVIS], axis=-1)
    # The subject travels 0.35 m across, 0.27 m in depth and kneels 0.5 m down, 4.5 m from the camera; the 2 cm
    # of noise on the lifted feet reaches the root where a foot near the floor holds the body on it.
    assert error.mean() < 0.05 and error.max() < 0.12
    assert np.abs(track.root[:, 1] - world[:, PELVIS, 1]).mean() < 0.045, "depth from the pose's size"
    np.testing.assert_allclose(track.root, track.joints3d[:, PELVIS], atol=1e-6, err_msg="root is the pelvis")


def test_jitter_is_reduced_and_the_motion_kept(clip, track):
    world, fps = clip
    noisy = lifts(world)[0]
    assert acceleration(track.joints3d, fps) < 0.25 * acceleration(noisy, fps)
    known = [NAMES.index(n) for n in H36M_17.joints]
    pose = track.joints3d[:, known] - track.root[:, None]
    error = np.linalg.norm(pose - (world[:, known] - world[:, PELVIS : PELVIS + 1]), axis=-1)
    assert error.mean() < 0.6 * np.sqrt(3) * NOISE_M, "the pose nearer the truth than the noisy lifts"
    kneel = world[:, PELVIS, 2]
    assert np.corrcoef(track.root[:, 2], kneel)[0, 1] > 0.99 and np.ptp(track.root[:, 2]) > 0.9 * np.ptp(kneel)


def test_the_smoothing_strength_trades_jitter_for_closeness_to_the_lifts(clip, track):
    world, fps = clip
    assert pose_smoother(1.0)(lifts(world)[0], fps).tobytes() == filling_rts(lifts(world)[0], fps).tobytes()
    np.testing.assert_array_equal(animate(world, fps, smoothing=1.0).joints3d, track.joints3d)  # the default
    strengths = (0.0, 0.3, 1.0, 4.0, 10.0)
    poses = {s: animate(world, fps, smoothing=s) for s in strengths if s != 1.0} | {1.0: track}
    jitter = [acceleration(poses[s].joints3d, fps) for s in strengths]
    assert jitter == sorted(jitter, reverse=True), jitter
    noisy = lifts(world)[0]
    assert jitter[0] > 0.5 * acceleration(noisy, fps), "0: not smoothed (fixing the bones' lengths takes some)"
    for s in strengths:  # every strength keeps one length per bone and the person on the floor (to the lifts' noise)
        joints = poses[s].joints3d
        length = np.linalg.norm(joints[:, NAMES.index("left_knee")] - joints[:, NAMES.index("left_hip")], axis=-1)
        assert np.ptp(length) < 1e-4 and abs(np.median(np.nanmin(joints[:, sum(FEET, []), 2], axis=1))) < NOISE_M
    with pytest.raises(ValueError, match="smoothing strength"):
        pose_smoother(-1.0)


def test_bones_keep_one_length_per_track_equal_on_both_sides(track):
    joints = track.joints3d
    for parent, child in POSELIFT.bones:
        length = np.linalg.norm(joints[:, child] - joints[:, parent], axis=-1)
        if np.isfinite(length).any():
            assert np.ptp(length) < 1e-4, f"{NAMES[parent]} -> {NAMES[child]} changes length"
    thighs = [np.linalg.norm(joints[0, NAMES.index(f"{s}_knee")] - joints[0, NAMES.index(f"{s}_hip")]) for s in SIDES]
    assert thighs[0] == pytest.approx(thighs[1], abs=1e-6)


def test_feet_stand_on_the_floor_and_stay_put_while_planted(clip, track):
    world, fps = clip
    planted = foot_contacts(world, NAMES, fps, 0.0)
    assert (track.contacts == planted).mean() > 0.8, "the contacts found are the planted frames"
    lowest = np.nanmin(track.joints3d[:, sum(FEET, []), 2], axis=1)
    assert np.abs(np.median(lowest)) < 0.01, "the floor at Z = 0"
    for side, points in enumerate(FEET):
        held = track.contacts[1:, side] & track.contacts[:-1, side]
        speed = np.linalg.norm(np.diff(track.joints3d[:, points[0], :2], axis=0), axis=-1)[held] * fps
        noisy = np.linalg.norm(np.diff(lifts(world)[0][:, points[0], :2], axis=0), axis=-1)[held] * fps
        assert speed.mean() < 0.02 and speed.mean() < 0.05 * noisy.mean(), f"the {SIDES[side]} foot skates"


def test_planted_feet_are_found_through_pixel_noise_on_the_2d(clip):
    world, fps = clip
    planted = foot_contacts(world, NAMES, fps, 0.0)
    track = animate(world, fps, pixel_noise=1.5)  # BlazePose's ankles jitter by about that on a still foot
    assert (track.contacts == planted).mean() > 0.8
    assert (~track.contacts[~planted]).mean() > 0.5, "a foot that lifts (the clip's right, 7% of frames) is seen to"


def test_a_portrait_video_gets_the_same_lens_as_a_landscape_one():
    assert root_motion.default_focal((1080, 1920)) == root_motion.default_focal((1920, 1080)) == 50 / 36 * 1920


def test_short_gaps_are_filled_and_long_ones_left_missing(clip):
    world, fps = clip
    found = np.ones(len(world), bool)
    short, long = slice(100, 100 + round(MAX_GAP_S * fps)), slice(200, 260)
    found[short] = found[long] = found[:3] = False
    track = animate(world, fps, found=found)
    assert track.filled[short].all() and track.filled.sum() == short.stop - short.start
    assert track.missing[long].all() and track.missing[:3].all() and track.missing.sum() == 63
    assert np.isnan(track.joints3d[track.missing]).all() and np.isnan(track.root[track.missing]).all()
    assert not track.contacts[track.missing].any()
    known = [NAMES.index(n) for n in H36M_17.joints]
    assert np.isfinite(track.joints3d[~track.missing][:, known]).all()
    error = np.linalg.norm(track.joints3d[short][:, known] - world[short][:, known], axis=-1)
    assert error.mean() < 0.1, "a short gap is bridged near the truth"


def test_frames_too_unsure_to_be_placed_are_gaps_not_poses_without_a_place(clip):
    world, fps = clip
    joints3d, joints2d, confidence, found = lifts(world)
    confidence[150:210] = 0.05  # found, but no joint confident enough to place the person
    track = animate_track(joints3d, joints2d, confidence, found, fps=fps, image_size=SIZE, focal_px=FOCAL)
    assert track.missing[150:210].all() and track.missing.sum() == 60
    assert np.isfinite(track.root[~track.missing]).all()


def test_nobody_found_gives_an_empty_motion_and_bad_shapes_are_refused():
    frames = 10
    empty = animate_track(np.full((frames, 27, 3), np.nan), np.full((frames, 27, 2), np.nan),
                                 np.zeros((frames, 27)), np.zeros(frames, bool), fps=30.0, image_size=SIZE)  # fmt: skip
    assert empty.missing.all() and np.isnan(empty.joints3d).all() and not empty.contacts.any()
    assert empty.joints3d.shape == (frames, 27, 3) and empty.root.shape == (frames, 3)
    with pytest.raises(ValueError, match=r"joints2d must be \(10, 27, 2\)"):
        animate_track(np.zeros((frames, 27, 3)), np.zeros((frames, 17, 2)), np.zeros((frames, 27)),
                             np.ones(frames, bool), fps=30.0, image_size=SIZE)  # fmt: skip


def test_gaps_are_named_by_length_and_place():
    found = np.array([0, 1, 0, 0, 1, 0, 0, 0, 0, 1, 0], bool)
    filled, missing = gaps(found, max_gap=2)
    assert filled.tolist() == [0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0]
    assert missing.tolist() == [1, 0, 0, 0, 0, 1, 1, 1, 1, 0, 1]


def test_a_pose_is_placed_exactly_where_its_projection_says(clip):
    world, _ = clip
    seen = CAMERA * [0.0, 0.0, 1.0]
    truth = world - seen  # the camera at the origin
    relative = truth - truth[:, PELVIS : PELVIS + 1]
    joints2d = project(world, seen, FOCAL, SIZE)
    placed = root_motion.place_poses(relative, joints2d, np.isfinite(world[..., 0]).astype(float), FOCAL, SIZE)
    np.testing.assert_allclose(placed, truth[:, PELVIS], atol=1e-6)
    few = np.zeros(world.shape[:2])
    few[:, :3] = 1.0
    assert np.isnan(root_motion.place_poses(relative, joints2d, few, FOCAL, SIZE)).all(), "3 joints place nobody"


def test_the_distance_follows_the_stature_assumed(clip):
    """A lift is metric only through the stature it was scaled to: the same 2D seen as a person 5% taller is 5%
    farther from the camera, along the same ray."""
    world, _ = clip
    seen = CAMERA * [0.0, 0.0, 1.0]
    truth = world - seen  # the camera at the origin
    relative = truth - truth[:, PELVIS : PELVIS + 1]
    joints2d = project(world, seen, FOCAL, SIZE)
    confidence = np.isfinite(world[..., 0]).astype(float)
    placed = root_motion.place_poses(1.05 * relative, joints2d, confidence, FOCAL, SIZE)
    np.testing.assert_allclose(placed, 1.05 * truth[:, PELVIS], atol=1e-6)
