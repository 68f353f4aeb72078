"""The network diagram: layers of nodes left to right, links coloured and sized by weight, and
optionally each node's output over the input plane as a small PNG thumbnail.

Built as TF Playground draws it, in sections with a helper each: where the nodes sit
(`_Placement`), the links, the nodes and their labels, the thumbnails, the layer titles.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import plotly.graph_objects as go

from playground.charts.base import TRANSPARENT, base_layout, fast_figure, hidden_axis
from playground.charts.thumbnails import heatmap_pngs, max_abs_range, thumbnail
from playground.colors import BLUE, INK, MUTED, ORANGE, WHITE, rgba

__all__ = ["network_figure"]

_N_WIDTH_BINS = 5
_LINK_WIDTHS = np.linspace(0.6, 5.0, _N_WIDTH_BINS)
_LINK_ALPHAS = np.linspace(0.25, 0.9, _N_WIDTH_BINS)
# Link hover markers sit this far along each link, not at exactly 0.5: in a symmetric
# layout many links cross at their midpoints and one hover point would hide the others.
_LINK_HOVER_T = 0.382

NodeValues = Sequence[Sequence[np.ndarray | None] | None]


def network_figure(
    layer_sizes: Sequence[int],
    weights: Sequence[np.ndarray],
    *,
    input_names: Sequence[str],
    output_name: str | Sequence[str] = "output",
    node_values: NodeValues | None = None,
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
    sizes, mats = _checked(layer_sizes, weights, max_nodes_per_layer)
    names = _node_names(sizes, input_names, output_name)
    place = _place_nodes(sizes, names, max_nodes_per_layer, height, node_values is not None)
    titles = list(layer_titles) if layer_titles is not None else _default_layer_titles(sizes)

    sx, sy, sw, hover = _link_segments(mats, place)
    data = _link_traces(sx, sy, sw, _strongest_weight(mats))
    data += [_link_hover_trace(sx, sy, hover), _node_trace(place, node_values is not None)]
    data.append(_io_label_trace(place))
    images = [] if node_values is None else _node_images(node_values, place, value_range)
    n_layers = len(sizes)
    layout = base_layout(
        height,
        uirevision,
        margin=dict(place.margin),
        xaxis=hidden_axis(range=[-0.75, n_layers - 1 + 0.75]),
        yaxis=hidden_axis(range=[place.y_bottom, place.y_top]),
        showlegend=False,
        hovermode="closest",
        annotations=_layer_annotations(place, titles),
        images=images,
    )
    return fast_figure(data, layout)


# ---------------------------------------------------------------------------- layout


@dataclass(frozen=True)
class _Placement:
    """Where the diagram's nodes sit, in data units, and how big a node is in pixels."""

    sizes: list[int]  # nodes per layer
    shown: list[int]  # of those, drawn
    ys: list[np.ndarray]  # y of each drawn node, per layer; layer i sits at x = i
    names: list[list[str]]  # every node's name, per layer
    margin: dict[str, int]
    y_top: float
    y_bottom: float
    px_per_unit: float
    node_px: float


def _checked(
    layer_sizes: Sequence[int], weights: Sequence[np.ndarray], max_nodes_per_layer: int
) -> tuple[list[int], list[np.ndarray]]:
    """Sizes as ints and weights as float64 (out, in) matrices, or a ValueError saying why."""
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
    return sizes, mats


def _place_nodes(
    sizes: list[int],
    names: list[list[str]],
    max_nodes_per_layer: int,
    height: int,
    with_images: bool,
) -> _Placement:
    """Layers centred, first node on top; nodes sized in pixels from the known height (the
    width is the container's, unknown), larger when they carry a thumbnail."""
    shown = [min(n, max_nodes_per_layer) for n in sizes]
    rows = max(shown)
    has_more = any(n > s for n, s in zip(sizes, shown, strict=True))
    # Node j of a layer sits at y = (shown-1)/2 - j.
    ys = [(s - 1) / 2.0 - np.arange(s, dtype=np.float64) for s in shown]
    margin = {"l": 10, "r": 10, "t": 30, "b": 8}
    y_top = (rows - 1) / 2.0 + 0.6
    y_bottom = -(rows - 1) / 2.0 - (1.3 if has_more else 0.6)
    px_per_unit = (height - margin["t"] - margin["b"]) / (y_top - y_bottom)
    node_units = 0.72 if with_images else 0.5
    node_px = float(np.clip(node_units * px_per_unit, 8.0, 44.0))
    return _Placement(sizes, shown, ys, names, margin, y_top, y_bottom, px_per_unit, node_px)


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


# ----------------------------------------------------------------------------- links


def _strongest_weight(mats: Sequence[np.ndarray]) -> float:
    """Largest |w| in the whole net; a diverged net (NaN/inf) still draws, counting those as 0."""
    return max(float(np.abs(np.nan_to_num(w, posinf=0.0, neginf=0.0)).max()) for w in mats)


def _link_segments(
    mats: Sequence[np.ndarray], place: _Placement
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Every drawn link as (x0, x1), (y0, y1), its weight and its hover text."""
    shown, ys, names = place.shown, place.ys, place.names
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
    return sx, np.concatenate(seg_y), np.concatenate(seg_w), hover


def _link_traces(
    sx: np.ndarray, sy: np.ndarray, sw: np.ndarray, max_abs: float
) -> list[dict[str, Any]]:
    """One line trace per (sign, width bin) of NaN-separated segments, at most ten in all."""
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
    return data


def _link_hover_trace(sx: np.ndarray, sy: np.ndarray, hover: list[str]) -> dict[str, Any]:
    """Invisible markers part-way along each link that carry its weight as hover text."""
    t = _LINK_HOVER_T
    return {
        "type": "scatter",
        "x": sx[:, 0] * (1 - t) + sx[:, 1] * t,
        "y": sy[:, 0] * (1 - t) + sy[:, 1] * t,
        "mode": "markers",
        "name": "weights",
        "marker": {"size": 9, "color": TRANSPARENT},
        # NumPy, not a list: Plotly deep-copies figures, element by element for lists.
        "hovertext": np.array(hover),
        "hovertemplate": "%{hovertext}<extra></extra>",
        "showlegend": False,
    }


# ----------------------------------------------------------------------------- nodes


def _node_trace(place: _Placement, with_images: bool) -> dict[str, Any]:
    """The drawn nodes with their names on hover: white circles, or a thin square frame
    around a thumbnail."""
    shown = place.shown
    if with_images:
        marker = {
            "symbol": "square",
            "size": place.node_px + 2,
            "color": TRANSPARENT,
            "line": {"color": "#bbbbbb", "width": 1},
        }
    else:
        marker = {"size": place.node_px, "color": WHITE, "line": {"color": INK, "width": 1.2}}
    return {
        "type": "scatter",
        "x": np.concatenate([np.full(s, i, dtype=np.float64) for i, s in enumerate(shown)]),
        "y": np.concatenate(place.ys),
        "mode": "markers",
        "name": "neurons",
        "hovertext": np.array([n for i, s in enumerate(shown) for n in place.names[i][:s]]),
        "hovertemplate": "%{hovertext}<extra></extra>",
        "marker": marker,
        "showlegend": False,
    }


def _io_label_trace(place: _Placement) -> dict[str, Any]:
    """Names of the inputs (left) and outputs (right), where students look for them."""
    label_x, label_y, label_text, label_pos = [], [], [], []
    last = len(place.sizes) - 1
    for i, pos in ((0, "middle left"), (last, "middle right")):
        s = place.shown[i]
        label_x += [i] * s
        label_y += place.ys[i].tolist()
        label_text += place.names[i][:s]
        label_pos += [pos] * s
    return {
        "type": "scatter",
        "x": label_x,
        "y": label_y,
        "mode": "markers+text",
        "text": np.array(label_text),
        "textposition": label_pos,
        "textfont": {"size": 11, "color": INK},
        # An invisible marker of the node's size pushes the text just outside the node.
        "marker": {"size": place.node_px + 6, "color": TRANSPARENT},
        "hoverinfo": "skip",
        "showlegend": False,
    }


def _node_images(
    node_values: NodeValues, place: _Placement, value_range: tuple[float, float]
) -> list[dict[str, Any]]:
    """A PNG layout image on each drawn node that has values. Inputs span any range (x1²
    reaches 36), so each is scaled to its own max |value|; other nodes share `value_range`."""
    where, arrays, lo, hi = [], [], [], []
    for i, layer in enumerate(node_values):
        if layer is None or i >= len(place.sizes):
            continue
        for j, vals in enumerate(list(layer)[: place.shown[i]]):
            if vals is None:
                continue
            a = thumbnail(vals)
            low, high = max_abs_range(a) if i == 0 else value_range
            where.append((i, float(place.ys[i][j])))
            arrays.append(a)
            lo.append(low)
            hi.append(high)
    size_units = place.node_px / place.px_per_unit
    return [
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
        for (i, y), source in zip(where, heatmap_pngs(arrays, lo, hi), strict=True)
    ]


def _layer_annotations(place: _Placement, titles: Sequence[str]) -> list[dict[str, Any]]:
    """A title above each layer, and "+N more" under a layer cut at its first nodes."""
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
        for i in range(len(place.sizes))
    ]
    for i, (n, s) in enumerate(zip(place.sizes, place.shown, strict=True)):
        if n > s:
            annotations.append(
                {
                    "x": i,
                    "y": float(place.ys[i][-1]) - 0.85,
                    "xref": "x",
                    "yref": "y",
                    "text": f"+{n - s} more",
                    "showarrow": False,
                    "font": {"size": 11, "color": MUTED},
                }
            )
    return annotations
