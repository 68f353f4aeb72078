"""Line charts: a 1-D regression fit (`curve_figure`) and the loss / accuracy curves under the
playground's output (`loss_figure`), as TF Playground's linechart.ts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import plotly.graph_objects as go

from playground.charts.base import (
    POINT_SIZE,
    axis,
    base_layout,
    fast_figure,
    float_vector,
    history_column,
    legend_top,
    paper_note,
)
from playground.colors import BLUE, TEST_OUTLINE, WHITE

__all__ = ["MAX_CURVE_POINTS", "TEST_LINE", "TRAIN_LINE", "curve_figure", "loss_figure"]

TRAIN_LINE = "#333333"  # training curve: dark grey, as in TF Playground
TEST_LINE = "#c2185b"  # test curve: raspberry, so it is not read as "class 0" or "class 1"
MAX_CURVE_POINTS = 2000


# ----------------------------------------------------------------------------- curve


def curve_figure(
    x_grid: np.ndarray,
    y_pred: np.ndarray,
    *,
    train_x: np.ndarray | None = None,
    train_y: np.ndarray | None = None,
    test_x: np.ndarray | None = None,
    test_y: np.ndarray | None = None,
    show_test: bool = True,
    height: int = 420,
    axis_titles: tuple[str, str] = ("x", "y"),
    uirevision: str = "curve",
) -> go.Figure:
    """1-D regression: the model's prediction as a line over the data, so students see the fit
    bend (or fail to) as it trains. Train points are filled, test points hollow."""
    xg = float_vector(x_grid, "x_grid")
    yp = np.asarray(y_pred, dtype=np.float64).ravel()
    if yp.shape != xg.shape:
        raise ValueError(f"y_pred has {yp.size} values for {xg.size} grid points")
    data: list[dict[str, Any]] = []
    for split, px, py in (("train", train_x, train_y), ("test", test_x, test_y)):
        if px is None or py is None or (split == "test" and not show_test):
            continue
        data.append(_curve_points(split, px, py, axis_titles))
    order = np.argsort(xg, kind="stable")
    data.append(
        {
            "type": "scatter",
            "x": xg[order],
            "y": yp[order],
            "mode": "lines",
            "name": "prediction",
            "line": {"color": BLUE, "width": 2.5},
            "hovertemplate": (
                f"prediction at {axis_titles[0]} = %{{x:.2f}}: %{{y:.3f}}<extra></extra>"
            ),
        }
    )
    layout = base_layout(
        height,
        uirevision,
        xaxis=axis(axis_titles[0], range=[float(xg.min()), float(xg.max())]),
        yaxis=axis(axis_titles[1], zeroline=True, zerolinecolor="#e6e6e6"),
        showlegend=True,
        legend=legend_top(),
        hovermode="closest",
    )
    return fast_figure(data, layout)


def _curve_points(split: str, px: Any, py: Any, axis_titles: tuple[str, str]) -> dict[str, Any]:
    """One split's (x, y) points: train filled grey, test hollow with a dark ring."""
    x = np.asarray(px, dtype=np.float64).ravel()
    y = np.asarray(py, dtype=np.float64).ravel()
    if x.shape != y.shape:
        raise ValueError(f"{split}_x and {split}_y differ in length ({x.size} vs {y.size})")
    fill, outline = ("#7a7a7a", WHITE) if split == "train" else (WHITE, TEST_OUTLINE)
    return {
        "type": "scatter",
        "x": x,
        "y": y,
        "mode": "markers",
        "name": split,
        "marker": {"size": POINT_SIZE, "color": fill, "line": {"color": outline, "width": 1.4}},
        "hovertemplate": f"{split}: ({axis_titles[0]} = %{{x:.2f}}, "
        f"{axis_titles[1]} = %{{y:.3f}})<extra></extra>",
    }


# ------------------------------------------------------------------------------ loss


def loss_figure(
    history: Sequence[Mapping[str, Any]],
    *,
    metric: Literal["loss", "accuracy"] = "loss",
    log_y: bool = False,
    height: int = 260,
    x_key: str = "epoch",
    uirevision: str = "loss",
    splits: Sequence[tuple[str, str]] = (("train", "train"), ("test", "test")),
) -> go.Figure:
    """Train (dark grey) and test (raspberry) curves against epochs, as under TF Playground's
    output. Histories longer than 2,000 points are thinned (keeping the last point, which is
    the one students watch); missing or None values become gaps that the line bridges.
    `splits` pairs a history key prefix with its legend name, e.g. ("val", "validation").
    """
    if metric not in ("loss", "accuracy"):
        raise ValueError(f"metric must be 'loss' or 'accuracy', got {metric!r}")
    keep = downsample_indices(len(history), MAX_CURVE_POINTS)
    rows = [history[i] for i in keep]
    if rows and any(x_key in r for r in rows):
        x = history_column(rows, x_key)
    else:
        x = keep.astype(float)
    fmt = ".1%" if metric == "accuracy" else ".4f"

    data: list[dict[str, Any]] = []
    for (split, name), color in zip(splits, (TRAIN_LINE, TEST_LINE), strict=False):
        key = f"{split}_{metric}"
        if any(r.get(key) is not None for r in rows):
            data.append(_loss_line(x, history_column(rows, key), name, color, fmt))
    xaxis, yaxis = axis(x_key), _metric_axis(metric, log_y)
    annotations = []
    if not data:
        xaxis["range"] = [0, 1]
        if metric != "accuracy":
            yaxis["range"] = [0, 1]
        annotations.append(paper_note("no data yet: train to see the curves"))
    layout = base_layout(
        height,
        uirevision,
        margin={"l": 52, "r": 12, "t": 28, "b": 40},
        xaxis=xaxis,
        yaxis=yaxis,
        hovermode="x unified",
        showlegend=True,
        legend=legend_top(),
        annotations=annotations,
    )
    return fast_figure(data, layout)


def downsample_indices(n: int, limit: int) -> np.ndarray:
    """At most `limit` evenly spread indices that always include the first and the last."""
    if n <= limit:
        return np.arange(n)
    return np.unique(np.rint(np.linspace(0, n - 1, limit)).astype(np.int64))


def _loss_line(x: np.ndarray, y: np.ndarray, name: str, color: str, fmt: str) -> dict[str, Any]:
    """One split's curve; short histories get markers, so a single epoch shows as a dot."""
    return {
        "type": "scatter",
        "x": x,
        "y": y,
        "mode": "lines+markers" if len(y) <= 30 else "lines",
        "name": name,
        "line": {"color": color, "width": 2},
        "connectgaps": True,
        "hovertemplate": f"%{{y:{fmt}}}",
    }


def _metric_axis(metric: str, log_y: bool) -> dict[str, Any]:
    """Accuracy as 0-100 %; loss linear or, on request, logarithmic."""
    yaxis = axis(metric, showgrid=True, gridcolor="#f0f0f0")
    if metric == "accuracy":
        yaxis |= {"range": [0.0, 1.0], "tickformat": ".0%"}
    elif log_y:
        yaxis |= {"type": "log"}
    return yaxis
