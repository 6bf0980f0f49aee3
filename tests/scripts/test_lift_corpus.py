"""The lift corpus (scripts/lift_corpus.py): a tiny train split, built by the script once under .cache/lift-corpus/
(about 20 s: Blender renders 6 people, our BlazePose reads them) and reused."""

import numpy as np
from lift_corpus import CONSTANTS, FIELDS, cached_corpus, load_corpus

from poselift.core.skeleton import BLAZEPOSE_33, POSELIFT

SAMPLES = 6


def test_a_tiny_corpus_pairs_what_our_network_sees_with_the_exact_projection_of_the_truth():
    data = load_corpus(cached_corpus("train", samples=SAMPLES, seed=0))
    assert set(data) == set(FIELDS) | set(CONSTANTS)
    sizes = {"N": SAMPLES}
    for name, (shape, _) in FIELDS.items():
        dims = [d.strip() for d in shape[1 : shape.index(")")].split(",") if d.strip()]
        assert data[name].shape == tuple(sizes.get(d) or int(d) for d in dims), name
    assert tuple(data["joint_names"]) == POSELIFT.joints and tuple(data["landmark_names"]) == BLAZEPOSE_33.joints
    assert np.isfinite(data["truth3d_world"]).all() and np.isfinite(data["truth2d"]).all()

    # the truth's 2D is its 3D through the recorded camera
    rotation, position = data["camera_rotation"], data["camera_position"]
    camera = np.einsum("nab,njb->nja", rotation, data["truth3d_world"].astype(np.float64) - position[:, None])
    focal, centre = data["focal_px"][:, None].astype(np.float64), data["principal_point"][:, None]
    pixels = np.stack([centre[..., 0] + focal * camera[..., 0] / camera[..., 1],
                       centre[..., 1] - focal * camera[..., 2] / camera[..., 1]], -1)  # fmt: skip
    assert np.abs(pixels - data["truth2d"]).max() < 0.01
    assert np.abs(camera - data["truth3d_camera"]).max() < 1e-4
    assert np.allclose(np.einsum("nab,ncb->nac", rotation, rotation), np.eye(3), atol=1e-9)
    assert (data["truth3d_world"][..., 2].min(1) > -0.05).all(), "standing on the floor, Z up"
    assert np.abs(data["truth3d_pose"][:, POSELIFT.index("pelvis"), :2]).max() < 1e-5

    # the network found most people, near where they are
    found = data["detected"]
    assert found.sum() >= SAMPLES - 1
    assert np.isnan(data["keypoints"][~found]).all() and np.isfinite(data["keypoints"][found]).all()
    error = np.linalg.norm(data["joints2d"] - data["truth2d"], axis=-1)[:, :17].mean(1)
    assert (error[found] < 15).sum() >= SAMPLES - 2, error
