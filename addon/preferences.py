"""The extension's preferences: which Python runs the core (the worker) and where its weights are. The options of
a lift (model, device, ...) are the scene's (settings.py)."""

from __future__ import annotations

import bpy
from bpy.props import EnumProperty, StringProperty

# The root package: "poselift" from a checkout, "bl_ext.<repository>.poselift" as an installed extension.
PACKAGE = __package__.rpartition(".")[0]

BUILDS = [
    ("cpu", "CPU", "torch's CPU build: runs anywhere"),
    ("cuda", "NVIDIA GPU (CUDA)", "torch's CUDA build, for an NVIDIA GPU with its driver (Linux)"),
]


class POSELIFT_preferences(bpy.types.AddonPreferences):
    bl_idname = PACKAGE

    engine_build: EnumProperty(name="Build for", items=BUILDS, default="cpu")  # type: ignore[valid-type]
    engine_python: StringProperty(  # type: ignore[valid-type]
        name="Make the engine from",
        description="A Python 3.11 to make the engine's environment from (empty: Blender's own)",
        subtype="FILE_PATH",
    )
    python: StringProperty(  # type: ignore[valid-type]
        name="Use another Python",
        description="A Python 3.11 with torch to run the core instead of the engine: the file, or its virtual "
        "environment's folder",
        subtype="FILE_PATH",
    )
    weights: StringProperty(  # type: ignore[valid-type]
        name="Weights folder",
        description="Where the BlazePose weight files are (empty: the engine's own folder)",
        subtype="DIR_PATH",
    )

    def draw(self, context: bpy.types.Context) -> None:
        from .engine import draw_engine  # the engine's module reads these preferences: imported when drawn

        layout = self.layout
        draw_engine(layout, self)
        advanced = layout.column()
        advanced.prop(self, "engine_python")
        advanced.prop(self, "python")
        advanced.prop(self, "weights")


def preferences(context: bpy.types.Context) -> POSELIFT_preferences | None:
    """The preferences, or None where PoseLift runs without being enabled as an add-on (a bare script)."""
    addon = context.preferences.addons.get(PACKAGE)
    return addon.preferences if addon else None


classes = (POSELIFT_preferences,)
register, unregister = bpy.utils.register_classes_factory(classes)
