"""The Blender side of the people set (people_set.py): the lift corpus's scene (corpus_scene.CorpusScene: the anny
body keyed with one pose per frame, floor, backdrop, studio light, Workbench), its keyed body hidden, and per image
a still copy of that body for each person: the evaluated mesh of their pose's frame, placed (scaled, turned, moved)
by its object's matrix and coloured by materials of its own. Any of them can be hidden for a render of one alone.
"""

from __future__ import annotations

from pathlib import Path

import bpy
import numpy as np
from anny_body import PART_NAMES, Body
from corpus_scene import CorpusScene, Look
from mathutils import Matrix

PNG_COMPRESSION = 35  # percent (zlib level 3): the set is kept, a quarter of the uncompressed size for ~0.1 s a render


class PeopleScene:
    """The corpus scene with up to `most` still people in view; `size` (W, H) pixels of the render."""

    def __init__(self, body: Body, size: tuple[int, int], most: int):
        self.corpus = CorpusScene(body, size)
        self.skin = self.corpus.rig.children[0]  # the keyed body's mesh: a source of posed meshes, never rendered
        self.skin.hide_render = True
        bpy.context.scene.render.image_settings.compression = PNG_COMPRESSION
        self.materials = [{part: bpy.data.materials.new(f"Person{k}_{part}") for part in PART_NAMES}
                          for k in range(most)]  # fmt: skip
        self.people: list[bpy.types.Object] = []

    def pose(self, groups: list[tuple[np.ndarray, tuple[str, ...]]]) -> None:
        """Key the body with one pose per frame (CorpusScene.pose)."""
        self.corpus.pose(groups)

    def ground_truth(self) -> np.ndarray:
        """(F, 27, 3) metres, world frame, scale 1: the POSELIFT joints of every keyed pose."""
        return self.corpus.ground_truth()

    def vertices(self, pose: int) -> np.ndarray:
        """(V, 3) float32 metres, world frame, scale 1: the body's mesh in keyed pose `pose` (frame pose + 1)."""
        bpy.context.scene.frame_set(pose + 1)
        evaluated = self.skin.evaluated_get(bpy.context.evaluated_depsgraph_get())
        mesh = evaluated.to_mesh()
        out = np.empty(len(mesh.vertices) * 3, np.float32)
        mesh.vertices.foreach_get("co", out)
        evaluated.to_mesh_clear()
        return out.reshape(-1, 3)

    def show(self, poses: list[int], matrices: np.ndarray, clothes: list[dict[str, np.ndarray]], look: Look) -> None:
        """Replace the people in view by one per keyed pose in `poses`, person k placed by the (4, 4) object
        matrix `matrices[k]` (world from the scale-1 body) and dressed in `clothes[k]` (linear RGB per
        anny_body.PART_NAMES); then the floor, backdrop, light and camera of `look` (its scale and clothes unused)."""
        for person in self.people:
            mesh = person.data
            bpy.data.objects.remove(person)
            bpy.data.meshes.remove(mesh)
        self.people = []
        depsgraph = bpy.context.evaluated_depsgraph_get()
        for k, pose in enumerate(poses):
            bpy.context.scene.frame_set(pose + 1)
            mesh = bpy.data.meshes.new_from_object(self.skin.evaluated_get(depsgraph), depsgraph=depsgraph)
            for slot, part in enumerate(PART_NAMES):
                self.materials[k][part].diffuse_color = (*clothes[k][part].tolist(), 1.0)
                mesh.materials[slot] = self.materials[k][part]
            person = bpy.data.objects.new(f"Person{k}", mesh)
            person.matrix_world = Matrix(matrices[k].tolist())
            bpy.context.scene.collection.objects.link(person)
            self.people.append(person)
        self.corpus.show(poses[0], look)

    def alone(self, k: int | None) -> None:
        """Render person k alone, the others hidden; None: everyone."""
        for j, person in enumerate(self.people):
            person.hide_render = k is not None and j != k

    def person_vertices(self, k: int) -> np.ndarray:
        """(V, 3) metres, world frame: the mesh of person k as Blender places it."""
        mesh = self.people[k].data
        local = np.empty(len(mesh.vertices) * 3)
        mesh.vertices.foreach_get("co", local)
        matrix = np.array(self.people[k].matrix_world)
        return local.reshape(-1, 3) @ matrix[:3, :3].T + matrix[:3, 3]

    def render(self, path: Path) -> Path:
        """The picture as an 8-bit RGB PNG at `path`."""
        return self.corpus.render(path)

    def blender_pixels(self, points: np.ndarray) -> np.ndarray:
        """(J, 2) pixels of (J, 3) world points by Blender's own camera projection."""
        return self.corpus.blender_pixels(points)
