"""The camera of a shot: a person seen through a camera looking down is placed on one floor, the pitch and the
camera's height are found from their feet, and its roll from how upright the pose prior finds them.

The person is bvhtoolbox's mocap clip (kneeling down and getting up), carried 6 m away from the camera over the
clip; the 2D is its exact projection through a pinhole camera pitched down, the per-frame "lifts" its poses as a
lifter gives them (pelvis at X = Y = 0, upright, the lowest foot on Z = 0) with 1 cm of noise on every coordinate.
"""

import numpy as np
import pytest

from poselift.core.formats.bvh import read_bvh
from poselift.core.formats.mocap_names import pose_from_bvh
from poselift.core.lift.lifting import Lifter
from poselift.core.motion import camera as cameras
from poselift.core.motion import root_motion
from poselift.core.motion.animate import PELVIS, animate_track, find_camera, steady_track
from poselift.core.motion.camera import PITCHES, choose
from poselift.core.rotations import axis_angle_matrix
from poselift.core.skeleton import H36M_17, POSELIFT, stature

SIZE = (640, 480)
FOCAL = 500.0  # pixels
PITCH = np.radians(25.0)  # down
HEIGHT = 2.5  # metres above the floor
NAMES = POSELIFT.joints
FEET = [NAMES.index(f"{side}_{part}") for side in ("left", "right") for part in ("ankle", "toe")]


def seen(world: np.ndarray, pitch: float, roll: float = 0.0) -> np.ndarray:
    """(F, J, 2) pixels of (F, J, 3) points (camera above the origin at HEIGHT, looking along +Y pitched down, then
    turned about its optical axis by `roll`, its right side up)."""
    level_right, forward = np.eye(3)[0], np.array([0, np.cos(pitch), -np.sin(pitch)])
    level_up = np.array([0, np.sin(pitch), np.cos(pitch)])
    right = np.cos(roll) * level_right + np.sin(roll) * level_up
    up = np.cos(roll) * level_up - np.sin(roll) * level_right
    relative = world - [0.0, 0.0, HEIGHT]
    x, y, z = relative @ right, relative @ forward, relative @ up
    return np.stack([SIZE[0] / 2 - 0.5 + FOCAL * x / y, SIZE[1] / 2 - 0.5 - FOCAL * z / y], -1)


@pytest.fixture(scope="module")
def walk(asset):
    """(F, 27, 3) metres: the clip carried from 4 m to 10 m in front of the camera, floor at Z = 0; and its fps."""
    pose = pose_from_bvh(read_bvh(asset("test_mocapbank.bvh")))
    joints = np.full((pose.frames, len(NAMES), 3), np.nan)
    for j, name in enumerate(pose.joint_names):
        joints[:, NAMES.index(name)] = pose.joints3d[:, 0, j]
    joints[..., 2] -= np.median(np.nanmin(joints[:, FEET, 2], axis=1))
    joints[..., :2] -= joints[:1, PELVIS, :2]
    joints[..., 1] += np.linspace(4.0, 10.0, len(joints))[:, None]
    return joints, pose.fps


@pytest.fixture(scope="module")
def upright_nll():
    """The default prior's negative log-likelihood of people's 2D as upright people."""
    return Lifter(lifter="fit").upright_nll


@pytest.fixture(scope="module")
def crossing(walk):
    """(F, 27, 3) metres: the clip carried across the picture from 1.5 m left to 1.5 m right of the camera on an arc
    from 4 m away out to 7 m and back, turning once about its pelvis as it goes (the kneeler faces every way); its
    fps."""
    world, fps = walk
    world, along = world.copy(), np.linspace(-1.0, 1.0, len(world))
    turning = axis_angle_matrix(np.array([0.0, 0.0, 1.0]), np.pi * (along + 1.0))  # (F, 3, 3) about the vertical
    pelvis = world[:, PELVIS : PELVIS + 1] * [1.0, 1.0, 0.0]
    world = pelvis + np.einsum("fij,fkj->fki", turning, world - pelvis)
    world[..., 1] += (3.0 * (1.0 - along**2) - 6.0 * (along + 1.0) / 2.0)[:, None]  # walk's 4 m to 10 m undone
    world[..., 0] += 1.5 * along[:, None]
    return world, fps


def animate(world, fps, pitch_seen, roll_seen=0.0, **kwargs):
    return animate_seen(world, seen(world, pitch_seen, roll_seen), fps, **kwargs)


def animate_seen(world, pixels, fps, **kwargs):
    """The Motion of `world` ((F, 27, 3) metres) lifted with 1 cm of noise and seen at (F, 27, 2) `pixels`."""
    relative = world - world[:, PELVIS : PELVIS + 1] * [1.0, 1.0, 0.0]
    relative[..., 2] -= np.nanmin(relative[:, FEET, 2], axis=1)[:, None]
    relative = relative + np.random.default_rng(0).normal(0, 0.01, relative.shape)
    confidence = np.isfinite(world[..., 0]).astype(float)
    height = float(stature(world[:, [NAMES.index(n) for n in H36M_17.joints]]).mean())
    return animate_track(relative, pixels, confidence, np.ones(len(world), bool), fps=fps, image_size=SIZE,
                         focal_px=FOCAL, height=height, **kwargs)  # fmt: skip


def test_a_pose_is_placed_exactly_where_a_pitched_camera_saw_it(walk):
    world, _ = walk
    truth = world - [0.0, 0.0, HEIGHT]  # the camera at the origin
    relative = truth - truth[:, PELVIS : PELVIS + 1]
    confidence = np.isfinite(world[..., 0]).astype(float)
    placed = root_motion.place_poses(relative, seen(world, PITCH), confidence, FOCAL, SIZE, PITCH)
    np.testing.assert_allclose(placed, truth[:, PELVIS], atol=1e-6)
    held = root_motion.place_poses(relative, seen(world, PITCH), confidence, FOCAL, SIZE, PITCH, truth[:, PELVIS, 2])
    np.testing.assert_allclose(held, truth[:, PELVIS], atol=1e-6, err_msg="a true height held changes nothing")


def test_the_pitch_and_height_are_found_and_the_person_walks_on_the_floor(walk):
    world, fps = walk
    motion = animate(world, fps, PITCH)
    assert np.degrees(motion.camera.pitch) == pytest.approx(25.0, abs=2.0)
    assert motion.camera.height == pytest.approx(HEIGHT, rel=0.1)
    assert motion.camera.roll == 0.0
    lowest = np.nanmin(motion.joints3d[:, FEET, 2], axis=1)
    assert np.abs(lowest).max() < 0.05, "the feet stay on the floor as the person goes away"


def test_a_person_whose_2d_grows_by_two_fifths_for_half_a_second_stays_on_the_floor(walk):
    """The tracked region slides onto a nearer person (or the network stretches the legs): the 2D grows 40% about
    the head and shrinks back. Placed by its size alone, the person would come 2 m nearer and rise 0.5 m (the
    clip's own feet are locked while planted, so the person without the glitch is the truth to compare with)."""
    world, fps = walk
    pixels, glitch = seen(world, PITCH), slice(300, 315)
    top = np.nanmin(pixels[glitch, :, 1], axis=1, keepdims=True)
    middle = np.nanmean(pixels[glitch, :, 0], axis=1, keepdims=True)
    pixels[glitch] = np.stack([middle, top], -1) + 1.4 * (pixels[glitch] - np.stack([middle, top], -1))
    motion = animate_seen(world, pixels, fps, pitch=PITCH)
    lowest = np.nanmin(motion.joints3d[:, FEET, 2], axis=1)
    assert np.abs(lowest).max() < 0.05
    clean = animate_seen(world, seen(world, PITCH), fps, pitch=PITCH)
    away = np.linalg.norm(motion.root[glitch, :2] - clean.root[glitch, :2], axis=-1)
    assert away.max() < 0.1, "the distance taken from either side"


@pytest.mark.parametrize("apex", [0.5, 0.7])
def test_a_jump_is_kept_in_the_air(walk, apex):
    """A jump rises and falls no faster than gravity allows, and its size in the picture does not jump: the body
    leaves the floor, as high as it went (the 2D as seen through the camera, no glitch to correct)."""
    world, fps = walk
    flight = 2 * np.sqrt(2 * apex / 9.81)  # seconds in the air
    air = np.arange(100, 100 + int(flight * fps))
    world = world.copy()
    world[air, :, 2] += (apex - 9.81 / 2 * ((air - air[0]) / fps - flight / 2) ** 2)[:, None]
    motion = animate_seen(world, seen(world, PITCH), fps, pitch=PITCH)
    rise = motion.root[air, 2] - np.median(motion.root[air[0] - 20 : air[0], 2])
    assert rise.max() == pytest.approx(apex, abs=0.05)


def test_a_pitch_given_is_the_one_used(walk):
    world, fps = walk
    assert animate(world, fps, PITCH, pitch=0.1).camera.pitch == 0.1


def test_a_person_who_stays_put_leaves_a_level_camera_level(walk):
    world, fps = walk
    still = world - (world[:, PELVIS : PELVIS + 1] - world[:1, PELVIS : PELVIS + 1]) * [0.0, 1.0, 0.0]
    motion = animate(still, fps, 0.0)
    assert abs(np.degrees(motion.camera.pitch)) < 3.0


def test_feet_within_two_centimetres_of_one_floor_keep_a_level_camera_level_though_a_tilt_would_halve_that():
    costs = 0.012 + 0.008 * np.clip(np.abs(PITCHES - np.radians(-7.0)) / np.radians(7.0), 0.0, 2.0)  # metres
    heights = np.full(len(PITCHES), 0.8)
    assert choose(costs, heights).pitch == 0.0  # 0.020 m level, 0.012 m at -7 degrees
    assert choose(costs * 4, heights).pitch == pytest.approx(np.radians(-7.0))  # 0.080 m level, 0.048 tilted


def test_without_a_track_to_judge_by_the_camera_is_level_at_no_height():
    camera = choose(np.full(len(PITCHES), np.nan), np.full(len(PITCHES), np.nan))
    assert camera.pitch == 0.0 and np.isnan(camera.height)
    under = choose(np.linspace(1.0, 0.0, len(PITCHES)), np.full(len(PITCHES), -1.0))
    assert under.pitch == 0.0 and np.isnan(under.height), "no pitch that puts the camera under the floor"


def test_the_pitch_a_person_is_seen_at_is_that_of_the_ray_to_them(walk):
    """view_pitch: the angle below the horizontal of the ray from the camera to each root pixel, what an
    orthographic lift of that person sees; the pitch itself at the image centre."""
    world, _ = walk
    pelvis = world[:, PELVIS]
    ray = pelvis - [0.0, 0.0, HEIGHT]
    truth = np.arctan2(-ray[:, 2], np.hypot(ray[:, 0], ray[:, 1]))
    np.testing.assert_allclose(root_motion.view_pitch(seen(world, PITCH)[:, PELVIS], FOCAL, SIZE, PITCH), truth,
                               atol=1e-9)  # fmt: skip
    centre = np.array([[SIZE[0] / 2 - 0.5, SIZE[1] / 2 - 0.5]])
    assert root_motion.view_pitch(centre, FOCAL, SIZE, PITCH) == pytest.approx([PITCH])


@pytest.mark.parametrize("degrees", [10.0, -8.0])
def test_a_rolled_camera_is_found_from_how_upright_the_people_stand_who_then_walk_on_the_floor(crossing, upright_nll,
                                                                                              degrees):  # fmt: skip
    world, fps = crossing
    rolled = animate(world, fps, PITCH, np.radians(degrees), pose_nll=upright_nll)
    assert np.degrees(rolled.camera.roll) == pytest.approx(degrees, abs=2.0)
    assert np.degrees(rolled.camera.pitch) == pytest.approx(25.0, abs=3.0)
    lowest = np.nanmin(rolled.joints3d[:, FEET, 2], axis=1)
    assert np.nanmax(np.abs(lowest)) < 0.05, "the feet stay on the floor as the person crosses the picture"


def test_the_camera_of_several_tracks_does_not_depend_on_their_order(crossing, upright_nll):
    world, fps = crossing
    relative = world - world[:, PELVIS : PELVIS + 1] * [1.0, 1.0, 0.0]
    pixels, confidence = seen(world, PITCH, np.radians(-8.0)), np.isfinite(world[..., 0]).astype(float)
    half = len(world) // 2
    tracks = [steady_track(relative[part], pixels[part], confidence[part], np.ones(len(relative[part]), bool),
                           fps=fps, image_size=SIZE, focal_px=FOCAL)
              for part in (slice(None, half), slice(half, None))]  # fmt: skip
    forth, back = find_camera(tracks, pose_nll=upright_nll), find_camera(tracks[::-1], pose_nll=upright_nll)
    assert forth.roll == pytest.approx(back.roll, abs=1e-9) and forth.pitch == pytest.approx(back.pitch, abs=1e-9)
    assert np.degrees(forth.roll) == pytest.approx(-8.0, abs=2.0)


def test_a_camera_without_roll_is_found_without_one_and_a_roll_given_is_the_one_used(crossing, upright_nll):
    world, fps = crossing
    assert animate(world, fps, PITCH, pose_nll=upright_nll).camera.roll == 0.0
    assert animate(world, fps, PITCH, roll=0.05, pose_nll=upright_nll).camera.roll == 0.05
    assert animate(world, fps, PITCH, np.radians(8.0)).camera.roll == 0.0, "without a prior to judge by, no roll"


def test_a_person_who_faces_one_way_rolls_no_camera_whatever_their_lean(walk, upright_nll):
    """The walk faces one way throughout: leaning 8 degrees to one side in the picture, it could be a roll or the
    kneeler's own lean, so no roll is taken."""
    world, fps = walk
    assert animate(world, fps, PITCH, np.radians(8.0), pose_nll=upright_nll).camera.roll == 0.0


def test_a_roll_is_kept_only_where_it_makes_the_poses_steadily_likelier():
    """choose_roll: (R, F) nats over rolls; 0.1 nats a frame, and three standard errors, or no roll."""
    rolls = cameras.ROLL_GRID
    grid = np.degrees(rolls)
    bowl = 0.004 * (grid - 6.0) ** 2  # (R,) nats: likeliest 6 degrees rolled, 0.144 a frame better than no roll
    frames = np.random.default_rng(0).normal(0.0, 0.05, 40)
    assert np.degrees(cameras.choose_roll(bowl[:, None] + frames, rolls)) == pytest.approx(6.0, abs=0.5)
    assert cameras.choose_roll(bowl[:, None] / 2 + frames, rolls) == 0.0, "0.072 nats a frame: a person's own lean"
    unsteady = np.where(np.arange(40) < 4, 10.0, -0.05)  # four frames say so loudly, the rest a little against
    assert cameras.choose_roll(bowl[:, None] * unsteady, rolls) == 0.0
    assert cameras.choose_roll(np.full((len(grid), 1), 1.0), rolls) == 0.0, "one frame judges nothing"


def test_an_upright_person_off_the_centre_of_a_pitched_picture_leans_in_it_and_is_stood_upright_again():
    for pitch in np.radians([-10.0, 25.0, 45.0]):
        for x, y in [(1.5, 4.0), (-1.5, 5.0), (0.5, 7.0)]:
            post = seen(np.array([[x, y, 0.0], [x, y, 1.0], [x, y, 1.8]]), pitch)[None]  # (1, 3, 2) pixels
            assert abs(post[0, 2, 0] - post[0, 0, 0]) > 1.0, "the post leans in the picture"
            upright = cameras.stood_upright(post, post[:, 1], FOCAL, SIZE, pitch)
            np.testing.assert_allclose(upright[0, :, 0], post[0, 1, 0], atol=1e-9)
            np.testing.assert_allclose(upright[0, 1], post[0, 1], atol=1e-9, err_msg="turned about its root")
    level = seen(np.array([[1.5, 4.0, 0.0], [1.5, 4.0, 1.8]]), 0.0)[None]
    np.testing.assert_allclose(cameras.stood_upright(level, level[:, 0], FOCAL, SIZE, 0.0), level, atol=1e-9)


def test_seen_without_its_roll_a_picture_is_what_the_camera_takes_unrolled_and_world_landmarks_turn_with_it(walk):
    world, _ = walk
    roll = np.radians(7.0)
    np.testing.assert_allclose(cameras.unrolled(seen(world, PITCH, roll), roll, SIZE), seen(world, PITCH),
                               atol=1e-9)  # fmt: skip
    rng = np.random.default_rng(3)
    world = rng.normal(0, 1, (50, 3))  # x right, y down, z away from the camera
    as_pixels = np.array([SIZE[0] / 2 - 0.5, SIZE[1] / 2 - 0.5]) + world[:, :2] * 100.0
    turned = cameras.unrolled_world(world, roll)
    np.testing.assert_allclose(cameras.unrolled(as_pixels, roll, SIZE), np.array([SIZE[0] / 2 - 0.5, SIZE[1] / 2 - 0.5])
                               + turned[:, :2] * 100.0, atol=1e-9)  # fmt: skip
    np.testing.assert_allclose(turned[:, 2], world[:, 2])
    assert np.isnan(cameras.unrolled(np.full((1, 2), np.nan), roll, SIZE)).all()


def test_people_crossing_a_pitched_picture_lean_apart_and_say_its_pitch():
    """lean_pitch: the turns that stand people upright across the picture are the pitched camera's leans, up to a
    lean of their own; people who keep to the middle, or whose turns do not follow their place, leave it level."""
    rng = np.random.default_rng(1)
    root = np.stack([np.linspace(60.0, 580.0, 48), np.full(48, 300.0)], -1)  # (F, 2) pixels, across the picture
    own = np.radians(3.0) + rng.normal(0.0, np.radians(2.0), 48)  # radians: a lean of their own, and noise
    for pitch in np.radians([15.0, 30.0]):
        turns = cameras.leans(root, FOCAL, SIZE, pitch) + own
        assert np.degrees(cameras.lean_pitch(turns, root, FOCAL, SIZE)) == pytest.approx(np.degrees(pitch), abs=3.0)
    assert cameras.lean_pitch(own, root, FOCAL, SIZE) == 0.0, "a level camera"
    middle = root * [0.1, 1.0] + [288.0, 0.0]  # 52 px across the middle
    assert cameras.lean_pitch(cameras.leans(middle, FOCAL, SIZE, np.radians(30.0)) + own, middle, FOCAL, SIZE) == 0.0
    assert cameras.lean_pitch(np.full(48, np.nan), root, FOCAL, SIZE) == 0.0, "nobody judged"


def test_the_turn_that_stands_a_person_upright_is_the_least_unlikely_one():
    turns = cameras.LEAN_TURNS
    nll = (turns[:, None] - np.radians([[2.0, -4.0, 20.0]])) ** 2  # (T, 3): the third's best beyond the grid
    found = cameras.upright_turns(nll, turns)
    np.testing.assert_allclose(np.degrees(found[:2]), [2.0, -4.0], atol=1e-6)
    assert np.isnan(found[2])
