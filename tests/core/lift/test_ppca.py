"""The mixture of PPCA: the authors' released model read onto our joints and frame, our own file format, and
training (canonical poses, mirroring, k-means, Tipping & Bishop's closed form)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from poselift.core import skeleton
from poselift.core.lift.ppca import (
    JOINT_SETS,
    JOINTS,
    MixturePPCA,
    ModelFileError,
    bone_vectors,
    canonical_poses,
    mirrored,
    ppca_closed_form,
    train,
)
from poselift.core.synth.evolution import EvolutionConfig, evolve


def joint(poses: np.ndarray, name: str) -> np.ndarray:
    return poses[..., JOINTS.index(name), :]


def turned(poses: np.ndarray, yaw: np.ndarray) -> np.ndarray:
    """(M, J, 3) turned about +Z by (M,) radians."""
    c, s = np.cos(yaw)[:, None], np.sin(yaw)[:, None]
    x, y = poses[..., 0], poses[..., 1]
    return np.stack([c * x - s * y, s * x + c * y, poses[..., 2]], axis=-1)


def test_the_authors_model_has_3_components_of_25_dimensions_on_the_h36m_joints(authors_model):
    assert (authors_model.components, authors_model.latent_dim) == (3, 25)
    assert authors_model.joint_names == skeleton.H36M_17.joints
    assert authors_model.weights == pytest.approx([1 / 3] * 3)


def test_the_authors_mean_poses_stand_up_in_our_frame(authors_model):
    """Z up: head over thorax over pelvis, knees over ankles."""
    for pose in authors_model.means:
        z = {name: joint(pose, name)[2] for name in JOINTS.joints}
        assert z["head_top"] > z["thorax"] > z["pelvis"]
        assert z["left_knee"] > z["left_ankle"] and z["right_knee"] > z["right_ankle"]


def test_the_authors_mean_poses_face_plus_y_with_their_right_on_plus_x(authors_model):
    """Facing +Y: knees bend forward, the nose (H36M's neck joint) is in front of the top of the head, the wrists
    hang in front of the shoulders. Right-handed with Z up, the subject's right is then +X: the joints the file
    lists as right (H36M indices 1-3, 14-16) are there."""
    for pose in authors_model.means:
        y = {name: joint(pose, name)[1] for name in JOINTS.joints}
        for side in ("left", "right"):
            assert y[f"{side}_knee"] > y[f"{side}_hip"]
            assert y[f"{side}_wrist"] > y[f"{side}_shoulder"]
        assert y["neck"] > y["head_top"]
        for part in ("hip", "knee", "ankle", "shoulder", "elbow", "wrist"):
            assert joint(pose, f"right_{part}")[0] > 0 > joint(pose, f"left_{part}")[0]


def test_the_authors_model_is_its_own_mirror_image(authors_model):
    """They trained on mirrored poses too, so their data cannot tell a left/right swap from a handedness flip:
    the facing and the right-handed frame above are what fix the sides."""
    assert mirrored(authors_model.means) == pytest.approx(authors_model.means, abs=1e-3)  # a tenth of a millimetre
    for k in range(authors_model.components):
        basis = authors_model.bases[k].reshape(authors_model.latent_dim, -1)
        image = mirrored(authors_model.bases[k]).reshape(authors_model.latent_dim, -1)
        assert np.linalg.norm(image - (image @ basis.T) @ basis) / np.linalg.norm(image) < 0.05


def test_the_authors_millimetres_become_unit_bone_length(authors_model):
    """Normalised units: root-sum-square bone length 1 on average over the model's own poses."""
    poses, _ = authors_model.sample(4000, np.random.default_rng(0), noise=True)
    assert np.sqrt((bone_vectors(poses) ** 2).sum(axis=(1, 2)).mean()) == pytest.approx(1.0, rel=0.02)


def test_our_format_round_trips_the_authors_model(authors_model, tmp_path):
    path = authors_model.save(tmp_path / "model.npz")
    again = MixturePPCA.load(path)
    for field in ("means", "bases", "stds", "noise", "weights"):
        assert np.array_equal(getattr(again, field), getattr(authors_model, field))
    assert again.joint_names == authors_model.joint_names and again.source == authors_model.source
    assert [p.name for p in tmp_path.iterdir()] == ["model.npz"]


def test_a_file_that_is_not_a_model_is_refused_in_one_sentence(tmp_path):
    text = tmp_path / "notes.npz"
    text.write_text("not a model")
    with pytest.raises(ModelFileError, match=r"notes\.npz: not a readable pose model file"):
        MixturePPCA.load(text)
    other = tmp_path / "other.npz"
    np.savez(other, format="poselift-mppca", format_version=99, joint_names=np.array(JOINTS.joints))
    with pytest.raises(ModelFileError, match=r"other\.npz: not a pose model file \(missing bases"):
        MixturePPCA.load(other)


def test_a_model_of_another_version_is_refused(evolved_model, tmp_path):
    path = evolved_model.save(tmp_path / "model.npz")
    fields = dict(np.load(path))
    fields["format_version"] = np.array(2)
    np.savez(path, **fields)
    with pytest.raises(ModelFileError, match=r"model\.npz: pose model format poselift-mppca version 2, expected"):
        MixturePPCA.load(path)


def test_a_mat_file_without_the_model_is_refused(tmp_path):
    from scipy.io import savemat

    path = tmp_path / "weights.mat"
    savemat(path, {"mu": np.zeros((3, 51))})
    with pytest.raises(ModelFileError, match=r"weights\.mat: not a Lifting-from-the-Deep model \(no 'e' array\)"):
        MixturePPCA.from_authors_mat(path)
    path.write_bytes(b"garbage")
    with pytest.raises(ModelFileError, match=r"weights\.mat: not a readable MATLAB model file"):
        MixturePPCA.from_authors_mat(path)


def test_samples_lie_on_their_components_subspace(evolved_model):
    poses, k = evolved_model.sample(50, np.random.default_rng(1))
    offsets = (poses - evolved_model.means[k]).reshape(50, -1)
    bases = evolved_model.bases[k].reshape(50, evolved_model.latent_dim, -1)
    back = np.einsum("nq,nqd->nd", np.einsum("nd,nqd->nq", offsets, bases), bases)
    assert back == pytest.approx(offsets, abs=1e-12)


def test_log_likelihood_is_the_mixture_of_gaussians_it_describes(evolved_model):
    from scipy.stats import multivariate_normal

    poses, _ = evolved_model.sample(5, np.random.default_rng(2), noise=True)
    dense = []
    for k in range(evolved_model.components):
        e = evolved_model.bases[k].reshape(evolved_model.latent_dim, -1)
        cov = e.T @ np.diag(evolved_model.stds[k] ** 2) @ e + evolved_model.noise[k] ** 2 * np.eye(e.shape[1])
        dense.append(multivariate_normal(evolved_model.means[k].reshape(-1), cov).logpdf(poses.reshape(5, -1)))
    expected = np.logaddexp.reduce(np.array(dense) + np.log(evolved_model.weights)[:, None], axis=0)
    assert evolved_model.log_likelihood(poses) == pytest.approx(expected, rel=1e-9)


def test_canonical_poses_forget_position_yaw_and_size(evolved_model):
    rng = np.random.default_rng(3)
    poses, _ = evolved_model.sample(20, rng)
    moved = 1.8 * turned(poses, rng.uniform(-np.pi, np.pi, 20)) + rng.normal(size=(20, 1, 3))
    assert canonical_poses(moved) == pytest.approx(canonical_poses(poses), abs=1e-9)
    canon = canonical_poses(moved)
    assert (bone_vectors(canon) ** 2).sum(axis=(1, 2)) == pytest.approx(np.ones(20))
    assert canon.mean(axis=1) == pytest.approx(np.zeros((20, 3)), abs=1e-12)
    across = joint(canon, "right_hip") - joint(canon, "left_hip") + joint(canon, "right_shoulder")
    across -= joint(canon, "left_shoulder")
    assert np.all(across[:, 0] > 0) and across[:, 1] == pytest.approx(np.zeros(20), abs=1e-12)


def test_a_mirror_image_swaps_the_sides_and_negates_x():
    pose = np.random.default_rng(4).normal(size=(1, len(JOINTS), 3))
    image = mirrored(pose)
    assert joint(image, "left_wrist") == pytest.approx(joint(pose, "right_wrist") * [-1, 1, 1])
    assert joint(image, "spine") == pytest.approx(joint(pose, "spine") * [-1, 1, 1])
    assert mirrored(image) == pytest.approx(pose)


def test_the_closed_form_recovers_a_known_ppca(evolved_model):
    """Poses drawn (and centred, as training poses are) from one component: mean, subspace, deviations, noise."""
    rng = np.random.default_rng(5)
    k, count = 1, 40000
    b = rng.standard_normal((count, evolved_model.latent_dim)) * evolved_model.stds[k]
    poses = evolved_model.means[k] + np.einsum("nq,qjd->njd", b, evolved_model.bases[k])
    poses += rng.standard_normal(poses.shape) * evolved_model.noise[k]
    poses -= poses.mean(axis=1, keepdims=True)
    mean, basis, stds, noise = (t.numpy() for t in ppca_closed_form(torch.as_tensor(poses), evolved_model.latent_dim))
    assert mean == pytest.approx(evolved_model.means[k], abs=0.01)
    true = evolved_model.bases[k].reshape(evolved_model.latent_dim, -1)
    found = basis.reshape(evolved_model.latent_dim, -1)
    assert np.linalg.svd(true @ found.T, compute_uv=False).min() > 0.95  # cosines of the principal angles
    assert stds[:5] == pytest.approx(np.sort(evolved_model.stds[k])[::-1][:5], rel=0.05)
    assert noise == pytest.approx(evolved_model.noise[k], rel=0.05)


def test_training_finds_well_separated_components_whatever_the_yaw_and_size(evolved_model):
    """Tight clusters around two of the model's mean poses (components 1 and 2), turned, scaled and moved at random:
    k-means on the canonical poses finds them, in their proportions."""
    rng = np.random.default_rng(6)
    poses, k = evolved_model.sample(3000, rng)
    keep = k > 0
    poses = evolved_model.means[k[keep]] + 0.1 * (poses[keep] - evolved_model.means[k[keep]])
    k = k[keep]
    moved = rng.uniform(0.5, 2.0, (len(poses), 1, 1)) * turned(poses, rng.uniform(-np.pi, np.pi, len(poses)))
    model = train(moved + rng.normal(size=(len(poses), 1, 3)), components=2, latent_dim=10, seed=0)
    truth = canonical_poses(evolved_model.means[1:])
    distance = np.linalg.norm((model.means[:, None] - truth[None]).reshape(2, 2, -1), axis=-1)
    match = distance.argmin(axis=1)
    assert sorted(match) == [0, 1] and distance.min(axis=1).max() < 0.05
    assert model.weights[match.argsort()] == pytest.approx([np.mean(k == 1), np.mean(k == 2)], abs=0.01)
    assert mirrored(model.means) == pytest.approx(model.means, abs=0.01)  # each cluster holds both mirror images


def test_training_is_deterministic_and_gives_a_model_that_fits_its_own_kind_of_data(evolved_model):
    rng = np.random.default_rng(7)
    poses, _ = evolved_model.sample(2000, rng, noise=True)
    held_out, _ = evolved_model.sample(500, rng, noise=True)
    first = train(poses, components=3, latent_dim=12, seed=1)
    second = train(poses, components=3, latent_dim=12, seed=1)
    assert np.array_equal(first.means, second.means) and np.array_equal(first.bases, second.bases)
    small = train(poses, components=1, latent_dim=2, seed=1)
    test = canonical_poses(held_out)
    assert first.log_likelihood(test).mean() > small.log_likelihood(test).mean() + 10


def test_training_refuses_poses_of_the_wrong_shape_or_too_few():
    with pytest.raises(ValueError, match=r"training poses must be \(M, 17, 3\)"):
        train(np.zeros((10, 14, 3)), components=2, latent_dim=4)
    with pytest.raises(ValueError, match="the latent size must be 1 to 47 on 17 joints"):
        train(np.random.default_rng(8).normal(size=(500, 17, 3)), components=1, latent_dim=48)
    with pytest.raises(ValueError, match="too few"):
        train(np.random.default_rng(8).normal(size=(5, 17, 3)), components=3, latent_dim=10)


def test_every_joint_set_a_model_may_have_starts_with_the_h36m_17_in_order():
    for joints in JOINT_SETS.values():
        assert joints.joints[: len(JOINTS)] == JOINTS.joints
    assert JOINT_SETS[21].joints[17:] == ("right_heel", "right_toe", "left_heel", "left_toe")


@pytest.fixture(scope="module")
def with_feet() -> MixturePPCA:
    """A small model on the 21 joints (heels and toes), trained on evolved poses."""
    poses = evolve(EvolutionConfig(seed=2, initial=300, target=3000, batch=300))
    return train(poses, components=2, latent_dim=16, seed=0, metadata={"note": "feet"})


def test_a_model_with_heels_and_toes_trains_and_round_trips_with_its_metadata(with_feet, tmp_path):
    assert with_feet.joint_names == JOINT_SETS[21].joints and with_feet.means.shape == (2, 21, 3)
    again = MixturePPCA.load(with_feet.save(tmp_path / "feet.npz"))
    assert np.array_equal(again.bases, with_feet.bases) and again.metadata == {"note": "feet"}
    # Trained with mirror images too: each cluster holds both, so each mean is its own mirror image, feet included.
    assert mirrored(with_feet.means) == pytest.approx(with_feet.means, abs=0.01)


def test_the_mirror_of_a_pose_with_feet_swaps_the_heels_and_toes():
    pose = np.random.default_rng(9).normal(size=(1, 21, 3))
    image = mirrored(pose)
    index = JOINT_SETS[21].index
    assert image[0, index("left_heel")] == pytest.approx(pose[0, index("right_heel")] * [-1, 1, 1])
    assert image[0, index("right_toe")] == pytest.approx(pose[0, index("left_toe")] * [-1, 1, 1])


def test_a_model_saves_to_the_same_bytes_every_time(with_feet, tmp_path):
    first = with_feet.save(tmp_path / "a.npz").read_bytes()
    assert with_feet.save(tmp_path / "b.npz").read_bytes() == first


def test_bases_have_centroid_zero_even_when_the_poses_leave_directions_flat():
    """Rigid segments leave many directions with no variance; the basis stays inside the centred poses' space."""
    poses = evolve(EvolutionConfig(seed=4, initial=300, target=600, batch=300))[:, :17]
    model = train(poses, components=1, latent_dim=45, seed=0)  # 48 centred dimensions, many of them nearly flat
    assert np.abs(model.bases.mean(axis=2)).max() < 1e-9
