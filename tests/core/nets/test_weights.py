"""Where weight files are found: a given path, an installed MediaPipe 0.10.21, then the project cache."""

from __future__ import annotations

import sys

import pytest

from poselift.core.nets import weights
from poselift.core.nets.blazepose_net import blazepose_landmark
from poselift.core.nets.weights import WeightsNotFoundError, find_weights

NAME = "pose_landmark_full.tflite"


def fake_mediapipe(root, version: str):
    """An installed-looking mediapipe distribution under `root` whose modules/ holds the full model."""
    package = root / "mediapipe"
    (package / "modules" / "pose_landmark").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "modules" / "pose_landmark" / NAME).write_bytes(b"weights")
    info = root / f"mediapipe-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: mediapipe\nVersion: {version}\n")
    return package / "modules" / "pose_landmark" / NAME


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """An empty project cache; a MediaPipe imported before (the test environment has the real one) is
    forgotten for the test, so that a fake one put first on sys.path is the one found."""
    folder = tmp_path / "cache"
    folder.mkdir()
    monkeypatch.setenv("POSELIFT_CACHE", str(folder))
    for module in [m for m in sys.modules if m == "mediapipe" or m.startswith("mediapipe.")]:
        monkeypatch.delitem(sys.modules, module)
    return folder


@pytest.fixture
def no_mediapipe(monkeypatch):
    """As if no MediaPipe 0.10.21 were installed."""
    monkeypatch.setattr(weights, "_mediapipe_modules", lambda: None)


def test_a_given_path_wins_and_a_missing_one_is_named(cache, tmp_path):
    given = tmp_path / "mine.tflite"
    given.write_bytes(b"weights")
    (cache / NAME).write_bytes(b"weights")
    assert find_weights(NAME, given) == given
    with pytest.raises(WeightsNotFoundError, match="nowhere.tflite: no such weight file"):
        find_weights(NAME, tmp_path / "nowhere.tflite")


def test_the_cache_is_searched(cache, no_mediapipe):
    (cache / NAME).write_bytes(b"weights")
    assert find_weights(NAME) == cache / NAME


def test_an_installed_mediapipe_0_10_21_comes_before_the_cache(cache, tmp_path, monkeypatch):
    (cache / NAME).write_bytes(b"weights")
    site = tmp_path / "site"
    site.mkdir()
    installed = fake_mediapipe(site, weights.MEDIAPIPE_VERSION)
    monkeypatch.syspath_prepend(str(site))
    assert find_weights(NAME) == installed


def test_another_mediapipe_version_is_not_used(cache, tmp_path, monkeypatch):
    site = tmp_path / "site"
    site.mkdir()
    fake_mediapipe(site, "0.10.9")
    monkeypatch.syspath_prepend(str(site))
    with pytest.raises(WeightsNotFoundError):
        find_weights(NAME)


def test_a_missing_file_says_how_to_get_it(cache, no_mediapipe):
    with pytest.raises(WeightsNotFoundError) as error:
        find_weights("pose_landmark_heavy.tflite")
    message = str(error.value)
    assert "pose_landmark_heavy.tflite is not installed" in message and "scripts/setup.sh" in message
    assert str(cache) in message and "\n" not in message


def test_the_default_model_is_full(asset, monkeypatch):
    monkeypatch.setenv("POSELIFT_CACHE", str(asset(NAME).parent))
    assert blazepose_landmark(device="cpu").variant == "full"


@pytest.fixture(scope="module")
def good(asset) -> bytes:
    """The real full model's bytes, read from the project cache before a test points the cache elsewhere."""
    return asset(NAME).read_bytes()


def test_a_damaged_weight_file_found_by_name_is_refused_before_the_network_is_built(good, cache, no_mediapipe):
    damaged = bytearray(good)
    damaged[len(good) // 2] ^= 0xFF  # same size, one byte changed: only the sha256 tells
    (cache / NAME).write_bytes(bytes(damaged))
    with pytest.raises(WeightsNotFoundError, match=rf"{NAME}: is not the {NAME} the registries hold \(damaged"):
        blazepose_landmark(variant="full", device="cpu")
    (cache / NAME).write_bytes(good[:-10])
    with pytest.raises(WeightsNotFoundError, match="damaged or replaced"):
        weights.fetched_weights(NAME)
    (cache / NAME).write_bytes(good)
    assert weights.fetched_weights(NAME) == cache / NAME
