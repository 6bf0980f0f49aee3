"""The cascaded lifter: the shipped weights load by name and are shape-checked; any input gives a defined pose in the
pose-file frame; a batch lifts as its people do one by one; real mocap seen exactly lifts within a measured bound, and
better from high above when told the view's pitch."""

from __future__ import annotations

import zipfile

import numpy as np
import pytest
import torch

from poselift.core.formats.bvh import read_bvh
from poselift.core.formats.mocap_names import pose_from_bvh
from poselift.core.lift import cascade, metrics
from poselift.core.skeleton import BODY, POSELIFT
from poselift.core.synth.anatomy import neutral_body

J = len(POSELIFT)
# PA-MPJPE of the shipped weights on `mocap_views`: 41 mm measured (42 without flipping; train_lifter.py measures 42 mm
# on 2060 views of the clip, the fit 42). Another training seed moved that by 2 mm: the bound leaves room for a
# retrained model, not for a broken one.
MOCAP_BOUND_MM = 55.0


@pytest.fixture(scope="module")
def model() -> cascade.CascadeLifter:
    return cascade.cascade_lifter("default")


def photograph(
    world: np.ndarray, yaw: np.ndarray, elevation: np.ndarray, distance: float = 4.0, focal: float = 1600.0
) -> np.ndarray:
    """(N, J, 3) world joints (metres, Z up) seen by cameras aimed at the pelvis from the compass direction `yaw` and
    `elevation` (radians) -> (N, J, 2) pixels of a 1920 x 1080 image, y down."""
    forward = np.stack([np.cos(elevation) * np.cos(yaw), np.cos(elevation) * np.sin(yaw), -np.sin(elevation)], -1)
    right = np.stack([np.sin(yaw), -np.cos(yaw), np.zeros_like(yaw)], -1)
    up = np.cross(right, forward)
    position = world[:, POSELIFT.index("pelvis")] - distance * forward
    rel = world - position[:, None]
    x, y, z = ((rel * axis[:, None]).sum(-1) for axis in (right, forward, up))
    return np.stack([960 + focal * x / y, 540 - focal * z / y], -1)


def front_view() -> tuple[np.ndarray, np.ndarray]:
    """A person standing at the anatomical neutral, facing the camera: (1, 27, 2) pixels (hand points NaN), (1, 27)."""
    body = neutral_body(1.7)[None]  # faces -Y: a camera looking along +Y (yaw 90 deg) sees the front
    pixels = photograph(body, np.array([np.pi / 2]), np.array([0.0]))
    pixels = np.concatenate([pixels, np.full((1, J - len(BODY), 2), np.nan)], 1)
    return pixels, np.concatenate([np.ones((1, len(BODY))), np.zeros((1, J - len(BODY)))], 1)


def test_the_shipped_weights_load_by_name_with_their_architecture(model):
    assert not model.training
    again, metadata = cascade.load_cascade(cascade.WEIGHTS["default"])
    assert again.config == model.config
    assert metadata["joints"] == list(BODY.joints)
    assert cascade.DEFAULT_WEIGHTS.stat().st_size < 8_000_000
    assert (model.sigma_seen[1:] > 0).all() and (model.sigma_seen < 0.5).all()  # the pelvis (0) is at 0


def test_a_wrong_file_is_named_in_one_sentence(tmp_path):
    small = cascade.cascade_lifter(None, config=cascade.CascadeConfig(stages=1, blocks=1, width=8))
    good = cascade.save_cascade(small, tmp_path / "small.npz", {})
    assert cascade.load_cascade(good)[0].config == small.config
    with pytest.raises(cascade.CascadeFileError) as asked:
        cascade.cascade_lifter(good, config=cascade.CascadeConfig())
    assert str(good) in str(asked.value)

    broken = tmp_path / "broken.npz"  # one parameter of another shape than the architecture says
    with np.load(good) as z, zipfile.ZipFile(broken, "w") as out:
        for name in z.files:
            value = z[name][:-1] if name == "param/stages.0.tail.bias" else z[name]
            with out.open(f"{name}.npy", "w") as member:
                np.lib.format.write_array(member, value)
    text = tmp_path / "text.npz"
    text.write_text("not weights")
    missing = tmp_path / "missing.npz"
    for path in (broken, text, missing):
        with pytest.raises(cascade.CascadeFileError) as raised:
            cascade.cascade_lifter(path)
        message = str(raised.value)
        assert message.startswith(str(path)) and message.endswith(".") and "\n" not in message


def test_the_output_is_a_pose_in_the_pose_file_frame(model):
    pixels, confidence = front_view()
    result = cascade.lift_batch(model, pixels, confidence, height=1.7)
    joints = result.joints3d.numpy()[0]
    assert result.joints3d.shape == (1, J, 3) and result.sigma.shape == (1, J) and bool(result.ok[0])
    at = {name: joints[POSELIFT.index(name)] for name in POSELIFT.joints}
    assert np.allclose(at["pelvis"], 0.0)
    assert at["head_top"][2] > at["thorax"][2] > 0.2 and at["left_ankle"][2] < -0.6  # Z up, metres
    assert at["left_shoulder"][0] > 0.1 > -0.1 > at["right_shoulder"][0]  # facing the camera: left at image right
    assert at["left_toe"][1] < at["left_heel"][1]  # toes towards the camera: Y points away from it
    assert np.allclose(at["left_thumb"], at["left_wrist"]) and not result.seen[0, len(BODY) :].any()
    assert np.isclose(metrics.joint_errors(joints[None, :17], neutral_body(1.7)[None, :17] - neutral_body(1.7)[0])
                      .mean(), 0.0, atol=0.06)  # fmt: skip


@pytest.mark.parametrize("case", ["missing joints", "nan", "infinite", "one visible limb", "all missing", "tiny"])
def test_any_input_gives_a_defined_pose(model, case):
    pixels, confidence = front_view()
    pixels, confidence = pixels.copy(), confidence.copy()
    left_arm = [POSELIFT.index(f"left_{j}") for j in ("shoulder", "elbow", "wrist")]
    if case == "missing joints":
        confidence[0, [2, 3, 12, 13]] = 0.0
    elif case == "nan":
        pixels[0, [1, 5, 9]] = np.nan
        confidence[0, [4, 7]] = np.nan
    elif case == "infinite":
        pixels[0, 3] = np.inf
        pixels[0, 6, 1] = -np.inf
    elif case == "one visible limb":
        keep = np.zeros(J, bool)
        keep[left_arm] = True
        confidence = np.where(keep, confidence, 0.0)
        pixels = np.where(keep[:, None], pixels, np.nan)
    elif case == "all missing":
        pixels[:] = np.nan
        confidence[:] = 0.0
    elif case == "tiny":  # every joint on one pixel
        pixels[:] = 100.0
    result = cascade.lift_batch(model, pixels, confidence)
    for value in (result.joints3d, result.sigma):
        assert torch.isfinite(value).all()
    assert np.allclose(result.joints3d[0, POSELIFT.index("pelvis")], 0.0)
    assert bool(result.ok[0]) == (case in ("missing joints", "nan", "infinite"))
    assert (result.sigma >= 0).all()  # the pelvis, at the origin by definition, is certain


def test_no_people_give_no_poses(model):
    result = cascade.lift_batch(model, np.zeros((0, J, 2)), np.zeros((0, J)))
    assert result.joints3d.shape == (0, J, 3) and result.ok.shape == (0,)


@pytest.fixture(scope="module")
def mocap_views(asset):
    """Every 100th frame of test3.bvh (never trained on: the lift corpus's eval clip) seen exactly by two cameras
    each: (V, 27, 2) pixels, (V, 27) confidence and (V, 17, 3) truth, metres relative to the pelvis."""
    pose = pose_from_bvh(read_bvh(asset("test3.bvh")))
    frames = pose.joints3d[::100, 0].astype(np.float64)
    world = np.full((len(frames), J, 3), np.nan)
    world[:, [POSELIFT.index(n) for n in pose.joint_names]] = frames
    world = np.repeat(world, 2, axis=0)
    rng = np.random.default_rng(0)
    yaw, elevation = rng.uniform(0, 2 * np.pi, len(world)), np.radians(rng.uniform(-10, 40, len(world)))
    pixels = photograph(np.nan_to_num(world), yaw, elevation)
    seen = np.isfinite(world).all(-1)
    truth = world[:, :17] - world[:, POSELIFT.index("pelvis"), None]
    return np.where(seen[..., None], pixels, np.nan), seen.astype(float), truth


def test_real_mocap_seen_exactly_lifts_within_the_measured_bound(model, mocap_views):
    pixels, confidence, truth = mocap_views
    result = cascade.lift_batch(model, pixels, confidence)
    assert result.ok.all()
    assert 1000 * metrics.pa_mpjpe(result.joints3d.numpy()[:, :17], truth) < MOCAP_BOUND_MM


def test_the_view_pitch_helps_on_views_from_high_above(model, asset):
    pose = pose_from_bvh(read_bvh(asset("test3.bvh")))
    frames = pose.joints3d[::50, 0].astype(np.float64)
    world = np.full((len(frames), J, 3), np.nan)
    world[:, [POSELIFT.index(n) for n in pose.joint_names]] = frames
    rng = np.random.default_rng(1)
    yaw, elevation = rng.uniform(0, 2 * np.pi, len(world)), np.radians(rng.uniform(35, 55, len(world)))
    seen = np.isfinite(world).all(-1)
    pixels = np.where(seen[..., None], photograph(np.nan_to_num(world), yaw, elevation), np.nan)
    truth = world[:, :17] - world[:, POSELIFT.index("pelvis"), None]
    told = cascade.lift_batch(model, pixels, seen.astype(float), pitch=elevation).joints3d.numpy()[:, :17]
    untold = cascade.lift_batch(model, pixels, seen.astype(float)).joints3d.numpy()[:, :17]
    assert metrics.pa_mpjpe(told, truth) < metrics.pa_mpjpe(untold, truth) < MOCAP_BOUND_MM / 1000


def test_a_batch_lifts_as_its_people_do_one_by_one(model, mocap_views):
    pixels, confidence, _ = mocap_views
    pixels, confidence = pixels[:12].copy(), confidence[:12].copy()
    confidence[3, :5] = 0.0
    pixels[7] = np.nan
    pitch = np.where(np.arange(12) % 3, np.linspace(-0.2, 0.8, 12), np.nan)  # a third unknown
    together = cascade.lift_batch(model, pixels, confidence, height=np.linspace(1.5, 1.9, 12), pitch=pitch)
    for i in range(len(pixels)):
        alone = cascade.lift_batch(model, pixels[i : i + 1], confidence[i : i + 1], height=1.5 + 0.4 * i / 11,
                                   pitch=pitch[i])  # fmt: skip
        assert torch.allclose(together.joints3d[i], alone.joints3d[0], atol=1e-5)
        assert torch.equal(together.ok[i], alone.ok[0])


def test_the_weights_file_is_a_function_of_the_weights(tmp_path, model):
    a = cascade.save_cascade(model, tmp_path / "a.npz", {"seed": 0})
    b = cascade.save_cascade(cascade.load_cascade(a)[0], tmp_path / "b.npz", {"seed": 0})
    assert a.read_bytes() == b.read_bytes()  # float16 values survive the float32 model unchanged
    model.train()
    cascade.lift_batch(model, *front_view())
    assert model.training  # lift_batch lifts in eval mode and leaves the mode as it found it
    model.eval()
