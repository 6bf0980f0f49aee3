"""Image -> 2D. Takes RGB images; gives the people in them as BlazePose's landmarks, belief maps and regions.

The networks are built as PyTorch modules and loaded from MediaPipe's TFLite files by the project's own reader.
"""
