"""The drawing canvas of the "Draw a digit" page: a thin wrapper around streamlit-drawable-canvas.

The page calls `canvas(...)` through this module (`draw_canvas.canvas`), so page tests replace
it with a function that returns a drawn digit (AppTest cannot draw with a mouse).

White ink on a black, opaque canvas, like MNIST; the component sends the picture as soon as a
stroke ends (`update_streamlit=True`), and again after its toolbar's undo, redo or "reset
canvas" (the toolbar appears above the canvas when the pointer or a finger is on it).
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

INK = "#ffffff"
PAPER = "#000000"
SIZE_PX = 280


class CanvasResult(Protocol):
    image_data: np.ndarray | None
    """(H, W, 4) uint8 RGBA of the canvas, or None before anything was sent."""


def canvas(*, stroke_width: int, key: str, size: int = SIZE_PX) -> CanvasResult | Any:
    """A size × size free-drawing canvas; `.image_data` is the drawing as RGBA (or None)."""
    # imported on first use: the package declares its component when imported, which
    # Streamlit refuses outside a running page (test collection, the CLI)
    from streamlit_drawable_canvas import st_canvas

    return st_canvas(
        fill_color=INK,
        stroke_width=int(stroke_width),
        stroke_color=INK,
        background_color=PAPER,
        update_streamlit=True,
        height=size,
        width=size,
        drawing_mode="freedraw",
        return_image_data=True,
        key=key,
    )
