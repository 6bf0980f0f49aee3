"""People followed through a video: BlazePose's tracking for several people, batched across frames.

As MediaPipe's pose graph does in video mode, a person found in one frame is looked for in the next frame in
the region their own landmarks give (hip centre and scale point, `pose2d.next_regions`), without the
detector. The detector runs again on the frame after a person is lost (pose presence below
`pose2d.MIN_PRESENCE`), on every frame while nobody is followed, and every `detect_every` frames to pick up
people who came into view; a detection whose region overlaps a followed person's (IoU of the regions' squares
above `SAME_PERSON_IOU`) is that person, and of two followed regions that come to overlap so, the younger is
dropped.

Batching: a batch of consecutive frames is cut into segments of `detect_every` frames followed in lockstep:
step s runs the landmark network on frame s of every segment in one call (all people of all segments), and
the detector on the segments' first frames in one call. A segment's first frame starts from detections, each
region refined once from its own landmarks before the frame is read (so it is as good as a tracked region);
the first segment of a batch also carries on the people followed at the end of the previous batch. Then, in
segment order, each person followed at the end of a segment whom nobody followed at the next one's first frame
overlaps (the detector missed them there) is followed on into it from their own regions, one landmark call per
frame for all such people, until lost or overlapping someone followed there: frame-by-frame following's people.
Pieces of track are joined across segment boundaries and short losses (up to `relink_frames` frames missed)
where the region one ends with overlaps the region the other begins with, so a person keeps one track id.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from ..nets.detector_net import box_iou
from ..nets.pose2d import MIN_PRESENCE, People2D, PoseEstimator, next_regions
from ..nets.roi import Rois

SAME_PERSON_IOU = 0.4  # regions overlapping more than this hold the same person
MIN_LINK_IOU = 0.3  # a track resumes in a region overlapping its last one at least this much
DETECT_EVERY = 8  # frames
RELINK_FRAMES = 15  # frames a track may miss and still resume under its id


@dataclass
class TrackedPeople:
    """The N people found in a batch of frames, in frame order."""

    people: People2D  # (N, ...) on the estimator's device; image_index is the frame's position in the batch
    frame: np.ndarray  # (N,) int64 position of the frame in the batch
    track: np.ndarray  # (N,) int64 track id, the same for one person across the whole video


@dataclass
class _Follow:
    """One person followed within a segment: a piece of track and the region to look in next."""

    piece: int
    region: torch.Tensor  # (4,) centre x, y, side pixels, rotation radians; on the CPU
    score: torch.Tensor  # () the detector's score when the person was found


@dataclass
class _Piece:
    first: int  # absolute frame numbers (counted from the first frame tracked)
    last: int
    first_region: torch.Tensor
    last_region: torch.Tensor
    track: int | None = None


@dataclass
class _Track:
    last: int
    region: torch.Tensor
    frames: int = 0


@dataclass
class PoseTracker:
    """Follows everybody through consecutive batches of frames with one `PoseEstimator`; see the module."""

    estimator: PoseEstimator
    detect_every: int = DETECT_EVERY
    relink_frames: int = RELINK_FRAMES
    frames_done: int = 0
    tracks: dict[int, _Track] = field(default_factory=dict)
    _carried: list[tuple[int, torch.Tensor, torch.Tensor]] = field(default_factory=list)  # (track, region, score)
    _pieces: list[_Piece] = field(default_factory=list)

    def __post_init__(self):
        if self.detect_every < 1:
            raise ValueError(f"detect_every must be at least 1, not {self.detect_every}")

    @torch.inference_mode()
    def track(self, images: Sequence[np.ndarray]) -> TrackedPeople:
        """The people in `images`, (H, W, 3) uint8 RGB frames that follow the previous batch's."""
        self._pieces = []
        if not len(images):
            return self._gather([])
        starts = list(range(0, len(images), self.detect_every))
        stops = [*starts[1:], len(images)]
        follows: list[list[_Follow]] = [[] for _ in starts]
        for track, region, score in self._carried:
            follows[0].append(_Follow(self._new_piece(0, region, track), region, score))
        lost = [False] * len(starts)
        found: list[tuple[People2D, list[int], list[int]]] = []
        followed: list[tuple[list[torch.Tensor], list[torch.Tensor]]] = [([], []) for _ in images]
        for step in range(max(b - a for a, b in zip(starts, stops, strict=True))):
            live = [s for s in range(len(starts)) if starts[s] + step < stops[s]]
            frames = [starts[s] + step for s in live]
            pyramids = self.estimator.pyramids([images[f] for f in frames])
            looking = [k for k, s in enumerate(live) if step == 0 or lost[s] or not follows[s]]
            if looking:
                self._detect(pyramids, looking, [follows[live[k]] for k in looking], [frames[k] for k in looking])
            looked = {f.piece: f.region for s in live for f in follows[s]}
            people, seen, pieces = self._landmarks(pyramids, [follows[s] for s in live])
            ok = (people.pose_presence >= MIN_PRESENCE).tolist()
            regions = _regions(next_regions(people))
            for k, s in enumerate(live):
                mine = [i for i, k_i in enumerate(seen) if k_i == k]
                lost[s] = not all(ok[i] for i in mine)
                kept = [i for i in mine if ok[i]]
                follows[s] = _distinct([_Follow(pieces[i], regions[i], people.score[i]) for i in kept])
                followed[frames[k]] = ([looked[f.piece] for f in follows[s]], [f.region for f in follows[s]])
                for follow in follows[s]:
                    self._extend(follow.piece, frames[k], follow.region)
            kept_pieces = {f.piece for s in live for f in follows[s]}
            keep = [i for i, piece in enumerate(pieces) if ok[i] and piece in kept_pieces]
            found.append((people.select(torch.tensor(keep, dtype=torch.long, device=people.score.device)),
                          [frames[seen[i]] for i in keep], [pieces[i] for i in keep]))
        going: list[_Follow] = []  # people continued through the segment before, still followed at its end
        for s in range(1, len(starts)):
            going = self._continue(images, range(starts[s], stops[s]), follows[s - 1] + going, followed, found)
        self._link()
        self._carried = [(self._pieces[f.piece].track, f.region, f.score) for f in follows[-1] + going]
        self.frames_done += len(images)
        return self._gather(found)

    def _new_piece(self, frame: int, region: torch.Tensor, track: int | None = None) -> int:
        absolute = self.frames_done + frame
        self._pieces.append(_Piece(absolute, absolute - 1, region, region, track))
        return len(self._pieces) - 1

    def _extend(self, piece: int, frame: int, region: torch.Tensor) -> None:
        p = self._pieces[piece]
        if p.last < p.first:
            p.first_region = region
        p.last, p.last_region = self.frames_done + frame, region

    def _detect(self, pyramids: list, looking: list[int], follows: list[list[_Follow]], frames: list[int]) -> None:
        """Detect in the frames `looking` (positions in `pyramids`); each new person joins `follows` of its
        segment with a region refined from the landmarks of this frame."""
        index, rois, scores = self.estimator.detect_regions([pyramids[k] for k in looking])
        if len(index) == 0:
            return
        regions, image = _regions(rois), index.tolist()
        new = [i for i, j in enumerate(image)
               if not any(_iou(regions[i], f.region) > SAME_PERSON_IOU for f in follows[j])]
        if not new:
            return
        rows = torch.tensor(new, dtype=torch.long, device=index.device)
        positions = torch.tensor(looking, dtype=torch.long, device=index.device)[index[rows]]
        people = self.estimator.estimate_in_regions(pyramids, positions, Rois(*(t[rows] for t in rois)), scores[rows])
        refined, presence = _regions(next_regions(people)), people.pose_presence.tolist()
        for n, i in enumerate(new):
            j = image[i]
            if presence[n] < MIN_PRESENCE:
                continue
            if len(follows[j]) >= self.estimator.max_people:
                continue
            region = refined[n]
            if any(_iou(region, f.region) > SAME_PERSON_IOU for f in follows[j]):
                continue
            follows[j].append(_Follow(self._new_piece(frames[j], region), region, scores[i]))

    def _continue(self, images: Sequence[np.ndarray], frames: range, going: list[_Follow],
                  followed: list[tuple[list[torch.Tensor], list[torch.Tensor]]],
                  found: list[tuple[People2D, list[int], list[int]]]) -> list[_Follow]:
        """Follow the people `going` (followed at the frame before `frames`) through `frames` from their own
        regions, one landmark call per frame for all of them, while nobody of `followed` (per frame: the regions
        looked in and the next regions of the people followed there) overlaps them; they join `found`. Returns
        those still followed after the last frame."""
        for frame in frames:
            looked, regions_next = followed[frame]
            going = [f for f in going if not any(_iou(f.region, r) > SAME_PERSON_IOU for r in looked)]
            going = going[: max(self.estimator.max_people - len(looked), 0)]
            if not going:
                return []
            people, _, pieces = self._landmarks(self.estimator.pyramids([images[frame]]), [going])
            ok = (people.pose_presence >= MIN_PRESENCE).tolist()
            regions = _regions(next_regions(people))
            going = _distinct([_Follow(f.piece, regions[i], f.score) for i, f in enumerate(going)
                               if ok[i] and not any(_iou(regions[i], r) > SAME_PERSON_IOU for r in regions_next)])
            kept = {f.piece for f in going}
            keep = [i for i, piece in enumerate(pieces) if piece in kept]
            for follow in going:
                self._extend(follow.piece, frame, follow.region)
            found.append((people.select(torch.tensor(keep, dtype=torch.long, device=people.score.device)),
                          [frame] * len(keep), [pieces[i] for i in keep]))
        return going

    def _landmarks(self, pyramids: list, follows: list[list[_Follow]]) -> tuple[People2D, list[int], list[int]]:
        """Everybody followed, in one call of the landmark network: the people, the position of each one's
        frame in `pyramids`, and each one's piece of track."""
        seen = [k for k, fs in enumerate(follows) for _ in fs]
        everyone = [f for fs in follows for f in fs]
        device = self.estimator.device
        if not everyone:
            return People2D.nobody(device), [], []
        regions = torch.stack([f.region for f in everyone]).to(device)
        rois = Rois(regions[:, :2], regions[:, 2], regions[:, 3])
        scores = torch.stack([f.score for f in everyone])
        index = torch.tensor(seen, dtype=torch.long, device=device)
        return self.estimator.estimate_in_regions(pyramids, index, rois, scores), seen, [f.piece for f in everyone]

    def _link(self) -> None:
        """Give every piece of track of this batch a track id: its carried one, a track that ended at most
        `relink_frames` frames before it began in an overlapping region, or a new one."""
        pieces = sorted((p for p in self._pieces if p.last >= p.first), key=lambda p: p.first)
        for first in sorted({p.first for p in pieces}):
            starting = [p for p in pieces if p.first == first]
            open_tracks = {t: track for t, track in self.tracks.items()
                           if first - self.relink_frames - 1 <= track.last < first
                           and all(p.track != t for p in starting)}
            pairs = sorted(((_iou(p.first_region, track.region), n, t) for n, p in enumerate(starting)
                            if p.track is None for t, track in open_tracks.items()), reverse=True)
            for overlap, n, t in pairs:
                if overlap < MIN_LINK_IOU:
                    break
                if starting[n].track is None and t in open_tracks:
                    starting[n].track = t
                    del open_tracks[t]
            for p in starting:
                if p.track is None:
                    p.track = len(self.tracks)
                track = self.tracks.setdefault(p.track, _Track(p.last, p.last_region))
                track.last, track.region = p.last, p.last_region
                track.frames += p.last - p.first + 1

    def _gather(self, found: list[tuple[People2D, list[int], list[int]]]) -> TrackedPeople:
        device = self.estimator.device
        frames = [f for _, fs, _ in found for f in fs]
        tracks = [self._pieces[p].track for _, _, ps in found for p in ps]
        if not frames:
            return TrackedPeople(People2D.nobody(device), np.zeros(0, np.int64), np.zeros(0, np.int64))
        people = People2D.cat([p for p, _, _ in found])
        frame, track = np.array(frames, np.int64), np.array(tracks, np.int64)
        order = np.lexsort((track, frame))
        people = people.select(torch.as_tensor(order, device=device))
        people = people._replace(image_index=torch.as_tensor(frame[order], device=device))
        return TrackedPeople(people, frame[order], track[order])


def _distinct(follows: list[_Follow]) -> list[_Follow]:
    """`follows` less those whose region overlaps an older piece's (a lower piece number) as the same person."""
    kept: list[_Follow] = []
    for follow in sorted(follows, key=lambda f: f.piece):
        if not any(_iou(follow.region, k.region) > SAME_PERSON_IOU for k in kept):
            kept.append(follow)
    return kept


def _regions(rois: Rois) -> torch.Tensor:
    """(N, 4) centre x, y, side (pixels), rotation (radians): the rows of `Rois`, on the CPU, where the tracking's
    bookkeeping compares them without a device round trip per pair."""
    return torch.cat([rois.centre, rois.size[:, None], rois.rotation[:, None]], -1).cpu()


def _iou(a: torch.Tensor, b: torch.Tensor) -> float:
    """Intersection over union of two regions' upright squares ((4,) centre x, y, side, rotation)."""
    def box(r: torch.Tensor) -> torch.Tensor:
        return torch.cat([r[:2] - r[2] / 2, r[:2] + r[2] / 2])[None]

    return float(box_iou(box(a), box(b))[0, 0])
