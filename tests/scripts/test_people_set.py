"""The multi-person test set (scripts/people_set.py): two small pictures, built by the script once under
.cache/people-set/ (about 6 s: Blender renders 2 groups and each of their people alone) and reused."""

import cv2
import numpy as np
from people_set import CONSTANTS, FIELDS, MIN_PELVIS_M, MOST, cached_people_set

from poselift.core.skeleton import POSELIFT

SIZE = (320, 180)


def test_two_small_pictures_hold_each_person_alone_and_the_exact_projection_of_their_truth():
    folder = cached_people_set(samples=2, seed=0, size=SIZE)
    data = dict(np.load(folder / "truth.npz"))
    assert set(data) == set(FIELDS) | set(CONSTANTS)
    for name, (shape, _) in FIELDS.items():
        dims = [d.strip() for d in shape[1 : shape.index(")")].split(",") if d.strip()]
        assert data[name].shape == tuple({"N": 2, "P": MOST}.get(d) or int(d) for d in dims), name
    people = data["people"]
    assert ((2 <= people) & (people <= MOST)).all() and tuple(data["joint_names"]) == POSELIFT.joints
    expected = {"truth.npz", "people_set.json"}
    for i, n in enumerate(people):
        expected |= {f"img_{i:04d}.png"} | {f"img_{i:04d}_p{k}.png" for k in range(n)}
    assert {p.name for p in folder.iterdir()} == expected

    here = np.arange(MOST)[None] < people[:, None]  # (N, P) the person is in the picture
    world = data["truth3d_world"].astype(np.float64)
    assert np.isfinite(world[here]).all() and np.isnan(world[~here]).all()

    # each person's 2D truth is their 3D through the picture's camera
    rotation, position = data["camera_rotation"], data["camera_position"]
    camera = np.einsum("nab,npjb->npja", rotation, world - position[:, None, None])
    focal, centre = data["focal_px"][:, None, None], data["principal_point"][:, None, None]
    pixels = np.stack([centre[..., 0] + focal * camera[..., 0] / camera[..., 1],
                       centre[..., 1] - focal * camera[..., 2] / camera[..., 1]], -1)  # fmt: skip
    assert np.abs(pixels - data["truth2d"])[here].max() < 0.01
    assert np.abs(camera - data["truth3d_camera"])[here].max() < 1e-4
    assert np.allclose(data["focal_px"], data["lens_mm"] / 36 * SIZE[0])
    assert np.abs(data["truth3d_pose"][here][:, POSELIFT.index("pelvis"), :2]).max() < 1e-5

    # everyone whole in the picture, 100-500 px tall in proportion, standing apart on the floor
    box = data["box"][here]
    assert (box[:, :2] >= 0).all() and (box[:, 2:] <= np.array(SIZE) - 1).all()
    assert (pixels[here] >= box[:, None, :2] - 1e-3).all() and (pixels[here] <= box[:, None, 2:] + 1e-3).all()
    assert ((100 / 4 <= data["height_px"][here]) & (data["height_px"][here] <= 500 / 4)).all()
    assert (world[here][..., 2].min(1) > -0.05).all()
    for i, n in enumerate(people):
        pelvis = world[i, :n, POSELIFT.index("pelvis"), :2]
        apart = np.linalg.norm(pelvis[:, None] - pelvis[None], axis=-1) + np.eye(n) * MIN_PELVIS_M
        assert apart.min() >= MIN_PELVIS_M

    # the group differs from each person alone, and each alone picture shows its person in their box
    for i, n in enumerate(people):
        group = cv2.imread(str(folder / f"img_{i:04d}.png")).astype(np.int16)
        alone = [cv2.imread(str(folder / f"img_{i:04d}_p{k}.png")).astype(np.int16) for k in range(n)]
        assert group.shape == (SIZE[1], SIZE[0], 3)
        for k in range(n):
            assert np.abs(alone[k] - group).max() > 50
            left, top, right, bottom = np.round(data["box"][i, k]).astype(int)
            other = alone[(k + 1) % n]
            inside = np.abs(alone[k] - other)[top : bottom + 1, left : right + 1]
            assert inside.mean() > 5, f"picture {i}, person {k}: not in their alone picture"
