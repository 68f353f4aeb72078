"""What every chart module shares: the unvalidated Figure wrap, a light layout, axes, legend.

Kept in one place so the playground, lab, lesson and image charts look alike and are all
built the same fast way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from playground.colors import INK, MUTED, WHITE

__all__ = [
    "FONT",
    "POINT_SIZE",
    "TRANSPARENT",
    "axis",
    "base_layout",
    "fast_figure",
    "float_vector",
    "hidden_axis",
    "history_column",
    "legend_top",
    "paper_note",
]

FONT = "Helvetica Neue, Helvetica, Arial, sans-serif"
TRANSPARENT = "rgba(0,0,0,0)"
POINT_SIZE = 7


def fast_figure(data: list[dict[str, Any]], layout: dict[str, Any]) -> go.Figure:
    """Wrap plain dicts in a Figure without Plotly's per-property validation.

    Validation was 60-85 % of each build (a decision boundary 11 → 4 ms, a plain network
    19 → 3 ms on the dev box), paid on every redraw. The test suite re-validates every
    builder's output with `go.Figure(fig.to_dict())`, so schema mistakes are still caught,
    just not per frame.
    Validation is switched back on afterwards, so a page's own `update_layout(title=...)`
    is checked and coerced as usual.
    """
    fig = go.Figure({"data": data, "layout": layout}, _validate=False)
    fig._validate = True
    fig.layout._validate = True
    for trace in fig.data:
        trace._validate = True
    return fig


def base_layout(height: int, uirevision: str, **extra: Any) -> dict[str, Any]:
    """Light, junk-free defaults shared by every figure."""
    layout: dict[str, Any] = {
        # No template: the default one is most of a small figure's JSON and build time. A dict,
        # not the name "none": names are only resolved by validation, which is skipped.
        "template": {},
        "height": height,
        "margin": {"l": 44, "r": 12, "t": 32, "b": 40},
        "paper_bgcolor": WHITE,
        "plot_bgcolor": WHITE,
        "font": {"family": FONT, "size": 12, "color": INK},
        "hoverlabel": {"font": {"family": FONT, "size": 12}},
        "uirevision": uirevision,
    }
    layout.update(extra)
    return layout


def axis(title: str | None = None, **extra: Any) -> dict[str, Any]:
    """A quiet axis: no grid or zero line, small grey ticks, an optional grey title."""
    spec: dict[str, Any] = {
        "showgrid": False,
        "zeroline": False,
        "showline": False,
        "ticks": "outside",
        "ticklen": 4,
        "tickcolor": "#cccccc",
        "tickfont": {"size": 10, "color": MUTED},
    }
    if title:
        spec["title"] = {"text": title, "font": {"size": 12, "color": MUTED}, "standoff": 6}
    spec.update(extra)
    return spec


def hidden_axis(**extra: Any) -> dict[str, Any]:
    """An invisible, fixed axis for diagrams placed in data coordinates (network, tile grid)."""
    return {"visible": False, "fixedrange": True, **extra}


def legend_top(centered: bool = False) -> dict[str, Any]:
    """Horizontal legend above the plot. Centred for equal-aspect plots: they sit centred in a
    wide container, where a right-aligned legend would drift far from the data."""
    return {
        "orientation": "h",
        "x": 0.5 if centered else 1.0,
        "xanchor": "center" if centered else "right",
        "y": 1.01,
        "yanchor": "bottom",
        "font": {"size": 11},
        "bgcolor": "rgba(255,255,255,0)",
        "itemsizing": "constant",
    }


def paper_note(text: str) -> dict[str, Any]:
    """A grey annotation in the middle of an empty plot ("no data yet ...")."""
    return {
        "text": text,
        "xref": "paper",
        "yref": "paper",
        "x": 0.5,
        "y": 0.5,
        "showarrow": False,
        "font": {"color": MUTED},
    }


def float_vector(a: Any, name: str) -> np.ndarray:
    """`a` flattened to float64; an empty one is a caller's mistake, said by `name`."""
    v = np.asarray(a, dtype=np.float64).ravel()
    if v.size == 0:
        raise ValueError(f"{name} is empty")
    return v


def history_column(history: Sequence[Mapping[str, Any]], key: str) -> np.ndarray:
    """A history column as float64 with None/missing/inf as NaN (a gap, never a crash)."""
    col = np.array([np.nan if (v := h.get(key)) is None else v for h in history], dtype=np.float64)
    col[~np.isfinite(col)] = np.nan
    return col
