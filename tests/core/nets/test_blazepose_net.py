"""The BlazePose landmark networks in PyTorch against the TFLite interpreter on crops of real photos."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest
import tflite_runtime.interpreter as tfl
import torch
from PIL import Image

from poselift.core.nets.blazepose_net import (
    NUM_LANDMARKS,
    BlazePoseLandmark,
    Conv,
    blazepose_landmark,
    onednn_available,
)
from poselift.core.nets.tflite import TFLiteError

VARIANTS = ["lite", "full", "heavy"]
# (photo, crop box left, top, right, bottom) around a person, resized to the 256x256 network input.
CROPS = [("messi5.jpg", (150, 20, 406, 276)), ("basketball1.png", (200, 40, 520, 360))]
PARAMETERS = {"lite": 1.36e6, "full": 3.17e6, "heavy": 13.75e6}


def crop(asset, name: str, box: tuple[int, int, int, int]) -> np.ndarray:
    """(256, 256, 3) float32 RGB in [0, 1]."""
    image = Image.open(asset(name)).convert("RGB").crop(box).resize((256, 256), Image.BILINEAR)
    return np.asarray(image, np.float32) / 255


def reference(asset, variant: str, image: np.ndarray) -> dict[str, np.ndarray]:
    it = tfl.Interpreter(model_path=str(asset(f"pose_landmark_{variant}.tflite")))
    it.allocate_tensors()
    it.set_tensor(it.get_input_details()[0]["index"], image[None])
    it.invoke()
    return {d["name"]: it.get_tensor(d["index"])[0] for d in it.get_output_details()}


@pytest.fixture(scope="module")
def crops(asset):
    return np.stack([crop(asset, name, box) for name, box in CROPS])


def as_input(images: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(images).permute(0, 3, 1, 2).contiguous(memory_format=torch.channels_last)


@pytest.mark.parametrize("variant", VARIANTS)
def test_outputs_match_the_tflite_interpreter_on_real_crops(asset, crops, variant):
    net = blazepose_landmark(variant=variant, weights=asset(f"pose_landmark_{variant}.tflite"), device="cpu")
    with torch.inference_mode():
        out = net(as_input(crops))  # both crops in one batch
    assert out.landmarks.shape == (2, NUM_LANDMARKS, 5) and out.presence.shape == (2,)
    assert out.segmentation.shape == (2, 256, 256) and out.heatmaps.shape == (2, NUM_LANDMARKS, 64, 64)
    assert out.world.shape == (2, NUM_LANDMARKS, 3)
    for i, image in enumerate(crops):
        ref = reference(asset, variant, image)
        landmarks = ref["Identity"].reshape(NUM_LANDMARKS, 5)
        np.testing.assert_allclose(out.landmarks[i, :, :2].numpy(), landmarks[:, :2], atol=0.01)  # 256-px crop
        np.testing.assert_allclose(out.landmarks[i, :, 2:].numpy(), landmarks[:, 2:], atol=0.01)  # z, logits
        np.testing.assert_allclose(out.presence[i].item(), ref["Identity_1"][0], atol=1e-4)
        # Belief-map logits reach +-100; float32 rounding (XNNPACK's and ours) differs by up to ~2e-5 of that.
        heatmaps = out.heatmaps[i].permute(1, 2, 0).numpy()
        np.testing.assert_allclose(heatmaps, ref["Identity_3"], atol=1e-3, rtol=1e-4)
        np.testing.assert_allclose(out.world[i].numpy(), ref["Identity_4"].reshape(-1, 3), atol=1e-3)  # 1 mm
        # Mask logits reach +-2000 (float32 rounding gives them ~1e-4 relative differences); compare what
        # they mean, the per-pixel probability: equal but for a few pixels on the mask's edge.
        mask = torch.sigmoid(out.segmentation[i])
        mask_ref = torch.sigmoid(torch.from_numpy(ref["Identity_2"][..., 0]))
        assert (mask - mask_ref).abs().max() < 0.01 and (mask - mask_ref).abs().mean() < 1e-5


def test_the_person_is_found_in_the_crop(asset, crops):
    net = blazepose_landmark(weights=asset("pose_landmark_full.tflite"), device="cpu")
    with torch.inference_mode():
        out = net(as_input(crops[:1]))
    assert out.presence[0] > 0.3
    xy = out.landmarks[0, :33, :2]
    assert ((xy > 0) & (xy < 256)).all()
    assert out.world[0, :33].abs().max() < 1.5  # metres from the hips
    # The belief map of each visible landmark peaks near that landmark (64x64 maps of the 256-px crop).
    heat = out.heatmaps[0, :33].flatten(1).argmax(1)
    peaks = torch.stack([heat % 64, heat // 64], 1).float() * 4 + 2
    visible = out.landmarks[0, :33, 3] > 0
    assert visible.sum() > 10
    assert (peaks[visible] - xy[visible]).norm(dim=1).median() < 8


@pytest.mark.parametrize("variant", VARIANTS)
def test_parameter_counts_are_mediapipes(variant):
    count = sum(p.numel() for p in BlazePoseLandmark(variant).parameters())
    assert count == pytest.approx(PARAMETERS[variant], rel=0.005)


def test_a_file_of_another_network_is_refused_naming_it(asset):
    with pytest.raises(TFLiteError, match="pose_detection.tflite: the file has 2 outputs"):
        blazepose_landmark(weights=asset("pose_detection.tflite"), device="cpu")
    with pytest.raises(TFLiteError, match="pose_landmark_lite.tflite: the graph behind output 0 does not match"):
        blazepose_landmark(variant="full", weights=asset("pose_landmark_lite.tflite"), device="cpu")


def test_unknown_variant_is_refused():
    with pytest.raises(ValueError, match="unknown BlazePose variant 'huge'"):
        BlazePoseLandmark("huge")


def test_half_precision_needs_cuda(asset):
    with pytest.raises(ValueError, match="half precision needs a cuda device"):
        blazepose_landmark(variant="lite", weights=asset("pose_landmark_lite.tflite"), device="cpu", half=True)


def test_the_mask_branch_can_be_skipped_without_changing_the_rest(asset, crops):
    net = blazepose_landmark(variant="lite", weights=asset("pose_landmark_lite.tflite"), device="cpu")
    with torch.inference_mode():
        full = net(as_input(crops))
        net.with_segmentation = False
        fast = net(as_input(crops))
    assert fast.segmentation is None
    for name in ("landmarks", "presence", "heatmaps", "world"):
        torch.testing.assert_close(getattr(fast, name), getattr(full, name), rtol=0, atol=0)


def unfused(net: torch.nn.Module) -> torch.nn.Module:
    """`net` with its convolutions run as PyTorch's own ops, not as the fused oneDNN calls."""
    for module in net.modules():
        if isinstance(module, Conv):
            module.fused = False
    return net


@pytest.mark.skipif(not onednn_available(), reason="this PyTorch has no oneDNN CPU kernels to fuse into")
@pytest.mark.parametrize("variant", VARIANTS)
def test_fused_cpu_convolutions_compute_what_pytorchs_own_ops_compute(asset, crops, variant):
    net = blazepose_landmark(variant=variant, weights=asset(f"pose_landmark_{variant}.tflite"), device="cpu")
    convs = [m for m in net.modules() if isinstance(m, Conv)]
    assert convs and all(m.fused for m in convs)  # every convolution takes the fused path
    plain = unfused(blazepose_landmark(variant=variant, weights=asset(f"pose_landmark_{variant}.tflite"),
                                                      device="cpu"))
    images = as_input(np.concatenate([crops, crops[::-1], crops[:1]]))
    with torch.inference_mode():
        for batch in (images[:1], images):  # packed for batch 1, run at 1 and 5
            fused, reference = net(batch), plain(batch)
            torch.testing.assert_close(fused.landmarks, reference.landmarks, rtol=0, atol=1e-3)  # crop pixels
            torch.testing.assert_close(fused.heatmaps, reference.heatmaps, rtol=1e-4, atol=1e-4)
            torch.testing.assert_close(fused.world, reference.world, rtol=0, atol=1e-4)  # metres
            torch.testing.assert_close(fused.presence, reference.presence, rtol=0, atol=1e-4)
    assert all(m.packed is not None for m in convs)  # packed by the first call


def test_a_copy_or_a_pickle_of_a_ready_network_computes_the_same(asset, crops):
    net = blazepose_landmark(variant="lite", weights=asset("pose_landmark_lite.tflite"), device="cpu")
    for other in (copy.deepcopy(net), pickle.loads(pickle.dumps(net))):
        with torch.inference_mode():
            torch.testing.assert_close(other(as_input(crops)).heatmaps, net(as_input(crops)).heatmaps, rtol=0, atol=0)
