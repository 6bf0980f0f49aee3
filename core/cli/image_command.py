"""`poselift image PATH... -o OUT.npz`: photos in, a pose file out (and, with --overlay, the skeletons drawn).

BlazePose finds the people and their 2D (with --max-people above 1, the default 10, its detector also looks at
tiles of each photo, `pose2d.SMALL_PEOPLE`, for people down to about 6% of its long side; with one, at those of a
photo whose whole picture shows nobody, `pose2d.SEARCH`); `lifting.Lifter` lifts
them to 3D with the 3D pose prior (the default, or --prior FILE) through the seed's loop (--stages), scaled to a
stature (--height). Every photo and the prior file are checked before the networks load; a photo that cannot be
read stops the run with one sentence naming it. A photo with nobody in it becomes a frame with no person (said on
stderr); when no photo has anybody, nothing is written, and the sentence says how small a person BlazePose finds
(`nobody.what_to_try`). Each overlay numbers every person by their person slot in the pose file (0, 1, ...). The
pose file is written atomically at the end, each overlay atomically as soon as its photo is done, so an
interrupted run leaves no partial file.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .. import skeleton
from ..formats.posefile import PoseFileError, write_pose_file
from ..nets.weights import WeightsNotFoundError
from .common import (
    CommandError,
    add_model_options,
    build_estimator,
    build_lifter,
    check_folder,
    check_model_options,
    check_output,
)
from .nobody import what_to_try
from .progress import Progress

PHOTOS_PER_BATCH = 16
PIXELS_PER_BATCH = 64e6  # the working images of one batch (float32 on the device) stay within ~1 GB


def add_image_command(commands: argparse._SubParsersAction) -> None:
    image = commands.add_parser("image", help="find people in photos and write their poses to a pose file")
    image.add_argument("photos", nargs="+", type=Path, metavar="PATH", help="photos (JPEG, PNG, WebP, TIFF, ...)")
    image.add_argument("-o", "--output", type=Path, required=True, metavar="OUT", help="pose file, .npz or .json")
    image.add_argument("--overlay", type=Path, metavar="DIR", help="also draw the skeletons on each photo, as PNGs")
    image.add_argument("--max-people", type=int, default=10, metavar="N", help="most people per photo (default 10)")
    add_model_options(image, progress="quiet")
    image.set_defaults(run=run_image)


def run_image(args: argparse.Namespace) -> int:
    try:
        from ..image.image_io import ImageReadError
    except ImportError as e:
        print(f"poselift image needs Pillow in this Python ({sys.executable}): {e}.", file=sys.stderr)
        return 1
    progress = Progress(len(args.photos), "photos", args.progress)
    try:
        return _run(args, progress)
    except (CommandError, ImageReadError, WeightsNotFoundError, PoseFileError) as e:
        progress.error(str(e))
        print(e, file=sys.stderr)
        return 1


def _run(args: argparse.Namespace, progress: Progress) -> int:
    """The command itself; Pillow and torch are imported here, so `check` and `convert` need neither."""
    from ..image.image_io import probe_image, read_image
    from ..image.overlay import write_overlay
    from ..image.photo_poses import people_in_photos, photo_pose_sequence

    check_output(args.output, args.photos)
    if args.overlay is not None:
        check_folder(args.overlay)
    if args.max_people < 1:
        raise CommandError(f"poselift image: --max-people must be at least 1, not {args.max_people}.")
    check_model_options(args)
    sizes = [probe_image(path) for path in args.photos]
    lifter = build_lifter(args, args.device)
    if args.overlay is not None:
        _make_folder(args.overlay)
    estimator = build_estimator(args, args.max_people, "photo", args.max_people > 1)
    found = []
    overlays = _overlay_paths(args.photos, args.overlay)
    for start, stop in _batches(sizes):
        photos = [read_image(path) for path in args.photos[start:stop]]
        people2d = estimator.estimate([photo.pixels for photo in photos])
        batch = people_in_photos(photos, people2d, lifter.lift(people2d))
        for photo, people, overlay in zip(photos, batch, overlays[start:stop], strict=True):
            if overlay is not None:
                write_overlay(overlay, photo.pixels, photo.to_pixels(people.joints2d), people.confidence,
                              labels=[str(slot) for slot in range(len(people.joints2d))])  # fmt: skip
        found += batch
        progress.update(len(found), f"{len(found)} of {len(args.photos)} photos")
    nobody = [f.path for f in found if not len(f.joints2d)]
    if len(nobody) == len(found):
        where = f"{found[0].path}: no person found" if len(found) == 1 else (
            f"no person found in any of the {len(found)} photos ({found[0].path}, ...)")
        advice = what_to_try(found[0].size, "photo")
        raise CommandError(f"{where}, so no pose file was written; {advice}.")
    for path in nobody:
        print(f"{path}: no person found; its frame is marked missing.", file=sys.stderr)
    pose = photo_pose_sequence(found, model=args.model, lifting=lifter.description)
    write_pose_file(args.output, pose)
    progress.finish(str(args.output))
    print(f"wrote {args.output}: {pose.frames} photos, up to {pose.people} people each, "
          f"{len(skeleton.POSELIFT)} joints (BlazePose {args.model}, {lifter.description})")
    return 0


def _batches(sizes: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """(start, stop) ranges of photos run together: at most PHOTOS_PER_BATCH, and PIXELS_PER_BATCH once read."""
    from ..image.image_io import MAX_SIDE

    ranges, start, pixels = [], 0, 0.0
    for i, (w, h) in enumerate(sizes):
        working = w * h / max(1, -(-max(w, h) // MAX_SIDE)) ** 2
        if i > start and (i - start == PHOTOS_PER_BATCH or pixels + working > PIXELS_PER_BATCH):
            ranges.append((start, i))
            start, pixels = i, 0.0
        pixels += working
    return [*ranges, (start, len(sizes))]


def _make_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise CommandError(f"{folder}: cannot make the overlay folder ({e.strerror or e}).") from None


def _overlay_paths(photos: list[Path], folder: Path | None) -> list[Path | None]:
    """`DIR/<photo stem>_pose.png` per photo, numbered where two photos share a stem."""
    if folder is None:
        return [None] * len(photos)
    stems = [p.stem for p in photos]
    return [folder / (f"{s}_pose.png" if stems.count(s) == 1 else f"{s}_{i}_pose.png") for i, s in enumerate(stems)]
