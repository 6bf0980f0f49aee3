"""The batched upright fit: poses drawn from a model come back from their 2D, in the pose file's frame
and at the height asked for; inputs that cannot be lifted get a defined result and ok False."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from poselift.core.lift.fit import fit_upright, model_inputs
from poselift.core.lift.metrics import joint_errors, mpjpe, procrustes_align
from poselift.core.lift.ppca import JOINTS, MixturePPCA, train
from poselift.core.skeleton import BODY, DEFAULT_HEIGHT, POSELIFT, stature
from poselift.core.synth.evolution import EvolutionConfig, evolve

J = len(JOINTS)


def turn(poses: np.ndarray, yaw: np.ndarray) -> np.ndarray:
    """(N, J, 3) turned about +Z by (N,) radians."""
    c, s = np.cos(yaw)[:, None], np.sin(yaw)[:, None]
    x, y = poses[..., 0], poses[..., 1]
    return np.stack([c * x - s * y, s * x + c * y, poses[..., 2]], axis=-1)


def photograph(camera_frame: np.ndarray) -> np.ndarray:
    """(N, J, 3) poses (X right, Y away, Z up) -> (N, J, 2) orthographic pixels, image y down."""
    return np.stack([640 + 400 * camera_frame[..., 0], 360 - 400 * camera_frame[..., 2]], axis=-1)


def in_metres(camera_frame: np.ndarray, height: float = DEFAULT_HEIGHT) -> np.ndarray:
    """The truth as the fit reports it: pelvis at the origin, scaled to `height` metres tall."""
    poses = camera_frame - camera_frame[:, JOINTS.index("pelvis"), None]
    return poses * (height / stature(torch.as_tensor(poses)).numpy())[:, None, None]


def drawn(model: MixturePPCA, count: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Poses drawn from the model turned by random yaws: (N, J, 3) camera frame, (N,) yaw, (N,) component."""
    rng = np.random.default_rng(seed)
    poses, k = model.sample(count, rng)
    yaw = rng.uniform(-np.pi, np.pi, count)
    return turn(poses, yaw), yaw, k


def tallest_mean(model: MixturePPCA) -> np.ndarray:
    """(J, 3) the mean pose of the component that stands tallest: a person standing, facing +Y."""
    ankles = [JOINTS.index("left_ankle"), JOINTS.index("right_ankle")]
    heights = model.means[:, JOINTS.index("head_top"), 2] - model.means[:, ankles, 2].min(1)
    return model.means[int(np.argmax(heights))]


def angle_error(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.abs(np.angle(np.exp(1j * (a - b))))


def test_poses_drawn_from_the_model_come_back_within_5_mm(model):
    """The acceptance test: noise-free orthographic 2D of the model's own poses, the fit told to trust the 2D."""
    camera, yaw, k = drawn(model, 300, seed=0)
    fit = fit_upright(model, photograph(camera), np.ones((300, J)), noise_scale=0.01)
    truth = in_metres(camera)
    errors = 1000 * joint_errors(procrustes_align(fit.joints3d.numpy(), truth), truth).mean(-1)
    assert errors.mean() < 5.0
    assert np.median(errors) < 1.0
    assert (fit.component.numpy() == k).mean() > 0.98
    assert np.degrees(np.median(angle_error(fit.yaw.numpy(), yaw))) < 0.2
    assert 1000 * mpjpe(fit.joints3d.numpy(), truth) < 10.0  # no alignment: yaw and depth order are right too
    assert fit.ok.all()


def test_under_the_models_own_noise_the_fit_leans_on_the_prior(model):
    """At noise_scale 1 the fit weighs the 2D as the model's isotropic noise says: the depth the 2D leaves open
    goes to the prior, so poses drawn from the whole prior come back within a few centimetres, yaw within degrees."""
    camera, yaw, _ = drawn(model, 200, seed=1)
    fit = fit_upright(model, photograph(camera), np.ones((200, J)))
    truth = in_metres(camera)
    errors = 1000 * joint_errors(procrustes_align(fit.joints3d.numpy(), truth), truth).mean(-1)
    assert errors.mean() < 60.0
    assert np.degrees(np.median(angle_error(fit.yaw.numpy(), yaw))) < 5.0
    assert fit.ok.all()


def test_the_fitted_pose_projects_back_onto_the_2d(model):
    camera, _, _ = drawn(model, 50, seed=2)
    pixels = photograph(camera)
    fit = fit_upright(model, pixels, np.ones((50, J)), noise_scale=0.01)
    assert np.abs(fit.joints2d.numpy() - pixels).max() < 0.5
    assert fit.residual.numpy().max() < 1e-3


def test_a_person_facing_the_camera_has_their_right_on_the_image_left(model):
    """Pose-file frame: X image right, Y away from the camera, Z up; yaw pi faces the camera."""
    standing = tallest_mean(model)[None]
    fit = fit_upright(model, photograph(turn(standing, np.array([math.pi]))), np.ones((1, J)), noise_scale=0.01)
    pose = fit.joints3d.numpy()[0]

    def at(name: str) -> np.ndarray:
        return pose[JOINTS.index(name)]

    for part in ("hip", "shoulder", "wrist", "ankle"):
        assert at(f"right_{part}")[0] < at(f"left_{part}")[0]
    assert at("head_top")[2] > at("pelvis")[2] > at("left_ankle")[2]
    assert at("neck")[1] < at("head_top")[1]  # the nose is nearer the camera
    assert at("pelvis") == pytest.approx([0, 0, 0])
    assert abs(abs(fit.yaw.item()) - math.pi) < 1e-3


def test_a_person_facing_image_right_has_yaw_minus_90_degrees(model):
    standing = tallest_mean(model)[None]
    fit = fit_upright(model, photograph(turn(standing, np.array([-math.pi / 2]))), np.ones((1, J)), noise_scale=0.01)
    pose = fit.joints3d.numpy()[0]
    assert pose[JOINTS.index("neck"), 0] > pose[JOINTS.index("head_top"), 0]
    assert fit.yaw.item() == pytest.approx(-math.pi / 2, abs=1e-3)


def test_poses_are_as_tall_as_asked(model):
    camera, _, _ = drawn(model, 3, seed=3)
    pixels = photograph(camera)
    assert stature(fit_upright(model, pixels, np.ones((3, J))).joints3d).numpy() == pytest.approx([1.70] * 3)
    heights = np.array([1.52, 1.70, 1.93])
    fit = fit_upright(model, pixels, np.ones((3, J)), height=heights)
    assert stature(fit.joints3d).numpy() == pytest.approx(heights)


def test_each_persons_result_is_independent_of_the_batch(model):
    camera, _, _ = drawn(model, 30, seed=4)
    pixels, weights = photograph(camera), np.random.default_rng(4).uniform(0.3, 1.0, (30, J))
    together = fit_upright(model, pixels, weights)
    in_chunks = fit_upright(model, pixels, weights, chunk=7)
    alone = fit_upright(model, pixels[12:13], weights[12:13])
    assert torch.allclose(together.joints3d, in_chunks.joints3d, atol=1e-9)
    assert torch.allclose(together.joints3d[12:13], alone.joints3d, atol=1e-9)
    assert torch.equal(together.component, in_chunks.component)


def test_a_joint_not_seen_is_ignored_whatever_its_coordinates(model):
    camera, _, _ = drawn(model, 4, seed=5)
    pixels, weights = photograph(camera), np.ones((4, J))
    weights[:, JOINTS.index("left_wrist")] = 0.0
    garbage = pixels.copy()
    garbage[:, JOINTS.index("left_wrist")] = [1e6, -3e5]
    missing = pixels.copy()
    missing[:, JOINTS.index("left_wrist")] = np.nan
    low = np.where(weights > 0, 1.0, 0.05)  # under min_weight: dropped
    reference = fit_upright(model, pixels, weights).joints3d
    for points, w in ((garbage, weights), (missing, np.ones((4, J))), (garbage, low)):
        assert torch.allclose(fit_upright(model, points, w).joints3d, reference, atol=1e-9)


def not_lifted(fit, index: int) -> None:
    """The defined result for a person who cannot be lifted."""
    assert not fit.ok[index]
    assert torch.isfinite(fit.joints3d[index]).all() and torch.isfinite(fit.joints2d[index]).all()
    assert fit.residual[index] == math.inf and fit.prior_distance[index] == math.inf
    assert stature(fit.joints3d[index]).item() == pytest.approx(DEFAULT_HEIGHT)
    assert fit.yaw[index].item() == pytest.approx(math.pi)


def test_people_who_cannot_be_lifted_get_a_defined_result_beside_those_who_can(model):
    camera, _, _ = drawn(model, 8, seed=6)
    pixels, weights = photograph(camera), np.ones((8, J))
    weights[1, 4:] = 0.0  # four joints seen
    pixels[2] = np.stack([np.linspace(100, 300, J), np.linspace(50, 650, J)], axis=-1)  # all on one line
    pixels[3] = np.nan  # nothing seen
    weights[4] = np.nan
    pixels[5, :, 1] = 720 - pixels[5, :, 1]  # upside down: image y points down
    pixels[6, 3:] = np.nan  # three joints seen
    fit = fit_upright(model, pixels, weights)
    for index in range(1, 7):
        not_lifted(fit, index)
    assert fit.ok[[0, 7]].all()
    alone = fit_upright(model, pixels[[0, 7]], weights[[0, 7]])
    assert torch.allclose(fit.joints3d[[0, 7]], alone.joints3d, atol=1e-9)
    weights[4] = 0.0  # nobody's joints seen, in float32 too: the fallback pose is drawn where the points are
    single = fit_upright(model, pixels, weights, dtype=torch.float32)
    assert torch.isfinite(single.joints2d[4]).all()
    assert torch.allclose(single.joints2d[4].mean(0), torch.from_numpy(pixels[4].mean(0)).float(), atol=1.0)


def test_a_few_joints_missing_is_not_a_reason_to_give_up(model):
    camera, _, _ = drawn(model, 1, seed=7)
    pixels = photograph(camera)
    pixels[0, [0, 7, 9]] = np.nan  # pelvis, spine, neck: what CPM's 14 joints lack
    fit = fit_upright(model, pixels, np.ones((1, J)))
    assert fit.ok.item() and torch.isfinite(fit.joints3d).all()


def test_seen_from_straight_above_most_people_are_flagged_and_none_breaks(model):
    """Looking straight down breaks the upright camera's assumption; the result is defined, and the fit's own
    measures (scale, residual, how typical the pose is) flag most such people."""
    rng = np.random.default_rng(8)
    poses, _ = model.sample(100, rng)
    camera = turn(poses, rng.uniform(-np.pi, np.pi, 100))
    from_above = np.stack([640 + 400 * camera[..., 0], 360 + 400 * camera[..., 1]], axis=-1)
    fit = fit_upright(model, from_above, np.ones((100, J)))
    assert torch.isfinite(fit.joints3d).all() and torch.isfinite(fit.joints2d).all()
    assert (~fit.ok).float().mean() > 0.6


def test_no_people_no_results(evolved_model):
    fit = fit_upright(evolved_model, np.zeros((0, J, 2)), np.zeros((0, J)))
    assert fit.joints3d.shape == (0, J, 3) and fit.ok.shape == (0,)


def test_inputs_of_the_wrong_shape_are_refused(evolved_model):
    with pytest.raises(ValueError, match=r"joints2d must be \(N, 17, 2\)"):
        fit_upright(evolved_model, np.zeros((2, 14, 2)), np.ones((2, 14)))
    with pytest.raises(ValueError, match="angles must be even"):
        fit_upright(evolved_model, np.zeros((1, J, 2)), np.ones((1, J)), angles=35)
    with pytest.raises(ValueError, match=r"yaw_near must be \(2,\) radians"):
        fit_upright(evolved_model, np.zeros((2, J, 2)), np.ones((2, J)), yaw_near=np.zeros(3))


def test_a_model_we_train_is_fitted_the_same_way(model, tmp_path):
    """Our own trained model goes through the same fit: trained on the model's poses, it lifts their 2D."""
    rng = np.random.default_rng(9)
    poses, _ = model.sample(4000, rng, noise=True)
    ours = MixturePPCA.load(train(poses, components=3, latent_dim=20, seed=0).save(tmp_path / "ours.npz"))
    camera, yaw, _ = drawn(model, 100, seed=10)
    fit = fit_upright(ours, photograph(camera), np.ones((100, J)))
    truth = in_metres(camera)
    errors = 1000 * joint_errors(procrustes_align(fit.joints3d.numpy(), truth), truth).mean(-1)
    assert errors.mean() < 70.0
    assert np.degrees(np.median(angle_error(fit.yaw.numpy(), yaw))) < 10.0


@pytest.fixture(scope="module")
def with_feet() -> MixturePPCA:
    """A model on the 21 joints (the 17, heels and toes) trained on evolved poses."""
    poses = evolve(EvolutionConfig(seed=11, initial=600, target=6000, batch=600))
    return train(poses, components=2, latent_dim=30, seed=0)


def test_a_model_with_heels_and_toes_takes_and_gives_its_21_joints(with_feet):
    """The fit takes whichever joints the model has: the feet come back too, turned the way the 2D shows."""
    camera, yaw, _ = drawn(with_feet, 100, seed=12)
    fit = fit_upright(with_feet, photograph(camera), np.ones((100, 21)), noise_scale=0.01)
    assert fit.joint_names == BODY.joints and fit.joints3d.shape == (100, 21, 3)
    truth = in_metres(camera)
    errors = 1000 * joint_errors(procrustes_align(fit.joints3d.numpy(), truth), truth)
    assert errors.mean() < 5.0
    feet = [BODY.index(n) for n in ("left_heel", "left_toe", "right_heel", "right_toe")]
    assert errors[:, feet].mean() < 5.0
    with pytest.raises(ValueError, match=r"joints2d must be \(N, 21, 2\) and weights \(N, 21\) on the model's joints"):
        fit_upright(with_feet, photograph(camera)[:, :17], np.ones((100, 17)))


def test_model_inputs_pick_the_models_joints_by_name_and_weigh_missing_ones_zero(evolved_model, with_feet):
    """From BlazePose's joints mapped onto our 27 (POSELIFT), or from a skeleton without a pelvis or spine."""
    rng = np.random.default_rng(13)
    points, confidence = rng.normal(size=(4, len(POSELIFT), 2)), rng.uniform(0.5, 1, (4, len(POSELIFT)))
    picked, weights = model_inputs(with_feet, POSELIFT.joints, points, confidence)
    assert np.array_equal(picked, points[:, :21]) and np.array_equal(weights, confidence[:, :21])
    names = tuple(n for n in POSELIFT.joints if n not in ("pelvis", "spine"))
    keep = [POSELIFT.index(n) for n in names]
    picked, weights = model_inputs(evolved_model, names, points[:, keep], confidence[:, keep])
    assert picked.shape == (4, 17, 2) and weights.shape == (4, 17)
    for name in ("pelvis", "spine"):
        assert np.isnan(picked[:, JOINTS.index(name)]).all() and (weights[:, JOINTS.index(name)] == 0).all()
    assert np.array_equal(picked[:, JOINTS.index("left_wrist")], points[:, POSELIFT.index("left_wrist")])
    assert torch.isfinite(fit_upright(evolved_model, picked, weights).joints3d).all()  # random points: no pose, no NaN


def photograph_pitched(level: np.ndarray, pitch: float) -> np.ndarray:
    """(N, J, 3) poses in the level frame (X right, Y away, Z up) -> (N, J, 2) orthographic pixels, image y down,
    seen by a camera looking along +Y pitched down by `pitch` radians: image up is sin(pitch) Y + cos(pitch) Z."""
    up = np.sin(pitch) * level[..., 1] + np.cos(pitch) * level[..., 2]
    return np.stack([640 + 400 * level[..., 0], 360 - 400 * up], axis=-1)


@pytest.mark.parametrize("degrees", [15.0, 30.0, 60.0])
def test_poses_seen_through_a_pitched_camera_come_back_upright_with_their_yaw(model, degrees):
    """Told the pitch, the fit returns the pose upright in the level frame, turned by the right yaw."""
    level, yaw, k = drawn(model, 150, seed=14)
    pitch = math.radians(degrees)
    fit = fit_upright(model, photograph_pitched(level, pitch), np.ones((150, J)), pitch=pitch, noise_scale=0.01)
    truth = in_metres(level)
    assert np.degrees(np.median(angle_error(fit.yaw.numpy(), yaw))) < 0.2
    assert (fit.component.numpy() == k).mean() > 0.98
    assert 1000 * mpjpe(fit.joints3d.numpy(), truth) < 10.0  # no alignment: upright in the level frame
    assert fit.ok.all() and np.allclose(fit.pitch.numpy(), pitch)
    pixels = photograph_pitched(level, pitch)
    assert np.abs(fit.joints2d.numpy() - pixels).max() < 2.0  # drawn where the pitched camera sees it


def test_pitch_zero_is_the_level_fit_and_a_tiny_pitch_takes_the_general_solve_to_the_same_answer(model):
    """Pitch 0 (scalar or per person) runs the level solve bit for bit; the pitched solve, which does not use the
    level camera's structure, agrees with it as the pitch goes to 0."""
    level, _, _ = drawn(model, 40, seed=15)
    pixels, weights = photograph(level), np.random.default_rng(16).uniform(0.3, 1.0, (40, J))
    before = fit_upright(model, pixels, weights)
    for zero in (0.0, np.zeros(40)):
        again = fit_upright(model, pixels, weights, pitch=zero)
        assert torch.equal(again.joints3d, before.joints3d) and torch.equal(again.yaw, before.yaw)
        assert torch.equal(again.prior_distance, before.prior_distance)
    tiny = fit_upright(model, pixels, weights, pitch=1e-9)
    assert torch.allclose(tiny.joints3d, before.joints3d, atol=1e-7)
    assert torch.allclose(tiny.residual, before.residual, atol=1e-7)
    assert torch.equal(tiny.component, before.component)


def test_each_person_is_fitted_through_their_own_pitch(model):
    """A (N,) pitch: everyone in one call as each alone."""
    level, _, _ = drawn(model, 6, seed=17)
    pitches = np.radians([0.0, 10.0, 20.0, 30.0, 40.0, -10.0])
    pixels = np.concatenate([photograph_pitched(level[i : i + 1], p) for i, p in enumerate(pitches)])
    together = fit_upright(model, pixels, np.ones((6, J)), pitch=pitches)
    for i, p in enumerate(pitches):
        alone = fit_upright(model, pixels[i : i + 1], np.ones((1, J)), pitch=p)
        assert torch.allclose(together.joints3d[i], alone.joints3d[0], atol=1e-6)


def test_with_the_pitch_in_a_steep_view_keeps_poses_typical_and_ok(model):
    """Seen from 45 degrees down through a level camera, a pose must lean or bend to match the 2D: far from typical
    (prior_distance up), yaws off, some not ok. With the pitch in, the same people are typical and ok."""
    level, yaw, _ = drawn(model, 100, seed=18)
    pitch = math.radians(45.0)
    pixels = photograph_pitched(level, pitch) + np.random.default_rng(19).normal(0, 3, (100, J, 2))
    assumed_level = fit_upright(model, pixels, np.ones((100, J)))
    pitched = fit_upright(model, pixels, np.ones((100, J)), pitch=pitch)
    assert pitched.ok.all()
    assert pitched.prior_distance.median() < 0.6 * assumed_level.prior_distance.median()
    level_yaw_error = np.median(angle_error(assumed_level.yaw.numpy(), yaw))
    assert np.median(angle_error(pitched.yaw.numpy(), yaw)) < 0.5 * level_yaw_error


@pytest.mark.parametrize("degrees", [0.0, 30.0])
def test_searched_near_a_yaw_within_its_window_the_fit_finds_what_the_full_search_finds(model, degrees):
    """A yaw another lifter knows, off by up to 15 degrees, narrows the grid (NEAR_WINDOW either side) without
    changing the answer; one far off keeps the fit near it (and fits badly)."""
    level, yaw, _ = drawn(model, 60, seed=17)
    pitch = math.radians(degrees)
    pixels, weights = photograph_pitched(level, pitch), np.ones((60, J))
    full = fit_upright(model, pixels, weights, pitch=pitch, noise_scale=0.01)
    hint = yaw + np.radians(np.random.default_rng(18).uniform(-15, 15, 60))
    near = fit_upright(model, pixels, weights, pitch=pitch, noise_scale=0.01, yaw_near=hint)
    inside = np.degrees(angle_error(full.yaw.numpy(), hint)) < 20.0 - 360 / 72  # the full grid's best is in reach
    assert inside.mean() > 0.9
    assert np.degrees(angle_error(near.yaw.numpy(), full.yaw.numpy()))[inside].max() < 1e-3
    assert torch.allclose(near.joints3d[inside], full.joints3d[inside], atol=1e-4)  # metres: rounding alone
    assert torch.equal(near.ok[inside], full.ok[inside])
    away = fit_upright(model, pixels, weights, pitch=pitch, noise_scale=0.01, yaw_near=yaw + np.pi / 2)
    fitted = torch.isfinite(away.residual).numpy()  # the others get the fallback, facing the camera
    assert fitted.any() and not away.ok.all()
    assert np.degrees(angle_error(away.yaw.numpy(), yaw + np.pi / 2))[fitted].max() <= 20.0 + 2 * 360 / 72
