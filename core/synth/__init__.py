"""The prior's factory. Takes nothing but anatomy; gives synthetic 3D poses and the 3D pose prior trained on them.

EvoSkeleton's hierarchical body (joints <-> segment tree), ranges of motion, postures, evolution, training.
EvoSkeleton: Li et al., "Cascaded Deep Monocular 3D Human Pose Estimation with Evolutionary Training Data",
CVPR 2020 (arXiv:2006.07778).
"""
