"""The seed's 2D-3D loop on real BlazePose output: how many stages, what fusion weight, render sigma and reading.

    python bench/fusion.py [--threads 1]

Inputs (real weights, real frames): BlazePose full on the 90 frames of the project's rendered test video
(scripts/make_test_video.py, 3 s, exact 2D and 3D ground truth of all 27 joints) and on the photos with people
among the test assets (messi5.jpg, basketball1.png, basketball2.png, astronaut.png: no 3D truth). Every setting
lifts with the default prior (core/lift/lifting.py's Lifter): stages x fusion weight (the network's share) x sigma
(belief-map pixels) x where the fused map is re-read (near the current landmark or near the fitted pose's
projection) x the read window's radius (map pixels). Also: the authors' prior (when $POSELIFT_AUTHORS_MODEL names it)
at 1 stage and at the chosen setting, and the baseline `poselift image` wrote before the loop: BlazePose's own
world landmarks.

Held-out shots: HELD_OUT_SHOTS, 4 s each of test3.bvh, a clip that neither the test video nor the cascade's
training shows (rendered by scripts/make_test_video.py, level and pitched 15 and 30 degrees, lenses 20 to 50 mm),
one person per frame, the pitch not told (as a photo).

Columns: on the video, the 2D error (px, mean over the 27 joints of the last stage's 2D against the truth) and
PA-MPJPE (mm, Procrustes with scale) on the 17 H3.6M joints and on all 27, and PA-MPJPE on the 17 when 15% of
the body landmarks are confident errors (`with_decoys`: what the loop exists to repair); PA-MPJPE on the 17
averaged over the held-out shots; on the photos, the share lifted ok and the 2D distance (px) to BlazePose
heavy's landmarks on the same people (a stronger network as a stand-in for truth; only joints both call
confident). The chosen setting: among those that lift as many photo people ok as 1 stage does, the least
held-out PA-MPJPE (six shots of another clip, not the one test video), a tie (within TIE_MM) going to fewer
stages, then to the larger network share.

Then the loop with the combined lifter (the default: core/lift/lifting.py) on the held-out shots: PA-MPJPE on the
17 joints per shot and their mean, the combined lifter at 1 to 3 stages and the fit, their other settings the
shipped ones. The combined lifter's stages: the least mean, a tie (within TIE_MM) going to fewer. Prints tables
and one JSON line.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from poselift.core import skeleton
from poselift.core.formats.posefile import read_pose_file
from poselift.core.image.image_io import read_image
from poselift.core.lift import belief_maps, lifting, metrics
from poselift.core.lift.lifting import DEFAULT_STAGES, Lifter, world_landmarks
from poselift.core.nets.pose2d import People2D, PoseEstimator
from poselift.core.nets.roi import invert_affine, transform_points
from poselift.core.video.video_io import VideoFrames, probe_video

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))
from authors import authors_model_path  # noqa: E402
from fetch_assets import asset_path  # noqa: E402
from make_test_video import cached_test_video  # noqa: E402

PHOTOS = ("messi5.jpg", "basketball1.png", "basketball2.png", "astronaut.png")
STAGES = (1, 2, 3)
WEIGHTS = (1.0, 0.75, 0.5)
SIGMAS = (1.5, 2.5)
READ_NEAR = ("landmark", "projection")
RADII = (4, 6, 8)
DECOYED = ("nose", "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
           "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle", "left_heel", "right_heel",
           "left_foot_index", "right_foot_index")  # fmt: skip
DECOY_SHARE = 0.15
DECOY_DISTANCE = (6.0, 12.0)  # belief-map pixels: 24 to 48 pixels of BlazePose's 256-px crop
TIE_MM = 0.5
CONFIDENT = 0.5
H36M = 17
# (start s, pitch deg down, lens mm, camera height m or None: the middle of the motion) of test3.bvh, 4 s each
HELD_OUT_SHOTS = ((10, 0.0, 50.0, None), (40, 15.0, 28.0, 1.6), (70, 0.0, 50.0, None), (100, 30.0, 20.0, 2.2),
                  (25, 15.0, 28.0, 1.4), (55, 0.0, 35.0, None))  # fmt: skip


@dataclass(frozen=True)
class Setting:
    stages: int
    weight: float
    sigma: float
    read_near: str
    radius: int

    @property
    def label(self) -> str:
        return f"{self.stages} {self.weight:.2f} {self.sigma:.1f} {self.read_near:10} {self.radius}"

    @property
    def keywords(self) -> dict:
        return {"stages": self.stages, "fusion_weight": self.weight, "sigma": self.sigma,
                "read_near": self.read_near, "radius": self.radius}  # fmt: skip


def video_frames(video: Path) -> list[np.ndarray]:
    """The video's frames as (H, W, 3) uint8 RGB, as OpenCV decodes them."""
    return list(np.concatenate([batch.pixels for batch in VideoFrames(probe_video(video))]))


def heavy_partners(full, heavy) -> tuple[np.ndarray, np.ndarray]:
    """For each person found by the full network, the index of the same person among heavy's (same image, nearest
    mean landmark distance) and that distance in px."""
    f_kp, h_kp = full.keypoints.numpy(), heavy.keypoints.numpy()
    same = full.image_index.numpy()[:, None] == heavy.image_index.numpy()[None]
    distance = np.linalg.norm(f_kp[:, None] - h_kp[None], axis=-1).mean(-1)
    distance = np.where(same, distance, np.inf)
    return distance.argmin(1), distance.min(1)


def photo_scores(lifted, heavy_2d, heavy_conf, partner, near) -> dict[str, float]:
    """Share ok, and the mean px distance to heavy's joints where both are confident (matched people only)."""
    both = (lifted.confidence >= CONFIDENT) & (heavy_conf[partner] >= CONFIDENT) & near[:, None]
    gap = np.linalg.norm(lifted.joints2d - heavy_2d[partner], axis=-1)
    return {"photo_ok": float(lifted.ok.mean()), "photo_2d_vs_heavy_px": float(gap[both].mean())}


def with_decoys(people, rng: np.random.Generator):
    """The people with DECOY_SHARE of their `DECOYED` landmarks turned into confident network errors: the belief
    map gets a stronger peak DECOY_DISTANCE map pixels away (the true one kept at 0.3) and the landmark moves there."""
    index = [skeleton.BLAZEPOSE_33.index(name) for name in DECOYED]
    n, size = len(people.image_index), people.heatmaps.shape[-1]
    picked = torch.as_tensor(rng.random((n, len(index))) < DECOY_SHARE)
    at = transform_points(invert_affine(people.heatmap_to_image), people.keypoints[:, index])  # map pixels
    angle = torch.as_tensor(rng.uniform(0, 2 * np.pi, (n, len(index))), dtype=torch.float32)
    step = torch.as_tensor(rng.uniform(*DECOY_DISTANCE, (n, len(index))), dtype=torch.float32)
    decoy = (at + step[..., None] * torch.stack([angle.cos(), angle.sin()], -1)).clamp(2, size - 3)
    maps = 0.3 * torch.sigmoid(people.heatmaps[:, index]) + 0.9 * belief_maps.render(decoy, (size, size), 1.5)
    heatmaps, keypoints = people.heatmaps.clone(), people.keypoints.clone()
    heatmaps[:, index] = torch.where(picked[..., None, None], torch.logit(maps.clamp(1e-4, 1 - 1e-4)),
                                     heatmaps[:, index])  # fmt: skip
    keypoints[:, index] = torch.where(picked[..., None], transform_points(people.heatmap_to_image, decoy),
                                      keypoints[:, index])  # fmt: skip
    return people._replace(heatmaps=heatmaps, keypoints=keypoints)


def video_scores(joints3d, joints2d, truth3d, truth2d) -> dict[str, float]:
    out = {"pa_mpjpe17_mm": 1000 * metrics.pa_mpjpe(joints3d[:, :H36M], truth3d[:, :H36M]),
           "pa_mpjpe27_mm": 1000 * metrics.pa_mpjpe(joints3d, truth3d)}  # fmt: skip
    if joints2d is not None:
        out["video_2d_px"] = float(np.linalg.norm(joints2d - truth2d, axis=-1).mean())
    return out


def held_out_people(full: PoseEstimator) -> list[tuple[People2D, np.ndarray]]:
    """Per HELD_OUT_SHOTS shot: the network's likeliest person in each frame it finds someone in (People2D) and the
    truth's 17 joints on those frames, (F, 17, 3) metres."""
    shots = []
    for start, pitch, lens, height in HELD_OUT_SHOTS:
        video, truth_file = cached_test_video(seconds=4.0, start=float(start), pitch=pitch, clip="test3.bvh",
                                              lens_mm=lens, camera_height=height)  # fmt: skip
        truth3d = read_pose_file(truth_file).joints3d[:, 0, :H36M].astype(np.float64)
        people = full.estimate(video_frames(video))
        first = np.unique(people.image_index.numpy(), return_index=True)[1]  # the likeliest person of each frame
        people = people.select(torch.as_tensor(first))
        shots.append((people, truth3d[people.image_index.numpy()]))
    return shots


def held_out_errors(lifter: Lifter, shots: list[tuple[People2D, np.ndarray]]) -> list[float]:
    """PA-MPJPE (mm, 17 joints) of `lifter` on each held-out shot."""
    return [1000 * metrics.pa_mpjpe(lifter.lift(people).joints3d[:, :H36M].astype(np.float64), truth3d)
            for people, truth3d in shots]  # fmt: skip


def held_out(shots: list[tuple[People2D, np.ndarray]]) -> tuple[dict[str, list[float]], int]:
    """PA-MPJPE (mm, 17 joints) per held-out shot of the combined lifter at each of STAGES and of the fit, their
    other settings the shipped ones; and the combined lifter's stages chosen."""
    combined = {n: f"combined, {n} stage{'s' * (n > 1)}" for n in STAGES}
    lifters = {label: Lifter(lifter="combined", stages=n) for n, label in combined.items()}
    lifters[f"fit, {DEFAULT_STAGES['fit']} stages"] = Lifter(lifter="fit")
    errors = {label: held_out_errors(lifter, shots) for label, lifter in lifters.items()}
    means = {n: np.mean(errors[label]) for n, label in combined.items()}
    stages = min(n for n in STAGES if means[n] <= min(means.values()) + TIE_MM)
    return errors, stages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    video, truth_file = cached_test_video(seconds=3.0)
    truth = read_pose_file(truth_file)
    truth3d, truth2d = truth.joints3d[:, 0].astype(np.float64), truth.joints2d[:, 0].astype(np.float64)
    full = PoseEstimator(variant="full", device="cpu")
    frames = video_frames(video)
    on_video = full.estimate(frames)
    if len(on_video.image_index) != len(frames) or (on_video.image_index.numpy() != np.arange(len(frames))).any():
        raise SystemExit("bench/fusion: BlazePose did not find exactly one person per frame of the test video")
    photos = [read_image(asset_path(name)).pixels for name in PHOTOS]
    on_photos = full.estimate(photos)
    heavy = PoseEstimator(variant="heavy", device="cpu").estimate(photos)
    to_ours = skeleton.mapping(skeleton.BLAZEPOSE_33, skeleton.POSELIFT)
    heavy_2d, heavy_conf = to_ours.apply(heavy.keypoints.numpy()), to_ours.apply_confidence(heavy.confidence.numpy())
    partner, distance = heavy_partners(on_photos, heavy)
    near = distance < 0.05 * np.array([p.shape[0] for p in photos])[on_photos.image_index.numpy()]

    rows: dict[str, dict] = {}
    rows["world landmarks"] = video_scores(world_landmarks(on_video), None, truth3d, truth2d) | {"video_2d_px": float(
        np.linalg.norm(to_ours.apply(on_video.keypoints.numpy()) - truth2d, axis=-1).mean())}

    decoyed = with_decoys(on_video, np.random.default_rng(0))
    shots = held_out_people(full)

    def scores(lifter: Lifter) -> dict:
        lifted = lifter.lift(on_video)
        row = video_scores(lifted.joints3d, lifted.joints2d, truth3d, truth2d) | {"video_ok": float(lifted.ok.mean())}
        fooled = lifter.lift(decoyed).joints3d[:, :H36M]
        row["decoys_pa_mpjpe17_mm"] = 1000 * metrics.pa_mpjpe(fooled, truth3d[:, :H36M])
        row["held_out_pa17_mm"] = float(np.mean(held_out_errors(lifter, shots)))
        return row | photo_scores(lifter.lift(on_photos), heavy_2d, heavy_conf, partner, near)

    settings = [Setting(1, 1.0, SIGMAS[0], READ_NEAR[0], RADII[0])] + [
        Setting(*s) for s in itertools.product(STAGES[1:], WEIGHTS, SIGMAS, READ_NEAR, RADII)
        if s[1] < 1 or s[2] == SIGMAS[0]  # at weight 1 the rendered maps, and so sigma, play no part
    ]  # fmt: skip
    start = time.perf_counter()
    for setting in settings:
        rows[f"default {setting.label}"] = scores(Lifter(lifter="fit", **setting.keywords)) | {"setting": setting}
    seconds = time.perf_counter() - start
    lifted_rows = {k: v for k, v in rows.items() if "setting" in v}
    most_ok = max(v["photo_ok"] for v in lifted_rows.values() if v["setting"].stages == 1)
    fair = {k: v for k, v in lifted_rows.items() if v["photo_ok"] >= most_ok}
    best = min(v["held_out_pa17_mm"] for v in fair.values())
    chosen_key = min((k for k, v in fair.items() if v["held_out_pa17_mm"] <= best + TIE_MM),
                     key=lambda k: (fair[k]["setting"].stages, -fair[k]["setting"].weight,
                                    fair[k]["held_out_pa17_mm"]))  # fmt: skip
    chosen = lifted_rows[chosen_key]["setting"]
    if (authors := authors_model_path()) is not None:
        for setting in (settings[0], chosen):
            rows[f"authors {setting.label}"] = scores(Lifter(authors, lifter="fit", **setting.keywords))

    print(f"BlazePose full: {len(frames)} test-video frames (exact truth), {len(on_photos.image_index)} people in "
          f"{len(PHOTOS)} photos ({int(near.sum())} matched to heavy's); {len(settings)} settings, {seconds:.0f} s")
    print(f"{'lift: prior stages weight sigma near radius':44} {'video 2D px':>11} {'PA17 mm':>8} {'PA27 mm':>8} "
          f"{'decoys PA17':>11} {'held-out PA17':>13} {'photo ok':>8} {'photo 2D vs heavy px':>20}")
    for label, row in rows.items():
        photo_ok = f"{100 * row['photo_ok']:7.0f}%" if "photo_ok" in row else f"{'-':>8}"
        heavy_gap = f"{row['photo_2d_vs_heavy_px']:20.2f}" if "photo_2d_vs_heavy_px" in row else f"{'-':>20}"
        mark = "  <- chosen" if label == chosen_key else ""
        decoys = f"{row['decoys_pa_mpjpe17_mm']:11.1f}" if "decoys_pa_mpjpe17_mm" in row else f"{'-':>11}"
        held = f"{row['held_out_pa17_mm']:13.1f}" if "held_out_pa17_mm" in row else f"{'-':>13}"
        print(f"{label:44} {row['video_2d_px']:11.2f} {row['pa_mpjpe17_mm']:8.1f} {row['pa_mpjpe27_mm']:8.1f} {decoys} "
              f"{held} {photo_ok} {heavy_gap}{mark}")
    shipped = Setting(DEFAULT_STAGES["fit"], lifting.FUSION_WEIGHT, lifting.RENDER_SIGMA, lifting.READ_NEAR,
                      lifting.READ_RADIUS)  # fmt: skip
    print(f"the fit's loop: chosen {chosen.label}; shipped {shipped.label}")
    errors, combined_stages = held_out(shots)
    print(f"held-out clip (test3.bvh), {len(HELD_OUT_SHOTS)} shots of 4 s, PA17 mm per shot (start s / pitch deg):")
    print(f"{'lifter':22} " + " ".join(f"{f'{s}/{p:g}':>7}" for s, p, _, _ in HELD_OUT_SHOTS) + f" {'mean':>7}")
    for label, per_shot in errors.items():
        print(f"{label:22} " + " ".join(f"{e:7.1f}" for e in per_shot) + f" {np.mean(per_shot):7.1f}")
    print(f"the combined lifter's stages chosen (least mean, within {TIE_MM:g} mm the fewer): {combined_stages}; "
          f"shipped: {DEFAULT_STAGES['combined']}")
    summary = {k: {m: round(v, 3) for m, v in row.items() if m != "setting"} for k, row in rows.items()}
    print(json.dumps({"bench": "fusion", "frames": len(frames), "chosen": chosen_key, "results": summary,
                      "held_out_pa17_mm": {k: [round(e, 2) for e in v] for k, v in errors.items()},
                      "combined_stages_chosen": combined_stages}))  # fmt: skip


if __name__ == "__main__":
    main()
