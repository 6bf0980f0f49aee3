"""The 2D pipeline against MediaPipe's own runtime (0.10.21, legacy `solutions.pose`, static images), and its
behaviour on what MediaPipe does not do: several people, batches, turned and huge photos."""

from __future__ import annotations

import numpy as np
import pytest
import tflite_runtime.interpreter as tfl
import torch
from PIL import Image

from poselift.core.image.image_io import read_image
from poselift.core.nets.pose2d import HEATMAP_STRIDE, PoseEstimator
from poselift.core.nets.roi import ImagePyramid, crop_to_image, normalize_radians, transform_points

PHOTOS = ["messi5.jpg", "basketball1.png", "basketball2.png", "astronaut.png", "camera.png"]
MODELS = ["lite", "full", "heavy"]


@pytest.fixture(scope="module")
def estimators():
    return {model: PoseEstimator(variant=model, device="cpu") for model in MODELS}


@pytest.fixture(scope="module")
def mediapipe_poses(asset):
    """{(model, photo): (33, 4) x, y pixels, z, visibility and (33, 3) world landmarks}.

    (The legacy solution leaves each landmark's presence at 0, so presence is not compared.)"""
    import mediapipe as mp

    from poselift.core.nets.weights import LANDMARK_FILES, _mediapipe_modules

    modules = _mediapipe_modules()
    for model, file in LANDMARK_FILES.items():
        assert modules is not None and (modules / "pose_landmark" / file).is_file(), (
            f"MediaPipe's {model} model is not in its modules folder; scripts/setup.sh copies it there")
    poses = {}
    for complexity, model in enumerate(MODELS):
        with mp.solutions.pose.Pose(static_image_mode=True, model_complexity=complexity) as pose:
            for name in PHOTOS:
                pixels = read_image(asset(name)).pixels
                found = pose.process(pixels)
                h, w = pixels.shape[:2]
                landmarks = np.array([[p.x * w, p.y * h, p.z, p.visibility]
                                      for p in found.pose_landmarks.landmark])
                world = np.array([[p.x, p.y, p.z] for p in found.pose_world_landmarks.landmark])
                poses[model, name] = landmarks, world
    return poses


@pytest.mark.parametrize("model", MODELS)
def test_landmarks_and_world_landmarks_match_mediapipes_runtime_on_real_photos(asset, estimators, mediapipe_poses,
                                                                               model):
    photos = [read_image(asset(name)) for name in PHOTOS]
    people = estimators[model].estimate([p.pixels for p in photos])
    for i, name in enumerate(PHOTOS):
        first = (people.image_index == i).nonzero()[0, 0]  # MediaPipe's legacy graph keeps the best detection
        landmarks, world = mediapipe_poses[model, name]
        visible = landmarks[:, 3] > 0.5
        pixels = np.linalg.norm(people.keypoints[first].numpy() - landmarks[:, :2], axis=-1)
        metres = np.linalg.norm(people.world[first].numpy() - world, axis=-1)
        assert visible.sum() >= 10, name
        assert pixels[visible].mean() <= 1.0, (name, pixels[visible].mean())
        assert metres.mean() <= 0.005, (name, metres.mean())
        np.testing.assert_allclose(people.visibility[first].numpy(), landmarks[:, 3], atol=0.01, err_msg=name)


def test_belief_maps_match_the_tflite_interpreter_on_the_same_crop(asset, estimators):
    photo = read_image(asset("messi5.jpg"))
    people = estimators["full"].estimate([photo.pixels])
    pyramid = ImagePyramid(torch.from_numpy(photo.pixels.copy()).permute(2, 0, 1).float())
    crop = (pyramid.crop(crop_to_image(people.rois, 256), 256) / 255).permute(0, 2, 3, 1).numpy()
    interpreter = tfl.Interpreter(model_path=str(asset("pose_landmark_full.tflite")))
    interpreter.allocate_tensors()
    interpreter.set_tensor(interpreter.get_input_details()[0]["index"], crop[:1])
    interpreter.invoke()
    outputs = {d["name"]: interpreter.get_tensor(d["index"]) for d in interpreter.get_output_details()}
    reference = outputs["Identity_3"][0].transpose(2, 0, 1)  # (39, 64, 64) logits
    np.testing.assert_allclose(people.heatmaps[0].numpy(), reference, atol=1e-3)


def test_the_belief_map_peaks_map_to_the_landmarks_through_their_affine(asset, estimators):
    people = estimators["full"].estimate([read_image(asset("basketball1.png")).pixels])
    confident = people.visibility[0] > 0.9
    heatmaps = people.heatmaps[0, :33]
    peak = heatmaps.flatten(1).argmax(1)
    cells = torch.stack([peak % 64, peak // 64], -1).float()
    peaks = transform_points(people.heatmap_to_image[:1], cells[None])[0]
    cell_pixels = people.rois.size[0] / 256 * HEATMAP_STRIDE
    error = torch.linalg.vector_norm(peaks - people.keypoints[0], dim=-1)[confident]
    assert error.max() <= 1.5 * cell_pixels


def test_everybody_in_a_photo_is_found_best_first(asset, estimators):
    people = estimators["full"].estimate([read_image(asset("basketball2.png")).pixels])
    assert len(people.score) == 2 and people.score[0] >= people.score[1]
    hips = people.keypoints[:, 23:25].mean(1)
    assert hips[:, 0].min() < 200 and hips[:, 0].max() > 450  # one player on each side of the 640-px frame
    assert torch.all(people.pose_presence >= 0.5)


def test_a_photo_finds_the_same_people_alone_or_in_a_batch(asset, estimators):
    pixels = [read_image(asset(name)).pixels for name in ("basketball2.png", "messi5.jpg")]
    together = estimators["lite"].estimate(pixels)
    for i, image in enumerate(pixels):
        alone = estimators["lite"].estimate([image])
        mine = together.image_index == i
        torch.testing.assert_close(together.keypoints[mine], alone.keypoints, atol=0.05, rtol=0)  # pixels
        torch.testing.assert_close(together.world[mine], alone.world, atol=1e-3, rtol=0)  # metres


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_on_cuda_float32_gives_the_cpus_people_and_float16_within_a_pixel(asset, estimators):
    pixels = [read_image(asset(name)).pixels for name in PHOTOS]
    cpu = estimators["full"].estimate(pixels)
    exact = PoseEstimator(variant="full", device="cuda").estimate(pixels)
    assert exact.image_index.tolist() == cpu.image_index.tolist()
    torch.testing.assert_close(exact.keypoints.cpu(), cpu.keypoints, atol=0.05, rtol=0)  # pixels
    torch.testing.assert_close(exact.heatmaps.cpu(), cpu.heatmaps, atol=1e-3, rtol=0)
    half = PoseEstimator(variant="full", device="cuda", half=True).estimate(pixels)
    assert half.image_index.tolist() == cpu.image_index.tolist()
    assert (half.keypoints.cpu() - cpu.keypoints).norm(dim=-1).mean() <= 1.0  # pixels, as MediaPipe's parity


def test_nobody_is_found_in_a_photo_without_people_or_in_a_one_pixel_image(asset, estimators):
    people = estimators["full"].estimate([read_image(asset("home.jpg")).pixels, np.zeros((1, 1, 3), np.uint8)])
    assert len(people.image_index) == 0 and people.keypoints.shape == (0, 33, 2)


def test_a_photo_turned_a_quarter_gives_a_turned_region_and_the_turned_landmarks(asset, estimators):
    pixels = read_image(asset("messi5.jpg")).pixels
    upright = estimators["full"].estimate([pixels])
    turned = estimators["full"].estimate([np.ascontiguousarray(np.rot90(pixels, k=-1))])  # clockwise
    turn = normalize_radians(turned.rois.rotation[0] - upright.rois.rotation[0]).item()
    assert turn == pytest.approx(np.pi / 2, abs=0.1)
    x, y = upright.keypoints[0].unbind(-1)
    expected = torch.stack([pixels.shape[0] - 1 - y, x], -1)  # where a clockwise quarter turn moves each pixel
    visible = upright.visibility[0] > 0.5
    error = torch.linalg.vector_norm(turned.keypoints[0] - expected, dim=-1)[visible].mean()
    assert error < 0.025 * upright.rois.size[0]  # the network is not exactly equivariant: a few pixels


def test_a_12000_by_8000_photo_gives_landmarks_in_its_own_pixels(asset, estimators, tmp_path):
    small = Image.open(asset("messi5.jpg"))
    factor = 12000 / small.width
    big = Image.new("RGB", (12000, 8000), (30, 90, 30))
    big.paste(small.resize((12000, round(small.height * factor)), Image.Resampling.BICUBIC), (0, 300))
    path = tmp_path / "huge.jpg"
    big.save(path, quality=90)
    photo = read_image(path)
    found = estimators["full"].estimate([photo.pixels])
    reference = estimators["full"].estimate([np.asarray(small)])
    full = photo.to_full(found.keypoints[0].numpy())
    in_small = (full - [0, 300] + 0.5) / factor - 0.5
    visible = reference.visibility[0].numpy() > 0.5
    error = (in_small - reference.keypoints[0].numpy())[visible]  # pixels of the 548-px photo
    # Up- and down-sampling blur the photo a little, which moves landmarks by a pixel or two; a wrong scale
    # or offset between the reduced and the full-resolution image would move them by tens.
    assert np.linalg.norm(error, axis=-1).mean() < 4.0 and np.linalg.norm(error.mean(0)) < 2.0


def test_the_region_a_frames_landmarks_give_finds_the_person_in_the_next_frame_as_detection_does(asset, estimators):
    from make_test_video import cached_test_video

    from poselift.core.nets.pose2d import People2D, next_regions
    from poselift.core.video.video_io import VideoFrames, probe_video

    video, _ = cached_test_video(seconds=3.0)
    frames = next(iter(VideoFrames(probe_video(video), batch_frames=6))).pixels
    estimator = estimators["full"]
    first = estimator.estimate([frames[0]])
    detected = estimator.estimate([frames[5]])
    pyramids = estimator.pyramids([frames[5]])
    tracked = estimator.estimate_in_regions(pyramids, first.image_index, next_regions(first), first.score)
    assert tracked.pose_presence[0] > 0.9
    difference = torch.linalg.vector_norm(tracked.keypoints[0] - detected.keypoints[0], dim=-1)
    assert difference[detected.visibility[0] > 0.5].mean() < 3.0  # pixels, on a person 262 px tall
    both = People2D.cat([first, tracked])
    assert len(both.score) == 2 and torch.equal(both.rois.size, torch.cat([first.rois.size, tracked.rois.size]))
    empty = People2D.nobody(estimator.device)
    nobody = estimator.estimate_in_regions(pyramids, empty.image_index, empty.rois, empty.score)
    assert nobody.keypoints.shape == (0, 33, 2)
