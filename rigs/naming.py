"""Bone-name matching that ignores namespaces, prefixes shared by a whole rig, case and separators."""

from __future__ import annotations

import os
from collections.abc import Iterable

from ..core.formats.mocap_names import normalise


def bone_key(name: str) -> str:
    """A bone name reduced for comparison: 'mixamorig1:Left_Arm' -> 'leftarm', 'spine.001' -> 'spine001'."""
    return normalise(name)


def shared_prefix(names: Iterable[str]) -> str:
    """The prefix every bone of a rig starts with, cut after its last separator ('m_avg_' of 'm_avg_Pelvis')."""
    stripped = [n.rsplit(":", 1)[-1] for n in names]
    if len(stripped) < 2:
        return ""
    prefix = os.path.commonprefix(stripped)
    cut = max(prefix.rfind(c) for c in "_.- ")
    return prefix[: cut + 1] if cut >= 0 else ""


def find_bones(wanted: Iterable[str], rig_bones: Iterable[str]) -> dict[str, str]:
    """{wanted name: the rig's bone} for each wanted name the rig has, by `bone_key`.

    A rig's bones are compared with and without the prefix they all share; an exact name wins.
    """
    rig_bones = list(rig_bones)
    prefix = shared_prefix(rig_bones)
    by_key: dict[str, str] = {}
    for bone in rig_bones:
        by_key.setdefault(bone_key(bone.rsplit(":", 1)[-1][len(prefix) :]), bone)
    for bone in rig_bones:
        by_key[bone_key(bone)] = bone
    exact = set(rig_bones)
    found = {}
    for name in wanted:
        if name in exact or bone_key(name) in by_key:
            found[name] = name if name in exact else by_key[bone_key(name)]
    return found
