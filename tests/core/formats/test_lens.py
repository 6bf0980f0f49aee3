"""`lens.lens_from_file`: the 35 mm-equivalent focal length in a photo's EXIF (written by Pillow) or an MP4's
QuickTime metadata (written by FFmpeg through PyAV, or added as an iPhone writes it to an MP4 PyAV made); no
metadata, a damaged file or damaged metadata gives None, never an exception."""

from __future__ import annotations

import random
import struct
import warnings
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import ExifTags, Image
from PIL.TiffImagePlugin import IFDRational
from video_samples import write_h264

from poselift.core.formats.lens import QUICKTIME_KEY, Lens, lens_from_file

EXIF = ExifTags.Base
QUICKTIME = f"QuickTime {QUICKTIME_KEY}"


def photo(path: Path, tags: dict[int, object] | None = None, size: tuple[int, int] = (64, 48)) -> Path:
    """A grey JPEG of (W, H) `size` with `tags` in its EXIF directory (none: no EXIF at all)."""
    exif = Image.Exif()
    exif.get_ifd(ExifTags.IFD.Exif).update(tags or {})
    Image.new("RGB", size, (90, 90, 90)).save(path, **({"exif": exif} if tags else {}))
    return path


def video(path: Path, metadata: dict[str, str] | None = None) -> Path:
    """A three-frame 64 x 48 H.264 MP4; `metadata` goes into its movie metadata as FFmpeg writes QuickTime 'mdta'
    keys (UTF-8 values in moov/udta/meta)."""
    if metadata is None:
        return write_h264(path, np.full((3, 48, 64, 3), 90, np.uint8), [0, 33, 67])
    with av.open(str(path), "w", options={"movflags": "use_metadata_tags"}) as out:
        out.metadata.update(metadata)
        stream = out.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for _ in range(3):
            out.mux(stream.encode(av.VideoFrame.from_ndarray(np.full((48, 64, 3), 90, np.uint8), format="rgb24")))
        out.mux(stream.encode())
    return path


def box(kind: bytes, body: bytes) -> bytes:
    """An ISO/QuickTime box: 32-bit size, four-character type, body."""
    return struct.pack(">I4s", 8 + len(body), kind) + body


def apple_meta(key: str, data_type: int, value: bytes) -> bytes:
    """A 'meta' box as an iPhone writes it into moov (QuickTime File Format, Metadata atoms; the QuickTime form,
    without the ISO version and flags): an 'mdta' handler, a keys box of the one `key`, and an ilst whose item 1
    holds `value` in a data box of the well-known type `data_type`."""
    hdlr = box(b"hdlr", bytes(8) + b"mdta" + bytes(12) + b"\0")  # version, flags, pre-defined, type, reserved, name
    keys = box(b"keys", bytes(4) + struct.pack(">I", 1) + box(b"mdta", key.encode()))  # a key entry is box-shaped
    ilst = box(b"ilst", box(struct.pack(">I", 1), box(b"data", struct.pack(">II", data_type, 0) + value)))
    return box(b"meta", hdlr + keys + ilst)


def with_in_moov(mp4: Path, out: Path, extra: bytes) -> Path:
    """`mp4` copied to `out` with `extra` appended inside its moov box, which must be its last box (PyAV writes it
    last unless asked for faststart), so no offset into the media data moves."""
    data = mp4.read_bytes()
    at = 0
    while at + int.from_bytes(data[at : at + 4], "big") < len(data):
        at += int.from_bytes(data[at : at + 4], "big")
    assert data[at + 4 : at + 8] == b"moov"
    out.write_bytes(data[:at] + struct.pack(">I", len(data) - at + len(extra)) + data[at + 4 :] + extra)
    return out


def iphone_video(folder: Path, value: bytes, data_type: int, name: str = "iphone.mp4") -> Path:
    """A PyAV MP4 with Apple's focal length key added to moov as an iPhone writes it."""
    return with_in_moov(video(folder / f"plain_{name}"), folder / name, apple_meta(QUICKTIME_KEY, data_type, value))


def test_a_photo_gives_its_exif_35mm_equivalent_before_its_own_focal_length(tmp_path):
    both = {EXIF.FocalLengthIn35mmFilm: 26, EXIF.FocalLength: IFDRational(425, 100)}
    assert lens_from_file(photo(tmp_path / "phone.jpg", both)) == Lens(26.0, "EXIF FocalLengthIn35mmFilm")


@pytest.mark.parametrize("unit, per_unit", [(3, 6250), (2, 15875), (None, 15875)])  # cm, inch, inch by default
def test_a_focal_length_is_scaled_by_the_sensor_its_focal_plane_resolution_gives(tmp_path, unit, per_unit):
    # 4000 px across a 6.4 mm sensor: 625 px/mm, so a 6 mm lens is 3750 px, 33.75 mm on a 36 mm-wide picture.
    tags = {EXIF.FocalLength: IFDRational(6, 1), EXIF.FocalPlaneXResolution: IFDRational(per_unit, 1),
            EXIF.ExifImageWidth: 4000, EXIF.ExifImageHeight: 3000}  # fmt: skip
    if unit is not None:
        tags[EXIF.FocalPlaneResolutionUnit] = unit
    lens = lens_from_file(photo(tmp_path / "camera.jpg", tags))
    assert lens.source == "EXIF FocalLength and FocalPlaneXResolution"
    assert lens.focal_mm == pytest.approx(33.75)


def test_without_pixel_dimensions_the_focal_plane_is_the_stored_images(tmp_path):
    # 100 px/mm: the 4 mm lens is 400 px on the 640 px long side (portrait, 480 x 640), 22.5 mm at 36 mm.
    tags = {EXIF.FocalLength: IFDRational(4, 1), EXIF.FocalPlaneXResolution: IFDRational(1000, 1),
            EXIF.FocalPlaneResolutionUnit: 3}  # fmt: skip
    assert lens_from_file(photo(tmp_path / "portrait.jpg", tags, (480, 640))).focal_mm == pytest.approx(22.5)


def test_a_photo_without_a_usable_focal_length_gives_none(tmp_path):
    cases = {
        "no_exif": None,
        "no_focal": {EXIF.ExposureTime: IFDRational(1, 100)},
        "focal_without_sensor": {EXIF.FocalLength: IFDRational(425, 100)},
        "unknown": {EXIF.FocalLengthIn35mmFilm: 0},  # 0: unknown, as EXIF says
        "zero_denominator": {EXIF.FocalLength: IFDRational(6, 0), EXIF.FocalPlaneXResolution: IFDRational(1, 0)},
        "no_unit": {EXIF.FocalLength: IFDRational(6, 1), EXIF.FocalPlaneXResolution: IFDRational(6250, 1),
                    EXIF.FocalPlaneResolutionUnit: 1},  # fmt: skip
        "text": {EXIF.FocalLengthIn35mmFilm: "twenty-six"},
    }
    for name, tags in cases.items():
        assert lens_from_file(photo(tmp_path / f"{name}.jpg", tags)) is None, name
    Image.new("RGB", (8, 8)).save(tmp_path / "plain.png")
    assert lens_from_file(tmp_path / "plain.png") is None


def test_damaged_exif_or_files_give_none_without_a_word(tmp_path):
    data = photo(tmp_path / "phone.jpg", {EXIF.FocalLengthIn35mmFilm: 26}).read_bytes()
    start = data.index(b"Exif\0\0") + 6  # the TIFF header of the EXIF segment
    end = start + int.from_bytes(data[start - 8 : start - 6], "big") - 8
    damaged = {
        "garbage": data[:start] + bytes(range(7, 7 + end - start)) + data[end:],
        "cut_in_exif": data[: start + 20],
        "cut": data[: len(data) // 2],
        "not_an_image": b"not a photo\n" * 10,
        "empty": b"",
    }
    generator = random.Random(7)
    for trial in range(200):  # every byte of the EXIF segment fair game
        mutated = bytearray(data)
        for _ in range(generator.randint(1, 8)):
            mutated[generator.randrange(start, end)] = generator.randrange(256)
        damaged[f"mutated{trial}"] = bytes(mutated)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for name, content in damaged.items():
            (tmp_path / f"{name}.jpg").write_bytes(content)
            lens = lens_from_file(tmp_path / f"{name}.jpg")
            assert lens is None or 1 <= lens.focal_mm <= 10000, name
        for name in ("garbage", "cut_in_exif", "not_an_image", "empty"):
            assert lens_from_file(tmp_path / f"{name}.jpg") is None, name
    assert lens_from_file(tmp_path / "absent.jpg") is None and lens_from_file(tmp_path) is None


def test_an_mp4_gives_apples_35mm_equivalent_key_as_ffmpeg_writes_it(tmp_path):
    tagged = video(tmp_path / "tagged.mp4", {QUICKTIME_KEY: "26", "com.apple.quicktime.make": "Apple"})
    assert lens_from_file(tagged) == Lens(26.0, QUICKTIME)


@pytest.mark.parametrize("data_type, value", [(21, struct.pack(">i", 26)), (22, struct.pack(">H", 26)),
                                              (23, struct.pack(">f", 26.0)), (24, struct.pack(">d", 26.0)),
                                              (1, b"26")])  # fmt: skip
def test_an_mp4_gives_apples_key_as_an_iphone_writes_it_in_any_number_type(tmp_path, data_type, value):
    tagged = iphone_video(tmp_path, value, data_type)
    with av.open(str(tagged)) as container:  # FFmpeg reads the added box as this key too (all but a float64)
        read = container.metadata.get(QUICKTIME_KEY)
    assert read is None if data_type == 24 else float(read) == 26.0
    assert lens_from_file(tagged) == Lens(26.0, QUICKTIME)


def test_an_mp4_without_the_key_or_with_no_focal_length_in_it_gives_none(tmp_path):
    assert lens_from_file(video(tmp_path / "plain.mp4")) is None  # its udta/meta: iTunes items, not 'mdta' keys
    assert lens_from_file(video(tmp_path / "other.mp4", {"com.apple.quicktime.make": "Apple"})) is None
    for name, value in {"zero": "0", "negative": "-13", "text": "wide", "nan": "nan", "huge": "1e999"}.items():
        assert lens_from_file(video(tmp_path / f"{name}.mp4", {QUICKTIME_KEY: value})) is None, name
    assert lens_from_file(iphone_video(tmp_path, b"", 21, "empty_int.mp4")) is None
    assert lens_from_file(iphone_video(tmp_path, struct.pack(">i", 26), 13, "jpeg_type.mp4")) is None


def test_a_damaged_mp4_gives_none_or_its_focal_length_never_an_exception(tmp_path):
    data = iphone_video(tmp_path, struct.pack(">i", 26), 21).read_bytes()
    meta = data.rindex(b"meta") - 4
    damaged = {
        "cut_moov": data[: len(data) - 40],
        "header_only": data[:12],
        "ftyp_and_garbage": data[:32] + bytes(range(256)) * 4,
        "huge_meta": data[:meta] + struct.pack(">I", 0xFFFFFFF0) + data[meta + 4 :],
        "tiny_box": data[:meta] + struct.pack(">I", 3) + data[meta + 4 :],
        "largesize_past_end": data[:32] + struct.pack(">I4sQ", 1, b"mdat", 1 << 62) + data[48:],
    }
    generator = random.Random(11)
    for trial in range(300):
        mutated = bytearray(data)
        for _ in range(generator.randint(1, 6)):
            mutated[generator.randrange(meta, len(data))] = generator.randrange(256)
        damaged[f"mutated{trial}"] = bytes(mutated)
    for name, content in damaged.items():
        (tmp_path / f"{name}.mp4").write_bytes(content)
        lens = lens_from_file(tmp_path / f"{name}.mp4")
        assert lens is None or 1 <= lens.focal_mm <= 10000, name
        if not name.startswith("mutated"):
            assert lens is None, name
