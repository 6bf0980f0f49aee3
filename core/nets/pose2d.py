"""The 2D pose pipeline: people detected, BlazePose regions cropped, landmarks and belief maps in one batch.

`PoseEstimator(...).estimate(images)` takes (H, W, 3) uint8 RGB images of any sizes and, as MediaPipe's pose
graph does for one person:
  1. letterboxes every image into the detector's 224 x 224 input (and, with `tile_sides`, overlapping tiles of it
     at finer scales, `tiles.views`, for people too small for the whole picture) and runs the detector on all of
     them at once; with `search_sides`, again on those tiles of the images where that finds nobody;
  2. keeps every detection (weighted NMS over all views of an image, best first, up to `max_people` per image)
     and builds its region of interest from the hip centre and the scale point (`roi.body_rois`);
  3. crops all regions of all images to 256 x 256 (grid_sample on the device) and runs the landmark network on
     all crops in one batch;
  4. refines the landmarks from the belief maps (a 9 x 9 window of sigmoid weights around each landmark, as
     MediaPipe's RefineLandmarksFromHeatmapCalculator), maps them to image pixels, and turns the world
     landmarks by the region's rotation into the image's axes.
People whose pose presence is below `MIN_PRESENCE` are dropped, as MediaPipe drops them, so a detection the
landmark network does not confirm costs time but is never a person; one person found twice (from two views whose
boxes did not merge) is kept once (`distinct`).

For video, the steps are there one by one (`pyramids`, `detect_regions`, `estimate_in_regions`, and
`next_regions`, the region a person's landmarks give for the next frame): `tracking.PoseTracker` runs the
landmark network on those regions and the detector only where it must, as MediaPipe's video mode does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch

from .. import skeleton
from . import tiles
from . import weights as weight_files
from .blazepose_net import INPUT_SIZE as CROP_SIZE
from .blazepose_net import NUM_LANDMARKS, blazepose_landmark, ieee_float32
from .detector_net import INPUT_SIZE as DETECTOR_SIZE
from .detector_net import MIN_SCORE, Detections, blazepose_detector, decode, ssd_anchors, weighted_nms
from .roi import ImagePyramid, Rois, body_rois, crop_to_image, scale_affine, transform_points
from .weights_proof import prove_weights

NUM_BODY = 33  # landmarks 0..32 are skeleton.BLAZEPOSE_33; 33 and 34 the hip centre and scale point
MIN_PRESENCE = 0.5
MAX_PEOPLE = 10
SMALL_PEOPLE = {"tile_sides": tiles.TILE_SIDES, "min_score": 0.3}  # PoseEstimator's options for people down to
# about 6% of the picture's long side: tiles, and detections from the detector's score 0.3 up, confirmed
SMALL_PEOPLE_VIDEO = SMALL_PEOPLE | {"tile_sides": tiles.VIDEO_TILE_SIDES}  # the same in video, from about 9%
SEARCH = {"search_sides": tiles.TILE_SIDES}  # the tiles of a photo whose whole picture shows nobody
SEARCH_VIDEO = {"search_sides": tiles.VIDEO_TILE_SIDES}  # of a video frame where a tracker looks afresh (`detect`)
DUPLICATE_DISTANCE = 0.1  # of a person's height: two people of one image whose landmarks are nearer are one
MIN_CONFIRMATION = 0.9  # mean landmark confidence that confirms a detection scored under MIN_SCORE
FRAGMENT_INSIDE = 0.6  # share of a smaller landmarks' box inside a surer person's: a part of them
FRAGMENT_ON_BODY = 0.2  # of its height: a part's landmarks lie this near (median) the bones of the whole
MIN_EXTENT = 0.35  # of a person's region side: landmarks spanning less are a fragment of somebody
REFINE_KERNEL = 9
REFINE_MIN_CONFIDENCE = 0.5
# Belief-map cell (column c, row r) stands for crop point (4c, 4r), as MediaPipe's refinement reads it; the
# network's regression head agrees with that reading on real photos (tests/core/nets/test_pose2d.py checks it).
HEATMAP_STRIDE = 4


class People2D(NamedTuple):
    """N people found in a batch of images, all tensors on the estimator's device, float32.

    Pixel coordinates are in the image each person was found in (`image_index`), pixel i's centre at i.
    """

    image_index: torch.Tensor  # (N,) int64, which image of the batch
    keypoints: torch.Tensor  # (N, 33, 2) landmarks, image pixels
    depth: torch.Tensor  # (N, 33) relative to the hips, image pixels (MediaPipe's z times the image width)
    visibility: torch.Tensor  # (N, 33) probability that the landmark is in view and not occluded
    presence: torch.Tensor  # (N, 33) probability that the landmark is inside the image
    world: torch.Tensor  # (N, 33, 3) metres, hip-centred; x image right, y image down, z away from the camera
    auxiliary: torch.Tensor  # (N, 2, 2) hip centre and scale point, image pixels (the next frame's region)
    heatmaps: torch.Tensor  # (N, 39, 64, 64) belief-map logits, in crop space
    heatmap_to_image: torch.Tensor  # (N, 2, 3) affine: belief-map pixel (column, row) -> image pixels
    rois: Rois  # the regions the crops were taken from
    score: torch.Tensor  # (N,) detector score
    pose_presence: torch.Tensor  # (N,) landmark network's pose presence

    @property
    def confidence(self) -> torch.Tensor:
        """(N, 33) per-landmark confidence in [0, 1]: visible and present."""
        return self.visibility * self.presence

    @classmethod
    def nobody(cls, device: torch.device) -> People2D:
        """No person: every field with N = 0."""
        def z(*shape: int) -> torch.Tensor:
            return torch.zeros((0, *shape), device=device)

        rois = Rois(z(2), z(), z())
        return cls(torch.zeros(0, dtype=torch.long, device=device), z(NUM_BODY, 2), z(NUM_BODY), z(NUM_BODY),
                   z(NUM_BODY), z(NUM_BODY, 3), z(2, 2), z(NUM_LANDMARKS, 64, 64), z(2, 3), rois, z(), z())

    def select(self, keep: torch.Tensor) -> People2D:
        """The people picked by a boolean mask or an index tensor (themselves, uncopied, where that is all of
        them in order)."""
        if keep.dtype == torch.bool:
            keep = keep.nonzero()[:, 0]  # one device sync, not one per field
            if len(keep) == len(self.score):
                return self
        elif keep.device.type == "cpu" and len(keep) == len(self.score):  # checked where it costs no device sync
            if torch.equal(keep, torch.arange(len(keep))):
                return self
        return People2D(*(Rois(*(t[keep] for t in f)) if isinstance(f, Rois) else f[keep] for f in self))

    @classmethod
    def cat(cls, parts: Sequence[People2D]) -> People2D:
        """The people of `parts` (at least one) one after the other."""
        return cls(*(Rois(*(torch.cat(t) for t in zip(*f, strict=True))) if isinstance(f[0], Rois)
                     else torch.cat(f) for f in zip(*parts, strict=True)))


class PoseEstimator:
    """BlazePose detector + landmark network of one variant on one device, ready to run on batches of images."""

    def __init__(
        self,
        *,
        variant: str = weight_files.DEFAULT_VARIANT,
        device: str | torch.device | None = None,
        half: bool = False,
        max_people: int = MAX_PEOPLE,
        tile_sides: tuple[float, ...] = (),
        search_sides: tuple[float, ...] = (),
        min_score: float = MIN_SCORE,
        batch_size: int | None = None,
        landmark_weights: str | Path | None = None,
        detector_weights: str | Path | None = None,
    ):
        self.detector = blazepose_detector(weights=detector_weights, device=device, half=half)
        self.landmark = blazepose_landmark(variant=variant, weights=landmark_weights, device=device, half=half)
        self.landmark.with_segmentation = False
        self.device = next(self.landmark.parameters()).device
        self.dtype = next(self.landmark.parameters()).dtype
        self.anchors = ssd_anchors().to(self.device)
        self.max_people = max_people
        self.tile_sides, self.search_sides, self.min_score = tuple(tile_sides), tuple(search_sides), min_score
        # Images per network call: small chunks stay in the CPU's caches; a GPU wants big ones.
        self.batch_size = batch_size or (8 if self.device.type == "cpu" else 32)
        self.variant = variant
        named = [Path(p) for p in (landmark_weights, detector_weights) if p is not None]
        if named:
            prove_weights(self, named)

    @torch.inference_mode()
    def estimate(self, images: Sequence[np.ndarray]) -> People2D:
        """Everybody in `images`, (H, W, 3) uint8 RGB arrays; see `People2D`."""
        pyramids = self.pyramids(images)
        index, rois, scores = self.detect_regions(pyramids)
        if len(index) == 0:
            return People2D.nobody(self.device)
        people = self.estimate_in_regions(pyramids, index, rois, scores)
        return distinct(people.select((people.pose_presence >= MIN_PRESENCE) & confirmed(people)))

    def pyramids(self, images: Sequence[np.ndarray]) -> list[ImagePyramid]:
        """(H, W, 3) uint8 RGB images on the device, ready to crop."""
        if not len(images):
            raise ValueError("no images to estimate poses in")
        return [ImagePyramid(self._upload(image)) for image in images]

    @torch.inference_mode()
    def detect_regions(self, pyramids: list[ImagePyramid],
                       search: Sequence[bool] | None = None) -> tuple[torch.Tensor, Rois, torch.Tensor]:  # fmt: skip
        """Every person the detector finds (`detect`, which `search` passes on), best first per image: image index
        (N,), BlazePose's region of interest, detector score (N,)."""
        index, keypoints, scores = self.detect(pyramids, search)
        return index, body_rois(keypoints[:, 0], keypoints[:, 1]), scores

    @torch.inference_mode()
    def estimate_in_regions(self, pyramids: list[ImagePyramid], index: torch.Tensor, rois: Rois,
                            scores: torch.Tensor) -> People2D:
        """The landmark network on given regions (N of them, region n in image `index[n]`), all in one batch:
        the tracked path of a video, where each region comes from the previous frame (`next_regions`).
        Nobody is dropped here: the caller reads `pose_presence`."""
        if len(index) == 0:
            return People2D.nobody(self.device)
        affines = crop_to_image(rois, CROP_SIZE)
        crops = torch.empty((len(index), 3, CROP_SIZE, CROP_SIZE), device=self.device,
                            memory_format=torch.channels_last)  # as the network takes them: no copy there
        counts = torch.bincount(index, minlength=len(pyramids)).tolist()  # the one device sync of the grouping
        for pyramid, rows in zip(pyramids, torch.argsort(index, stable=True).split(counts), strict=True):
            if len(rows):
                crops[rows] = pyramid.crop(affines[rows], CROP_SIZE, border="border")
        return self.landmarks(crops / 255, index, rois, affines, scores)

    def detect(self, pyramids: list[ImagePyramid],
               search: Sequence[bool] | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:  # fmt: skip
        """For all detections of all images, best first per image: image index (N,), the 4 keypoints
        (N, 4, 2) in image pixels, and the score (N,). The detector looks at each whole image and, with
        `tile_sides`, at its tiles (`tiles.views`), all in one batch; what the views find is merged per image.
        Images where that finds nobody are looked at again at the tiles of `search_sides`, those `search` marks
        (default: all)."""
        found = self._detect_views(pyramids, self.tile_sides)
        search = [True] * len(pyramids) if search is None else list(search)
        empty = [i for i, people in enumerate(found) if not len(people.scores) and search[i]]
        if self.search_sides and empty:
            for i, people in zip(empty, self._detect_views([pyramids[i] for i in empty], self.search_sides),
                                 strict=True):  # fmt: skip
                found[i] = people
        index = torch.tensor([i for i, people in enumerate(found) for _ in people.scores], dtype=torch.long)
        keypoints, scores = (torch.cat(t).to(self.device) for t in ([p.keypoints for p in found],
                                                                     [p.scores for p in found]))
        return index.to(self.device), keypoints, scores

    def _detect_views(self, pyramids: list[ImagePyramid], sides: tuple[float, ...]) -> list[Detections]:
        """Per image, on the host: the detections (best first, at most `max_people`) of its whole picture and its
        tiles of `sides`, merged."""
        seen = [tiles.views(p.size, sides) for p in pyramids]
        counts = [len(rois.size) for rois, _ in seen]
        rois = Rois(*(torch.cat(t).to(self.device) for t in zip(*(r for r, _ in seen), strict=True)))
        cuts = torch.cat([c for _, c in seen])
        tile = torch.cat([torch.arange(n) > 0 for n in counts])  # (V,) every view of an image but its first
        to_image = crop_to_image(rois, DETECTOR_SIZE)  # (V, 2, 3) for all views of all images
        inputs = torch.cat([p.crop(rows, DETECTOR_SIZE, border="zeros")
                            for p, rows in zip(pyramids, to_image.split(counts), strict=True)]) / 127.5 - 1
        found = decode(self._run(self.detector, inputs), self.anchors)  # (V, anchors, ...)
        # The few candidates of all views go to the host at one sync point, where the suppression merges them.
        view, anchor = (found.scores >= self.min_score).nonzero(as_tuple=True)
        boxes, keypoints, scores = (t[view, anchor].cpu() for t in found)
        view = view.cpu()
        affine = to_image[view].cpu()
        corners = transform_points(affine, boxes.unflatten(-1, (2, 2)) * DETECTOR_SIZE).flatten(-2)
        points = transform_points(affine, keypoints * DETECTOR_SIZE)
        keep = ~tiles.cut_by_tile(boxes, cuts[view]) & tiles.fits(body_rois(points[:, 0], points[:, 1]).size,
                                                                   rois.size[view].cpu(), tile[view])  # fmt: skip
        view, corners, points, scores = view[keep], corners[keep], points[keep], scores[keep]
        owner = torch.repeat_interleave(torch.arange(len(pyramids)), torch.tensor(counts))[view]
        people = []
        for i in range(len(pyramids)):
            mine = owner == i
            merged = weighted_nms(Detections(corners[mine], points[mine], scores[mine]), min_score=self.min_score)
            people.append(Detections(*(t[: self.max_people] for t in merged)))
        return people

    def landmarks(self, crops: torch.Tensor, index: torch.Tensor, rois: Rois, affines: torch.Tensor,
                  scores: torch.Tensor) -> People2D:
        """Landmarks, belief maps and world landmarks of (N, 3, 256, 256) crops in [0, 1], in image space."""
        out = self._run(self.landmark, crops)
        raw = out.landmarks.float()  # (N, 39, 5) crop pixels and logits
        heatmaps = out.heatmaps.float()
        refined = refine_from_heatmaps(raw[..., :2] / CROP_SIZE, heatmaps) * CROP_SIZE
        image_points = transform_points(affines, refined)
        return People2D(
            image_index=index,
            keypoints=image_points[:, :NUM_BODY],
            depth=raw[:, :NUM_BODY, 2] * (rois.size / CROP_SIZE)[:, None],
            visibility=torch.sigmoid(raw[:, :NUM_BODY, 3]),
            presence=torch.sigmoid(raw[:, :NUM_BODY, 4]),
            world=rotate_world(out.world.float()[:, :NUM_BODY], rois.rotation),
            auxiliary=image_points[:, NUM_BODY : NUM_BODY + 2],
            heatmaps=heatmaps,
            heatmap_to_image=scale_affine(affines, HEATMAP_STRIDE),
            rois=rois,
            score=scores,
            pose_presence=out.presence.float(),
        )

    def _upload(self, image: np.ndarray) -> torch.Tensor:
        """(3, H, W) float32 in [0, 255] on the device, from (H, W, 3) uint8 (moved as bytes)."""
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise ValueError(f"expected an (H, W, 3) uint8 RGB image, got {image.dtype} {image.shape}")
        pixels = torch.from_numpy(np.require(image, requirements=["C", "W"])).to(self.device)
        return pixels.permute(2, 0, 1).float().contiguous()

    def _run(self, net: Callable, inputs: torch.Tensor):
        """`net` over `inputs` in chunks of `batch_size`, outputs concatenated (float32)."""
        inputs = inputs.to(self.dtype).contiguous(memory_format=torch.channels_last)
        with ieee_float32(self.device):
            outs = [net(inputs[i : i + self.batch_size]) for i in range(0, len(inputs), self.batch_size)]
        return type(outs[0])(*(None if o[0] is None else (torch.cat(o) if len(o) > 1 else o[0]).float()
                               for o in zip(*outs, strict=True)))  # fmt: skip


def distinct(people: People2D, max_distance: float = DUPLICATE_DISTANCE) -> People2D:
    """The people, in their order, less those a person of the same image with a higher detector score makes a
    duplicate of: landmarks whose median distance from its is within `max_distance` of the larger one's height (the
    same person found from two views), or a smaller landmarks' box at least FRAGMENT_INSIDE inside its, those
    landmarks lying along its bones (a part of them, found by a tile)."""
    if len(people.score) < 2:
        return people
    points, image, score = people.keypoints.cpu(), people.image_index.cpu(), people.score.cpu()
    height = points[..., 1].amax(1) - points[..., 1].amin(1)
    apart = (points[:, None] - points[None]).norm(dim=-1).median(-1).values / torch.maximum(height[:, None],
                                                                                          height[None]).clamp(1)
    boxes = torch.cat([points.amin(1), points.amax(1)], -1)
    low, high = torch.maximum(boxes[None, :, :2], boxes[:, None, :2]), torch.minimum(boxes[None, :, 2:],
                                                                                     boxes[:, None, 2:])
    area = (boxes[:, 2:] - boxes[:, :2]).clamp(min=0).prod(-1)
    inside = (high - low).clamp(min=0).prod(-1) / area[None, :].clamp(min=1)  # [i, j]: share of j's box in i's
    same_image = image[:, None] == image[None, :]
    part = (inside >= FRAGMENT_INSIDE) & (area[None, :] < area[:, None]) & same_image  # [i, j]: j may be i's part
    whole, piece = part.nonzero(as_tuple=True)
    drawn_on = _to_bones(points[piece], points[whole]).median(-1).values / height[piece].clamp(1) < FRAGMENT_ON_BODY
    part[whole, piece] = drawn_on  # only landmarks lying along the whole's bones make a part
    twin = ((apart < max_distance) & same_image) | part
    keep = torch.ones(len(points), dtype=torch.bool)
    for i in score.argsort(descending=True, stable=True).tolist():
        if keep[i]:
            drop = twin[i].clone()
            drop[i] = False
            keep &= ~drop
    return people if keep.all() else people.select(keep.to(people.score.device))


def _to_bones(landmarks: torch.Tensor, skeletons: torch.Tensor) -> torch.Tensor:
    """(P, 33) pixels: how far each of (P, 33, 2) landmarks lies from the nearest bone of the person with (P, 33, 2)
    landmarks `skeletons` (BlazePose's bones and the lines across the shoulders and the hips)."""
    start = skeletons[:, _BONE_STARTS, None]  # (P, S, 1, 2)
    along = skeletons[:, _BONE_ENDS, None] - start
    offset = landmarks[:, None] - start  # (P, S, 33, 2): each landmark from each bone's start
    share = ((offset * along).sum(-1) / (along**2).sum(-1).clamp(min=1e-6)).clamp(0, 1)  # (P, S, 33) along the bone
    return (offset - share[..., None] * along).norm(dim=-1).amin(1)


_BONE_STARTS, _BONE_ENDS = (torch.tensor(ends) for ends in zip(*skeleton.BLAZEPOSE_33.bones, *(
    (skeleton.BLAZEPOSE_33.index(f"left_{joint}"), skeleton.BLAZEPOSE_33.index(f"right_{joint}"))
    for joint in ("shoulder", "hip")), strict=True))  # fmt: skip


def confirmed(people: People2D) -> torch.Tensor:
    """(N,) bool: people whose landmarks span at least MIN_EXTENT of their region's side (a whole person, not a
    fragment of somebody a tile cut), and whom the detector was sure of (score at least MIN_SCORE) or whose
    landmarks the landmark network is sure of (mean confidence at least MIN_CONFIRMATION)."""
    extent = (people.keypoints.amax(1) - people.keypoints.amin(1)).amax(-1) / people.rois.size.clamp(min=1)
    sure = (people.score >= MIN_SCORE) | (people.confidence.mean(-1) >= MIN_CONFIRMATION)
    return sure & (extent >= MIN_EXTENT)


def next_regions(people: People2D) -> Rois:
    """The region of interest of each person in the next video frame, from this frame's hip centre and scale
    point (BlazePose's tracking: no detector while the person stays in view)."""
    return body_rois(people.auxiliary[:, 0], people.auxiliary[:, 1])


def refine_from_heatmaps(points: torch.Tensor, heatmaps: torch.Tensor, *, kernel: int = REFINE_KERNEL,
                         min_confidence: float = REFINE_MIN_CONFIDENCE) -> torch.Tensor:
    """(N, L, 2) landmarks in [0, 1] crop units, refined from (N, L, h, w) belief-map logits.

    Each landmark whose belief-map cell lies on the map becomes the sigmoid-weighted mean cell (column / w,
    row / h) of the `kernel` x `kernel` window around it, when the window's largest sigmoid reaches
    `min_confidence`; a landmark off the map is kept as it is.
    """
    n, landmarks, h, w = heatmaps.shape
    col = torch.trunc(points[..., 0] * w).long()
    row = torch.trunc(points[..., 1] * h).long()
    inside = (col >= 0) & (col < w) & (row >= 0) & (row < h)
    offsets = torch.arange(kernel, device=points.device) - (kernel - 1) // 2
    cols, rows = col[..., None] + offsets, row[..., None] + offsets  # (N, L, k)
    valid = ((rows >= 0) & (rows < h))[..., :, None] & ((cols >= 0) & (cols < w))[..., None, :]  # (N, L, k, k)
    n_index = torch.arange(n, device=points.device)[:, None, None, None]
    l_index = torch.arange(landmarks, device=points.device)[None, :, None, None]
    window = torch.sigmoid(heatmaps[n_index, l_index, rows.clamp(0, h - 1)[..., :, None],
                                    cols.clamp(0, w - 1)[..., None, :]]) * valid
    total = window.sum((-1, -2))
    mean_col = (window.sum(-2) * cols).sum(-1) / total.clamp(min=1e-30)
    mean_row = (window.sum(-1) * rows).sum(-1) / total.clamp(min=1e-30)
    refine = inside & (window.amax((-1, -2)) >= min_confidence) & (total > 0)
    refined = torch.stack([mean_col / w, mean_row / h], -1)
    return torch.where(refine[..., None], refined, points)


def rotate_world(world: torch.Tensor, rotation: torch.Tensor) -> torch.Tensor:
    """(N, K, 3) world landmarks in crop axes turned by (N,) radians about z into the image's axes."""
    cos, sin = torch.cos(rotation)[:, None], torch.sin(rotation)[:, None]
    x, y, z = world.unbind(-1)
    return torch.stack([cos * x - sin * y, sin * x + cos * y, z], -1)
