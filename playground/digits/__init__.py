"""Draw a digit and Feature maps: the canvas, readings, feature maps."""
