"""A network matched to its TFLite file once is loaded from the kept match afterwards, and a bad kept file costs
only the time to match again."""

from __future__ import annotations

import torch

from poselift.core.nets.detector_net import BlazePoseDetector
from poselift.core.nets.tflite_torch import load_tflite_weights
from poselift.core.nets.weight_cache import load_weights


def matched(asset) -> dict[str, torch.Tensor]:
    """The detector's weights matched from its TFLite file directly."""
    net = BlazePoseDetector()
    load_tflite_weights(net, asset("pose_detection.tflite"))
    return net.state_dict()


def assert_same(state: dict[str, torch.Tensor], other: dict[str, torch.Tensor]) -> None:
    assert state.keys() == other.keys()
    assert all(torch.equal(state[name], other[name]) for name in state)


def test_the_first_start_keeps_the_match_and_the_next_loads_it(asset, tmp_path):
    first = BlazePoseDetector()
    load_weights(first, asset("pose_detection.tflite"), folder=tmp_path)
    [kept] = tmp_path.glob("pose_detection-*.pt")
    assert_same(first.state_dict(), matched(asset))

    marked = {name: torch.full_like(tensor, 0.5) for name, tensor in first.state_dict().items()}
    torch.save(marked, kept)  # what the next start finds there is what it loads
    second = BlazePoseDetector()
    load_weights(second, asset("pose_detection.tflite"), folder=tmp_path)
    assert_same(second.state_dict(), marked)


def test_a_damaged_kept_file_is_matched_again_and_written_anew(asset, tmp_path):
    load_weights(BlazePoseDetector(), asset("pose_detection.tflite"), folder=tmp_path)
    [kept] = tmp_path.glob("pose_detection-*.pt")
    kept.write_bytes(b"not a state dict")
    net = BlazePoseDetector()
    load_weights(net, asset("pose_detection.tflite"), folder=tmp_path)
    assert_same(net.state_dict(), matched(asset))
    assert_same(torch.load(kept, weights_only=True), matched(asset))


def test_a_kept_file_of_other_code_or_another_file_is_removed(asset, tmp_path):
    stale = tmp_path / "pose_detection-0123456789abcdef.pt"
    stale.write_bytes(b"an older match")
    other = tmp_path / "pose_landmark_full-0123456789abcdef.pt"
    other.write_bytes(b"another network's")
    load_weights(BlazePoseDetector(), asset("pose_detection.tflite"), folder=tmp_path)
    assert not stale.exists() and other.exists()
    assert len(list(tmp_path.glob("pose_detection-*.pt"))) == 1


def test_a_folder_that_cannot_be_written_still_gives_the_weights(asset, tmp_path):
    blocked = tmp_path / "a file"
    blocked.write_bytes(b"")
    net = BlazePoseDetector()
    load_weights(net, asset("pose_detection.tflite"), folder=blocked / "matched")
    assert_same(net.state_dict(), matched(asset))
