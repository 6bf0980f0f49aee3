"""Throughput of our PyTorch BlazePose networks against the TFLite interpreter, same inputs, same CPU threads.

    python bench/blazepose_nets.py [--threads N] [--repeat R] [--models detector,lite,full,heavy]

The reference is tflite-runtime (XNNPACK, the kernels MediaPipe itself uses on CPU), one image per call, as
MediaPipe runs it. Ours runs at batch 1 and batch 16 under torch.inference_mode, channels-last, and for the
landmark networks also at batch 16 without the segmentation branch (`with_segmentation = False`). Inputs are
a real photo (opencv-doc's messi5.jpg from the asset cache), cropped and repeated. Prints a table, then one
JSON line with images per second and the ratios ours / reference.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import tflite_runtime.interpreter as tfl
import torch
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))

from fetch_assets import asset_path  # noqa: E402

from poselift.core.nets.blazepose_net import blazepose_landmark  # noqa: E402
from poselift.core.nets.detector_net import blazepose_detector  # noqa: E402

MODELS = {
    "detector": ("pose_detection.tflite", 224),
    "lite": ("pose_landmark_lite.tflite", 256),
    "full": ("pose_landmark_full.tflite", 256),
    "heavy": ("pose_landmark_heavy.tflite", 256),
}


def photo(size: int) -> np.ndarray:
    """(size, size, 3) float32 RGB in [0, 1], a square crop of messi5.jpg."""
    image = Image.open(asset_path("messi5.jpg")).convert("RGB").crop((150, 20, 406, 276))
    return np.asarray(image.resize((size, size), Image.BILINEAR), np.float32) / 255


def rate(run, images: int, repeat: int) -> float:
    """Images per second of `run` (which handles `images` images), best of `repeat` timed calls after a warm-up."""
    run()
    best = min(_timed(run) for _ in range(repeat))
    return images / best


def _timed(run) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def bench(name: str, threads: int, repeat: int) -> dict:
    file, size = MODELS[name]
    image = photo(size)
    if name == "detector":
        image = image * 2 - 1
    interpreter = tfl.Interpreter(model_path=str(asset_path(file)), num_threads=threads)
    interpreter.allocate_tensors()
    index = interpreter.get_input_details()[0]["index"]

    def reference_16() -> None:
        for _ in range(16):
            interpreter.set_tensor(index, image[None])
            interpreter.invoke()

    net = blazepose_detector(device="cpu") if name == "detector" else blazepose_landmark(variant=name, device="cpu")
    one = torch.from_numpy(image).permute(2, 0, 1)[None].contiguous(memory_format=torch.channels_last)
    sixteen = one.repeat(16, 1, 1, 1).contiguous(memory_format=torch.channels_last)

    def ours(batch: torch.Tensor):
        def run() -> None:
            with torch.inference_mode():
                net(batch)
        return run

    reference = rate(reference_16, 16, repeat)
    ours_1 = rate(lambda: [ours(one)() for _ in range(16)], 16, repeat)
    ours_16 = rate(ours(sixteen), 16, repeat)
    row = {"model": name, "reference": reference, "ours_batch1": ours_1, "ours_batch16": ours_16,
           "ratio_batch1": ours_1 / reference, "ratio_batch16": ours_16 / reference}
    if name != "detector":  # the landmark network without its 256x256 mask branch
        net.with_segmentation = False
        row["ours_batch16_no_mask"] = rate(ours(sixteen), 16, repeat)
        row["ratio_batch16_no_mask"] = row["ours_batch16_no_mask"] / reference
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--models", default=",".join(MODELS))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    rows = [bench(name, args.threads, args.repeat) for name in args.models.split(",")]
    print(f"CPU threads: {args.threads}; images per second (best of {args.repeat} runs of 16 images)")
    print(f"{'model':9} {'tflite':>8} {'ours b1':>8} {'ours b16':>9} {'b1/tflite':>10} {'b16/tflite':>11}"
          f" {'b16 no mask/tflite':>19}")
    for r in rows:
        no_mask = f"{r['ratio_batch16_no_mask']:19.2f}" if "ratio_batch16_no_mask" in r else f"{'-':>19}"
        print(f"{r['model']:9} {r['reference']:8.1f} {r['ours_batch1']:8.1f} {r['ours_batch16']:9.1f} "
              f"{r['ratio_batch1']:10.2f} {r['ratio_batch16']:11.2f} {no_mask}")
    print(json.dumps({"bench": "blazepose_nets", "threads": args.threads, "results": rows}))


if __name__ == "__main__":
    main()
