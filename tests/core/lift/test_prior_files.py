"""A file given as a prior (--prior) is a prior or is refused when it is loaded, before any network runs: whatever
its bytes, `priors.load_prior` answers with a model or with ModelFileError, one sentence naming the file.

The fuzz tests mutate a small valid prior in each format (our .npz, the authors' .mat, stored and compressed) with a
seeded generator: flipped bytes, truncations, spliced garbage, and fields of the wrong kind, shape or value. Each
runs FUZZ_CASES cases (POSELIFT_FUZZ_CASES, default 2500) from seed POSELIFT_FUZZ_SEED (default 0) and prints its
counts of outcomes. The longer run, from the repository root:

    POSELIFT_FUZZ_CASES=100000 .venv/bin/python -m pytest -q -rP -p no:cacheprovider tests/core/lift/test_prior_files.py
"""

from __future__ import annotations

import io
import json
import os
import warnings
from pathlib import Path

import numpy as np
import pytest
from byte_mutations import Tally, flip, splice, truncate
from scipy.io import savemat

from poselift.core.lift import priors
from poselift.core.lift.ppca import JOINTS, MixturePPCA, ModelFileError

FUZZ_CASES = int(os.environ.get("POSELIFT_FUZZ_CASES", "2500"))
FUZZ_SEED = int(os.environ.get("POSELIFT_FUZZ_SEED", "0"))
K, Q, J = 2, 4, len(JOINTS)


def tiny_model(rng: np.random.Generator) -> MixturePPCA:
    """K components of Q dimensions on the 17 joints: centred means, orthonormal centred bases."""
    means = rng.standard_normal((K, J, 3))
    means -= means.mean(axis=1, keepdims=True)
    raw = rng.standard_normal((K, Q, J, 3))
    raw -= raw.mean(axis=2, keepdims=True)
    bases = np.stack([np.linalg.qr(r.reshape(Q, -1).T)[0].T for r in raw]).reshape(K, Q, J, 3)
    return MixturePPCA(JOINTS.joints, means, bases, np.full((K, Q), 0.3), np.full(K, 0.05), np.full(K, 1 / K))


def authors_fields(model: MixturePPCA) -> dict[str, np.ndarray]:
    """The model as the authors' .mat stores one: (K, 3J) rows of x, y, z, inverse deviations, joints in their order."""
    from poselift.core.lift.ppca import AUTHORS_JOINTS

    order = [JOINTS.joints.index(name) for name in AUTHORS_JOINTS]
    mu = model.means[:, order].transpose(0, 2, 1).reshape(K, -1) * 1000
    e = model.bases[:, :, order].transpose(0, 1, 3, 2).reshape(K, Q, -1)
    sigma = np.concatenate([1 / (model.stds * 1000), 1 / (model.noise[:, None] * 1000)], axis=1)
    return {"mu": mu, "e": e, "sigma": sigma}


@pytest.fixture(scope="module")
def valid_priors(tmp_path_factory) -> dict[str, Path]:
    """One small valid prior per form: our .npz, the authors' .mat uncompressed and compressed."""
    folder = tmp_path_factory.mktemp("priors")
    model = tiny_model(np.random.default_rng(3))
    ours = MixturePPCA(*(getattr(model, f) for f in ("joint_names", "means", "bases", "stds", "noise", "weights")),
                       metadata={"fit": {"tightening": 0.5}})  # fmt: skip
    files = {"npz": ours.save(folder / "ours.npz")}
    for name, compressed in (("mat", False), ("zmat", True)):
        files[name] = folder / f"{name}.mat"
        savemat(files[name], authors_fields(model), do_compression=compressed)
    return files


# Values a field is replaced by: other kinds, shapes and values than a prior's.
ODD_VALUES = (
    np.array("text"), np.array(1.0), np.array(np.nan), np.array(np.inf), np.zeros(0), np.zeros((0, 51)),
    np.zeros((0, 4, 51)), np.zeros((2, 51), np.complex128), np.zeros((2, 5), bool), np.full((2, 5), -1.0),
    np.zeros((2, 4, 17, 3)), np.arange(12).reshape(3, 4), np.array(["a", "b"]), np.zeros((2, 0)),
    np.array("2020-01-01", dtype="datetime64[D]"), np.array('{"fit": {"angles": 7}}'), np.array('{"fit": [1]}'),
    np.array('{"fit": {"tightening": "x"}}'), np.array('{"fit": {"height": 1.7}}'), np.array("[" * 200),
    np.array("poselift-mppca"), np.array(JOINTS.joints[::-1]), np.array(2), np.array(10**30, dtype=object),
)  # fmt: skip
NPZ_FIELDS = ("format", "format_version", "joint_names", "means", "bases", "stds", "noise", "weights", "metadata",
              "source")  # fmt: skip
MAT_FIELDS = ("mu", "e", "sigma")


def replace_npz_field(data: bytes, rng: np.random.Generator) -> bytes:
    fields = dict(np.load(io.BytesIO(data)))
    name, value = NPZ_FIELDS[int(rng.integers(0, len(NPZ_FIELDS)))], ODD_VALUES[int(rng.integers(0, len(ODD_VALUES)))]
    if rng.random() < 0.2:
        del fields[name]
    elif value.dtype != object:
        fields[name] = value
    out = io.BytesIO()
    np.savez(out, **fields)
    return out.getvalue()


def replace_mat_field(data: bytes, rng: np.random.Generator) -> bytes:
    from scipy.io import loadmat

    fields = {k: v for k, v in loadmat(io.BytesIO(data)).items() if not k.startswith("__")}
    name, value = MAT_FIELDS[int(rng.integers(0, len(MAT_FIELDS)))], ODD_VALUES[int(rng.integers(0, len(ODD_VALUES)))]
    if rng.random() < 0.2:
        del fields[name]
    elif value.dtype.kind not in "MO":
        fields[name] = {"cell": value} if rng.random() < 0.1 else value
    out = io.BytesIO()
    savemat(out, fields, do_compression=bool(rng.random() < 0.5))
    return out.getvalue()


MUTATIONS = {
    "npz": (flip, truncate, splice, replace_npz_field),
    "mat": (flip, truncate, splice, replace_mat_field),
    "zmat": (flip, truncate, splice, replace_mat_field),
}


@pytest.mark.parametrize("form", list(MUTATIONS))
def test_a_mutated_prior_is_loaded_or_refused_in_one_sentence(tmp_path, valid_priors, form):
    base = valid_priors[form].read_bytes()
    rng = np.random.default_rng([FUZZ_SEED, sum(form.encode())])
    path = tmp_path / f"fuzzed{valid_priors[form].suffix}"
    tally = Tally(_load, ModelFileError, "loaded")
    tally.fuzz(path, base, MUTATIONS[form], rng, FUZZ_CASES, f"{form} (seed {FUZZ_SEED})")
    assert tally.refused > FUZZ_CASES / 4, "most mutations break the file"


def _load(path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a warning is no refusal: the contract is about exceptions
        priors.load_prior(path)


def test_the_valid_priors_load(valid_priors):
    for path in valid_priors.values():
        assert priors.load_prior(path).components == K


# Each case the fuzzing found, by name.


def refusal(path: Path) -> str:
    with pytest.raises(ModelFileError) as caught:
        priors.load_prior(path)
    return str(caught.value)


def test_an_npy_file_is_not_a_prior(tmp_path):
    np.save(tmp_path / "poses.npy", np.zeros((3, 17, 3)))
    assert "expected our .npz or the authors' .mat" in refusal(tmp_path / "poses.npy")
    (tmp_path / "poses.npz").write_bytes((tmp_path / "poses.npy").read_bytes())
    assert "not an .npz archive" in refusal(tmp_path / "poses.npz")


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("means", np.array(["a", "b"]), "its means holds <U1, expected numbers"),
        ("format_version", np.array(np.nan), "version nan, expected poselift-mppca version 1"),
        ("format_version", np.array([1, 1]), "version [1 1], expected"),
        ("metadata", np.array("not json"), "not a readable pose model file (Expecting value"),
        ("metadata", np.array("[" * 200 + "]" * 200), "nested 200 levels deep"),
        ("joint_names", np.array("pelvis"), "not a readable pose model file"),
        ("bases", np.zeros((2, 4, 17, 3)), "bases must be orthonormal"),
        ("weights", np.array([0.5, np.inf]), "parameters must be finite"),
    ],
)
def test_fields_of_the_wrong_type_or_value_are_refused(tmp_path, valid_priors, field, value, words):
    fields = dict(np.load(valid_priors["npz"])) | {field: value}
    np.savez(tmp_path / "prior.npz", **fields)
    assert words in refusal(tmp_path / "prior.npz")


@pytest.mark.parametrize(
    ("fit", "words"),
    [
        ([0.5], "are not an object"),
        ({"height": 1.7}, "name 'height', which the fit does not take"),
        ({"angles": 7}, "name 'angles', which the fit does not take"),
        ({"tightening": "0.5"}, "are not all finite numbers"),
        ({"noise_scale": float("nan")}, "are not all finite numbers"),
    ],
)
def test_fit_settings_the_fit_cannot_take_are_refused_at_load(tmp_path, valid_priors, fit, words):
    fields = dict(np.load(valid_priors["npz"])) | {"metadata": np.array(json.dumps({"fit": fit}))}
    np.savez(tmp_path / "prior.npz", **fields)
    assert words in refusal(tmp_path / "prior.npz")


def test_every_fit_setting_a_prior_may_name_is_a_keyword_of_the_fit():
    import inspect

    from poselift.core.lift.fit import fit_upright

    keywords = inspect.signature(fit_upright).parameters
    assert all(keywords[name].kind is inspect.Parameter.KEYWORD_ONLY for name in priors.FIT_SETTINGS)


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"mu": np.zeros((0, 51)), "e": np.zeros((0, 4, 51)), "sigma": np.zeros((0, 5))}, "no components"),
        ({"mu": np.zeros((2, 51)), "e": np.zeros((2, 0, 51)), "sigma": np.ones((2, 1))}, "no components"),
        (
            {"mu": np.zeros((2, 51), complex), "e": np.zeros((2, 4, 51)), "sigma": np.ones((2, 5))},
            "'mu' holds complex numbers",
        ),
        ({"mu": np.zeros((2, 51)), "e": {"cell": np.zeros(3)}, "sigma": np.ones((2, 5))}, "'e' holds a struct"),
        ({"mu": "text", "e": np.zeros((2, 4, 51)), "sigma": np.ones((2, 5))}, "'mu' holds text"),
        ({"mu": np.zeros((2, 51)), "e": np.zeros((2, 4, 51))}, "no 'sigma' array"),
    ],
)
def test_a_mat_that_is_not_the_authors_model_is_refused(tmp_path, fields, words):
    savemat(tmp_path / "model.mat", fields)
    assert words in refusal(tmp_path / "model.mat")


@pytest.mark.parametrize("form", ["npz", "mat", "zmat"])
def test_truncated_or_garbage_priors_are_refused(tmp_path, valid_priors, form):
    data = valid_priors[form].read_bytes()
    path = tmp_path / f"prior{valid_priors[form].suffix}"
    for broken in (data[: len(data) // 2], data[:10], b"", np.random.default_rng(0).bytes(4000)):
        path.write_bytes(broken)
        assert refusal(path).startswith(f"{path}: ")
