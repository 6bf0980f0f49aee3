"""The extension's preferences: which Python runs the core (the worker), and the 2D model and device."""

from __future__ import annotations

import bpy
from bpy.props import EnumProperty, StringProperty

# The root package: "poselift" from a checkout, "bl_ext.<repository>.poselift" as an installed extension.
PACKAGE = __package__.rpartition(".")[0]

MODELS = [
    ("full", "Full", "BlazePose full: the default balance of speed and accuracy"),
    ("lite", "Lite", "BlazePose lite: fastest"),
    ("heavy", "Heavy", "BlazePose heavy: most accurate, slowest"),
]
DEVICES = [
    ("auto", "Auto", "The GPU when the worker's torch sees one, else the CPU"),
    ("cpu", "CPU", "Always the CPU"),
    ("cuda", "GPU (CUDA)", "An NVIDIA GPU through CUDA"),
]


class POSELIFT_preferences(bpy.types.AddonPreferences):
    bl_idname = PACKAGE

    python: StringProperty(  # type: ignore[valid-type]
        name="Worker Python",
        description="A Python 3.11 with torch that runs PoseLift's core (empty: Blender's own, if it has torch)",
        subtype="FILE_PATH",
    )
    model: EnumProperty(name="2D model", items=MODELS, default="full")  # type: ignore[valid-type]
    device: EnumProperty(name="Device", items=DEVICES, default="auto")  # type: ignore[valid-type]

    def draw(self, context: bpy.types.Context) -> None:
        layout = self.layout
        layout.prop(self, "python")
        row = layout.row()
        row.prop(self, "model")
        row.prop(self, "device")


def preferences(context: bpy.types.Context) -> POSELIFT_preferences | None:
    """The preferences, or None where PoseLift runs without being enabled as an add-on (a bare script)."""
    addon = context.preferences.addons.get(PACKAGE)
    return addon.preferences if addon else None


classes = (POSELIFT_preferences,)
register, unregister = bpy.utils.register_classes_factory(classes)
