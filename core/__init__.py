"""The Blender-free core: joint sets, pose files, 2D network, 3D pose model, video pipeline.

Layer rule: `core` imports neither `bpy` nor `rigs` nor `addon`. Modules that need torch import it
themselves, so the add-on can read pose files in Blender's own Python without torch.
"""
