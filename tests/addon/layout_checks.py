"""A layout that records what a panel draws and checks each call against Blender's own RNA: every property drawn
exists on the data it is drawn from, every operator button names a registered operator, every icon is known.

Background bpy has no window, so a panel cannot get a real UILayout; its `draw` runs with the real context and
real data, and this recorder stands in for the layout alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Drawn:
    """What a panel drew: ("prop", data, name), ("operator", idname), ("label", text), ("icon", icon_value) ..."""

    calls: list[tuple] = field(default_factory=list)

    def props(self) -> list[str]:
        return [c[2] for c in self.calls if c[0] == "prop"]

    def operators(self) -> list[str]:
        return [c[1] for c in self.calls if c[0] == "operator"]

    def labels(self) -> list[str]:
        return [c[1] for c in self.calls if c[0] == "label"]

    def icons(self) -> list[int]:
        return [c[1] for c in self.calls if c[0] == "icon"]


class RecordingLayout:
    """The UILayout calls PoseLift's panels make, checked as Blender would check them."""

    def __init__(self, bpy, drawn: Drawn | None = None):
        self._bpy = bpy
        self.drawn = drawn or Drawn()
        self.use_property_split = False

    def _icon(self, icon: str) -> None:
        known = self._bpy.types.UILayout.bl_rna.functions["label"].parameters["icon"].enum_items.keys()
        assert icon in known, f"unknown icon {icon}"

    def _nested(self, *args, **kwargs) -> RecordingLayout:
        return RecordingLayout(self._bpy, self.drawn)

    row = column = box = split = _nested

    def prop(self, data, name: str, text: str | None = None, expand: bool = False, icon: str = "NONE", **kw):
        assert name in data.bl_rna.properties, f"{type(data).__name__} has no property {name}"
        self._icon(icon)
        self.drawn.calls.append(("prop", data, name))

    def prop_search(self, data, name: str, search_data, search_name: str, text: str | None = None, **kw):
        assert name in data.bl_rna.properties, f"{type(data).__name__} has no property {name}"
        assert search_name in search_data.bl_rna.properties
        self.drawn.calls.append(("prop", data, name))

    def operator(self, idname: str, text: str | None = None, icon: str = "NONE", **kw):
        module, name = idname.split(".")
        assert hasattr(getattr(self._bpy.ops, module), name), f"no operator {idname}"
        getattr(getattr(self._bpy.ops, module), name).get_rna_type()
        self._icon(icon)
        self.drawn.calls.append(("operator", idname))

    def operator_menu_enum(self, idname: str, prop: str, text: str | None = None, icon: str = "NONE", **kw):
        module, name = idname.split(".")
        rna = getattr(getattr(self._bpy.ops, module), name).get_rna_type()
        assert prop in rna.properties, f"{idname} has no property {prop}"
        self.drawn.calls.append(("operator", idname))

    def label(self, text: str = "", icon: str = "NONE", icon_value: int = 0, **kw):
        self._icon(icon)
        self.drawn.calls.append(("label", text))

    def template_icon(self, icon_value: int, scale: float = 1.0):
        self.drawn.calls.append(("icon", icon_value))

    def template_list(self, list_type: str, list_id: str, data, name: str, active_data, active_name: str, **kw):
        assert hasattr(self._bpy.types, list_type), f"no UI list {list_type}"
        assert name in data.bl_rna.properties and active_name in active_data.bl_rna.properties
        self.drawn.calls.append(("list", list_type, name))


def draw_panel(bpy, panel_class, context) -> Drawn:
    """Run `panel_class`'s poll and draw with the real `context`; what it drew (nothing when poll says no)."""
    if hasattr(panel_class, "poll") and not panel_class.poll(context):
        return Drawn()

    class Panel:  # the panel's own methods, bound to this stand-in for the Blender instance
        layout = RecordingLayout(bpy)

        def __getattr__(self, name: str):
            found = getattr(panel_class, name)
            return found.__get__(self) if hasattr(found, "__get__") else found

    panel = Panel()
    panel_class.draw(panel, context)
    return panel.layout.drawn
