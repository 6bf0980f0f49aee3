"""The Blender layer: operators, panels, menus and keyframe writing. Thin: the maths lives in core/ and rigs/.

Layer rule: `addon` may import `core` and `rigs`, which never import it; relative imports only, so the same
files run as `poselift.addon` and as `bl_ext.<repo>.poselift.addon`. Modules register in order, unregister in
reverse.
"""

from __future__ import annotations

from . import (
    batch,
    bone_mapping,
    engine,
    lift,
    mapping_operators,
    menus,
    operators,
    panels,
    preferences,
    previews,
    settings,
)

_modules = (
    preferences,
    settings,
    previews,
    engine,
    bone_mapping,
    operators,
    lift,
    batch,
    mapping_operators,
    panels,
    menus,
)


def register() -> None:
    for module in _modules:
        module.register()


def unregister() -> None:
    for module in reversed(_modules):
        module.unregister()
