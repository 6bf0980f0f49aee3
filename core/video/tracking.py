"""People followed through a video: BlazePose's tracking for several people, batched across frames.

As MediaPipe's pose graph does in video mode, a person found in one frame is looked for in the next frame in
the region their own landmarks give (hip centre and scale point, `pose2d.next_regions`), without the
detector. The detector runs again on the frame after a person is lost (pose presence below
`pose2d.MIN_PRESENCE`), on every frame while nobody is followed, and every `detect_every` frames to pick up
people who came into view (there, where the whole frame shows nobody, at the tiles of the estimator's
`search_sides` too: people too small for the whole picture); a detection whose region overlaps a followed person's
(IoU of the regions' squares above `SAME_PERSON_IOU`) is that person.

Where people cross, a region may slide onto the person in front. Each person's look is learnt as they are followed:
`colours`, the shares of coarse RGB bins among pixels sampled along their torso and thighs, a running mean over the
frames no other region overlaps. A person whose colours at a frame are unlike those (`likeness` under
MIN_LIKENESS) is somebody else: they are lost there. Two followed regions that overlap (IoU above
`SAME_PERSON_IOU`) hold one person where the colours there are alike too: the one less like its own colours is
dropped (on a tie, the younger). A person who reappears after a short loss
(up to `relink_frames`) resumes their track where they were going and as they looked: the region's centre moved on
at its last velocity (constant-velocity prediction), and their colours alike (`_link_cost`).

`PoseTracker.track` does a batch of consecutive frames in passes:
  1. cut it into segments of `detect_every` frames; the people followed at the end of the previous batch start
     the first segment;
  2. follow the segments in lockstep: step s runs the landmark network on frame s of every segment in one call
     (all people of all segments), and the detector, where it runs, in one call. A segment's first frame starts
     from detections, each region refined once from its own landmarks before the frame is read (so it is as
     good as a tracked region);
  3. in segment order, continue each person followed at the end of a segment whom nobody followed at the next
     one's first frame overlaps (the detector missed them there) on into it from their own regions, one
     landmark call per frame for all such people, until lost or overlapping someone followed there:
     frame-by-frame following's people;
  4. link the pieces of track across segment boundaries and short losses (up to `relink_frames` frames
     missed) where the region the other begins with lies near where the region one ends with was going and the
     colours are alike, so a person keeps one track id;
  5. carry the people followed after the last frame on to the next batch, and gather everybody found.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import NamedTuple

import numpy as np
import torch

from .. import skeleton
from ..nets.boxes import box_iou
from ..nets.pose2d import MIN_PRESENCE, People2D, PoseEstimator, confirmed, next_regions
from ..nets.roi import ImagePyramid, Rois

SAME_PERSON_IOU = 0.4  # regions overlapping more than this hold the same person
DETECT_EVERY = 8  # frames
RELINK_FRAMES = 90  # frames a track may miss and still resume under its id
LINK_SHIFT = 0.4  # sides of the region: how far from where it was going a track resumes, one frame on
LINK_SHIFT_PER_FRAME = 0.01  # sides of the region the reach grows by with each frame missed
LINK_SIZE_RATIO = 1.5  # the most a track's region may grow or shrink by where it resumes
MIN_LIKENESS = 0.35  # a person's colours at least this like the colours their piece or track has shown
CLEAR_IOU = 0.2  # a person's colours are learnt in frames where no other region overlaps theirs more
LOOK_RATE = 0.1  # the share of a frame's colours in a piece's running colours
VELOCITY_FRAMES = 10  # a piece's velocity is its move over its last frames, up to this many
COLOUR_BINS = 8  # per channel of RGB
TORSO_BAND, THIGH_BAND = 0.15, 0.06  # torso lengths either side of the line the colours are sampled along
_SHOULDERS, _HIPS, _KNEES = ([skeleton.BLAZEPOSE_33.index(f"{side}_{joint}") for side in ("left", "right")]
                             for joint in ("shoulder", "hip", "knee"))  # fmt: skip


@dataclass
class TrackedPeople:
    """The N people found in a batch of frames, in frame order."""

    people: People2D  # (N, ...) on the estimator's device; image_index is the frame's position in the batch
    frame: np.ndarray  # (N,) int64 position of the frame in the batch
    track: np.ndarray  # (N,) int64 track id, the same for one person across the whole video


@dataclass(frozen=True)
class _Follow:
    """One person followed within a segment: a piece of track and the region to look in next."""

    piece: int  # the piece's number, its index in `PoseTracker._pieces`
    region: torch.Tensor  # (4,) centre x, y, side pixels, rotation radians; on the CPU
    score: torch.Tensor  # () the detector's score when the person was found
    look: np.ndarray | None = None  # (2, COLOUR_BINS**3) their `colours` at the latest frame; None before it


class _Carried(NamedTuple):
    """A person followed after the last frame of a batch, to be looked for in the next batch's first frame."""

    track: int  # track id
    region: torch.Tensor  # (4,) the region to look in, as `_Follow.region`
    score: torch.Tensor  # () the detector's score when the person was found


@dataclass
class _Piece:
    """Consecutive frames of a batch that one person was followed through; linking gives it a track id."""

    first: int  # absolute frame numbers (counted from the first frame tracked); last < first while empty
    last: int
    first_region: torch.Tensor  # (4,) the region its first frame's landmarks give, as `_Follow.region`
    last_region: torch.Tensor  # (4,) the region its last frame's landmarks give
    track: int | None = None
    look: np.ndarray | None = None  # (2, COLOUR_BINS**3) running `colours` (its track's before its first frame)
    centres: list[tuple[int, np.ndarray]] = field(default_factory=list)  # (absolute frame, (2,) pixels), the last
    # VELOCITY_FRAMES + 1 frames' region centres

    @property
    def velocity(self) -> np.ndarray | None:
        """(2,) pixels per frame: its region centre's move over its last frames; None before two frames."""
        if len(self.centres) < 2:
            return None
        (first, start), (last, end) = self.centres[0], self.centres[-1]
        return (end - start) / (last - first)


@dataclass
class _Track:
    """One track id across batches."""

    last: int  # absolute frame number of its last frame
    region: torch.Tensor  # (4,) the region its last frame's landmarks give, as `_Follow.region`
    frames: int = 0  # frames it was found in
    velocity: np.ndarray = field(default_factory=lambda: np.zeros(2))  # (2,) pixels per frame, its region centre's
    look: np.ndarray | None = None  # (2, COLOUR_BINS**3) its latest piece's running `colours`

    def resume(self, piece: _Piece) -> None:
        """The track goes on with `piece`, its latest."""
        self.last, self.region = piece.last, piece.last_region
        self.frames += piece.last - piece.first + 1
        if piece.velocity is not None:
            self.velocity = piece.velocity
        if piece.look is not None:
            self.look = piece.look


class _Landmarks(NamedTuple):
    """One call of the landmark network on the people followed, a row each."""

    people: People2D  # (N, ...) on the estimator's device, everybody (pose presence not checked)
    image: list[int]  # (N,) position of each one's frame in the pyramids the call read
    piece: list[int]  # (N,) each one's piece of track


class _Found(NamedTuple):
    """The rows of one landmark call still followed after their frame."""

    people: People2D  # (N, ...) on the estimator's device
    frame: list[int]  # (N,) position of each one's frame in the batch
    piece: list[int]  # (N,) each one's piece of track


class _Followed(NamedTuple):
    """The people still followed in lockstep after one frame: those continued into it keep clear of them."""

    looked: list[torch.Tensor]  # (4,) regions they were looked for in at the frame, as `_Follow.region`
    onward: list[torch.Tensor]  # (4,) regions their landmarks at the frame give for the next frame
    looks: list[np.ndarray | None]  # (2, COLOUR_BINS**3) their `colours` at the frame


@dataclass
class _Segment:
    """Consecutive frames of a batch, followed from detections at the first (and the people carried in)."""

    frames: range  # positions in the batch
    follows: list[_Follow] = field(default_factory=list)  # the people followed after the latest frame done
    lost: bool = False  # somebody was lost at the latest frame done: the detector runs on the next


@dataclass
class _Batch:
    """One batch of frames being tracked: what the passes of `PoseTracker.track` read and fill in."""

    images: Sequence[np.ndarray]  # (H, W, 3) uint8 RGB
    segments: list[_Segment]
    followed: list[_Followed]  # per frame of the batch, once it is followed in lockstep
    found: list[_Found] = field(default_factory=list)  # per landmark call, in call order


@dataclass
class PoseTracker:
    """Follows everybody through consecutive batches of frames with one `PoseEstimator`; see the module."""

    estimator: PoseEstimator
    detect_every: int = DETECT_EVERY
    relink_frames: int = RELINK_FRAMES
    frames_done: int = 0
    tracks: dict[int, _Track] = field(default_factory=dict)
    _carried: list[_Carried] = field(default_factory=list)
    _pieces: list[_Piece] = field(default_factory=list)  # the current batch's, by number

    def __post_init__(self):
        if self.detect_every < 1:
            raise ValueError(f"detect_every must be at least 1, not {self.detect_every}")

    @torch.inference_mode()
    def track(self, images: Sequence[np.ndarray]) -> TrackedPeople:
        """The people in `images`, (H, W, 3) uint8 RGB frames that follow the previous batch's."""
        self._pieces = []
        if not len(images):
            return self._gather([])
        batch = self._cut_into_segments(images)
        self._follow_in_lockstep(batch)
        going = self._continue_the_missed(batch)
        self._link()
        self._carry(batch.segments[-1].follows + going)
        self.frames_done += len(images)
        return self._gather(batch.found)

    def _cut_into_segments(self, images: Sequence[np.ndarray]) -> _Batch:
        """Cut the batch into segments of `detect_every` frames; the people carried in start the first."""
        segments = [
            _Segment(range(start, min(start + self.detect_every, len(images))))
            for start in range(0, len(images), self.detect_every)
        ]
        for carried in self._carried:
            piece = self._new_piece(0, carried.region, carried.track)
            segments[0].follows.append(_Follow(piece, carried.region, carried.score))
        return _Batch(images, segments, [_Followed([], [], []) for _ in images])

    def _follow_in_lockstep(self, batch: _Batch) -> None:
        """Follow the segments in lockstep: step s reads frame s of every segment that long."""
        for step in range(max(len(segment.frames) for segment in batch.segments)):
            self._step(batch, step, [segment for segment in batch.segments if step < len(segment.frames)])

    def _step(self, batch: _Batch, step: int, live: list[_Segment]) -> None:
        """Frame `step` of each segment `live`: the detector where it runs, then everybody's landmarks."""
        frames = [segment.frames[step] for segment in live]
        pyramids = self.estimator.pyramids([batch.images[f] for f in frames])
        looking = [k for k, segment in enumerate(live) if step == 0 or segment.lost or not segment.follows]
        if looking:
            self._detect(pyramids, looking, [live[k] for k in looking], [frames[k] for k in looking], step == 0)
        looked = {f.piece: f.region for segment in live for f in segment.follows}
        seen = self._landmarks(pyramids, [segment.follows for segment in live])
        looks = _looks(seen, [batch.images[frame] for frame in frames])
        ok = self._still(seen, looks)
        regions = _regions(next_regions(seen.people))
        for k, (segment, frame) in enumerate(zip(live, frames, strict=True)):
            mine = [i for i, image in enumerate(seen.image) if image == k]
            segment.lost = not all(ok[i] for i in mine)
            segment.follows = self._distinct([_Follow(seen.piece[i], regions[i], seen.people.score[i], looks[i])
                                              for i in mine if ok[i]])  # fmt: skip
            follows = segment.follows
            batch.followed[frame] = _Followed([looked[f.piece] for f in follows], [f.region for f in follows],
                                              [f.look for f in follows])  # fmt: skip
            for follow in segment.follows:
                self._extend(follow, frame, _clear(follow.region, [f.region for f in segment.follows]))
        kept = {f.piece for segment in live for f in segment.follows}
        batch.found.append(_kept(seen, [i for i, piece in enumerate(seen.piece) if ok[i] and piece in kept], frames))

    def _continue_the_missed(self, batch: _Batch) -> list[_Follow]:
        """Continue people the detector missed into the next segment; returns those followed after the last frame."""
        going: list[_Follow] = []  # people continued through the segment before, still followed at its end
        for before, segment in pairwise(batch.segments):
            going = self._continue(batch, segment.frames, before.follows + going)
        return going

    def _carry(self, follows: list[_Follow]) -> None:
        """Keep `follows`, the people followed after the batch's last frame, under their track ids for the next."""
        self._carried = [_Carried(self._pieces[f.piece].track, f.region, f.score) for f in follows]

    def _new_piece(self, frame: int, region: torch.Tensor, track: int | None = None) -> int:
        """The number of a new, empty piece of track that begins at `frame` (position in the batch); one that goes
        on with `track` starts with its colours."""
        absolute = self.frames_done + frame
        look = None if track is None else self.tracks[track].look
        self._pieces.append(_Piece(absolute, absolute - 1, region, region, track, look))
        return len(self._pieces) - 1

    def _extend(self, follow: _Follow, frame: int, clear: bool) -> None:
        """`follow`'s piece goes on to `frame` (position in the batch), whose landmarks give its region; its
        colours learn from the frame's where nobody else's region overlaps (`clear`), or where it has none yet."""
        p = self._pieces[follow.piece]
        if p.last < p.first:
            p.first_region = follow.region
        p.last, p.last_region = self.frames_done + frame, follow.region
        p.centres = [*p.centres[-VELOCITY_FRAMES:], (p.last, follow.region[:2].numpy())]
        if follow.look is not None and (p.look is None or clear):
            p.look = follow.look if p.look is None else (1 - LOOK_RATE) * p.look + LOOK_RATE * follow.look

    def _likeness(self, piece: int, look: np.ndarray | None) -> float:
        """How like piece `piece`'s colours `look` (a person's `colours` at a frame) is (`_alike`)."""
        return _alike(self._pieces[piece].look, look)

    def _still(self, seen: _Landmarks, looks: list[np.ndarray]) -> list[bool]:
        """Per row of `seen`: still followed, a person (pose presence) who looks like their piece (`looks`, each
        row's colours at its frame): one who does not is somebody else the region slid onto."""
        present = (seen.people.pose_presence >= MIN_PRESENCE).tolist()
        return [present[i] and self._likeness(piece, looks[i]) >= MIN_LIKENESS for i, piece in enumerate(seen.piece)]

    def _distinct(self, follows: list[_Follow]) -> list[_Follow]:
        """`follows` less those who are the same person (`_same_person`) as one that looks more like its own piece
        (on a tie, an older piece: a lower piece number)."""
        kept: list[_Follow] = []
        for follow in sorted(follows, key=lambda f: (-self._likeness(f.piece, f.look), f.piece)):
            if not any(_same_person(follow.region, follow.look, k.region, k.look) for k in kept):
                kept.append(follow)
        return kept

    def _detect(self, pyramids: list[ImagePyramid], looking: list[int], segments: list[_Segment], frames: list[int],
                first: bool) -> None:  # fmt: skip
        """Detect in the images `looking` (positions in `pyramids`), frames `frames` (positions in the batch) of
        `segments`, at their `first` frames searching the tiles of a frame whose whole shows nobody
        (`PoseEstimator.detect`; not on every frame while nobody is followed); each new person joins the follows
        of its segment with a region refined from the landmarks of this frame."""
        index, rois, scores = self.estimator.detect_regions([pyramids[k] for k in looking], [first] * len(looking))
        if len(index) == 0:
            return
        regions, image = _regions(rois), index.tolist()
        new = [
            i
            for i, j in enumerate(image)
            if not any(_iou(regions[i], f.region) > SAME_PERSON_IOU for f in segments[j].follows)
        ]
        if not new:
            return
        rows = torch.tensor(new, dtype=torch.long, device=index.device)
        positions = torch.tensor(looking, dtype=torch.long, device=index.device)[index[rows]]
        people = self.estimator.estimate_in_regions(pyramids, positions, Rois(*(t[rows] for t in rois)), scores[rows])
        refined, presence = _regions(next_regions(people)), people.pose_presence.tolist()
        sure = confirmed(people).tolist()
        for n, i in enumerate(new):
            follows = segments[image[i]].follows
            if presence[n] < MIN_PRESENCE or not sure[n]:
                continue
            if len(follows) >= self.estimator.max_people:
                continue
            region = refined[n]
            if any(_iou(region, f.region) > SAME_PERSON_IOU for f in follows):
                continue
            follows.append(_Follow(self._new_piece(frames[image[i]], region), region, scores[i]))

    def _continue(self, batch: _Batch, frames: range, going: list[_Follow]) -> list[_Follow]:
        """Follow the people `going` (followed after the frame before `frames`) through `frames` from their own
        regions, one landmark call per frame for all of them, while nobody followed there in lockstep is the same
        person (`_same_person`); they join `batch.found`. Returns those still followed after the last frame."""
        for frame in frames:
            followed = batch.followed[frame]
            going = [
                f
                for f in going
                if not any(
                    _same_person(f.region, self._pieces[f.piece].look, r, look)
                    for r, look in zip(followed.looked, followed.looks, strict=True)
                )
            ]
            going = going[: max(self.estimator.max_people - len(followed.looked), 0)]
            if not going:
                return []
            seen = self._landmarks(self.estimator.pyramids([batch.images[frame]]), [going])
            looks = _looks(seen, [batch.images[frame]])
            ok = self._still(seen, looks)
            regions = _regions(next_regions(seen.people))
            onward = list(zip(followed.onward, followed.looks, strict=True))
            going = self._distinct(
                [
                    _Follow(f.piece, regions[i], f.score, looks[i])
                    for i, f in enumerate(going)
                    if ok[i] and not any(_same_person(regions[i], looks[i], *o) for o in onward)
                ]
            )
            for follow in going:
                self._extend(follow, frame, _clear(follow.region, [f.region for f in going] + followed.onward))
            kept = {f.piece for f in going}
            batch.found.append(_kept(seen, [i for i, piece in enumerate(seen.piece) if piece in kept], [frame]))
        return going

    def _landmarks(self, pyramids: list[ImagePyramid], follows: list[list[_Follow]]) -> _Landmarks:
        """Everybody in `follows` (per image of `pyramids`), in one call of the landmark network."""
        image = [k for k, fs in enumerate(follows) for _ in fs]
        everyone = [f for fs in follows for f in fs]
        device = self.estimator.device
        if not everyone:
            return _Landmarks(People2D.nobody(device), [], [])
        regions = torch.stack([f.region for f in everyone]).to(device)
        rois = Rois(regions[:, :2], regions[:, 2], regions[:, 3])
        scores = torch.stack([f.score for f in everyone])
        index = torch.tensor(image, dtype=torch.long, device=device)
        people = self.estimator.estimate_in_regions(pyramids, index, rois, scores)
        return _Landmarks(people, image, [f.piece for f in everyone])

    def _link(self) -> None:
        """Give every piece of track of this batch a track id: its carried one, a track that ended at most
        `relink_frames` frames before it began, that it goes on from where that track was going and looks like
        (`_link_cost`, the least first), or a new one."""
        pieces = sorted((p for p in self._pieces if p.last >= p.first), key=lambda p: p.first)
        for first in sorted({p.first for p in pieces}):
            starting = [p for p in pieces if p.first == first]
            open_tracks = {
                t: track
                for t, track in self.tracks.items()
                if first - self.relink_frames - 1 <= track.last < first and all(p.track != t for p in starting)
            }
            pairs = sorted(
                (cost, n, t)
                for n, p in enumerate(starting)
                if p.track is None
                for t, track in open_tracks.items()
                if (cost := _link_cost(track, p)) is not None
            )
            for _, n, t in pairs:
                if starting[n].track is None and t in open_tracks:
                    starting[n].track = t
                    del open_tracks[t]
            for p in starting:
                if p.track is None:
                    p.track = len(self.tracks)
                self.tracks.setdefault(p.track, _Track(p.last, p.last_region)).resume(p)

    def _gather(self, found: list[_Found]) -> TrackedPeople:
        """Everybody `found`, with their track ids, in frame order and by track id within a frame."""
        device = self.estimator.device
        frames = [frame for part in found for frame in part.frame]
        tracks = [self._pieces[piece].track for part in found for piece in part.piece]
        if not frames:
            return TrackedPeople(People2D.nobody(device), np.zeros(0, np.int64), np.zeros(0, np.int64))
        people = People2D.cat([part.people for part in found])
        frame, track = np.array(frames, np.int64), np.array(tracks, np.int64)
        order = np.lexsort((track, frame))
        people = people.select(torch.as_tensor(order, device=device))
        people = people._replace(image_index=torch.as_tensor(frame[order], device=device))
        return TrackedPeople(people, frame[order], track[order])


def _kept(seen: _Landmarks, rows: list[int], frames: list[int]) -> _Found:
    """The rows `rows` of `seen`, whose images are the frames `frames` (positions in the batch)."""
    people = seen.people.select(torch.tensor(rows, dtype=torch.long, device=seen.people.score.device))
    return _Found(people, [frames[seen.image[i]] for i in rows], [seen.piece[i] for i in rows])


def _link_cost(track: _Track, piece: _Piece) -> float | None:
    """How unlikely it is that `piece` goes on with `track`: the shift of its first region's centre from where the
    track's was going (at its last velocity), over the reach (LINK_SHIFT sides of the region one frame on, growing
    by LINK_SHIFT_PER_FRAME a frame missed), plus how unlike their colours are; None beyond the reach, where the
    region's size changed by more than LINK_SIZE_RATIO or the colours are less alike than MIN_LIKENESS."""
    gap = piece.first - track.last
    side = max(float(track.region[2]), float(piece.first_region[2]))
    ratio = float(piece.first_region[2] / track.region[2])
    going = track.region[:2].numpy() + gap * track.velocity
    shift = float(np.linalg.norm(piece.first_region[:2].numpy() - going)) / side
    reach = LINK_SHIFT + LINK_SHIFT_PER_FRAME * (gap - 1)
    alike = _alike(track.look, piece.look)
    if shift > reach or max(ratio, 1 / ratio) > LINK_SIZE_RATIO or alike < MIN_LIKENESS:
        return None
    return shift / reach + 1 - alike


def _same_person(region: torch.Tensor, look: np.ndarray | None, other: torch.Tensor, other_look: np.ndarray | None
                 ) -> bool:  # fmt: skip
    """Whether two regions ((4,) as `_Follow.region`) with their people's colours there (None: not known) hold one
    person: they overlap (IoU above SAME_PERSON_IOU) and the colours, where both are known, are alike (`likeness` at
    least MIN_LIKENESS). Two people who cross overlap, but each looks as they do."""
    return _iou(region, other) > SAME_PERSON_IOU and _alike(look, other_look) >= MIN_LIKENESS


def _alike(a: np.ndarray | None, b: np.ndarray | None) -> float:
    """`likeness` of two `colours`, MIN_LIKENESS (alike enough) where either is not known."""
    return MIN_LIKENESS if a is None or b is None else likeness(a, b)


def _clear(region: torch.Tensor, others: list[torch.Tensor]) -> bool:
    """Whether no region of `others` but `region` itself overlaps it more than CLEAR_IOU."""
    return not any(other is not region and _iou(region, other) > CLEAR_IOU for other in others)


def _looks(seen: _Landmarks, images: list[np.ndarray]) -> list[np.ndarray]:
    """Each row of `seen`'s `colours` in its (H, W, 3) uint8 RGB image of `images` (by `seen.image`)."""
    keypoints = seen.people.keypoints.cpu().numpy()  # (N, 33, 2) pixels of each row's image
    return [colours(images[image], keypoints[i]) for i, image in enumerate(seen.image)]


def colours(image: np.ndarray, keypoints: np.ndarray) -> np.ndarray:
    """(2, COLOUR_BINS**3) how a person looks: the share of each RGB colour bin among the pixels of an (H, W, 3)
    uint8 RGB `image` sampled on their torso (a band along the line from the shoulders' midpoint to the hips',
    TORSO_BAND torso lengths either side) and on their thighs (bands along hip to knee, THIGH_BAND either side),
    placed by their (33, 2) BlazePose keypoints (pixels of `image`)."""
    shoulders, hips, knees = keypoints[_SHOULDERS], keypoints[_HIPS], keypoints[_KNEES]
    top, bottom = shoulders.mean(axis=0), hips.mean(axis=0)
    length = max(float(np.linalg.norm(top - bottom)), 1.0)
    thighs = np.concatenate([_band(hip, knee, THIGH_BAND * length) for hip, knee in zip(hips, knees, strict=True)])
    return np.stack([_histogram(image, _band(top, bottom, TORSO_BAND * length)), _histogram(image, thighs)])


def likeness(a: np.ndarray, b: np.ndarray) -> float:
    """How alike two (2, COLOUR_BINS**3) `colours` are: the lesser of their parts' Bhattacharyya coefficients
    (1: the same shares, 0: no colour in common), so two people dressed alike in one part are told apart by the
    other."""
    return float(np.sqrt(a * b).sum(axis=-1).min())


def _band(start: np.ndarray, end: np.ndarray, half: float, along: int = 10, across: int = 5) -> np.ndarray:
    """(along * across, 2) pixels: points on the line from (2,) `start` to `end` pixels, from a tenth of the way to
    nine tenths, each moved across the line by up to `half` pixels either side."""
    step = end - start
    normal = np.array([-step[1], step[0]]) / max(float(np.linalg.norm(step)), 1e-6)
    t, s = np.linspace(0.1, 0.9, along), np.linspace(-half, half, across)
    return (start + t[:, None, None] * step + s[None, :, None] * normal).reshape(-1, 2)


def _histogram(image: np.ndarray, points: np.ndarray) -> np.ndarray:
    """(COLOUR_BINS**3,) the share of each RGB bin among the pixels of an (H, W, 3) uint8 `image` nearest (N, 2)
    `points` (pixels, clipped to the image)."""
    xy = np.clip(np.rint(points).astype(np.int64), 0, [image.shape[1] - 1, image.shape[0] - 1])
    rgb = image[xy[:, 1], xy[:, 0]].astype(np.int64) * COLOUR_BINS // 256  # (N, 3) bins
    counts = np.bincount((rgb[:, 0] * COLOUR_BINS + rgb[:, 1]) * COLOUR_BINS + rgb[:, 2], minlength=COLOUR_BINS**3)
    return counts / len(points)


def _regions(rois: Rois) -> torch.Tensor:
    """(N, 4) centre x, y, side (pixels), rotation (radians): the rows of `Rois`, on the CPU, where the tracking's
    bookkeeping compares them without a device round trip per pair."""
    return torch.cat([rois.centre, rois.size[:, None], rois.rotation[:, None]], -1).cpu()


def _iou(a: torch.Tensor, b: torch.Tensor) -> float:
    """Intersection over union of two regions' upright squares ((4,) centre x, y, side, rotation)."""

    def box(r: torch.Tensor) -> torch.Tensor:
        return torch.cat([r[:2] - r[2] / 2, r[:2] + r[2] / 2])[None]

    return float(box_iou(box(a), box(b))[0, 0])
