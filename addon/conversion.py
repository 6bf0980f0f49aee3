"""Every conversion between arrays and mathutils: the one place that builds mathutils values.

Pose files and Blender share their axes (metres, right-handed, Z up, Y away from the camera), so no axis swap.
"""

from __future__ import annotations

import numpy as np
from mathutils import Matrix, Vector


def matrix(array: np.ndarray) -> Matrix:
    """(4, 4) array, rows first -> mathutils.Matrix."""
    return Matrix(np.asarray(array, dtype=np.float64).tolist())



def vector(array) -> Vector:
    """(3,) array -> mathutils.Vector."""
    return Vector(np.asarray(array, dtype=np.float64).tolist())
