"""Whatever the bytes, the pose-file reader answers with a pose or with PoseFileError: one sentence naming the file,
without reading more than the file's format members and the limits of core/formats/limits.py allow.

The fuzz tests mutate valid pose files (.npz as written, its uncompressed twin, the JSON mirror) with a seeded
generator: flipped bytes, truncations, spliced garbage, zip headers tampered with (compression method, encryption
flag, declared sizes), .npy members of forged dtypes and shapes, JSON values of the wrong kind or nested too deep.
Each runs FUZZ_CASES cases (POSELIFT_FUZZ_CASES, default 2500) from seed POSELIFT_FUZZ_SEED (default 0) and prints
its counts of outcomes. The longer run, from the repository root:

    POSELIFT_FUZZ_CASES=100000 .venv/bin/python -m pytest -q -rP -p no:cacheprovider \
        tests/core/formats/test_posefile_fuzz.py
"""

from __future__ import annotations

import io
import json
import os
import struct
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest
from byte_mutations import Tally, flip, splice, truncate
from pose_samples import walking_sequence

from poselift.core.formats import limits
from poselift.core.formats.posefile import PoseFileError, read_person, read_pose_file, write_pose_file

FUZZ_CASES = int(os.environ.get("POSELIFT_FUZZ_CASES", "2500"))
FUZZ_SEED = int(os.environ.get("POSELIFT_FUZZ_SEED", "0"))


@pytest.fixture(scope="module")
def valid_files(tmp_path_factory) -> dict[str, bytes]:
    """The bytes of one small valid pose file in each form the fuzz starts from."""
    folder = tmp_path_factory.mktemp("valid")
    pose = walking_sequence(2)
    pose.metadata = {"note": 'a "quoted" [bracket]', "nested": {"list": [1, 2.5, None]}}
    compressed = write_pose_file(folder / "p.npz", pose)
    stored = io.BytesIO()
    np.savez(stored, **dict(np.load(compressed)))
    return {
        "npz": compressed.read_bytes(),
        "stored": stored.getvalue(),
        "json": write_pose_file(folder / "p.json", pose).read_bytes(),
    }


# Zip-level mutations: the fields of local and central headers that choose how (and how much) a member is read.
ZIP_FIELDS = {  # signature: {field: (offset, struct format)}
    b"PK\x03\x04": {"flags": (6, "<H"), "method": (8, "<H"), "compressed": (18, "<I"), "size": (22, "<I")},
    b"PK\x01\x02": {"flags": (8, "<H"), "method": (10, "<H"), "compressed": (20, "<I"), "size": (24, "<I")},
}
ZIP_VALUES = {
    "flags": (0x1, 0x8, 0x41, 0x800, 0xFFFF),
    "method": (1, 6, 9, 12, 14, 93, 98, 99, 0xFFFF),
    "compressed": (0, 1, 2**31, 2**32 - 1),
    "size": (0, 1, 2**20, 2**31, 2**32 - 1),
}


def starts_of(data: bytes, signature: bytes) -> list[int]:
    starts, i = [], data.find(signature)
    while i >= 0:
        starts.append(i)
        i = data.find(signature, i + 1)
    return starts


def tamper_zip(data: bytes, rng: np.random.Generator) -> bytes:
    out = bytearray(data)
    signature = list(ZIP_FIELDS)[int(rng.integers(0, 2))]
    starts = starts_of(data, signature)
    if not starts:
        return flip(data, rng)
    name = list(ZIP_FIELDS[signature])[int(rng.integers(0, 4))]
    offset, fmt = ZIP_FIELDS[signature][name]
    for start in rng.choice(starts, int(rng.integers(1, len(starts) + 1)), replace=False):
        choices = ZIP_VALUES[name]
        struct.pack_into(fmt, out, int(start) + offset, int(choices[int(rng.integers(0, len(choices)))]))
    return bytes(out)


# .npy-level mutations: a member replaced by one of a forged dtype and shape.
DTYPES = ("<f4", ">f8", "<i4", "|b1", "<u8", "<c8", "<M8[s]", "<m8[ns]", "|O", "|V12", "<U0", "<U5", "|S4", "<f2")
SHAPES = ((), (0,), (2,), (2, 1, 27, 3), (10**9, 1, 27, 3), (2**62, 2), (-1, 3), (1,) * 40, (2, 1, 27, 2))
MEMBERS = ("joints3d", "joints2d", "confidence", "track_id", "root", "fps", "format_version", "image_size",
           "joint_names", "source", "metadata", "extra")  # fmt: skip


def npy(descr: str, shape: tuple, data: bytes, version: int = 1) -> bytes:
    header = repr({"descr": descr, "fortran_order": False, "shape": shape}).encode()
    header += b" " * (-(len(header) + 11) % 64) + b"\n"
    size = struct.pack("<H" if version == 1 else "<I", len(header))
    return b"\x93NUMPY" + bytes([version, 0]) + size + header + data


def forge_member(data: bytes, rng: np.random.Generator) -> bytes:
    """The .npz `data` with one member replaced by a forged .npy, deflated or stored."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        members = {info.filename: z.read(info) for info in z.infolist()}
    descr, shape = DTYPES[int(rng.integers(0, len(DTYPES)))], SHAPES[int(rng.integers(0, len(SHAPES)))]
    body = rng.bytes(int(rng.choice([0, 8, 648, 1296])))
    members[f"{MEMBERS[int(rng.integers(0, len(MEMBERS)))]}.npy"] = npy(descr, shape, body, int(rng.integers(1, 4)))
    out = io.BytesIO()
    method = zipfile.ZIP_DEFLATED if rng.random() < 0.5 else zipfile.ZIP_STORED
    with zipfile.ZipFile(out, "w", method) as z:
        for name, member in members.items():
            z.writestr(name, member)
    return out.getvalue()


NPZ_MUTATIONS = (flip, truncate, splice, tamper_zip, forge_member)


def fuzz(tmp_path: Path, name: str, base: bytes, mutations, suffix: str) -> Tally:
    rng = np.random.default_rng([FUZZ_SEED, sum(name.encode())])
    path = tmp_path / f"fuzzed{suffix}"
    tally = Tally(read_pose_file, PoseFileError, "read")
    tally.fuzz(path, base, mutations, rng, FUZZ_CASES, f"{name} (seed {FUZZ_SEED})")
    return tally


@pytest.mark.parametrize("form", ["npz", "stored"])
def test_a_mutated_npz_is_read_or_refused_in_one_sentence(tmp_path, valid_files, form):
    assert fuzz(tmp_path, form, valid_files[form], NPZ_MUTATIONS, ".npz").refused > FUZZ_CASES / 2


# JSON-level mutations: a field replaced by JSON text of another kind.
JSON_VALUES = (
    "null", "true", "1e999", "-1e999", "Infinity", "NaN", "1" * 5000, '"text"', "{}", "[]", "[[[[1]]]]",
    "[" * 100_000, "[" * 60 + "]" * 60, "[" * 70 + "]" * 70, '{"a":' * 70 + "1" + "}" * 70, "[1, [2]]",
    '[null, "2"]', "[1e999]", "[-1, 1e40]", "[[0.5, 1.5], [2.5, 3.5]]", '"' + "x" * 2_000_000 + '"',
)  # fmt: skip
JSON_FIELDS = ("format_version", "fps", "image_size", "source", "joint_names", "joints3d", "joints2d", "confidence",
               "track_id", "root", "metadata", "extra")  # fmt: skip


def replace_field(data: bytes, rng: np.random.Generator) -> bytes:
    fields = json.loads(data)
    fields[JSON_FIELDS[int(rng.integers(0, len(JSON_FIELDS)))]] = "@VALUE@"
    value = JSON_VALUES[int(rng.integers(0, len(JSON_VALUES)))]
    return json.dumps(fields).replace('"@VALUE@"', value).encode()


def nest(data: bytes, rng: np.random.Generator) -> bytes:
    depth = int(rng.integers(1, 3000))
    return b"[" * depth + data + b"]" * depth


JSON_MUTATIONS = (flip, truncate, splice, replace_field, nest)


def test_a_mutated_json_mirror_is_read_or_refused_in_one_sentence(tmp_path, valid_files):
    assert fuzz(tmp_path, "json", valid_files["json"], JSON_MUTATIONS, ".json").refused > FUZZ_CASES / 2


# Each case the fuzzing found, by name.


def fields_of(valid_files) -> dict[str, np.ndarray]:
    return dict(np.load(io.BytesIO(valid_files["npz"])))


def npz_of(path: Path, members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", method) as z:
        for name, member in members.items():
            z.writestr(f"{name}.npy", member)
    return path


def npy_of(array: np.ndarray) -> bytes:
    out = io.BytesIO()
    np.lib.format.write_array(out, array)
    return out.getvalue()


def refusal(path: Path) -> str:
    with pytest.raises(PoseFileError) as caught:
        read_pose_file(path)
    return str(caught.value)


def test_an_encrypted_member_is_refused(tmp_path, valid_files):
    (tmp_path / "locked.npz").write_bytes(tamper_zip_all(valid_files["npz"], "flags", 0x1))
    assert "is encrypted" in refusal(tmp_path / "locked.npz")


def test_a_member_compressed_by_an_unsupported_method_is_refused(tmp_path, valid_files):
    data = tamper_zip_all(valid_files["npz"], "method", 99)
    (tmp_path / "odd.npz").write_bytes(data)
    assert "zip compression method 99, not stored or deflate" in refusal(tmp_path / "odd.npz")


def tamper_zip_all(data: bytes, name: str, value: int) -> bytes:
    out = bytearray(data)
    for signature, fields in ZIP_FIELDS.items():
        offset, fmt = fields[name]
        for start in starts_of(data, signature):
            struct.pack_into(fmt, out, start + offset, value)
    return bytes(out)


def test_a_damaged_deflate_stream_is_refused(tmp_path, valid_files):
    fields = fields_of(valid_files)
    members = {name: npy_of(value) for name, value in fields.items()}
    path = npz_of(tmp_path / "damaged.npz", members)
    data = bytearray(path.read_bytes())
    info = zipfile.ZipFile(path).getinfo("joints3d.npy")
    start = info.header_offset + 30 + len(info.filename)
    data[start : start + 8] = b"\xff" * 8
    path.write_bytes(bytes(data))
    assert "truncated or damaged" in refusal(path)


def test_an_absurd_declared_shape_is_refused_before_any_data_is_read(tmp_path, valid_files):
    members = {name: npy_of(value) for name, value in fields_of(valid_files).items()}
    members["joints3d"] = npy("<f4", (10**9, 1, 27, 3), b"\0" * 64)
    tracemalloc.start()
    message = refusal(npz_of(tmp_path / "absurd.npz", members))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert "joints3d declares" in message and peak < 2**20


def test_a_pose_beyond_the_limit_is_refused_from_its_headers(tmp_path, valid_files, monkeypatch):
    path = tmp_path / "long.npz"
    path.write_bytes(valid_files["npz"])
    monkeypatch.setattr(limits, "MAX_JOINT_POSITIONS", 50)
    assert "it holds 54 joint positions, more than the 50 allowed" in refusal(path)


def test_a_member_outside_the_format_is_never_decompressed(tmp_path, valid_files):
    path = tmp_path / "extra.npz"
    path.write_bytes(valid_files["npz"])
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as z, z.open("thumbnail.npy", "w") as member:
        for _ in range(256):
            member.write(bytes(2**20))  # 256 MiB of zeros in about 250 kB
    assert path.stat().st_size < 2**20
    tracemalloc.start()
    pose = read_pose_file(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert pose.frames == 2 and peak < 4 * 2**20


def test_deeply_nested_json_is_refused_before_it_is_parsed(tmp_path, valid_files):
    path = tmp_path / "deep.json"
    fields = json.loads(valid_files["json"])
    fields["metadata"] = "@DEEP@"
    path.write_text(json.dumps(fields).replace('"@DEEP@"', "[" * 100_000 + "]" * 100_000))
    assert f"more than {limits.MAX_JSON_DEPTH}" in refusal(path)


def test_deeply_nested_metadata_in_an_npz_is_refused(tmp_path, valid_files):
    fields = fields_of(valid_files) | {"metadata": np.array('{"a":' * 100 + "1" + "}" * 100)}
    np.savez(tmp_path / "deep.npz", **fields)
    assert "nested 100 levels deep" in refusal(tmp_path / "deep.npz")


def test_brackets_inside_strings_do_not_count_as_nesting():
    assert limits.json_depth('{"a": "[[[[\\"[[", "b": [1, {"c": "]]]"}]}') == 3


@pytest.mark.parametrize(("field", "at", "number"), [("track_id", (0, 0), "Infinity"), ("image_size", (0,), "1e999")])
def test_an_infinite_number_where_an_integer_belongs_is_refused(tmp_path, valid_files, field, at, number):
    fields = json.loads(valid_files["json"])
    inner = fields[field]
    for i in at[:-1]:
        inner = inner[i]
    inner[at[-1]] = "@INF@"
    path = tmp_path / "inf.json"
    path.write_text(json.dumps(fields).replace('"@INF@"', number))
    assert f"{field} holds values that are not whole numbers" in refusal(path)


@pytest.mark.parametrize("dtype", [np.complex64, "datetime64[s]", np.str_])
def test_complex_datetime_or_text_joints_are_refused(tmp_path, valid_files, dtype):
    fields = fields_of(valid_files)
    fields["joints3d"] = np.zeros(fields["joints3d"].shape, dtype)
    np.savez(tmp_path / "odd.npz", **fields)
    message = refusal(tmp_path / "odd.npz")
    assert "joints3d holds" in message and "expected real numbers" in message


def test_strings_where_numbers_belong_in_the_json_mirror_are_refused(tmp_path, valid_files):
    fields = json.loads(valid_files["json"])
    fields["confidence"][0][0][0] = "1.0"
    (tmp_path / "text.json").write_text(json.dumps(fields))
    assert "confidence is not an array of numbers" in refusal(tmp_path / "text.json")


def test_all_infinite_joints_are_reported_as_infinite(tmp_path, valid_files):
    fields = fields_of(valid_files)
    fields["joints3d"] = np.full(fields["joints3d"].shape, np.inf, np.float32)
    np.savez(tmp_path / "inf.npz", **fields)
    assert "joints3d holds infinite values" in refusal(tmp_path / "inf.npz")


def test_read_person_refuses_bad_bytes_the_same_way(tmp_path):
    path = tmp_path / "garbage.npz"
    path.write_bytes(b"PK\x03\x04" + b"\xff" * 100)
    with pytest.raises(PoseFileError, match="garbage.npz"):
        read_person(path, 0)


def test_a_json_mirror_beyond_its_limit_is_not_written(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "MAX_JSON_BYTES", 1000)
    with pytest.raises(PoseFileError, match="write it as .npz"):
        write_pose_file(tmp_path / "big.json", walking_sequence(3))
    assert not (tmp_path / "big.json").exists()
