"""Files in and out. Takes and gives pose files, BVH clips and mocap joint names; every write is atomic."""
