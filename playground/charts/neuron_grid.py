"""A grid of small heatmaps, one per hidden neuron: "what every neuron computes"."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from playground.charts.base import (
    TRANSPARENT,
    base_layout,
    fast_figure,
    hidden_axis,
    paper_note,
)
from playground.charts.thumbnails import finite_min_max, heatmap_pngs, thumbnail
from playground.colors import INK

__all__ = ["neuron_grid_figure"]


def neuron_grid_figure(
    images: Sequence[np.ndarray],
    *,
    titles: Sequence[str] | None = None,
    cols: int = 8,
    vmin: float = -1.0,
    vmax: float = 1.0,
    height: int | None = None,
    normalize: bool = False,
    uirevision: str = "neuron_grid",
) -> go.Figure:
    """A grid of small heatmaps, one per hidden neuron.

    Tiles are PNG layout images on equal-aspect data axes (one figure, no subplots: subplots
    cost tens of ms to build). `normalize=True` scales each tile to its own max |value|,
    useful for unbounded activations such as ReLU.
    """
    n = len(images)
    if cols < 1:
        raise ValueError("cols must be >= 1")
    names = list(titles) if titles is not None else []
    names += [f"#{i + 1}" for i in range(len(names), n)]
    ncols = max(1, min(cols, n))
    nrows = max(1, math.ceil(n / ncols))

    arrays = [thumbnail(img) for img in images]
    low, high = finite_min_max(arrays)
    lo, hi = _tile_ranges(low, high, vmin, vmax, normalize)
    centres = [_tile_centre(k, ncols) for k in range(n)]
    tiles = [
        _tile(source, *xy) for source, xy in zip(heatmap_pngs(arrays, lo, hi), centres, strict=True)
    ]
    hover = [f"{names[k]}: {_span(low[k], high[k])}" for k in range(n)]
    data = [_title_trace(names[:n], ncols), _hover_trace(centres, hover)]
    layout = base_layout(
        40 + 96 * nrows if height is None else height,
        uirevision,
        margin={"l": 4, "r": 4, "t": 4, "b": 4},
        xaxis=hidden_axis(range=[0, ncols], constrain="domain"),
        yaxis=hidden_axis(range=[-nrows, 0], scaleanchor="x", scaleratio=1, constrain="domain"),
        showlegend=False,
        hovermode="closest",
        images=tiles,
        annotations=[] if n else [paper_note("no hidden neurons")],
    )
    return fast_figure(data, layout)


def _tile_ranges(
    low: np.ndarray, high: np.ndarray, vmin: float, vmax: float, normalize: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Each tile's colour range: the shared (vmin, vmax), or normalised to the tile's own max
    |value| (falling back to the shared range for a tile with nothing finite or all zeros)."""
    if not normalize:
        return np.full(low.size, float(vmin)), np.full(low.size, float(vmax))
    m = np.maximum(np.abs(low), np.abs(high))
    usable = np.isfinite(m) & (m > 0)
    return np.where(usable, -m, vmin), np.where(usable, m, vmax)


def _tile_centre(k: int, ncols: int) -> tuple[float, float]:
    """Centre of tile k, filled row by row from the top left; a cell is 1 × 1 data units with
    its title at the top."""
    r, c = divmod(k, ncols)
    return c + 0.5, -r - 0.58


def _tile(source: str, x_mid: float, y_mid: float) -> dict[str, Any]:
    return {
        "source": source,
        "xref": "x",
        "yref": "y",
        "x": x_mid,
        "y": y_mid,
        "sizex": 0.76,
        "sizey": 0.76,
        "xanchor": "center",
        "yanchor": "middle",
        "sizing": "stretch",
        "layer": "above",
    }


def _span(low: float, high: float) -> str:
    return f"min {low:.2f}, max {high:.2f}" if np.isfinite(low) else "no finite values"


def _title_trace(names: Sequence[str], ncols: int) -> dict[str, Any]:
    """Each tile's name as text above it."""
    n = len(names)
    return {
        "type": "scatter",
        "x": np.arange(n) % ncols + 0.5,
        "y": -(np.arange(n) // ncols) - 0.1,
        "mode": "text",
        "text": np.array(names, dtype=str),
        "textfont": {"size": 11, "color": INK},
        "hoverinfo": "skip",
        "showlegend": False,
    }


def _hover_trace(centres: Sequence[tuple[float, float]], hover: Sequence[str]) -> dict[str, Any]:
    """Invisible markers on the tiles (layout images have no hover) with each one's range."""
    return {
        "type": "scatter",
        "x": np.array([c[0] for c in centres], dtype=float),
        "y": np.array([c[1] for c in centres], dtype=float),
        "mode": "markers",
        "marker": {"size": 30, "color": TRANSPARENT},
        "hovertext": np.array(hover, dtype=str),
        "hovertemplate": "%{hovertext}<extra></extra>",
        "showlegend": False,
    }
