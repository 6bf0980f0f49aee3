"""The video road. Takes a video file; gives its people tracked, lifted and made into motions.

Streaming decode with frame times, tracking everybody through the frames, and the pose file of a chosen track.
"""
