"""3D per frame -> one motion. Takes a track's per-frame poses and 2D; gives a smooth motion on a floor.

The temporal model, foot contacts and locking, the root's path through the camera, and `animate`, which runs
them in order.
"""
