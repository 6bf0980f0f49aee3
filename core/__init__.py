"""The Blender-free core: image -> 2D -> 3D -> motion -> pose file, one subpackage per station of the way.

Listed from the ground up; a station imports only stations above it here (tests/test_layout.py holds this):

    skeleton.py, rotations.py   the ground: joint sets, the body's proportions, rotations on arrays
    formats/   pose files, BVH in and out, mocap joint names, atomic writes
    nets/      image -> 2D: the TFLite reader, BlazePose's detector and landmark networks, regions of interest
    motion/    3D per frame -> one motion: temporal model, foot contacts, floor, root path
    lift/      2D -> 3D: the mixture of PPCA, the upright fit, priors, belief-map fusion
    synth/     the prior's factory: the hierarchical body, anatomy, postures, evolution, training
    video/, image/   the two entry roads: decoding and tracking, photos and overlays
    cli/       the `poselift` command line and its progress reports

Layer rule: `core` imports neither `bpy` nor `rigs` nor `addon`. Modules that need torch import it themselves,
so the add-on can read pose files in Blender's own Python without torch.
"""
