"""Pure chart builders for the Learning-rate and Optimizers labs: numbers in, Plotly Figure out.

Same rules as `playground.charts`: plain dicts wrapped once without validation (the tests
validate), NumPy arrays (sent base64-encoded), an empty template, a fixed `uirevision`. No
streamlit or torch imports.

Paths on a surface are animated with Plotly frames, so play / pause / step run in the browser
and cost the server nothing: the figure opens on the finished paths; "Replay" plays them from
step 0, "Pause" stops, "Continue" resumes, and the slider below steps through the frames.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from playground.charts.base import axis, base_layout, fast_figure, history_column, legend_top
from playground.colors import INK, MUTED, WHITE

__all__ = [
    "OPTIMIZER_COLORS",
    "SIDE_BY_SIDE_COLORS",
    "line_slice_figure",
    "lr_scale_figure",
    "plane_slice_figure",
    "range_test_figure",
    "side_by_side_figure",
    "surface3d_figure",
    "trajectory_figure",
]

OPTIMIZER_COLORS: dict[str, str] = {
    "sgd": "#d62728", "momentum": "#1f77b4", "nesterov": "#17becf", "adagrad": "#2ca02c",
    "adadelta": "#8c564b", "rmsprop": "#9467bd", "adam": "#ff7f0e", "adamw": "#e377c2",
}
SIDE_BY_SIDE_COLORS = ("#1f77b4", "#2ca02c", "#d62728")
"""Too small, suggested, too large."""
SURFACE_SCALE: list[list[float | str]] = [[0.0, "#fdfdfd"], [0.45, "#e6e9ee"],
                                          [1.0, "#aab3bf"]]
LANDSCAPE_SCALE: list[list[float | str]] = [[0.0, "#08306b"], [0.25, "#2b7bba"],
                                            [0.55, "#9ecae1"], [1.0, "#f7fbff"]]
REGIME_COLORS = {"crawling": "#dbe9f6", "fastest": "#c7e9c0", "oscillating": "#fde0b2",
                 "diverging": "#f7c4c0"}
MAX_FRAMES = 40
LOG_FLOOR = 1e-16
_PLAY = {"frame": {"duration": 70, "redraw": False}, "transition": {"duration": 0},
         "mode": "immediate"}


def _f32(a: Any) -> np.ndarray:
    return np.asarray(a, dtype=np.float32)


def _display(values: np.ndarray, minimum: float | None, log: bool) -> np.ndarray:
    """Surface values as drawn: log10(1 + f − f*) for surfaces spanning many decades."""
    if not log:
        return values
    base = float(np.nanmin(values)) if minimum is None else minimum
    return np.log10(1.0 + np.maximum(values - base, 0.0))


def _frame_steps(n: int, max_frames: int) -> np.ndarray:
    if n <= 1:
        return np.zeros(1, dtype=np.int64)
    return np.unique(np.rint(np.linspace(0, n - 1, min(n, max_frames))).astype(np.int64))


def _animation_controls(steps: Sequence[int], y: float) -> dict[str, Any]:
    """Play (from step 0) / Pause / Resume buttons and a step slider, under the plot at
    paper height `y`."""
    buttons = [
        {"label": "▶ Play", "method": "animate", "args": [None, {**_PLAY, "fromcurrent": False}]},
        {"label": "❚❚ Pause", "method": "animate",
         "args": [[None], {"frame": {"duration": 0, "redraw": False}, "mode": "immediate",
                           "transition": {"duration": 0}}]},
        {"label": "Resume", "method": "animate",
         "args": [None, {**_PLAY, "fromcurrent": True}]},
    ]
    slider_steps = [{"label": str(int(k)), "method": "animate",
                     "args": [[f"step {int(k)}"], {"frame": {"duration": 0, "redraw": False},
                                                   "mode": "immediate",
                                                   "transition": {"duration": 0}}]}
                    for k in steps]
    return {
        "updatemenus": [{"type": "buttons", "direction": "left", "showactive": False,
                         "x": 0.0, "xanchor": "left", "y": y, "yanchor": "top",
                         "pad": {"t": 0, "r": 6}, "buttons": buttons,
                         "font": {"size": 11, "color": INK}, "bgcolor": "#f3f4f6",
                         "bordercolor": "#d0d4da"}],
        "sliders": [{"active": len(slider_steps) - 1, "steps": slider_steps,
                     "x": 0.3, "len": 0.7, "y": y + 0.01, "yanchor": "top",
                     "pad": {"t": 0, "b": 0}, "ticklen": 0, "font": {"size": 9, "color": MUTED},
                     "currentvalue": {"prefix": "step ", "font": {"size": 11, "color": INK},
                                      "xanchor": "right"},
                     "transition": {"duration": 0}}],
    }


def trajectory_figure(
    paths: Sequence[Mapping[str, Any]],
    *,
    xs: Any,
    values: Any,
    ys: Any = None,
    x_range: tuple[float, float] | None = None,
    y_range: tuple[float, float] | None = None,
    minima: Sequence[Sequence[float]] = (),
    local_minima: Sequence[Sequence[float]] = (),
    minimum_value: float | None = None,
    log_values: bool = False,
    click_grid: int = 0,
    animate: bool = True,
    max_frames: int = MAX_FRAMES,
    height: int = 470,
    uirevision: str = "trajectory",
) -> go.Figure:
    """Optimizer paths on a surface (left) and their loss per step (right), animated.

    `paths`: one mapping each with `label`, `color`, `positions` ((steps + 1) × dims) and
    `losses`. A 1-D surface (`ys` empty) draws the curve f(x) with the iterates on it; a 2-D
    one draws contours with the paths. `click_grid` > 0 lays an invisible click-grid of that
    many points per side over the contours, so a click anywhere can pick a start point.
    The loss panel shows loss − minimum on a log axis when the minimum is known.
    """
    xs = np.asarray(xs, dtype=np.float64)
    ys = np.empty(0) if ys is None else np.asarray(ys, dtype=np.float64)
    values = np.asarray(values, dtype=np.float64)
    one_d = ys.size == 0
    x_range = x_range or (float(xs.min()), float(xs.max()))
    if one_d:
        y_range = _padded_range(values)
        data = [_curve_trace(xs, values)]
    else:
        y_range = y_range or (float(ys.min()), float(ys.max()))
        data = [_contour_trace(xs, ys, _display(values, minimum_value, log_values))]
        if click_grid:
            data.append(_click_grid_trace(x_range, y_range, click_grid))
    data += _minima_traces(minima, local_minima, minimum_value, one_d)
    dynamic = list(range(len(data), len(data) + 3 * len(paths)))  # redrawn by the frames
    data += _path_traces(paths, one_d, minimum_value)
    if paths:
        data.append(_start_trace(paths[0], one_d))

    longest = max((len(p["losses"]) for p in paths), default=1)
    steps = _frame_steps(longest, max_frames)
    animated = animate and bool(paths)
    frames = _path_frames(paths, one_d, minimum_value, steps, dynamic) if animated else []
    layout = _trajectory_layout(one_d, x_range, y_range, _step_loss_axis(paths, minimum_value),
                                longest, steps if animated else None, height, uirevision)
    return _with_frames(data, layout, frames) if frames else fast_figure(data, layout)


def _padded_range(values: np.ndarray) -> tuple[float, float]:
    """f's finite range with 8 % room above and below, for the 1-D curve's y axis."""
    y_top = float(np.nanmax(values))
    y_low = float(np.nanmin(values))
    pad = 0.08 * (y_top - y_low or 1.0)
    return y_low - pad, y_top + pad


def _curve_trace(xs: np.ndarray, values: np.ndarray) -> dict[str, Any]:
    """The 1-D surface: f(x) as a grey line under the iterates."""
    return {"type": "scatter", "x": _f32(xs), "y": _f32(values), "mode": "lines",
            "name": "f(x)", "showlegend": False, "hoverinfo": "skip",
            "line": {"color": "#9aa3ad", "width": 2}, "xaxis": "x", "yaxis": "y"}


def _contour_trace(xs: np.ndarray, ys: np.ndarray, shown: np.ndarray) -> dict[str, Any]:
    """The 2-D surface as pale filled contours, so coloured paths stand out on it."""
    return {"type": "contour", "x": _f32(xs), "y": _f32(ys), "z": _f32(shown),
            "colorscale": SURFACE_SCALE, "showscale": False, "ncontours": 22,
            "contours": {"coloring": "fill", "showlines": True},
            "line": {"color": "rgba(80,90,100,0.25)", "width": 0.6},
            "hoverinfo": "skip", "name": "surface", "xaxis": "x", "yaxis": "y"}


def _click_grid_trace(x_range: tuple[float, float], y_range: tuple[float, float],
                      n: int) -> dict[str, Any]:
    """n × n invisible markers over the contours: a contour trace reports no clicks, these
    do, so a click anywhere can pick a start point."""
    gx, gy = np.meshgrid(np.linspace(*x_range, n), np.linspace(*y_range, n))
    return {"type": "scatter", "x": _f32(gx.ravel()), "y": _f32(gy.ravel()),
            "mode": "markers", "name": "pick start", "showlegend": False,
            "marker": {"size": 12, "color": "rgba(0,0,0,0)"},
            "unselected": {"marker": {"opacity": 0}},
            "selected": {"marker": {"opacity": 0}},
            "hovertemplate": "click to start here<br>(%{x:.2f}, %{y:.2f})<extra></extra>",
            "xaxis": "x", "yaxis": "y"}


def _minima_traces(minima: Sequence[Sequence[float]], local_minima: Sequence[Sequence[float]],
                   minimum_value: float | None, one_d: bool) -> list[dict[str, Any]]:
    """Gold stars on the global minima (filled) and local ones (open; 2-D only). On a 1-D
    curve a star sits at height f* (0 when unknown)."""
    data = []
    kinds = [(minima, "minimum", "star")]
    if not one_d:
        kinds.append((local_minima, "local minimum", "star-open"))
    for points, name, symbol in kinds:
        if not points:
            continue
        pts = np.asarray(points, dtype=np.float64)
        py = (np.full(len(pts), minimum_value if minimum_value is not None else 0.0)
              if one_d else pts[:, 1])
        data.append({"type": "scatter", "x": pts[:, 0], "y": py, "mode": "markers", "name": name,
                     "marker": {"symbol": symbol, "size": 15, "color": "#ffd700",
                                "line": {"color": INK, "width": 1}},
                     "hovertemplate": f"{name} (%{{x:.3f}}, %{{y:.3f}})<extra></extra>",
                     "xaxis": "x", "yaxis": "y"})
    return data


def _path_xy(path: Mapping[str, Any], one_d: bool,
             k: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """A path's points on the surface panel up to step k (all when None): (x, f(x)) on a 1-D
    surface, (x, y) on a 2-D one."""
    pos = np.asarray(path["positions"], dtype=np.float64)
    end = len(pos) if k is None else min(k, len(pos) - 1) + 1
    if one_d:
        return pos[:end, 0], np.asarray(path["losses"], dtype=np.float64)[:end]
    return pos[:end, 0], pos[:end, 1]


def _path_losses(path: Mapping[str, Any], minimum_value: float | None,
                 k: int | None = None) -> np.ndarray:
    """A path's losses up to step k; minus the minimum (floored for the log axis) if known."""
    loss = np.asarray(path["losses"], dtype=np.float64)
    end = len(loss) if k is None else min(k, len(loss) - 1) + 1
    y = loss[:end]
    if minimum_value is not None:
        y = np.maximum(y - minimum_value, LOG_FLOOR)
    return y


def _path_traces(paths: Sequence[Mapping[str, Any]], one_d: bool,
                 minimum_value: float | None) -> list[dict[str, Any]]:
    """Per path a line with markers and a big head dot on the surface, then per path its loss
    curve on the right; in this order the animation frames replace them."""
    data = []
    for path in paths:
        x, y = _path_xy(path, one_d)
        color, group = path["color"], path["label"]
        data.append({"type": "scatter", "x": _f32(x), "y": _f32(y), "mode": "lines+markers",
                     "name": group, "legendgroup": group, "xaxis": "x", "yaxis": "y",
                     "line": {"color": color, "width": 2},
                     "marker": {"color": color, "size": 4},
                     "unselected": {"marker": {"opacity": 1}},
                     "hovertemplate": f"{group}<br>(%{{x:.3f}}, %{{y:.3f}})<extra></extra>"})
        data.append({"type": "scatter", "x": _f32(x[-1:]), "y": _f32(y[-1:]), "mode": "markers",
                     "name": group, "legendgroup": group, "showlegend": False,
                     "xaxis": "x", "yaxis": "y", "hoverinfo": "skip",
                     "marker": {"color": color, "size": 11, "line": {"color": WHITE,
                                                                     "width": 1.5}}})
    for path in paths:
        group = path["label"]
        y = _path_losses(path, minimum_value)
        data.append({"type": "scatter", "x": np.arange(len(y), dtype=np.float32),
                     "y": _f32(y), "mode": "lines", "name": group, "legendgroup": group,
                     "showlegend": False, "xaxis": "x2", "yaxis": "y2",
                     "line": {"color": path["color"], "width": 2},
                     "hovertemplate": f"{group}: step %{{x}}, %{{y:.3g}}<extra></extra>"})
    return data


def _start_trace(path: Mapping[str, Any], one_d: bool) -> dict[str, Any]:
    """An open ring on the shared start point."""
    start = np.asarray(path["positions"], dtype=np.float64)[0]
    sy = np.asarray(path["losses"], dtype=np.float64)[:1] if one_d else start[1:2]
    return {"type": "scatter", "x": start[:1], "y": sy, "mode": "markers", "name": "start",
            "marker": {"symbol": "circle-open", "size": 14, "color": INK, "line": {"width": 2}},
            "hovertemplate": "start (%{x:.2f}, %{y:.2f})<extra></extra>",
            "xaxis": "x", "yaxis": "y"}


def _path_frames(paths: Sequence[Mapping[str, Any]], one_d: bool, minimum_value: float | None,
                 steps: np.ndarray, dynamic: list[int]) -> list[dict[str, Any]]:
    """One frame per shown step: every path, head and loss curve cut at that step, for the
    `dynamic` traces (in `_path_traces`' order)."""
    frames = []
    for k in steps:
        fdata = []
        for path in paths:
            x, y = _path_xy(path, one_d, int(k))
            fdata.append({"x": _f32(x), "y": _f32(y)})
            fdata.append({"x": _f32(x[-1:]), "y": _f32(y[-1:])})
        for path in paths:
            y = _path_losses(path, minimum_value, int(k))
            fdata.append({"x": np.arange(len(y), dtype=np.float32), "y": _f32(y)})
        frames.append({"name": f"step {int(k)}", "data": fdata, "traces": dynamic})
    return frames


def _step_loss_axis(paths: Sequence[Mapping[str, Any]],
                    minimum_value: float | None) -> dict[str, Any]:
    """The loss panel's y axis: loss − minimum on a log scale when the minimum is known,
    else plain loss; ranged over every path's finite losses with a little room."""
    log_loss = minimum_value is not None
    all_losses = (np.concatenate([_path_losses(p, minimum_value) for p in paths]) if paths
                  else np.ones(1))
    finite = all_losses[np.isfinite(all_losses)]
    y2: dict[str, Any] = axis("loss − minimum (log)" if log_loss else "loss", showgrid=True,
                              gridcolor="#f0f0f0", anchor="x2")
    if log_loss:
        y2["type"] = "log"
        if finite.size:
            low = max(float(finite.min()), LOG_FLOOR)
            high = float(finite.max())
            y2["range"] = [math.log10(low) - 0.3, math.log10(max(high, low * 10)) + 0.3]
    elif finite.size:
        span = float(finite.max() - finite.min()) or 1.0
        y2["range"] = [float(finite.min()) - 0.05 * span, float(finite.max()) + 0.05 * span]
    return y2


def _trajectory_layout(one_d: bool, x_range: tuple[float, float],
                       y_range: tuple[float, float], y2: dict[str, Any], longest: int,
                       steps: np.ndarray | None, height: int, uirevision: str) -> dict[str, Any]:
    """Surface panel left (equal aspect in 2-D), loss panel right, legend on top; with
    `steps`, the animation controls below."""
    margin = {"l": 48, "r": 16, "t": 36, "b": 118 if steps is not None else 44}
    layout = base_layout(
        height, uirevision, margin=margin,
        xaxis=axis("x", domain=[0.0, 0.56], range=list(x_range), anchor="y"),
        yaxis=axis("f(x)" if one_d else "y", range=list(y_range), anchor="x"),
        xaxis2=axis("step", domain=[0.66, 1.0], anchor="y2",
                    range=[0, max(1, longest - 1)]),
        yaxis2=y2,
        showlegend=True, legend={**legend_top(), "x": 0.0, "xanchor": "left"},
        hovermode="closest", dragmode="pan",
    )
    if not one_d:
        layout["yaxis"]["scaleanchor"] = "x"
        layout["yaxis"]["constrain"] = "domain"
        layout["xaxis"]["constrain"] = "domain"
    if steps is not None:  # controls 56 px below the plot area, clear of the axis titles
        layout.update(_animation_controls(steps, -56 / (height - margin["t"] - margin["b"])))
    return layout


class AnimatedFigure(go.Figure):
    """A Figure whose animation frames stay plain dicts.

    Plotly validates every trace of every frame when frames are set (0.45 s for 40 frames of
    four paths, paid on each rerun); Streamlit and `plotly.io` read a figure through
    `to_dict()`, which adds the frames back here. `go.Figure(fig.to_dict())` validates them
    in the tests.
    """

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        out["frames"] = self._raw_frames
        return out

    def to_plotly_json(self) -> dict[str, Any]:
        return self.to_dict()


def _with_frames(data: list[dict[str, Any]], layout: dict[str, Any],
                 frames: list[dict[str, Any]]) -> go.Figure:
    """Like charts.base.fast_figure, with animation frames (see AnimatedFigure)."""
    fig = AnimatedFigure({"data": data, "layout": layout}, _validate=False)
    fig._raw_frames = frames
    fig._validate = True
    fig.layout._validate = True
    for trace in fig.data:
        trace._validate = True
    return fig


def surface3d_figure(
    paths: Sequence[Mapping[str, Any]],
    *,
    xs: Any,
    ys: Any,
    values: Any,
    minimum_value: float | None = None,
    log_values: bool = False,
    height: int = 520,
    uirevision: str = "surface3d",
) -> go.Figure:
    """The surface in 3-D with the paths lying on it (static; drag to turn it)."""
    xs, ys = np.asarray(xs, dtype=np.float64), np.asarray(ys, dtype=np.float64)
    values = np.asarray(values, dtype=np.float64)
    base = float(np.nanmin(values)) if minimum_value is None else minimum_value
    z = _display(values, base, log_values)
    data: list[dict[str, Any]] = [{
        "type": "surface", "x": _f32(xs), "y": _f32(ys), "z": _f32(z),
        "colorscale": SURFACE_SCALE, "showscale": False, "opacity": 0.92, "name": "surface",
        "hoverinfo": "skip", "contours": {"z": {"show": True, "usecolormap": False,
                                                "color": "rgba(80,90,100,0.35)"}}}]
    for path in paths:
        pos = np.asarray(path["positions"], dtype=np.float64)
        loss = np.asarray(path["losses"], dtype=np.float64)
        inside = ((pos[:, 0] >= xs.min()) & (pos[:, 0] <= xs.max()) & (pos[:, 1] >= ys.min())
                  & (pos[:, 1] <= ys.max()))
        pos, loss = pos[inside], loss[inside]
        zz = _display(loss, base, log_values) if len(loss) else loss
        data.append({"type": "scatter3d", "x": _f32(pos[:, 0]), "y": _f32(pos[:, 1]),
                     "z": _f32(zz), "mode": "lines+markers", "name": path["label"],
                     "line": {"color": path["color"], "width": 5},
                     "marker": {"color": path["color"], "size": 2}})
    title = "log10(1 + f − f*)" if log_values else "f"
    layout = base_layout(height, uirevision, margin={"l": 0, "r": 0, "t": 28, "b": 0},
                         showlegend=True, legend=legend_top(),
                         scene={"xaxis": {"title": {"text": "x"}},
                                "yaxis": {"title": {"text": "y"}},
                                "zaxis": {"title": {"text": title}},
                                "camera": {"eye": {"x": 1.4, "y": -1.5, "z": 1.0}},
                                "aspectmode": "manual",
                                "aspectratio": {"x": 1, "y": 1, "z": 0.6}})
    return fast_figure(data, layout)


def lr_scale_figure(lr: float, curvature: float, *, lr_range: tuple[float, float] = (1e-3, 10.0),
                    height: int = 120, uirevision: str = "lr_scale") -> go.Figure:
    """Where a learning rate sits against 1/L and 2/L: four coloured bands on a log axis
    (crawling, fastest, oscillating, diverging) and a marker at `lr`."""
    lo, hi = lr_range
    one, two = 1.0 / curvature, 2.0 / curvature
    lo, hi = min(lo, lr / 2, one / 3), max(hi, lr * 2, two * 3)
    bands = (("crawling", lo, 0.9 * one), ("fastest", 0.9 * one, 1.1 * one),
             ("oscillating", 1.1 * one, two), ("diverging", two, hi))
    shapes, annotations = [], []
    for name, a, b in bands:
        shapes.append({"type": "rect", "xref": "x", "yref": "paper", "x0": a, "x1": b,
                       "y0": 0, "y1": 1, "fillcolor": REGIME_COLORS[name],
                       "line": {"width": 0}, "layer": "below"})
        # The two narrow bands meet at 1.1/L: their labels run outwards from there.
        anchor = {"fastest": ("right", b), "oscillating": ("left", a)}.get(
            name, ("center", math.sqrt(a * b)))
        annotations.append({"x": math.log10(anchor[1]), "y": 0.12, "xref": "x",
                            "yref": "paper", "text": name, "showarrow": False,
                            "xanchor": anchor[0], "font": {"size": 11, "color": INK}})
    for value, text in ((one, "1/L"), (two, "2/L")):
        shapes.append({"type": "line", "xref": "x", "yref": "paper", "x0": value, "x1": value,
                       "y0": 0, "y1": 1, "line": {"color": INK, "width": 1, "dash": "dot"}})
        annotations.append({"x": math.log10(value), "y": 1.0, "xref": "x", "yref": "paper",
                            "text": f"{text} = {value:.3g}", "showarrow": False,
                            "yanchor": "bottom", "font": {"size": 11, "color": INK}})
    # The label runs beside the marker, towards the middle of the axis (clear of the 1/L and
    # 2/L labels above and the band names below).
    right_half = math.log10(lr) > (math.log10(lo) + math.log10(hi)) / 2
    data = [{"type": "scatter", "x": [lr], "y": [0.6], "mode": "markers+text",
             "text": [f"lr = {lr:.3g} " if right_half else f" lr = {lr:.3g}"],
             "textposition": "middle left" if right_half else "middle right",
             "name": "your rate",
             "textfont": {"size": 12, "color": INK},
             "marker": {"symbol": "triangle-down", "size": 16, "color": INK},
             "hovertemplate": "lr = %{x:.4g}<extra></extra>", "showlegend": False}]
    layout = base_layout(height, uirevision, margin={"l": 16, "r": 16, "t": 22, "b": 30},
                         xaxis=axis("learning rate", type="log",
                                    range=[math.log10(lo), math.log10(hi)]),
                         yaxis={"visible": False, "range": [0, 1], "fixedrange": True},
                         shapes=shapes, annotations=annotations, showlegend=False)
    layout["xaxis"]["fixedrange"] = True
    return fast_figure(data, layout)


def range_test_figure(lrs: Any, losses: Any, smoothed: Any, *, suggestion: float | None = None,
                      best_lr: float | None = None, height: int = 340,
                      uirevision: str = "range_test") -> go.Figure:
    """Smith's LR range test: raw batch losses (faint), the smoothed curve, the suggestion."""
    lrs = np.asarray(lrs, dtype=np.float64)
    smoothed_a = np.asarray(smoothed, dtype=np.float64)
    data: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []
    shapes: list[dict[str, Any]] = []
    if lrs.size:
        data.append({"type": "scatter", "x": lrs, "y": np.asarray(losses, dtype=np.float64),
                     "mode": "markers", "name": "batch loss",
                     "marker": {"color": "rgba(120,120,120,0.35)", "size": 4},
                     "hovertemplate": "lr %{x:.3g}: batch loss %{y:.4f}<extra></extra>"})
        data.append({"type": "scatter", "x": lrs, "y": smoothed_a, "mode": "lines",
                     "name": "smoothed loss", "line": {"color": "#1f77b4", "width": 2.5},
                     "hovertemplate": "lr %{x:.3g}: smoothed %{y:.4f}<extra></extra>"})
    for value, text, color, dash in ((best_lr, "lowest", MUTED, "dot"),
                                     (suggestion, "suggested", "#2ca02c", "solid")):
        if value is None:
            continue
        shapes.append({"type": "line", "xref": "x", "yref": "paper", "x0": value, "x1": value,
                       "y0": 0, "y1": 1, "line": {"color": color, "width": 2, "dash": dash}})
        annotations.append({"x": math.log10(value), "y": 1.0, "xref": "x", "yref": "paper",
                            "text": f"{text} {value:.2g}", "showarrow": False,
                            "yanchor": "bottom", "xanchor": "right" if text == "suggested"
                            else "left", "font": {"size": 12, "color": color}})
    if suggestion is not None and lrs.size:
        at = int(np.argmin(np.abs(np.log(lrs) - math.log(suggestion))))
        data.append({"type": "scatter", "x": [suggestion], "y": [float(smoothed_a[at])],
                     "mode": "markers", "name": "suggestion",
                     "marker": {"color": "#2ca02c", "size": 12, "symbol": "circle",
                                "line": {"color": WHITE, "width": 2}},
                     "hovertemplate": "suggested lr %{x:.3g}<extra></extra>"})
    yaxis = axis("loss", showgrid=True, gridcolor="#f0f0f0")
    finite = smoothed_a[np.isfinite(smoothed_a)]
    if finite.size:
        low, high = float(finite.min()), float(finite.max())
        span = (high - low) or 1.0
        yaxis["range"] = [low - 0.1 * span, high + 0.15 * span]
    if not lrs.size:
        annotations.append({"text": "no sweep yet: run the range test", "xref": "paper",
                            "yref": "paper", "x": 0.5, "y": 0.5, "showarrow": False,
                            "font": {"color": MUTED}})
    layout = base_layout(height, uirevision, margin={"l": 52, "r": 16, "t": 40, "b": 44},
                         xaxis=axis("learning rate (log)", type="log"), yaxis=yaxis,
                         shapes=shapes, annotations=annotations, showlegend=True,
                         legend={**legend_top(), "y": 1.08}, hovermode="closest")
    return fast_figure(data, layout)


def side_by_side_figure(runs: Sequence[Mapping[str, Any]], *, log_y: bool = True,
                        height: int = 340, uirevision: str = "side_by_side") -> go.Figure:
    """Overlaid loss curves of runs that differ only in the learning rate: `runs` holds
    `label`, `color` and `history` (the job's per-epoch records); train solid, test dotted."""
    data: list[dict[str, Any]] = []
    for run in runs:
        history = list(run["history"])
        if not history:
            continue
        x = history_column(history, "epoch")
        for key, dash, suffix in (("train_loss", "solid", "train"),
                                  ("test_loss", "dot", "test")):
            if not any(h.get(key) is not None for h in history):
                continue
            y = history_column(history, key)
            data.append({"type": "scatter", "x": x, "y": y, "mode": "lines",
                         "name": f"{run['label']} · {suffix}", "legendgroup": run["label"],
                         "line": {"color": run["color"], "width": 2.2 if dash == "solid" else 1.6,
                                  "dash": dash},
                         "hovertemplate": f"{run['label']} {suffix}: %{{y:.4f}}<extra></extra>"})
    yaxis = axis("loss (log)" if log_y else "loss", showgrid=True, gridcolor="#f0f0f0")
    if log_y:
        yaxis["type"] = "log"
    annotations = []
    if not data:
        annotations.append({"text": "press Train all three to see the curves", "xref": "paper",
                            "yref": "paper", "x": 0.5, "y": 0.5, "showarrow": False,
                            "font": {"color": MUTED}})
    layout = base_layout(height, uirevision, margin={"l": 52, "r": 16, "t": 40, "b": 44},
                         xaxis=axis("epoch"), yaxis=yaxis, annotations=annotations,
                         showlegend=True, legend={**legend_top(), "y": 1.04},
                         hovermode="x unified")
    return fast_figure(data, layout)


def line_slice_figure(alphas: Any, train: Any, test: Any = None, *, log_y: bool = True,
                      height: int = 320, uirevision: str = "line_slice") -> go.Figure:
    """The loss along the straight line from the initial (α = 0) to the trained (α = 1)
    weights, with a little beyond both ends."""
    a = np.asarray(alphas, dtype=np.float64)
    data: list[dict[str, Any]] = []
    for values, name, color, dash in ((train, "train loss", INK, "solid"),
                                      (test, "test loss", "#c2185b", "dot")):
        if values is None:
            continue
        y = np.asarray([np.nan if v is None else v for v in values], dtype=np.float64)
        data.append({"type": "scatter", "x": a, "y": y, "mode": "lines", "name": name,
                     "line": {"color": color, "width": 2.2, "dash": dash},
                     "hovertemplate": f"α = %{{x:.2f}}: {name} %{{y:.4f}}<extra></extra>"})
    shapes, annotations = [], []
    for value, text in ((0.0, "initial weights"), (1.0, "trained weights")):
        shapes.append({"type": "line", "xref": "x", "yref": "paper", "x0": value, "x1": value,
                       "y0": 0, "y1": 1, "line": {"color": MUTED, "width": 1, "dash": "dot"}})
        annotations.append({"x": value, "y": 1.0, "xref": "x", "yref": "paper", "text": text,
                            "showarrow": False, "yanchor": "bottom",
                            "font": {"size": 11, "color": MUTED}})
    yaxis = axis("loss (log)" if log_y else "loss", showgrid=True, gridcolor="#f0f0f0")
    if log_y:
        yaxis["type"] = "log"
    layout = base_layout(height, uirevision, margin={"l": 52, "r": 16, "t": 44, "b": 44},
                         xaxis=axis("α  (θ = θ₀ + α·(θ₁ − θ₀))"), yaxis=yaxis, shapes=shapes,
                         annotations=annotations, showlegend=True,
                         legend={**legend_top(), "y": 1.1}, hovermode="x unified")
    return fast_figure(data, layout)


def plane_slice_figure(xs: Any, ys: Any, losses: Any, *, path: Any = None,
                       path_epochs: Sequence[int] | None = None,
                       axis_titles: tuple[str, str] = ("direction 1", "direction 2"),
                       height: int = 480, uirevision: str = "plane_slice") -> go.Figure:
    """The loss over a plane through the trained weights (log-scaled contours, low = dark),
    with the training path projected onto it: epoch 0 a circle, the end a star."""
    xs, ys = np.asarray(xs, dtype=np.float64), np.asarray(ys, dtype=np.float64)
    z = np.asarray(losses, dtype=np.float64)
    shown = np.log10(np.maximum(z, 1e-12))
    finite = shown[np.isfinite(shown)]
    ticks = np.unique(np.round(np.linspace(finite.min(), finite.max(), 5), 2)) if finite.size \
        else np.zeros(0)
    data: list[dict[str, Any]] = [{
        "type": "contour", "x": _f32(xs), "y": _f32(ys), "z": _f32(shown), "customdata": _f32(z),
        "colorscale": LANDSCAPE_SCALE, "ncontours": 24,
        "contours": {"coloring": "heatmap", "showlines": True},
        "line": {"color": "rgba(255,255,255,0.35)", "width": 0.6}, "name": "loss",
        "colorbar": {"title": {"text": "loss", "side": "right"}, "thickness": 12,
                     "tickvals": ticks, "ticktext": [f"{10 ** t:.3g}" for t in ticks],
                     "tickfont": {"size": 10}},
        "hovertemplate": "(%{x:.2f}, %{y:.2f}): loss %{customdata:.4f}<extra></extra>"}]
    if path is not None and len(path):
        p = np.asarray(path, dtype=np.float64)
        epochs = list(path_epochs) if path_epochs is not None else list(range(len(p)))
        data.append({"type": "scatter", "x": _f32(p[:, 0]), "y": _f32(p[:, 1]),
                     "mode": "lines+markers", "name": "training path",
                     "customdata": np.asarray(epochs, dtype=np.float32),
                     "line": {"color": "#ff7f0e", "width": 2.5},
                     "marker": {"color": "#ff7f0e", "size": 5},
                     "hovertemplate": "epoch %{customdata}<extra></extra>"})
        data.append({"type": "scatter", "x": _f32(p[:1, 0]), "y": _f32(p[:1, 1]),
                     "mode": "markers", "name": f"epoch {epochs[0]}",
                     "marker": {"symbol": "circle", "size": 11, "color": WHITE,
                                "line": {"color": INK, "width": 2}}})
        data.append({"type": "scatter", "x": _f32(p[-1:, 0]), "y": _f32(p[-1:, 1]),
                     "mode": "markers", "name": f"epoch {epochs[-1]}",
                     "marker": {"symbol": "star", "size": 15, "color": "#ffd700",
                                "line": {"color": INK, "width": 1}}})
    layout = base_layout(height, uirevision, margin={"l": 52, "r": 16, "t": 36, "b": 44},
                         xaxis=axis(axis_titles[0], range=[float(xs[0]), float(xs[-1])],
                                    constrain="domain"),
                         yaxis=axis(axis_titles[1], range=[float(ys[0]), float(ys[-1])],
                                    constrain="domain"),
                         showlegend=True, legend=legend_top(centered=True),
                         hovermode="closest")
    return fast_figure(data, layout)
