"""What PoseLift gives you, in one picture: frames of a video above the animated armature PoseLift makes from it,
rendered by Blender at the same frames.

    python scripts/render_result.py [--video FILE] [--pose POSEFILE] [--frames 1,45,150,270] [--height PX]
                                    [-o OUT.png]

Without --video it uses the project's own rendered test video (scripts/make_test_video.py, 10 s from 2.5 s into
the clip: standing, kneeling down, kneeling, getting up; made once under .cache/test-video/ and reused). Unless
--pose names the pose file already made from that video, it runs `poselift video` on it (this Python,
`-m poselift.core.cli`). Then, in the bpy module, a factory-empty scene: the pose file imported by the add-on's
own addon/pose_import.py (person 0), a floor under the lowest foot, a camera on the video camera's side
(slightly to its right and above: the pose file's camera looks along +Y) aimed at the armature's bounding box
over the chosen frames, and Workbench (studio light, shadows). Blender never renders bones, so each bone is
drawn as a mesh that the armature deforms (an Armature modifier): the octahedron the viewport draws, with a
ball at each joint; the person's left side blue, right side orange. Each chosen frame is rendered and set
under the video's frame at the same time (read with OpenCV, through the pose file's frame numbers in the
video). Frames are numbered as in Blender after the import: frame 1 is the pose file's first.

Writes one PNG (under a temporary name, then renamed); any failure prints one sentence and exits 1.
"""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))

from fetch_assets import AssetError  # noqa: E402
from make_test_video import cached_test_video  # noqa: E402

from poselift.core.formats.atomic import write_atomically  # noqa: E402
from poselift.core.formats.posefile import PoseFileError, PoseSequence, read_pose_file  # noqa: E402

DEFAULT_VIDEO = {"seconds": 10.0, "start": 2.5}  # the test video: standing, kneeling down, kneeling, getting up
DEFAULT_FRAMES = (1, 45, 150, 270)  # its standing, going down, kneeling, getting up
DEFAULT_OUT = REPO / "docs" / "images" / "result.png"
AZIMUTH_DEG, ELEVATION_DEG = 20.0, 6.0  # the render camera, from the video camera's side: a little right, above
LENS_MM, SENSOR_MM = 50.0, 36.0
MARGIN = 0.08  # share of the render kept clear of the armature on each side
JOINT_RADIUS_M = 0.026
LEFT, RIGHT, CENTRE = (0.05, 0.30, 1.00), (1.00, 0.36, 0.02), (0.92, 0.90, 0.84)
BACKDROP, FLOOR = (0.60, 0.63, 0.68), (0.85, 0.84, 0.80)
# The grid: GAP pixels between cells and around them, a LABEL-pixel band above each column for its frame.
GAP, LABEL = 6, 30
PAPER, INK = (255, 255, 255), (30, 30, 34)


class RenderError(Exception):
    """A failure reported as one sentence."""


@dataclass(frozen=True)
class Cells:
    """The pictures of the grid, column by column: the video's frame above the render of the same frame."""

    frames: list[int]  # Blender frame numbers (1 = the pose file's first)
    times: list[float | None]  # seconds into the video, when the pose file says
    video: list[np.ndarray]  # (H, W, 3) uint8 RGB, already the render's size
    renders: list[np.ndarray]  # (H, W, 3) uint8 RGB


def grid_size(columns: int, cell: tuple[int, int]) -> tuple[int, int]:
    """(width, height) in pixels of the picture of `columns` columns of (width, height) cells."""
    width, height = cell
    return GAP + columns * (width + GAP), LABEL + 2 * height + 2 * GAP


def cell_box(row: int, column: int, cell: tuple[int, int]) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) of a cell of the picture: row 0 the video, row 1 the renders."""
    width, height = cell
    left, top = GAP + column * (width + GAP), LABEL + row * (height + GAP)
    return left, top, left + width, top + height


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    began = time.perf_counter()
    try:
        timings = make_picture(args.video, args.pose, args.frames, args.height, args.output)
    except (AssetError, PoseFileError, RenderError, OSError, ValueError) as e:
        print(f"render_result: {e}", file=sys.stderr)
        return 1
    timings["total_s"] = time.perf_counter() - began
    size = args.output.stat().st_size
    spent = ", ".join(f"{k.removesuffix('_s')} {v:.1f} s" for k, v in timings.items())
    print(f"wrote {args.output} ({size / 1024:.0f} KB): {spent}")
    return 0


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="render_result.py", description=__doc__.splitlines()[0])
    parser.add_argument("--video", type=Path, help="the video (default: the project's rendered test video)")
    parser.add_argument("--pose", type=Path, metavar="POSEFILE",
                        help="the pose file `poselift video` made from that video (default: run it now)")  # fmt: skip
    parser.add_argument("--frames", type=_frame_list, metavar="N,N,...",
                        help="Blender frames to show, from 1 (default: 4 spread over the motion; on the test "
                             f"video {','.join(map(str, DEFAULT_FRAMES))})")  # fmt: skip
    parser.add_argument("--height", type=int, default=384, help="height of each picture in pixels (default 384)")
    parser.add_argument("-o", "--output", type=Path, default=DEFAULT_OUT,
                        help="PNG to write (default: docs/images/result.png)")  # fmt: skip
    args = parser.parse_args(argv)
    if not 64 <= args.height <= 2160:
        parser.error("--height must be between 64 and 2160 pixels")
    if args.output.suffix.lower() != ".png":
        parser.error("the output must be a .png file")
    return args


def _frame_list(text: str) -> list[int]:
    try:
        frames = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a list of frame numbers like 1,30,60") from None
    if not frames or min(frames) < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: give one or more frame numbers, from 1")
    return frames


def make_picture(video: Path | None, pose_path: Path | None, frames: list[int] | None, height: int,
                 output: Path) -> dict[str, float]:  # fmt: skip
    """Write the picture to `output`; the seconds each step took."""
    output = output.resolve()
    if not output.parent.is_dir():
        raise RenderError(f"{output}: the folder {output.parent} does not exist.")
    timings: dict[str, float] = {}
    tick = time.perf_counter()
    test_video = video is None
    if video is None:
        print("the test video (made on first use, about 2 minutes; cached in .cache/test-video/) ...", flush=True)
        video, _ = cached_test_video(**DEFAULT_VIDEO)
    video = video.resolve()
    if not video.is_file():
        raise RenderError(f"{video}: no such file.")
    timings["video_s"] = time.perf_counter() - tick
    with tempfile.TemporaryDirectory(prefix="poselift-render-") as tmp:
        if pose_path is None:
            tick = time.perf_counter()
            pose_path = run_poselift(video, Path(tmp) / "pose.npz")
            timings["poselift_video_s"] = time.perf_counter() - tick
        pose_path = pose_path.resolve()
        pose = read_pose_file(pose_path)
        _check_pairing(pose, pose_path, video)
        if frames is None:
            frames = list(DEFAULT_FRAMES) if test_video and pose.frames >= max(DEFAULT_FRAMES) else spread(pose.frames)
        if max(frames) > pose.frames:
            raise RenderError(f"{pose_path}: has {pose.frames} frames, so frame {max(frames)} cannot be shown.")
        tick = time.perf_counter()
        pictures = video_frames(video, [video_index(pose, f) for f in frames])
        timings["read_video_s"] = time.perf_counter() - tick
        size = (round(height * pictures[0].shape[1] / pictures[0].shape[0]), height)
        tick = time.perf_counter()
        renders = render_frames(pose_path, frames, size, Path(tmp))
        timings["render_s"] = time.perf_counter() - tick
    cells = Cells(frames, [video_time(pose, f) for f in frames], [_resized(p, size) for p in pictures], renders)
    png = compose(cells)
    write_atomically(output, lambda out: out.write(png))
    return timings


def run_poselift(video: Path, pose_path: Path) -> Path:
    """`poselift video VIDEO -o POSEFILE` with this Python; the pose file."""
    print(f"poselift video {video} ...", flush=True)
    command = [sys.executable, "-m", "poselift.core.cli", "video", str(video), "-o", str(pose_path),
               "--progress", "quiet"]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0 or not pose_path.is_file():
        lines = [ln.strip() for ln in (done.stderr or done.stdout).splitlines() if ln.strip()]
        raise RenderError(f"poselift video could not turn {video} into a motion: "
                          f"{lines[-1] if lines else f'exit status {done.returncode}'}")  # fmt: skip
    return pose_path


def _check_pairing(pose: PoseSequence, pose_path: Path, video: Path) -> None:
    """Refuse a pose file made from a video of another size than `video` (the pose file may not say)."""
    import cv2

    capture = cv2.VideoCapture(str(video))
    try:
        size = (int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)), int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT)))
    finally:
        capture.release()
    made_from = tuple(pose.image_size)
    if size != (0, 0) and made_from != (0, 0) and made_from != size:
        raise RenderError(f"{pose_path}: was made from a {made_from[0]} x {made_from[1]} video, not from {video} "
                          f"({size[0]} x {size[1]}).")  # fmt: skip


def spread(count: int, columns: int = 4) -> list[int]:
    """`columns` frames spread evenly from the first to the last of `count` (fewer when there are fewer)."""
    return sorted({int(round(f)) for f in np.linspace(1, count, min(columns, count))})


def video_index(pose: PoseSequence, frame: int) -> int:
    """The frame of the video file (from 0) that the pose file's Blender frame `frame` was read from."""
    index = pose.metadata.get("frame_index")
    return int(index[frame - 1]) if isinstance(index, list) and len(index) == pose.frames else frame - 1


def video_time(pose: PoseSequence, frame: int) -> float | None:
    times = pose.metadata.get("frame_times_s")
    return float(times[frame - 1]) if isinstance(times, list) and len(times) == pose.frames else None


def video_frames(video: Path, indices: list[int]) -> list[np.ndarray]:
    """(H, W, 3) uint8 RGB frames of the video at these frame numbers (from 0), read in order with OpenCV."""
    import cv2

    capture = cv2.VideoCapture(str(video))
    if not capture.isOpened():
        raise RenderError(f"{video}: OpenCV cannot open it as a video.")
    wanted, found, position = set(indices), {}, 0
    try:
        while len(found) < len(wanted):
            ok, frame = capture.read()
            if not ok:
                break
            if position in wanted:
                found[position] = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
            position += 1
    finally:
        capture.release()
    missing = sorted(wanted - found.keys())
    if missing:
        raise RenderError(f"{video}: OpenCV read {position} frames, so its frame {missing[0] + 1} is not there.")
    return [found[i] for i in indices]


def _resized(picture: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    from PIL import Image

    if (picture.shape[1], picture.shape[0]) == size:
        return picture
    return np.asarray(Image.fromarray(picture).resize(size, Image.Resampling.LANCZOS))


# --- Blender ---------------------------------------------------------------------------------------------------


def render_frames(pose_path: Path, frames: list[int], size: tuple[int, int], tmp: Path) -> list[np.ndarray]:
    """(H, W, 3) uint8 RGB Workbench renders of the imported pose file's armature at `frames`, `size` (W, H)."""
    try:
        import bpy
    except ImportError:
        raise RenderError("this Python has no bpy module: `pip install bpy==5.0.1` (scripts/setup.sh does).") from None
    from poselift.addon.pose_import import PoseImportError, import_pose

    bpy.ops.wm.read_factory_settings(use_empty=True)
    try:
        rig = import_pose(bpy.context, pose_path)
    except PoseImportError as e:
        raise RenderError(str(e)) from None
    scene = bpy.context.scene
    frames = [scene.frame_start + f - 1 for f in frames]  # the importer keys the file's first on the first
    bones = _bone_meshes(bpy, rig)
    seen = {}  # frame: (2B, 3) bone ends, on the frames where the person is present (the importer hides the rest)
    for f in range(scene.frame_start, scene.frame_end + 1):
        points, hidden = _bone_points(bpy, rig, f)
        if not hidden:
            seen[f] = points
    if not seen:
        raise RenderError(f"{pose_path}: the person is not present in any frame.")
    floor_z = min(float(p[:, 2].min()) for p in seen.values()) - JOINT_RADIUS_M
    _floor(bpy, floor_z)
    _camera(bpy, np.concatenate([seen[f] for f in frames if f in seen] or list(seen.values())), size)
    _workbench(bpy, scene, size)
    out = []
    for f in frames:
        scene.frame_set(f)
        bones.hide_render = f not in seen
        scene.render.filepath = str(tmp / f"frame{f:05d}.png")
        bpy.ops.render.render(write_still=True)
        out.append(_read_png(Path(scene.render.filepath)))
    return out


def _bone_meshes(bpy, rig):
    """One mesh object the armature deforms: per bone the viewport's octahedron (a little wider)
    and a ball at its tail (and the root's head), weighted wholly to that bone, coloured by side."""
    import bmesh
    from mathutils import Matrix

    ball = bmesh.new()
    bmesh.ops.create_icosphere(ball, subdivisions=2, radius=JOINT_RADIUS_M)
    ball_verts = np.array([v.co for v in ball.verts])
    ball_faces = [[v.index for v in face.verts] for face in ball.faces]
    ball.free()
    mesh = bpy.data.meshes.new(f"{rig.name}_bones")
    obj = bpy.data.objects.new(mesh.name, mesh)
    bpy.context.collection.objects.link(obj)
    obj.parent = rig
    obj.matrix_parent_inverse = Matrix.Identity(4)
    verts, faces, face_colour, face_smooth, groups = [], [], [], [], {}

    def add(points: np.ndarray, polygons: list[list[int]], bone: str, colour: int, smooth: bool) -> None:
        start = len(verts)
        verts.extend(points.tolist())
        faces.extend([[start + i for i in polygon] for polygon in polygons])
        face_colour.extend([colour] * len(polygons))
        face_smooth.extend([smooth] * len(polygons))
        groups.setdefault(bone, []).extend(range(start, start + len(points)))

    for bone in rig.data.bones:
        colour = 0 if bone.name.startswith("left") else 1 if bone.name.startswith("right") else 2
        length = bone.length
        width = max(0.12 * length, 0.45 * JOINT_RADIUS_M)
        local = np.array([(0, 0, 0), (width, 0.1 * length, 0), (0, 0.1 * length, width), (-width, 0.1 * length, 0),
                          (0, 0.1 * length, -width), (0, length, 0)])  # fmt: skip
        octahedron = [[0, 2, 1], [0, 3, 2], [0, 4, 3], [0, 1, 4], [5, 1, 2], [5, 2, 3], [5, 3, 4], [5, 4, 1]]
        matrix = np.array(bone.matrix_local)
        add(local @ matrix[:3, :3].T + matrix[:3, 3], octahedron, bone.name, colour, False)
        add(ball_verts + np.array(bone.tail_local), ball_faces, bone.name, colour, True)
        if bone.parent is None:
            add(ball_verts + np.array(bone.head_local), ball_faces, bone.name, colour, True)
    mesh.from_pydata(verts, [], faces)
    mesh.polygons.foreach_set("material_index", face_colour)
    mesh.polygons.foreach_set("use_smooth", face_smooth)
    mesh.update()
    for name, colour in (("left", LEFT), ("right", RIGHT), ("centre", CENTRE)):
        material = bpy.data.materials.new(f"PoseLift {name}")
        material.diffuse_color = (*colour, 1.0)
        material.roughness = 0.45
        mesh.materials.append(material)
    for bone, indices in groups.items():
        obj.vertex_groups.new(name=bone).add(indices, 1.0, "REPLACE")
    modifier = obj.modifiers.new("Armature", "ARMATURE")
    modifier.object = rig
    return obj


def _bone_points(bpy, rig, frame: int) -> tuple[np.ndarray, bool]:
    """(2B, 3) world positions of every bone's head and tail of the evaluated armature at `frame`, and whether
    the armature is hidden from renders there."""
    bpy.context.scene.frame_set(frame)
    evaluated = rig.evaluated_get(bpy.context.evaluated_depsgraph_get())
    world = np.array(evaluated.matrix_world)
    local = np.array([p for bone in evaluated.pose.bones for p in (bone.head, bone.tail)], np.float64)
    return local @ world[:3, :3].T + world[:3, 3], bool(evaluated.hide_render)


def _floor(bpy, z: float) -> None:
    mesh = bpy.data.meshes.new("Floor")
    mesh.from_pydata([(-60, -60, z), (60, -60, z), (60, 60, z), (-60, 60, z)], [], [(0, 1, 2, 3)])
    material = bpy.data.materials.new("Floor")
    material.diffuse_color = (*FLOOR, 1.0)
    mesh.materials.append(material)
    bpy.context.scene.collection.objects.link(bpy.data.objects.new("Floor", mesh))


def _camera(bpy, points: np.ndarray, size: tuple[int, int]) -> None:
    """A camera looking along +Y turned AZIMUTH_DEG to the left and ELEVATION_DEG down (so it stands to the right
    of the video camera and above), as close as it can be with every point inside the picture, centred by lens
    shift."""
    from mathutils import Matrix

    azimuth, elevation = np.radians(AZIMUTH_DEG), np.radians(ELEVATION_DEG)
    forward = np.array([-np.sin(azimuth) * np.cos(elevation), np.cos(azimuth) * np.cos(elevation), -np.sin(elevation)])
    right = np.cross(forward, (0.0, 0.0, 1.0))
    right /= np.linalg.norm(right)
    up = np.cross(right, forward)
    target = (points.min(0) + points.max(0)) / 2
    rel = points - target
    x, y, z = rel @ right, rel @ up, rel @ forward
    width, height = size
    tan_large = SENSOR_MM / 2 / LENS_MM  # half the larger side of the picture, as a tangent
    tan_w, tan_h = (tan_large, tan_large * height / width) if width >= height else (tan_large * width / height,
                                                                                     tan_large)  # fmt: skip

    def spans(distance: float) -> tuple[float, float, float, float]:
        depth = z + distance
        u, v = x / depth, y / depth
        return u.min(), u.max(), v.min(), v.max()

    near, far = float(np.abs(z).max()) + 0.1, 1000.0  # the smallest distance where all is inside (less margin)
    for _ in range(60):
        middle = (near + far) / 2
        u0, u1, v0, v1 = spans(middle)
        fits = (u1 - u0) / 2 <= tan_w * (1 - 2 * MARGIN) and (v1 - v0) / 2 <= tan_h * (1 - 2 * MARGIN)
        near, far = (near, middle) if fits else (middle, far)
    u0, u1, v0, v1 = spans(far)
    data = bpy.data.cameras.new("Camera")
    data.lens, data.sensor_width, data.sensor_fit = LENS_MM, SENSOR_MM, "AUTO"
    data.shift_x, data.shift_y = (u0 + u1) / 2 / (2 * tan_large), (v0 + v1) / 2 / (2 * tan_large)
    data.clip_start, data.clip_end = 0.05, far * 10 + 200
    camera = bpy.data.objects.new("Camera", data)
    rotation = np.stack([right, up, -forward], axis=1)  # Blender cameras look along their -Z, up their +Y
    matrix = np.eye(4)
    matrix[:3, :3], matrix[:3, 3] = rotation, target - far * forward
    camera.matrix_world = Matrix(matrix.tolist())
    bpy.context.scene.collection.objects.link(camera)
    bpy.context.scene.camera = camera


def _workbench(bpy, scene, size: tuple[int, int]) -> None:
    scene.render.engine = "BLENDER_WORKBENCH"
    shading = scene.display.shading
    shading.light = "STUDIO"
    shading.color_type = "MATERIAL"
    shading.show_shadows = True
    shading.shadow_intensity = 0.45
    shading.show_cavity = False
    shading.show_specular_highlight = True
    scene.display.render_aa = "8"
    scene.world = scene.world or bpy.data.worlds.new("Backdrop")
    scene.world.color = BACKDROP
    scene.view_settings.view_transform = "Standard"
    scene.render.resolution_x, scene.render.resolution_y = size
    scene.render.resolution_percentage = 100
    scene.render.film_transparent = False
    settings = scene.render.image_settings
    settings.file_format, settings.color_mode, settings.color_depth = "PNG", "RGB", "8"
    for stamp in ("date", "time", "render_time", "memory", "hostname", "frame", "frame_range", "camera", "lens",
                  "scene", "marker", "filename", "sequencer_strip", "note"):  # fmt: skip
        setattr(scene.render, f"use_stamp_{stamp}", False)


def _read_png(path: Path) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


# --- the picture -----------------------------------------------------------------------------------------------


def compose(cells: Cells) -> bytes:
    """The grid as PNG bytes: a label band, the video's frames, then the renders; palette colours keep it small."""
    from PIL import Image, ImageDraw, ImageFont

    height, width = cells.renders[0].shape[:2]
    cell = (width, height)
    picture = Image.new("RGB", grid_size(len(cells.frames), cell), PAPER)
    draw = ImageDraw.Draw(picture)
    font = _font(ImageFont, 18)
    small = _font(ImageFont, 14)
    for column, frame in enumerate(cells.frames):
        left, _, right, _ = cell_box(0, column, cell)
        when = cells.times[column]
        label = f"frame {frame}" + (f"  ({when:.1f} s)" if when is not None else "")
        draw.text(((left + right) / 2, LABEL / 2), label, fill=INK, font=font, anchor="mm")
        for row, image in enumerate((cells.video[column], cells.renders[column])):
            picture.paste(Image.fromarray(image), cell_box(row, column, cell)[:2])
    for row, caption in enumerate(("video", "PoseLift armature in Blender")):
        left, _, _, bottom = cell_box(row, 0, cell)
        box = draw.textbbox((left + 8, bottom - 8), caption, font=small, anchor="ld")
        draw.rectangle((box[0] - 4, box[1] - 3, box[2] + 4, box[3] + 3), fill=(0, 0, 0))
        draw.text((left + 8, bottom - 8), caption, fill=PAPER, font=small, anchor="ld")
    out = io.BytesIO()
    picture.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
        out, format="PNG", optimize=True
    )
    return out.getvalue()


def _font(image_font, size: int):
    try:
        return image_font.load_default(size=size)
    except (TypeError, OSError):  # Pillow before 10.1, or without FreeType
        return image_font.load_default()


if __name__ == "__main__":
    sys.exit(main())
