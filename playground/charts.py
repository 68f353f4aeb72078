"""Pure chart builders: NumPy numbers in, `plotly.graph_objects.Figure` out.

The playground redraws these several times a second while a network trains, so every
builder assembles plain dicts and wraps them once without per-property validation (the tests
validate instead), ships arrays as NumPy (Plotly base64-encodes them) and sets an empty
template (the default one is most of a small figure's weight). Each figure keeps a fixed
`uirevision`, so a student's zoom or legend clicks survive the redraws. No streamlit or
torch imports: these functions are tested headless and stay cheap to import.

Colours follow TensorFlow Playground (see `playground.colors`): orange = negative / class 0 /
low, white = undecided, blue = positive / class 1 / high.
"""

from __future__ import annotations

import base64
import math
import struct
import zlib
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import plotly.graph_objects as go

from playground.colors import (
    BLUE,
    DIVERGING_COLORSCALE,
    DIVERGING_PALETTE,
    INK,
    MUTED,
    ORANGE,
    TEST_OUTLINE,
    WHITE,
    blend_to_white,
    class_color,
    class_rgb_table,
    diverging_palette_index,
    diverging_rgb,
    rgba,
)

__all__ = [
    "curve_figure",
    "decision_boundary_figure",
    "diverging_rgb",
    "heatmap_png",
    "loss_figure",
    "network_figure",
    "neuron_grid_figure",
]

Task = Literal["binary", "multiclass", "regression"]
TASKS: tuple[str, ...] = ("binary", "multiclass", "regression")

FONT = "Helvetica Neue, Helvetica, Arial, sans-serif"
TRAIN_LINE = "#333333"  # training curve: dark grey, as in TF Playground
TEST_LINE = "#c2185b"  # test curve: raspberry, so it is not read as "class 0" or "class 1"
MAX_CURVE_POINTS = 2000

_TRANSPARENT = "rgba(0,0,0,0)"
_POINT_SIZE = 7
_N_WIDTH_BINS = 5
_LINK_WIDTHS = np.linspace(0.6, 5.0, _N_WIDTH_BINS)
_LINK_ALPHAS = np.linspace(0.25, 0.9, _N_WIDTH_BINS)
# Link hover markers sit this far along each link, not at exactly 0.5: in a symmetric
# layout many links cross at their midpoints and one hover point would hide the others.
_LINK_HOVER_T = 0.382


# --------------------------------------------------------------------------- helpers


def _figure(data: list[dict[str, Any]], layout: dict[str, Any]) -> go.Figure:
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


def _base_layout(height: int, uirevision: str, **extra: Any) -> dict[str, Any]:
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


def _axis(title: str | None = None, **extra: Any) -> dict[str, Any]:
    axis: dict[str, Any] = {
        "showgrid": False,
        "zeroline": False,
        "showline": False,
        "ticks": "outside",
        "ticklen": 4,
        "tickcolor": "#cccccc",
        "tickfont": {"size": 10, "color": MUTED},
    }
    if title:
        axis["title"] = {"text": title, "font": {"size": 12, "color": MUTED}, "standoff": 6}
    axis.update(extra)
    return axis


def _vector(a: Any, name: str) -> np.ndarray:
    v = np.asarray(a, dtype=np.float64).ravel()
    if v.size == 0:
        raise ValueError(f"{name} is empty")
    return v


def _legend_top(centered: bool = False) -> dict[str, Any]:
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


def _png_chunk(tag: bytes, payload: bytes) -> bytes:
    return (
        struct.pack(">I", len(payload))
        + tag
        + payload
        + struct.pack(">I", zlib.crc32(tag + payload) & 0xFFFFFFFF)
    )


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_PALETTE = _png_chunk(b"PLTE", DIVERGING_PALETTE.tobytes())
_PNG_END = _png_chunk(b"IEND", b"")


def _encode_indexed_png(index: np.ndarray) -> bytes:
    """8-bit palette PNG of the diverging map: one byte per pixel, filter 0 on every row.

    Written out rather than with `PIL.Image.save`, whose per-call overhead is several times
    the whole encode of a thumbnail (the tests decode the output with PIL to hold it to the
    format); 1-byte pixels make zlib ~5x cheaper than RGBA.
    """
    h, w = index.shape
    raw = np.empty((h, 1 + w), dtype=np.uint8)
    raw[:, 0] = 0  # filter type "None"
    raw[:, 1:] = index
    header = struct.pack(">IIBBBBB", w, h, 8, 3, 0, 0, 0)  # 8-bit indexed, no interlace
    return (
        _PNG_SIGNATURE
        + _png_chunk(b"IHDR", header)
        + _PNG_PALETTE
        + _png_chunk(b"IDAT", zlib.compress(raw.tobytes(), 1))
        + _PNG_END
    )


def _png_uri(index: np.ndarray) -> str:
    return "data:image/png;base64," + base64.b64encode(_encode_indexed_png(index)).decode("ascii")


def _thumbnail(values: Any) -> np.ndarray:
    a = np.asarray(values, dtype=np.float32)
    if a.ndim != 2 or a.size == 0:
        raise ValueError(f"a heatmap needs a non-empty 2-D array, got shape {a.shape}")
    return a


def heatmap_png(
    values: np.ndarray,
    vmin: float,
    vmax: float,
    *,
    origin: Literal["lower", "upper"] = "lower",
) -> str:
    """Encode a 2-D array as a 'data:image/png;base64,...' URI in the orange–white–blue map.

    Used for node thumbnails: one small PNG is far lighter for the browser than one heatmap
    trace per node. `origin="lower"` (default) puts row 0 at the bottom, matching the
    decision-boundary plot where row 0 is the smallest x2.
    """
    a = _thumbnail(values)
    if origin == "lower":
        a = a[::-1]
    return _png_uri(diverging_palette_index(a, vmin, vmax))


def _heatmap_pngs(
    arrays: Sequence[np.ndarray], lo: Sequence[float], hi: Sequence[float]
) -> list[str]:
    """`heatmap_png` for many thumbnails, each with its own range. When the shapes agree
    (the usual case) the colour mapping runs once over the stack, not once per node."""
    if not arrays:
        return []
    if len({a.shape for a in arrays}) > 1:
        return [heatmap_png(a, a_lo, a_hi) for a, a_lo, a_hi in zip(arrays, lo, hi, strict=True)]
    stack = np.stack(arrays)[:, ::-1]  # origin lower, as heatmap_png
    shape = (len(arrays), 1, 1)
    index = diverging_palette_index(stack, np.reshape(lo, shape), np.reshape(hi, shape))
    return [_png_uri(img) for img in index]


def _finite_min_max(arrays: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Per-array min and max over finite values (inf, -inf where there are none)."""
    if not arrays:
        return np.zeros(0), np.zeros(0)
    if len({a.shape for a in arrays}) == 1:
        stack = np.stack(arrays).reshape(len(arrays), -1)
        finite = np.isfinite(stack)
        return (
            np.where(finite, stack, np.inf).min(axis=1),
            np.where(finite, stack, -np.inf).max(axis=1),
        )
    pairs = [_finite_min_max([a]) for a in arrays]
    return np.concatenate([p[0] for p in pairs]), np.concatenate([p[1] for p in pairs])


def _max_abs_range(a: np.ndarray) -> tuple[float, float]:
    """Symmetric range (-m, m) by the largest finite |value|; (-1, 1) when there is none."""
    finite = np.abs(a[np.isfinite(a)])
    m = float(finite.max()) if finite.size else 0.0
    return (-m, m) if m > 0 else (-1.0, 1.0)


# ------------------------------------------------------------------ decision boundary


def _labels(y: Any, n: int, task: str) -> np.ndarray:
    """Class labels as ints; binary ±1 labels (TF Playground's convention) become 0/1."""
    lab = np.rint(np.asarray(y, dtype=np.float64).ravel()).astype(np.int64)
    if lab.size != n:
        raise ValueError(f"got {n} points but {lab.size} labels")
    if task == "binary":
        lab = np.where(lab > 0, 1, 0)
    return lab


def _points_xy(x: Any, name: str) -> np.ndarray:
    p = np.asarray(x, dtype=np.float64)
    if p.ndim != 2 or p.shape[1] != 2:
        raise ValueError(f"{name} must have shape (n, 2), got {p.shape}")
    return p


def _split_legend_entries(splits: Sequence[str]) -> list[dict[str, Any]]:
    """Neutral grey legend markers that explain the outline code (white = train, dark = test).

    The real point traces share their legendgroup, so clicking "test" hides all test points.
    """
    entries = []
    for split in splits:
        outline = WHITE if split == "train" else TEST_OUTLINE
        entries.append(
            {
                "type": "scatter",
                "x": [None],
                "y": [None],
                "mode": "markers",
                "name": split,
                "legendgroup": split,
                "legendrank": 1 if split == "train" else 2,
                "marker": {
                    "size": _POINT_SIZE + 2,
                    "color": "#9a9a9a",
                    "line": {"color": outline, "width": 1.5},
                },
                "hoverinfo": "skip",
            }
        )
    return entries


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
                "marker": {"size": _POINT_SIZE, "color": class_color(int(c)), "line": outline},
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
    outline = _outline(split)
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
            "size": _POINT_SIZE,
            "color": target,
            "colorscale": DIVERGING_COLORSCALE,
            "cmin": lo,
            "cmax": hi,
            "showscale": False,
            "line": outline,
        },
        "hovertemplate": (
            f"{split}: target = %{{customdata:.3f}}<br>{axis_titles[0]} = %{{x:.2f}}, "
            f"{axis_titles[1]} = %{{y:.2f}}<extra></extra>"
        ),
    }


def _symmetric_range(*arrays: np.ndarray | None) -> tuple[float, float]:
    m = 0.0
    for a in arrays:
        if a is None or a.size == 0:
            continue
        finite = np.abs(a[np.isfinite(a)])
        if finite.size:
            m = max(m, float(finite.max()))
    m = m if m > 0 else 1.0
    return -m, m


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
    """The model's output over the 2-D input plane with the data on top (TF Playground's
    main view).

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
    xs = _vector(xs, "xs")
    ys = _vector(ys, "ys")
    v = np.asarray(values, dtype=np.float32)
    grid = (ys.size, xs.size)
    if task == "multiclass":
        if v.ndim != 3 or v.shape[:2] != grid or v.shape[2] < 2:
            raise ValueError(f"multiclass values must have shape {grid + ('k>=2',)}, got {v.shape}")
        n_classes = v.shape[2]
    else:
        if v.shape != grid:
            raise ValueError(f"values must have shape (len(ys), len(xs)) = {grid}, got {v.shape}")
        n_classes = 2 if task == "binary" else 0
    names = list(class_names) if class_names is not None else []
    names += [f"class {i}" for i in range(len(names), n_classes)]
    xy_hover = f"{axis_titles[0]} = %{{x:.2f}}, {axis_titles[1]} = %{{y:.2f}}"

    data: list[dict[str, Any]] = []
    lo = hi = 0.0
    if task == "binary":
        heat: dict[str, Any] = {"zmin": 0.0, "zmax": 1.0}
        label = f"P({names[1]})"
        if discretize:
            z = np.where(np.isnan(v), np.nan, (v >= 0.5).astype(np.float32)).astype(np.float32)
            heat |= {
                "z": z,
                "customdata": v,
                "hovertemplate": f"{label} = %{{customdata:.2f}}<br>{xy_hover}<extra></extra>",
            }
        else:
            heat |= {"z": v, "hovertemplate": f"{label} = %{{z:.2f}}<br>{xy_hover}<extra></extra>"}
        data.append(_heatmap_trace(xs, ys, heat, discretize, heatmap_opacity))
    elif task == "regression":
        t_train = None if train_y is None else np.asarray(train_y, dtype=np.float64).ravel()
        t_test = None if test_y is None or not show_test else np.asarray(test_y, float).ravel()
        lo, hi = value_range if value_range is not None else _symmetric_range(v, t_train, t_test)
        lo, hi = float(lo), float(hi)
        heat = {
            "zmin": lo,
            "zmax": hi,
            "showscale": True,
            # Horizontal and centred under the plot, for the same reason as the legend.
            "colorbar": {
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
            },
        }
        if discretize:
            mid = 0.5 * (lo + hi)
            z = np.where(np.isnan(v), np.nan, np.where(v >= mid, hi, lo)).astype(np.float32)
            heat |= {
                "z": z,
                "customdata": v,
                "hovertemplate": f"prediction = %{{customdata:.3f}}<br>{xy_hover}<extra></extra>",
            }
        else:
            heat |= {
                "z": v,
                "hovertemplate": f"prediction = %{{z:.3f}}<br>{xy_hover}<extra></extra>",
            }
        data.append(_heatmap_trace(xs, ys, heat, discretize, heatmap_opacity))
    else:
        data.append(_multiclass_image(xs, ys, v, discretize, heatmap_opacity, xy_hover))

    splits = []
    for split, px, py in (("train", train_x, train_y), ("test", test_x, test_y)):
        if px is None or py is None or (split == "test" and not show_test):
            continue
        xy = _points_xy(px, f"{split}_x")
        if xy.shape[0] == 0:
            continue
        splits.append(split)
        if task == "regression":
            target = np.asarray(py, dtype=np.float64).ravel()
            if target.size != xy.shape[0]:
                raise ValueError(f"got {xy.shape[0]} points but {target.size} targets")
            data.append(_regression_points(xy, target, split, lo, hi, axis_titles))
        else:
            labels = _labels(py, xy.shape[0], task)
            data += _classification_points(xy, labels, split, names, axis_titles)
    data += _split_legend_entries(splits)
    if task != "regression":
        data += _class_swatches(names[:n_classes])

    x_range = [float(xs.min()), float(xs.max())]
    y_range = [float(ys.min()), float(ys.max())]
    layout = _base_layout(
        height,
        uirevision,
        xaxis=_axis(axis_titles[0], range=x_range, constrain="domain"),
        yaxis=_axis(
            axis_titles[1], range=y_range, constrain="domain", scaleanchor="x", scaleratio=1
        ),
        showlegend=True,
        legend=_legend_top(centered=True),
        hovermode="closest",
        # Points win the hover only when the cursor is on them; elsewhere the map answers.
        hoverdistance=6,
    )
    if task == "regression":
        layout["margin"] = layout["margin"] | {"b": 84}
    return _figure(data, layout)


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
    xg = _vector(x_grid, "x_grid")
    yp = np.asarray(y_pred, dtype=np.float64).ravel()
    if yp.shape != xg.shape:
        raise ValueError(f"y_pred has {yp.size} values for {xg.size} grid points")
    order = np.argsort(xg, kind="stable")
    data: list[dict[str, Any]] = []
    for split, px, py in (("train", train_x, train_y), ("test", test_x, test_y)):
        if px is None or py is None or (split == "test" and not show_test):
            continue
        x = np.asarray(px, dtype=np.float64).ravel()
        y = np.asarray(py, dtype=np.float64).ravel()
        if x.shape != y.shape:
            raise ValueError(f"{split}_x and {split}_y differ in length ({x.size} vs {y.size})")
        fill, outline = ("#7a7a7a", WHITE) if split == "train" else (WHITE, TEST_OUTLINE)
        marker = {"size": _POINT_SIZE, "color": fill, "line": {"color": outline, "width": 1.4}}
        data.append(
            {
                "type": "scatter",
                "x": x,
                "y": y,
                "mode": "markers",
                "name": split,
                "marker": marker,
                "hovertemplate": f"{split}: ({axis_titles[0]} = %{{x:.2f}}, "
                f"{axis_titles[1]} = %{{y:.3f}})<extra></extra>",
            }
        )
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
    layout = _base_layout(
        height,
        uirevision,
        xaxis=_axis(axis_titles[0], range=[float(xg.min()), float(xg.max())]),
        yaxis=_axis(axis_titles[1], zeroline=True, zerolinecolor="#e6e6e6"),
        showlegend=True,
        legend=_legend_top(),
        hovermode="closest",
    )
    return _figure(data, layout)


# --------------------------------------------------------------------------- network


def _node_names(
    layer_sizes: Sequence[int], input_names: Sequence[str], output_name: str | Sequence[str]
) -> list[list[str]]:
    """x1…/h{layer}.{neuron} (1-based, as students count)/output names, one list per layer."""
    names: list[list[str]] = []
    last = len(layer_sizes) - 1
    for i, n in enumerate(layer_sizes):
        if i == 0:
            given = list(input_names)
            names.append(given[:n] + [f"in{j + 1}" for j in range(len(given), n)])
        elif i == last:
            if isinstance(output_name, str):
                names.append([output_name] if n == 1 else [f"{output_name} {j}" for j in range(n)])
            else:
                given = list(output_name)
                names.append(given[:n] + [f"out{j}" for j in range(len(given), n)])
        else:
            names.append([f"h{i}.{j + 1}" for j in range(n)])
    return names


def _default_layer_titles(layer_sizes: Sequence[int]) -> list[str]:
    last = len(layer_sizes) - 1
    return [
        "input" if i == 0 else "output" if i == last else f"hidden {i} ({n})"
        for i, n in enumerate(layer_sizes)
    ]


def network_figure(
    layer_sizes: Sequence[int],
    weights: Sequence[np.ndarray],
    *,
    input_names: Sequence[str],
    output_name: str | Sequence[str] = "output",
    node_values: Sequence[Sequence[np.ndarray | None] | None] | None = None,
    max_nodes_per_layer: int = 12,
    height: int = 420,
    layer_titles: Sequence[str] | None = None,
    value_range: tuple[float, float] = (-1.0, 1.0),
    uirevision: str = "network",
) -> go.Figure:
    """The network diagram: blue links for positive weights, orange for negative, thicker and
    more opaque the larger |w| is relative to the strongest weight in the net.

    Links are bucketed by (sign, width bin) into a handful of line traces (NaN-separated
    segments), because one trace per link makes Plotly crawl; invisible markers along each link
    carry its hover text ("w = -0.83 (x1 → h1.3)"). With `node_values` each node shows what
    it computes over the input plane as a small PNG (inputs normalised to their own max |v|,
    other nodes over `value_range`). Layers wider than `max_nodes_per_layer` show their first
    nodes and a "+N more" label; links of hidden nodes are left out.
    """
    sizes = [int(n) for n in layer_sizes]
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError(f"need at least two non-empty layers, got {sizes}")
    if len(weights) != len(sizes) - 1:
        raise ValueError(f"{len(sizes)} layers need {len(sizes) - 1} weight matrices")
    mats = [np.asarray(w, dtype=np.float64) for w in weights]
    for i, w in enumerate(mats):
        if w.shape != (sizes[i + 1], sizes[i]):
            raise ValueError(f"weights[{i}] must be {(sizes[i + 1], sizes[i])}, got {w.shape}")
    if max_nodes_per_layer < 1:
        raise ValueError("max_nodes_per_layer must be >= 1")

    n_layers = len(sizes)
    shown = [min(n, max_nodes_per_layer) for n in sizes]
    rows = max(shown)
    has_more = any(n > s for n, s in zip(sizes, shown, strict=True))
    # Node j of a layer sits at y = (shown-1)/2 - j: layers centred, first node on top.
    ys = [(s - 1) / 2.0 - np.arange(s, dtype=np.float64) for s in shown]
    names = _node_names(sizes, input_names, output_name)
    titles = list(layer_titles) if layer_titles is not None else _default_layer_titles(sizes)

    # Size nodes in pixels from the known height (the width is the container's, unknown).
    margin = {"l": 10, "r": 10, "t": 30, "b": 8}
    y_top = (rows - 1) / 2.0 + 0.6
    y_bottom = -(rows - 1) / 2.0 - (1.3 if has_more else 0.6)
    px_per_unit = (height - margin["t"] - margin["b"]) / (y_top - y_bottom)
    node_units = 0.72 if node_values is not None else 0.5
    node_px = float(np.clip(node_units * px_per_unit, 8.0, 44.0))

    # ---- links, bucketed by (sign, width bin)
    # A diverged net (NaN/inf weights) still draws: non-finite links count as weight 0.
    max_abs = max(float(np.abs(np.nan_to_num(w, posinf=0.0, neginf=0.0)).max()) for w in mats)
    seg_x, seg_y, seg_w, hover = [], [], [], []
    for i, w in enumerate(mats):
        sub = w[: shown[i + 1], : shown[i]]
        dst, src = np.meshgrid(np.arange(shown[i + 1]), np.arange(shown[i]), indexing="ij")
        y0 = ys[i][src.ravel()]
        y1 = ys[i + 1][dst.ravel()]
        seg_x.append(np.column_stack([np.full(y0.size, i), np.full(y0.size, i + 1)]))
        seg_y.append(np.column_stack([y0, y1]))
        seg_w.append(sub.ravel())
        src_names, dst_names = names[i], names[i + 1]
        hover += [
            f"w = {wv:.2f} ({src_names[s]} → {dst_names[d]})"
            for wv, s, d in zip(
                sub.ravel().tolist(), src.ravel().tolist(), dst.ravel().tolist(), strict=True
            )
        ]
    sx = np.concatenate(seg_x).astype(np.float64)
    sy = np.concatenate(seg_y)
    sw = np.concatenate(seg_w)
    abs_w = np.abs(np.nan_to_num(sw, posinf=0.0, neginf=0.0))
    rel = abs_w / max_abs if max_abs > 0 else np.zeros_like(sw)
    bins = np.minimum((rel * _N_WIDTH_BINS).astype(np.int64), _N_WIDTH_BINS - 1)
    positive = sw >= 0

    data: list[dict[str, Any]] = []
    for sign_mask, color, label in ((~positive, ORANGE, "negative"), (positive, BLUE, "positive")):
        for b in range(_N_WIDTH_BINS):
            mask = sign_mask & (bins == b)
            m = int(mask.sum())
            if m == 0:
                continue
            gap = np.full((m, 1), np.nan)
            data.append(
                {
                    "type": "scatter",
                    "x": np.hstack([sx[mask], gap]).ravel(),
                    "y": np.hstack([sy[mask], gap]).ravel(),
                    "mode": "lines",
                    "name": f"{label} weights",
                    "line": {"color": rgba(color, _LINK_ALPHAS[b]), "width": _LINK_WIDTHS[b]},
                    "hoverinfo": "skip",
                    "showlegend": False,
                }
            )
    t = _LINK_HOVER_T
    data.append(
        {
            "type": "scatter",
            "x": sx[:, 0] * (1 - t) + sx[:, 1] * t,
            "y": sy[:, 0] * (1 - t) + sy[:, 1] * t,
            "mode": "markers",
            "name": "weights",
            "marker": {"size": 9, "color": _TRANSPARENT},
            # NumPy, not a list: Plotly deep-copies figures, element by element for lists.
            "hovertext": np.array(hover),
            "hovertemplate": "%{hovertext}<extra></extra>",
            "showlegend": False,
        }
    )

    # ---- nodes
    node_x = np.concatenate([np.full(s, i, dtype=np.float64) for i, s in enumerate(shown)])
    node_y = np.concatenate(ys)
    node_names = [n for i in range(n_layers) for n in names[i][: shown[i]]]
    with_images = node_values is not None
    data.append(
        {
            "type": "scatter",
            "x": node_x,
            "y": node_y,
            "mode": "markers",
            "name": "neurons",
            "hovertext": np.array(node_names),
            "hovertemplate": "%{hovertext}<extra></extra>",
            "marker": (
                {
                    "symbol": "square",
                    "size": node_px + 2,
                    "color": _TRANSPARENT,
                    "line": {"color": "#bbbbbb", "width": 1},
                }
                if with_images
                else {"size": node_px, "color": WHITE, "line": {"color": INK, "width": 1.2}}
            ),
            "showlegend": False,
        }
    )
    # Labels for inputs (left) and outputs (right), where students look for them.
    label_x, label_y, label_text, label_pos = [], [], [], []
    for i, pos in ((0, "middle left"), (n_layers - 1, "middle right")):
        label_x += [i] * shown[i]
        label_y += ys[i].tolist()
        label_text += names[i][: shown[i]]
        label_pos += [pos] * shown[i]
    data.append(
        {
            "type": "scatter",
            "x": label_x,
            "y": label_y,
            "mode": "markers+text",
            "text": np.array(label_text),
            "textposition": label_pos,
            "textfont": {"size": 11, "color": INK},
            # An invisible marker of the node's size pushes the text just outside the node.
            "marker": {"size": node_px + 6, "color": _TRANSPARENT},
            "hoverinfo": "skip",
            "showlegend": False,
        }
    )

    images: list[dict[str, Any]] = []
    if with_images:
        size_units = node_px / px_per_unit
        where, arrays, lo, hi = [], [], [], []
        for i, layer in enumerate(node_values):
            if layer is None or i >= n_layers:
                continue
            for j, vals in enumerate(list(layer)[: shown[i]]):
                if vals is None:
                    continue
                a = _thumbnail(vals)
                # Inputs span any range (x1² reaches 36): each to its own max |value|.
                low, high = _max_abs_range(a) if i == 0 else value_range
                where.append((i, float(ys[i][j])))
                arrays.append(a)
                lo.append(low)
                hi.append(high)
        for (i, y), source in zip(where, _heatmap_pngs(arrays, lo, hi), strict=True):
            images.append(
                {
                    "source": source,
                    "xref": "x",
                    "yref": "y",
                    "x": i,
                    "y": y,
                    "sizex": 0.6,  # generous box; "contain" keeps the PNG square
                    "sizey": size_units,
                    "xanchor": "center",
                    "yanchor": "middle",
                    "sizing": "contain",
                    "layer": "above",
                }
            )

    annotations = [
        {
            "x": i,
            "y": 1.0,
            "xref": "x",
            "yref": "paper",
            "yanchor": "bottom",
            "text": titles[i] if i < len(titles) else "",
            "showarrow": False,
            "font": {"size": 12, "color": MUTED},
        }
        for i in range(n_layers)
    ]
    for i, (n, s) in enumerate(zip(sizes, shown, strict=True)):
        if n > s:
            annotations.append(
                {
                    "x": i,
                    "y": float(ys[i][-1]) - 0.85,
                    "xref": "x",
                    "yref": "y",
                    "text": f"+{n - s} more",
                    "showarrow": False,
                    "font": {"size": 11, "color": MUTED},
                }
            )

    hidden_axis = {"visible": False, "fixedrange": True}
    layout = _base_layout(
        height,
        uirevision,
        margin=margin,
        xaxis=hidden_axis | {"range": [-0.75, n_layers - 1 + 0.75]},
        yaxis=hidden_axis | {"range": [y_bottom, y_top]},
        showlegend=False,
        hovermode="closest",
        annotations=annotations,
        images=images,
    )
    return _figure(data, layout)


# ------------------------------------------------------------------------------ loss


def _downsample_indices(n: int, limit: int) -> np.ndarray:
    """At most `limit` evenly spread indices that always include the first and the last."""
    if n <= limit:
        return np.arange(n)
    return np.unique(np.rint(np.linspace(0, n - 1, limit)).astype(np.int64))


def _column(history: Sequence[Mapping[str, Any]], key: str) -> np.ndarray:
    """A history column as float64 with None/missing/inf as NaN (a gap, never a crash)."""
    col = np.array([np.nan if (v := h.get(key)) is None else v for h in history], dtype=np.float64)
    col[~np.isfinite(col)] = np.nan
    return col


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
    keep = _downsample_indices(len(history), MAX_CURVE_POINTS)
    rows = [history[i] for i in keep]
    x = _column(rows, x_key) if rows and any(x_key in r for r in rows) else keep.astype(float)
    fmt = ".1%" if metric == "accuracy" else ".4f"

    data: list[dict[str, Any]] = []
    for (split, name), color in zip(splits, (TRAIN_LINE, TEST_LINE), strict=False):
        key = f"{split}_{metric}"
        if not rows or not any(r.get(key) is not None for r in rows):
            continue
        y = _column(rows, key)
        data.append(
            {
                "type": "scatter",
                "x": x,
                "y": y,
                "mode": "lines+markers" if len(rows) <= 30 else "lines",  # one epoch is a dot
                "name": name,
                "line": {"color": color, "width": 2},
                "connectgaps": True,
                "hovertemplate": f"%{{y:{fmt}}}",
            }
        )

    yaxis = _axis(metric, showgrid=True, gridcolor="#f0f0f0")
    if metric == "accuracy":
        yaxis |= {"range": [0.0, 1.0], "tickformat": ".0%"}
    elif log_y:
        yaxis |= {"type": "log"}
    xaxis = _axis(x_key)
    annotations = []
    if not data:
        xaxis["range"] = [0, 1]
        if metric != "accuracy":
            yaxis["range"] = [0, 1]
        annotations.append(
            {
                "text": "no data yet: train to see the curves",
                "xref": "paper",
                "yref": "paper",
                "x": 0.5,
                "y": 0.5,
                "showarrow": False,
                "font": {"color": MUTED},
            }
        )
    layout = _base_layout(
        height,
        uirevision,
        margin={"l": 52, "r": 12, "t": 28, "b": 40},
        xaxis=xaxis,
        yaxis=yaxis,
        hovermode="x unified",
        showlegend=True,
        legend=_legend_top(),
        annotations=annotations,
    )
    return _figure(data, layout)


# ----------------------------------------------------------------------- neuron grid


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
    """A grid of small heatmaps, one per hidden neuron: "what every neuron computes".

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
    if height is None:
        height = 40 + 96 * nrows

    arrays = [_thumbnail(img) for img in images]
    low, high = _finite_min_max(arrays)
    if normalize:
        m = np.maximum(np.abs(low), np.abs(high))
        usable = np.isfinite(m) & (m > 0)
        lo = np.where(usable, -m, vmin)
        hi = np.where(usable, m, vmax)
    else:
        lo, hi = np.full(n, float(vmin)), np.full(n, float(vmax))

    sources: list[dict[str, Any]] = []
    cx, cy, hover = [], [], []
    for k, source in enumerate(_heatmap_pngs(arrays, lo, hi)):
        r, c = divmod(k, ncols)
        x_mid, y_mid = c + 0.5, -r - 0.58
        sources.append(
            {
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
        )
        cx.append(x_mid)
        cy.append(y_mid)
        span = f"min {low[k]:.2f}, max {high[k]:.2f}" if np.isfinite(low[k]) else "no finite values"
        hover.append(f"{names[k]}: {span}")

    data: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "x": np.arange(n) % ncols + 0.5,
            "y": -(np.arange(n) // ncols) - 0.1,
            "mode": "text",
            "text": np.array(names[:n], dtype=str),
            "textfont": {"size": 11, "color": INK},
            "hoverinfo": "skip",
            "showlegend": False,
        },
        {
            "type": "scatter",
            "x": np.array(cx, dtype=float),
            "y": np.array(cy, dtype=float),
            "mode": "markers",
            "marker": {"size": 30, "color": _TRANSPARENT},
            "hovertext": np.array(hover, dtype=str),
            "hovertemplate": "%{hovertext}<extra></extra>",
            "showlegend": False,
        },
    ]
    annotations = []
    if n == 0:
        annotations.append(
            {
                "text": "no hidden neurons",
                "xref": "paper",
                "yref": "paper",
                "x": 0.5,
                "y": 0.5,
                "showarrow": False,
                "font": {"color": MUTED},
            }
        )
    hidden_axis = {"visible": False, "fixedrange": True}
    layout = _base_layout(
        height,
        uirevision,
        margin={"l": 4, "r": 4, "t": 4, "b": 4},
        xaxis=hidden_axis | {"range": [0, ncols], "constrain": "domain"},
        yaxis=hidden_axis
        | {"range": [-nrows, 0], "scaleanchor": "x", "scaleratio": 1, "constrain": "domain"},
        showlegend=False,
        hovermode="closest",
        images=sources,
        annotations=annotations,
    )
    return _figure(data, layout)
