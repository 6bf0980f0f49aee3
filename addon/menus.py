"""Menu entries: File > Import > PoseLift pose. Menus take draw functions, not classes, so nothing to register
as a class here."""

from __future__ import annotations

import bpy

from .operators import POSELIFT_OT_import_pose


def draw_import(self: bpy.types.Menu, context: bpy.types.Context) -> None:
    self.layout.operator(POSELIFT_OT_import_pose.bl_idname, text="PoseLift pose (.npz, .json)")


def register() -> None:
    bpy.types.TOPBAR_MT_file_import.append(draw_import)


def unregister() -> None:
    bpy.types.TOPBAR_MT_file_import.remove(draw_import)
