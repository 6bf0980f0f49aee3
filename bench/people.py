"""Everyone in the picture: people found in rendered groups against the exact truth, each person's 3D in the group
against the same person rendered alone, real photos and frames with several people, and what it costs.

    python bench/people.py [--seed 2] [--overlays DIR] [--threads 2]

Data: scripts/people_set.py's 40 pictures of `--seed` (1280 x 720, 2 to 5 people 100 to 500 px tall, a quarter with
people overlapping; built once and cached) and each person rendered alone. The tiles and the rules that keep a
person once (core/nets/tiles.py, pose2d.distinct and pose2d.confirmed) were chosen on seeds 0 and 1; seed 2, the
default here, is pictures they were not chosen on. Each picture runs through what `poselift
image` runs with several people asked for (`PoseEstimator` with `pose2d.SMALL_PEOPLE`: the whole picture and its
tiles; then `lifting.Lifter`); "whole picture only" is the detector as it was (max_people 10, no tiles). A person
found is matched to the truth person whose exact 2D is nearest (the mean distance of the 17 Human3.6M joints under
MATCH_SHARE of their height, each truth person once, nearest first); recall is over the truth people at least
RECALL_FROM_PX tall (target 95%) and over all, precision over the people found (target 95%). PA-MPJPE (mm, 17
joints, Procrustes with scale) of each matched person in the group against the same person lifted from their
picture alone (target: the mean difference within 5 mm).

Real pictures: opencv-doc's basketball photos, messi5.jpg, scikit-image's astronaut, and vtest.avi (a street, people
60 to 120 px tall) at 0, 10, 20 and 30 s: the people found with and without the tiles, their heights in pixels,
and overlay PNGs in DIR (default .cache/bench-people/).

Cost, on the rendered pictures one at a time: seconds per picture (median), whole picture only and with the tiles,
the ratio; and each further person's landmark network and lift: on the picture with most people found, the best of
REPEAT runs on all of them less that on one, over the further people.
The one-person case (max_people 1) does not look at tiles: bench/detector2d.py's figures are unchanged by them.
Prints tables and one JSON line.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))
from fetch_assets import asset_path  # noqa: E402
from people_set import cached_people_set  # noqa: E402

from poselift.core import skeleton  # noqa: E402
from poselift.core.image.overlay import write_overlay  # noqa: E402
from poselift.core.lift import lifting, metrics  # noqa: E402
from poselift.core.nets.pose2d import MAX_PEOPLE, SMALL_PEOPLE, PoseEstimator  # noqa: E402
from poselift.core.nets.roi import Rois  # noqa: E402
from poselift.core.video.video_io import VideoFrames, probe_video  # noqa: E402

H36M = [skeleton.POSELIFT.index(n) for n in skeleton.H36M_17.joints]
TO_POSELIFT = skeleton.mapping(skeleton.BLAZEPOSE_33, skeleton.POSELIFT)
MATCH_SHARE = 0.2  # of a truth person's height: the most a match's mean 2D joint distance may be
RECALL_FROM_PX = 120
PHOTOS = ("basketball1.png", "basketball2.png", "messi5.jpg", "astronaut.png")
STREET_SECONDS = (0.0, 10.0, 20.0, 30.0)
REPEAT = 5


def found_in(estimator: PoseEstimator, lifter: lifting.Lifter, pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(K, 27, 2) pixels and (K, 27, 3) metres (pose-file frame) of the people found in one (H, W, 3) picture."""
    people = estimator.estimate([pixels])
    lifted = lifter.lift(people)
    return TO_POSELIFT.apply(people.keypoints.cpu().numpy()), lifted.joints3d


def match(found2d: np.ndarray, truth2d: np.ndarray, heights: np.ndarray) -> list[tuple[int, int]]:
    """(found, truth) index pairs: nearest first, each once, mean 17-joint distance under MATCH_SHARE x height."""
    if not len(found2d) or not len(truth2d):
        return []
    distance = np.nanmean(np.linalg.norm(found2d[:, None, H36M] - truth2d[None, :, H36M], axis=-1), axis=-1)
    distance = distance / heights[None, :]
    pairs, used_f, used_t = [], set(), set()
    for f, t in zip(*np.unravel_index(np.argsort(distance, axis=None), distance.shape), strict=True):
        if f not in used_f and t not in used_t and distance[f, t] < MATCH_SHARE:
            pairs.append((int(f), int(t)))
            used_f.add(f)
            used_t.add(t)
    return pairs


def rendered(folder: Path, estimators: dict[str, PoseEstimator], lifter: lifting.Lifter) -> dict:
    """Recall, precision, seconds per picture and people found, per estimator; group and alone PA-MPJPE pairs."""
    truth = dict(np.load(folder / "truth.npz"))
    out = {name: {"seconds": [], "found": [], "matched": 0, "truth_big": 0, "matched_big": 0, "truth_all": 0}
           for name in estimators}  # fmt: skip
    pa_pairs = []
    for i, count in enumerate(truth["people"]):
        pixels = np.asarray(Image.open(folder / f"img_{i:04d}.png").convert("RGB"))
        truth2d, heights = truth["truth2d"][i, :count], truth["height_px"][i, :count]
        for name, estimator in estimators.items():
            began = time.perf_counter()
            found2d, found3d = found_in(estimator, lifter, pixels)
            row = out[name]
            row["seconds"].append(time.perf_counter() - began)
            row["found"].append(len(found2d))
            pairs = match(found2d, truth2d, heights)
            row["matched"] += len(pairs)
            row["truth_all"] += int(count)
            row["truth_big"] += int((heights >= RECALL_FROM_PX).sum())
            row["matched_big"] += sum(heights[t] >= RECALL_FROM_PX for _, t in pairs)
            if name == "with tiles":
                pa_pairs += alone_pairs(folder, i, truth, pairs, found3d, estimator, lifter)
    return {"rows": out, "pa_pairs": pa_pairs}


def alone_pairs(folder: Path, i: int, truth: dict, pairs, found3d, estimator, lifter) -> list[tuple[float, float]]:
    """(group, alone) PA-MPJPE mm of each matched person of picture `i`, lifted from their picture alone too."""
    out = []
    for f, t in pairs:
        pixels = np.asarray(Image.open(folder / f"img_{i:04d}_p{t}.png").convert("RGB"))
        alone2d, alone3d = found_in(estimator, lifter, pixels)
        mine = match(alone2d, truth["truth2d"][i, t : t + 1], truth["height_px"][i, t : t + 1])
        if not mine:
            continue
        exact = truth["truth3d_pose"][i, t][H36M].astype(np.float64)
        group = 1000 * metrics.pa_mpjpe(found3d[f][H36M].astype(np.float64), exact)
        out.append((group, 1000 * metrics.pa_mpjpe(alone3d[mine[0][0]][H36M].astype(np.float64), exact)))
    return out


def further_person_seconds(estimator: PoseEstimator, lifter: lifting.Lifter, pixels: np.ndarray) -> tuple[float, int]:
    """(seconds, people): the landmark network and the lift of each person found in `pixels` beyond the first."""
    pyramids = estimator.pyramids([pixels])
    index, rois, scores = estimator.detect_regions(pyramids)

    def best(count: int) -> float:
        times = []
        for _ in range(REPEAT):
            began = time.perf_counter()
            lifter.lift(estimator.estimate_in_regions(pyramids, index[:count], Rois(*(t[:count] for t in rois)),
                                                      scores[:count]))  # fmt: skip
            times.append(time.perf_counter() - began)
        return min(times)

    count = len(index)
    return ((best(count) - best(1)) / (count - 1) if count > 1 else float("nan")), count


def real_pictures(estimators: dict[str, PoseEstimator], lifter: lifting.Lifter, overlays: Path) -> list[dict]:
    """The people found in the real photos and street frames, with and without the tiles; overlays written."""
    pictures = {name: np.asarray(Image.open(asset_path(name)).convert("RGB")) for name in PHOTOS}
    street = asset_path("vtest.avi")
    for second in STREET_SECONDS:
        frame = next(iter(VideoFrames(probe_video(street), start=second, end=second + 0.05))).pixels[0]
        pictures[f"vtest.avi@{second:g}s"] = frame
    overlays.mkdir(parents=True, exist_ok=True)
    rows = []
    for name, pixels in pictures.items():
        row = {"picture": name}
        for label, estimator in estimators.items():
            found2d, _ = found_in(estimator, lifter, pixels)
            row[label] = sorted((round(float(np.ptp(p[:, 1]))) for p in found2d), reverse=True)
            if label == "with tiles":
                write_overlay(overlays / f"{Path(name).stem}_{name.split('@')[-1]}.png", pixels, found2d,
                              np.ones(found2d.shape[:2]), labels=[str(k) for k in range(len(found2d))])  # fmt: skip
        rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--overlays", type=Path, default=REPO / ".cache" / "bench-people")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=2, help="of the rendered set (default 2: not tuned on)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    estimators = {"whole picture only": PoseEstimator(variant="full", device="cpu", max_people=MAX_PEOPLE),
                  "with tiles": PoseEstimator(variant="full", device="cpu", max_people=MAX_PEOPLE, **SMALL_PEOPLE)}
    lifter = lifting.Lifter(device="cpu")
    folder = cached_people_set(seed=args.seed)
    result = rendered(folder, estimators, lifter)
    print(f"seed {args.seed}, {folder.name}: {len(result['rows']['with tiles']['seconds'])} rendered pictures, "
          f"{result['rows']['with tiles']['truth_all']} people; full model, cpu, {args.threads} threads")
    print(f"{'detector':20} {'recall>=' + str(RECALL_FROM_PX) + 'px':>14} {'recall all':>11} {'precision':>10} "
          f"{'s/picture':>10}")  # fmt: skip
    summary = {}
    for name, row in result["rows"].items():
        found = sum(row["found"])
        recall_big, recall_all = row["matched_big"] / row["truth_big"], row["matched"] / row["truth_all"]
        precision = row["matched"] / max(found, 1)
        seconds = float(np.median(row["seconds"]))
        summary[name] = {"recall_big": recall_big, "recall_all": recall_all, "precision": precision,
                         "median_seconds": seconds}  # fmt: skip
        print(f"{name:20} {recall_big:14.3f} {recall_all:11.3f} {precision:10.3f} {seconds:10.2f}")
    ratio = summary["with tiles"]["median_seconds"] / summary["whole picture only"]["median_seconds"]
    pairs = np.array(result["pa_pairs"])
    difference = pairs[:, 0] - pairs[:, 1] if len(pairs) else np.zeros(1)
    crowded = int(np.argmax(result["rows"]["with tiles"]["found"]))
    pixels = np.asarray(Image.open(folder / f"img_{crowded:04d}.png").convert("RGB"))
    per_person, crowd = further_person_seconds(estimators["with tiles"], lifter, pixels)
    print(f"tiles cost {ratio:.2f}x the whole picture only per picture; each further person {per_person:.3f} s "
          f"(landmarks and lift, picture {crowded}: {crowd} people)")
    print(f"PA-MPJPE of {len(pairs)} people matched in the group and alone: group {pairs[:, 0].mean():.1f} mm, "
          f"alone {pairs[:, 1].mean():.1f} mm, difference mean {difference.mean():+.1f} mm, 95th percentile "
          f"{np.percentile(difference, 95):+.1f} mm (target: mean within 5 mm)")  # fmt: skip
    real = real_pictures(estimators, lifter, args.overlays)
    print(f"\nreal pictures: heights (px) of the people found; overlays in {args.overlays}")
    for row in real:
        print(f"{row['picture']:24} whole picture only {row['whole picture only']!s:28} with tiles {row['with tiles']}")
    print(json.dumps({"bench": "people", "seed": args.seed, "summary": summary, "tiles_time_ratio": ratio,
                      "seconds_per_further_person": per_person,
                      "pa_group_mm": float(pairs[:, 0].mean()), "pa_alone_mm": float(pairs[:, 1].mean()),
                      "pa_difference_mean_mm": float(difference.mean()), "matched_pairs": len(pairs),
                      "real": real}))  # fmt: skip


if __name__ == "__main__":
    main()
