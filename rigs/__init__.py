"""Rigs: bone-name presets as data and the retargeting maths on arrays.

Layer rule: `rigs` may import `core` (the skeleton); it never imports `bpy` or `addon`.
"""
