"""The prior's factory. Takes nothing but anatomy; gives synthetic 3D poses and the 3D pose prior trained on them.

EvoSkeleton's hierarchical body (joints <-> segment tree), ranges of motion, postures, evolution, training.
"""
