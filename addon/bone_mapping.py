"""The bone mapping saved on an armature object: which of its bones plays each role, edited in the panel and
saved to or loaded from a mapping file (rigs.mapping_file)."""

from __future__ import annotations

import bpy
from bpy.props import CollectionProperty, EnumProperty, PointerProperty, StringProperty

from ..rigs.naming import find_bones
from ..rigs.presets import PRESETS, RigMatch, RigPreset, detect, match
from ..rigs.roles import ROLE_NAMES

AUTO = "AUTO"
STORED = "MAPPING"
# Below this many roles found, a rig's bone names are not taken for a preset's.
MIN_ROLES = 5


class POSELIFT_PG_role_bone(bpy.types.PropertyGroup):
    role: StringProperty(name="Role")  # type: ignore[valid-type]
    bone: StringProperty(name="Bone", description="The armature's bone that plays this role")  # type: ignore[valid-type]


class POSELIFT_PG_bone_mapping(bpy.types.PropertyGroup):
    roles: CollectionProperty(type=POSELIFT_PG_role_bone)  # type: ignore[valid-type]
    rest: EnumProperty(  # type: ignore[valid-type]
        name="Rest pose",
        items=(("T", "T-pose", "Arms straight out at rest"), ("A", "A-pose", "Arms angled down at rest")),
        default="T",
    )
    root_bone: StringProperty(  # type: ignore[valid-type]
        name="Root motion", description="The bone that carries the body's travel (empty: the hips bone)"
    )
    source: StringProperty(name="From")  # type: ignore[valid-type]


def preset_items(_self=None, _context=None) -> list[tuple[str, str, str]]:
    """Enum items: auto-detection, the armature's own mapping, then every preset."""
    return [
        (AUTO, "Auto", "The armature's bone mapping when it has one, else the preset its bone names match best"),
        (STORED, "Bone mapping", "The bone mapping saved on the armature (panel: Bone Mapping)"),
        *((p.name, p.label, f"Bone names of the {p.label} rig") for p in PRESETS.values()),
    ]


def stored_preset(obj: bpy.types.Object) -> RigPreset | None:
    """The mapping saved on `obj` as a preset, or None when it maps no bone."""
    mapping = obj.poselift_mapping
    bones = {item.role: item.bone for item in mapping.roles if item.bone}
    if not bones:
        return None
    label = f"bone mapping of {obj.name}" + (f" ({mapping.source})" if mapping.source else "")
    return RigPreset("mapping", label, mapping.rest, bones, mapping.root_bone or None)


def store(obj: bpy.types.Object, found: RigMatch, source: str) -> None:
    """Save a matched preset on `obj`: one row per role, with the rig's bone or empty."""
    mapping = obj.poselift_mapping
    mapping.roles.clear()
    for role in ROLE_NAMES:
        item = mapping.roles.add()
        item.role = role
        item.bone = found.bones.get(role, "")
    mapping.rest = found.preset.rest
    root = found.preset.root_bone
    mapping.root_bone = find_bones([root], [b.name for b in obj.data.bones]).get(root, "") if root else ""
    mapping.source = source


def best_match(obj: bpy.types.Object, preset: str = AUTO) -> RigMatch | None:
    """The armature's bones matched: its saved mapping (STORED, or AUTO when it has one), the named preset, or
    the preset its names match best (AUTO); None when nothing fits (too few roles found, or no hips)."""
    bones = [b.name for b in obj.data.bones]
    saved = stored_preset(obj)
    if preset == STORED or (preset == AUTO and saved is not None):
        return None if saved is None else match(saved, bones)
    found = match(PRESETS[preset], bones) if preset in PRESETS else detect(bones)[0]
    return found if "hips" in found.bones and (preset != AUTO or len(found.bones) >= MIN_ROLES) else None


classes = (POSELIFT_PG_role_bone, POSELIFT_PG_bone_mapping)
_register_classes, _unregister_classes = bpy.utils.register_classes_factory(classes)


def register() -> None:
    _register_classes()
    bpy.types.Object.poselift_mapping = PointerProperty(type=POSELIFT_PG_bone_mapping)


def unregister() -> None:
    del bpy.types.Object.poselift_mapping
    _unregister_classes()
