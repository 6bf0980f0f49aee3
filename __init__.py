"""PoseLift: image and video to 3D pose to Blender animation.

The repository root is the extension's package. Importing it imports nothing else, so the Blender-free
layers (`core`, `rigs`) load in any Python; Blender calls `register`, which loads the add-on layer.
"""


def register() -> None:
    from .addon import register as register_addon

    register_addon()


def unregister() -> None:
    from .addon import unregister as unregister_addon

    unregister_addon()
