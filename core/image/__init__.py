"""The photo road. Takes image files; gives the people in them lifted to 3D, and overlays that show them."""
