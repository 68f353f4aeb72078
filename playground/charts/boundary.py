"""The decision boundary: the model's output over the 2-D input plane with the data on top
(TF Playground's main view).

Built in layers, each its own helper: the model map (a heatmap for binary and regression, an
RGB image for multiclass), the train/test points, the legend entries, the layout.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import plotly.graph_objects as go

from playground.charts.base import (
    POINT_SIZE,
    axis,
    base_layout,
    fast_figure,
    float_vector,
    legend_top,
)
from playground.colors import (
    DIVERGING_COLORSCALE,
    MUTED,
    TEST_OUTLINE,
    WHITE,
    blend_to_white,
    class_color,
    class_rgb_table,
)

__all__ = ["TASKS", "Task", "decision_boundary_figure"]

Task = Literal["binary", "multiclass", "regression"]
TASKS: tuple[str, ...] = ("binary", "multiclass", "regression")


def decision_boundary_figure(
    xs: np.ndarray,
    ys: np.ndarray,
    values: np.ndarray,
    *,
    task: Task,
    train_x: np.ndarray | None = None,
    train_y: np.ndarray | None = None,
    test_x: np.ndarray | None = None,
    test_y: np.ndarray | None = None,
    show_test: bool = True,
    discretize: bool = False,
    class_names: Sequence[str] | None = None,
    value_range: tuple[float, float] | None = None,
    height: int = 420,
    axis_titles: tuple[str, str] = ("x1", "x2"),
    heatmap_opacity: float = 0.85,
    uirevision: str = "decision_boundary",
) -> go.Figure:
    """The model's output over the 2-D input plane with the data on top.

    binary: `values` (ny, nx) = P(class 1), orange (0) – white (0.5) – blue (1).
    multiclass: `values` (ny, nx, k) probabilities; each cell takes its argmax class colour,
    faded to white as the top probability falls to 1/k (exactly the binary map when k = 2).
    regression: `values` (ny, nx) predictions on a diverging scale over `value_range`
    (default symmetric around 0, wide enough for predictions and targets).
    `discretize` keeps only the decision: the class (or which side of the colour scale's
    midpoint — the sign, for the default range), as TF Playground's "discretize output".
    The heatmap is drawn a little translucent (`heatmap_opacity`) so that full-colour points
    stand out on a region of their own class.
    """
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {task!r}")
    xs = float_vector(xs, "xs")
    ys = float_vector(ys, "ys")
    v = np.asarray(values, dtype=np.float32)
    n_classes = _class_count(v, (ys.size, xs.size), task)
    names = _class_names(class_names, n_classes)
    splits = [("train", train_x, train_y)] + ([("test", test_x, test_y)] if show_test else [])
    xy_hover = f"{axis_titles[0]} = %{{x:.2f}}, {axis_titles[1]} = %{{y:.2f}}"

    lo = hi = 0.0
    if task == "binary":
        model = _binary_map(xs, ys, v, f"P({names[1]})", xy_hover, discretize, heatmap_opacity)
    elif task == "regression":
        targets = [py for _, _, py in splits]
        lo, hi = value_range if value_range is not None else _symmetric_range(v, *targets)
        lo, hi = float(lo), float(hi)
        model = _regression_map(xs, ys, v, (lo, hi), xy_hover, discretize, heatmap_opacity)
    else:
        model = _multiclass_image(xs, ys, v, discretize, heatmap_opacity, xy_hover)
    data = [model, *_data_points(task, splits, names, (lo, hi), axis_titles)]
    if task != "regression":
        data += _class_swatches(names[:n_classes])
    return fast_figure(data, _boundary_layout(xs, ys, task, height, axis_titles, uirevision))


# ---------------------------------------------------------------------------- checks


def _class_count(v: np.ndarray, grid: tuple[int, int], task: str) -> int:
    """How many classes `values` holds (0 for regression), or a ValueError on a bad shape."""
    if task == "multiclass":
        if v.ndim != 3 or v.shape[:2] != grid or v.shape[2] < 2:
            raise ValueError(f"multiclass values must have shape {grid + ('k>=2',)}, got {v.shape}")
        return int(v.shape[2])
    if v.shape != grid:
        raise ValueError(f"values must have shape (len(ys), len(xs)) = {grid}, got {v.shape}")
    return 2 if task == "binary" else 0


def _class_names(given: Sequence[str] | None, n_classes: int) -> list[str]:
    """The given names, padded with "class i" up to `n_classes`."""
    names = list(given) if given is not None else []
    return names + [f"class {i}" for i in range(len(names), n_classes)]


def _labels(y: Any, n: int, task: str) -> np.ndarray:
    """Class labels as ints; binary ±1 labels (TF Playground's convention) become 0/1."""
    lab = np.rint(np.asarray(y, dtype=np.float64).ravel()).astype(np.int64)
    if lab.size != n:
        raise ValueError(f"got {n} points but {lab.size} labels")
    if task == "binary":
        lab = np.where(lab > 0, 1, 0)
    return lab


def _targets(y: Any, n: int) -> np.ndarray:
    """Regression targets as float64, one per point."""
    target = np.asarray(y, dtype=np.float64).ravel()
    if target.size != n:
        raise ValueError(f"got {n} points but {target.size} targets")
    return target


def _points_xy(x: Any, name: str) -> np.ndarray:
    p = np.asarray(x, dtype=np.float64)
    if p.ndim != 2 or p.shape[1] != 2:
        raise ValueError(f"{name} must have shape (n, 2), got {p.shape}")
    return p


def _symmetric_range(*arrays: Any) -> tuple[float, float]:
    """(-m, m) by the largest finite |value| over predictions and targets; (-1, 1) if none."""
    m = 0.0
    for a in arrays:
        if a is None:
            continue
        a = np.asarray(a, dtype=np.float64).ravel()
        finite = np.abs(a[np.isfinite(a)])
        if finite.size:
            m = max(m, float(finite.max()))
    m = m if m > 0 else 1.0
    return -m, m


# ------------------------------------------------------------------------- model map


def _binary_map(
    xs: np.ndarray,
    ys: np.ndarray,
    v: np.ndarray,
    label: str,
    xy_hover: str,
    discretize: bool,
    opacity: float,
) -> dict[str, Any]:
    """P(class 1) on the orange–white–blue scale; discretized, only which side of 0.5."""
    shown = v
    if discretize:
        shown = np.where(np.isnan(v), np.nan, (v >= 0.5).astype(np.float32)).astype(np.float32)
    heat = {"zmin": 0.0, "zmax": 1.0} | _map_values(v, shown, label, ".2f", xy_hover, discretize)
    return _heatmap_trace(xs, ys, heat, discretize, opacity)


def _regression_map(
    xs: np.ndarray,
    ys: np.ndarray,
    v: np.ndarray,
    value_range: tuple[float, float],
    xy_hover: str,
    discretize: bool,
    opacity: float,
) -> dict[str, Any]:
    """Predictions on the diverging scale over `value_range`, with a colour bar below;
    discretized, only which side of the range's midpoint."""
    lo, hi = value_range
    shown = v
    if discretize:
        mid = 0.5 * (lo + hi)
        shown = np.where(np.isnan(v), np.nan, np.where(v >= mid, hi, lo)).astype(np.float32)
    heat = {"zmin": lo, "zmax": hi, "showscale": True, "colorbar": _colorbar()}
    heat |= _map_values(v, shown, "prediction", ".3f", xy_hover, discretize)
    return _heatmap_trace(xs, ys, heat, discretize, opacity)


def _colorbar() -> dict[str, Any]:
    """Horizontal and centred under the plot, for the same reason as the centred legend."""
    return {
        "orientation": "h",
        "x": 0.5,
        "xanchor": "center",
        "y": -0.2,
        "yanchor": "top",
        "thickness": 8,
        "lenmode": "pixels",
        "len": 200,
        "outlinewidth": 0,
        "tickfont": {"size": 10, "color": MUTED},
    }


def _map_values(
    v: np.ndarray, shown: np.ndarray, label: str, fmt: str, xy_hover: str, discretize: bool
) -> dict[str, Any]:
    """The drawn `z`, with a hover that still reads the model's own value when discretized."""
    if discretize:
        return {
            "z": shown,
            "customdata": v,
            "hovertemplate": f"{label} = %{{customdata:{fmt}}}<br>{xy_hover}<extra></extra>",
        }
    return {"z": v, "hovertemplate": f"{label} = %{{z:{fmt}}}<br>{xy_hover}<extra></extra>"}


def _heatmap_trace(
    xs: np.ndarray, ys: np.ndarray, extra: dict[str, Any], discretize: bool, opacity: float
) -> dict[str, Any]:
    trace = {
        "type": "heatmap",
        "x": xs,
        "y": ys,
        "colorscale": DIVERGING_COLORSCALE,
        "showscale": False,
        # "fast" lets the browser scale one small image smoothly (cheap, TF-like softness);
        # a discretized map must keep hard edges.
        "zsmooth": False if discretize else "fast",
        "opacity": opacity,
        "name": "model",
    }
    trace.update(extra)
    return trace


def _multiclass_image(
    xs: np.ndarray, ys: np.ndarray, v: np.ndarray, discretize: bool, opacity: float, xy_hover: str
) -> dict[str, Any]:
    """RGB image of argmax colours: a heatmap colour scale cannot express "hue by class,
    paleness by confidence", an RGB image can, exactly."""
    k = v.shape[2]
    v = np.nan_to_num(v, nan=1.0 / k)  # a diverged model shows white, not an error
    top = v.argmax(axis=2)
    p = np.take_along_axis(v, top[..., None], axis=2)[..., 0]
    # Confidence above chance: white at p = 1/k, full colour at p = 1.
    strength = np.ones_like(p) if discretize else (p - 1.0 / k) / (1.0 - 1.0 / k)
    rgb = blend_to_white(class_rgb_table(k)[top], strength)
    dx = float(xs[-1] - xs[0]) / (xs.size - 1) if xs.size > 1 else 1.0
    dy = float(ys[-1] - ys[0]) / (ys.size - 1) if ys.size > 1 else 1.0
    return {
        "type": "image",
        "z": rgb,  # row 0 = ys[0]: with an explicit, non-reversed y range it sits at the bottom
        "colormodel": "rgb",
        "x0": float(xs[0]),
        "dx": dx,
        "y0": float(ys[0]),
        "dy": dy,
        "opacity": opacity,
        # uint8 (class, p in %): a quarter of the bytes of float32, resent every redraw.
        "customdata": np.stack([top, np.rint(p * 100)], axis=-1).astype(np.uint8),
        "hovertemplate": (
            f"class %{{customdata[0]}} (p = %{{customdata[1]}} %)<br>{xy_hover}<extra></extra>"
        ),
        "name": "model",
    }


# ---------------------------------------------------------------------------- points


def _data_points(
    task: str,
    splits: Sequence[tuple[str, Any, Any]],
    names: Sequence[str],
    value_range: tuple[float, float],
    axis_titles: tuple[str, str],
) -> list[dict[str, Any]]:
    """The train and test points (those given and non-empty), then their legend entries."""
    data: list[dict[str, Any]] = []
    drawn = []
    for split, px, py in splits:
        if px is None or py is None:
            continue
        xy = _points_xy(px, f"{split}_x")
        if xy.shape[0] == 0:
            continue
        drawn.append(split)
        if task == "regression":
            target = _targets(py, xy.shape[0])
            data.append(_regression_points(xy, target, split, *value_range, axis_titles))
        else:
            labels = _labels(py, xy.shape[0], task)
            data += _classification_points(xy, labels, split, names, axis_titles)
    return data + _split_legend_entries(drawn)


def _outline(split: str) -> dict[str, Any]:
    """White ring for train points, dark ring for test points (TF Playground's convention)."""
    if split == "train":
        return {"color": WHITE, "width": 1}
    return {"color": TEST_OUTLINE, "width": 1.6}


def _classification_points(
    xy: np.ndarray, labels: np.ndarray, split: str, names: Sequence[str], axis_titles: Any
) -> list[dict[str, Any]]:
    """One trace per class: a single colour per trace keeps the JSON small, and the hover can
    name the class without a per-point text array."""
    outline = _outline(split)
    traces = []
    for c in np.unique(labels):
        mask = labels == c
        name = names[c] if 0 <= c < len(names) else f"class {c}"
        traces.append(
            {
                "type": "scatter",
                "x": xy[mask, 0],
                "y": xy[mask, 1],
                "mode": "markers",
                "name": f"{split} · {name}",
                "legendgroup": split,
                "showlegend": False,
                "marker": {"size": POINT_SIZE, "color": class_color(int(c)), "line": outline},
                "hovertemplate": (
                    f"{split} · {name}<br>{axis_titles[0]} = %{{x:.2f}}, "
                    f"{axis_titles[1]} = %{{y:.2f}}<extra></extra>"
                ),
            }
        )
    return traces


def _regression_points(
    xy: np.ndarray, target: np.ndarray, split: str, lo: float, hi: float, axis_titles: Any
) -> dict[str, Any]:
    """All points of a split in one trace, coloured by target on the map's own scale."""
    return {
        "type": "scatter",
        "x": xy[:, 0],
        "y": xy[:, 1],
        "mode": "markers",
        "name": split,
        "legendgroup": split,
        "showlegend": False,
        "customdata": target,
        "marker": {
            "size": POINT_SIZE,
            "color": target,
            "colorscale": DIVERGING_COLORSCALE,
            "cmin": lo,
            "cmax": hi,
            "showscale": False,
            "line": _outline(split),
        },
        "hovertemplate": (
            f"{split}: target = %{{customdata:.3f}}<br>{axis_titles[0]} = %{{x:.2f}}, "
            f"{axis_titles[1]} = %{{y:.2f}}<extra></extra>"
        ),
    }


# ---------------------------------------------------------------------------- legend


def _split_legend_entries(splits: Sequence[str]) -> list[dict[str, Any]]:
    """Neutral grey legend markers that explain the outline code (white = train, dark = test).

    The real point traces share their legendgroup, so clicking "test" hides all test points.
    """
    return [
        {
            "type": "scatter",
            "x": [None],
            "y": [None],
            "mode": "markers",
            "name": split,
            "legendgroup": split,
            "legendrank": 1 if split == "train" else 2,
            "marker": {
                "size": POINT_SIZE + 2,
                "color": "#9a9a9a",
                "line": {"color": WHITE if split == "train" else TEST_OUTLINE, "width": 1.5},
            },
            "hoverinfo": "skip",
        }
        for split in splits
    ]


def _class_swatches(names: Sequence[str]) -> list[dict[str, Any]]:
    """Square legend swatches that name each class colour. Custom names also get the class
    index, because the map's hover can only say "class 2" (a per-cell text array of names
    would cost ~30 ms of JSON per redraw)."""
    return [
        {
            "type": "scatter",
            "x": [None],
            "y": [None],
            "mode": "markers",
            "name": name if name == f"class {i}" else f"{name} ({i})",
            "legendrank": 10 + i,
            "marker": {"size": 11, "symbol": "square", "color": class_color(i)},
            "hoverinfo": "skip",
        }
        for i, name in enumerate(names)
    ]


# ---------------------------------------------------------------------------- layout


def _boundary_layout(
    xs: np.ndarray,
    ys: np.ndarray,
    task: str,
    height: int,
    axis_titles: tuple[str, str],
    uirevision: str,
) -> dict[str, Any]:
    """Equal-aspect axes over the grid, legend on top; room below for regression's colour bar."""
    x_range = [float(xs.min()), float(xs.max())]
    y_range = [float(ys.min()), float(ys.max())]
    layout = base_layout(
        height,
        uirevision,
        xaxis=axis(axis_titles[0], range=x_range, constrain="domain"),
        yaxis=axis(
            axis_titles[1], range=y_range, constrain="domain", scaleanchor="x", scaleratio=1
        ),
        showlegend=True,
        legend=legend_top(centered=True),
        hovermode="closest",
        # Points win the hover only when the cursor is on them; elsewhere the map answers.
        hoverdistance=6,
    )
    if task == "regression":
        layout["margin"] = layout["margin"] | {"b": 84}
    return layout
