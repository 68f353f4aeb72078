"""Train on images: data panels, setup, widgets, your pictures."""
