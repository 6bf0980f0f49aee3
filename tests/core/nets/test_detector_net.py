"""The BlazePose person detector in PyTorch against the TFLite interpreter, and its SSD decoding."""

from __future__ import annotations

import numpy as np
import pytest
import tflite_runtime.interpreter as tfl
import torch
from PIL import Image

from poselift.core.nets.blazepose_net import Conv, onednn_available
from poselift.core.nets.boxes import box_iou
from poselift.core.nets.detector_net import (
    INPUT_SIZE,
    NUM_ANCHORS,
    BlazePoseDetector,
    Detections,
    DetectorOutput,
    blazepose_detector,
    decode,
    ssd_anchors,
    weighted_nms,
)
from poselift.core.nets.tflite import read_tflite

PHOTOS = ["messi5.jpg", "basketball1.png"]


def letterbox(asset, name: str) -> tuple[np.ndarray, float, int]:
    """(224, 224, 3) RGB in [-1, 1], the photo scaled to fit and centred vertically; its scale and top row."""
    image = Image.open(asset(name)).convert("RGB")
    scale = INPUT_SIZE / max(image.size)
    w, h = round(image.width * scale), round(image.height * scale)
    canvas = np.full((INPUT_SIZE, INPUT_SIZE, 3), -1.0, np.float32)
    top = (INPUT_SIZE - h) // 2
    canvas[top : top + h, :w] = np.asarray(image.resize((w, h), Image.BILINEAR), np.float32) / 127.5 - 1
    return canvas, scale, top


def reference(asset, image: np.ndarray) -> dict[str, np.ndarray]:
    it = tfl.Interpreter(model_path=str(asset("pose_detection.tflite")))
    it.allocate_tensors()
    it.set_tensor(it.get_input_details()[0]["index"], image[None])
    it.invoke()
    return {d["name"]: it.get_tensor(d["index"])[0] for d in it.get_output_details()}


@pytest.fixture(scope="module")
def detector(asset):
    return blazepose_detector(weights=asset("pose_detection.tflite"), device="cpu")


def run(detector, images: np.ndarray) -> DetectorOutput:
    with torch.inference_mode():
        return detector(torch.from_numpy(images).permute(0, 3, 1, 2).contiguous(memory_format=torch.channels_last))


def test_raw_outputs_match_the_tflite_interpreter_on_real_photos(asset, detector):
    images = np.stack([letterbox(asset, name)[0] for name in PHOTOS])
    out = run(detector, images)
    assert out.boxes.shape == (2, NUM_ANCHORS, 12) and out.scores.shape == (2, NUM_ANCHORS)
    for i, image in enumerate(images):
        ref = reference(asset, image)
        np.testing.assert_allclose(out.boxes[i].numpy(), ref["Identity"], atol=0.01)  # 224-px units
        np.testing.assert_allclose(out.scores[i].numpy(), ref["Identity_1"][:, 0], atol=1e-3)  # logits


def test_anchors_tile_strides_8_16_32_with_2_2_6_per_cell():
    anchors = ssd_anchors()
    assert anchors.shape == (NUM_ANCHORS, 2)
    np.testing.assert_allclose(anchors[0].numpy(), [0.5 / 28, 0.5 / 28])
    np.testing.assert_allclose(anchors[1].numpy(), anchors[0].numpy())  # two anchors per stride-8 cell
    np.testing.assert_allclose(anchors[2].numpy(), [1.5 / 28, 0.5 / 28])  # then the next cell to the right
    np.testing.assert_allclose(anchors[1568].numpy(), [0.5 / 14, 0.5 / 14])  # stride 16 starts
    np.testing.assert_allclose(anchors[1568 + 392 : 1568 + 392 + 6].numpy(), [[0.5 / 7, 0.5 / 7]] * 6)
    np.testing.assert_allclose(anchors[-1].numpy(), [6.5 / 7, 6.5 / 7])


def test_zero_offsets_decode_to_anchor_centres_and_scores_to_probabilities():
    raw = DetectorOutput(boxes=torch.zeros(1, NUM_ANCHORS, 12), scores=torch.full((1, NUM_ANCHORS), 1e9))
    raw.boxes[0, 5, 2:4] = torch.tensor([22.4, 44.8])  # width, height in 224-px units
    raw.boxes[0, 5, 4:6] = torch.tensor([11.2, -11.2])  # first keypoint offset
    anchors = ssd_anchors()
    detections = decode(raw, anchors)
    x, y = anchors[5].tolist()
    np.testing.assert_allclose(detections.boxes[0, 5].numpy(), [x - 0.05, y - 0.1, x + 0.05, y + 0.1], atol=1e-6)
    np.testing.assert_allclose(detections.keypoints[0, 5, 0].numpy(), [x + 0.05, y - 0.05], atol=1e-6)
    np.testing.assert_allclose(detections.keypoints[0, 5, 1:].numpy(), [[x, y]] * 3, atol=1e-6)
    assert torch.all(detections.scores == 1.0)  # sigmoid of the logit clipped at 100


def test_weighted_nms_merges_overlapping_detections_by_score():
    boxes = torch.tensor([[0.1, 0.1, 0.3, 0.3], [0.12, 0.1, 0.32, 0.3], [0.6, 0.6, 0.8, 0.8], [0.0, 0.0, 0.1, 0.1]])
    keypoints = boxes[:, None, :2].repeat(1, 4, 1)
    scores = torch.tensor([0.9, 0.6, 0.7, 0.2])
    merged = weighted_nms(Detections(boxes, keypoints, scores), min_score=0.5, iou_threshold=0.3)
    assert merged.scores.tolist() == pytest.approx([0.9, 0.7])
    np.testing.assert_allclose(merged.boxes[0].numpy(), (0.9 * boxes[0] + 0.6 * boxes[1]).numpy() / 1.5, atol=1e-6)
    np.testing.assert_allclose(merged.keypoints[0, 0].numpy(), merged.boxes[0, :2].numpy(), atol=1e-6)
    np.testing.assert_allclose(merged.boxes[1].numpy(), boxes[2].numpy())
    empty = weighted_nms(Detections(boxes, keypoints, scores * 0.1))
    assert empty.boxes.shape == (0, 4) and empty.keypoints.shape == (0, 4, 2)


def test_box_iou():
    a = torch.tensor([[0.0, 0.0, 2.0, 2.0]])
    b = torch.tensor([[1.0, 1.0, 3.0, 3.0], [5.0, 5.0, 6.0, 6.0], [0.0, 0.0, 2.0, 2.0]])
    np.testing.assert_allclose(box_iou(a, b).numpy(), [[1 / 7, 0.0, 1.0]], atol=1e-6)


def test_the_player_in_messi5_is_detected_once_with_hips_below_the_face(asset, detector):
    image, scale, top = letterbox(asset, "messi5.jpg")
    found = weighted_nms(Detections(*(t[0] for t in decode(run(detector, image[None]), ssd_anchors()))))
    assert len(found.scores) == 1 and found.scores[0] > 0.8
    face = found.boxes[0]
    hips, shoulders = found.keypoints[0, 0], found.keypoints[0, 2]
    assert face[1] < shoulders[1] < hips[1]  # y grows downwards: face, shoulders, hips
    assert face[0] < shoulders[0] < face[2]
    hips_px = (hips * INPUT_SIZE - torch.tensor([0.0, top])) / scale
    assert 250 < hips_px[0] < 400 and 150 < hips_px[1] < 300  # the player's hips in the 548x342 photo


def test_every_weight_of_the_file_has_its_place(asset):
    model = read_tflite(asset("pose_detection.tflite"))
    convolutions = [op for op in model.operators if op.opcode.endswith("CONV_2D")]
    in_file = sum(model.tensors[i].data.size for op in convolutions for i in op.inputs[1:3])
    assert sum(p.numel() for p in BlazePoseDetector().parameters()) == in_file


@pytest.mark.skipif(not onednn_available(), reason="this PyTorch has no oneDNN CPU kernels to fuse into")
def test_fused_cpu_convolutions_compute_what_pytorchs_own_ops_compute(asset, detector):
    plain = blazepose_detector(weights=asset("pose_detection.tflite"), device="cpu")
    for module in plain.modules():
        if isinstance(module, Conv):
            assert module.fused
            module.fused = False
    images = np.stack([letterbox(asset, name)[0] for name in PHOTOS] * 2)
    fused, reference = run(detector, images), run(plain, images)
    torch.testing.assert_close(fused.boxes, reference.boxes, rtol=0, atol=1e-3)  # 224-px units
    torch.testing.assert_close(fused.scores, reference.scores, rtol=0, atol=1e-3)  # logits
