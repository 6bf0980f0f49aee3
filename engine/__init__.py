"""The engine: the Python environment that runs PoseLift's core for Blender (a virtual environment with torch and
the core's other packages, pinned in requirements.txt), and the BlazePose weights the core loads.

Blender-free and torch-free: the installer and the check run in any Python 3.11, Blender's own included. Layer
rule: `engine` may import `core` (the weight files' table); never `bpy`, `rigs` or `addon`.
"""
