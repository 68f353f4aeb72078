"""Pure chart builders for image models: NumPy numbers in, a Plotly figure or Altair chart out.

Dataset previews, mistake galleries, feature maps, filters, confusion matrices, per-class
scores and per-layer activation / gradient histograms. The conventions of `playground.charts`
hold here too: plain-dict figures wrapped once without per-property validation (the tests
validate), an empty template, a fixed `uirevision`, and image grids drawn as PNG layout images
in ONE figure (no subplots). No streamlit or torch imports.

Colour maps: "grey" (black → white), "viridis" (feature maps; Plotly's own Viridis stops, so a
tile and its enlarged heatmap agree) and "diverging" (the playground's orange → white → blue,
for weights: orange negative, blue positive).
"""

from __future__ import annotations

import base64
import math
import struct
import zlib
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import altair as alt
import numpy as np
import pandas as pd
import plotly.graph_objects as go

from playground.charts.base import fast_figure  # unvalidated wrap, shared by every chart module
from playground.colors import BLUE, DIVERGING_COLORSCALE, INK, MUTED, WHITE, diverging_rgb

__all__ = [
    "CMAPS",
    "accuracy",
    "balanced_accuracy",
    "class_counts_chart",
    "colorscale",
    "confusion_matrix_figure",
    "heatmap_figure",
    "histogram_rows",
    "histograms_chart",
    "image_grid_figure",
    "per_class_table",
    "probability_chart",
    "row_fractions",
    "tile_range",
]

Cmap = Literal["grey", "viridis", "diverging"]
CMAPS: tuple[str, ...] = ("grey", "viridis", "diverging")
FONT = "Helvetica Neue, Helvetica, Arial, sans-serif"
GRADIENT_COLOR = "#8e44ad"  # purple: gradients, beside blue activations
_TRANSPARENT = "rgba(0,0,0,0)"

# Plotly's Viridis stops (plotly.colors.sequential.Viridis), spread evenly over 0-1.
_VIRIDIS_STOPS = ("#440154", "#482878", "#3e4989", "#31688e", "#26828e", "#1f9e89",
                  "#35b779", "#6ece58", "#b5de2b", "#fde725")


def _hex_rgb(color: str) -> tuple[int, int, int]:
    c = color.lstrip("#")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)


def _stops_palette(stops: Sequence[str], n: int = 256) -> np.ndarray:
    """(n, 3) uint8: the stops linearly interpolated, as Plotly interpolates a colour scale."""
    rgb = np.array([_hex_rgb(s) for s in stops], dtype=np.float64)
    at = np.linspace(0.0, 1.0, len(stops))
    t = np.linspace(0.0, 1.0, n)
    return np.rint(np.stack([np.interp(t, at, rgb[:, c]) for c in range(3)], axis=1)).astype(
        np.uint8)


_PALETTE_SIZE = 255  # odd: the diverging palette has an exact white middle (index 127)
_MID = (_PALETTE_SIZE - 1) // 2
_PALETTES: dict[str, np.ndarray] = {
    "grey": np.repeat(np.rint(np.linspace(0, 255, _PALETTE_SIZE)).astype(np.uint8)[:, None], 3,
                      axis=1),
    "viridis": _stops_palette(_VIRIDIS_STOPS, _PALETTE_SIZE),
    "diverging": diverging_rgb(np.linspace(-1.0, 1.0, _PALETTE_SIZE), -1.0, 1.0),
}


def colorscale(cmap: Cmap) -> list[list[float | str]]:
    """The Plotly colour scale that matches a tile colour map exactly."""
    if cmap == "grey":
        return [[0.0, "#000000"], [1.0, "#ffffff"]]
    if cmap == "viridis":
        at = np.linspace(0.0, 1.0, len(_VIRIDIS_STOPS))
        return [[float(a), s] for a, s in zip(at, _VIRIDIS_STOPS, strict=True)]
    if cmap == "diverging":
        return [list(stop) for stop in DIVERGING_COLORSCALE]
    raise ValueError(f"cmap must be one of {', '.join(CMAPS)}, not {cmap!r}")


# --------------------------------------------------------------------------- figures


def _base_layout(height: int, uirevision: str, **extra: Any) -> dict[str, Any]:
    layout: dict[str, Any] = {
        "template": {},
        "height": int(height),
        "margin": {"l": 4, "r": 4, "t": 4, "b": 4},
        "paper_bgcolor": WHITE,
        "plot_bgcolor": WHITE,
        "font": {"family": FONT, "size": 12, "color": INK},
        "hoverlabel": {"font": {"family": FONT, "size": 12}},
        "uirevision": uirevision,
        "showlegend": False,
    }
    layout.update(extra)
    return layout


def _empty_note(text: str) -> dict[str, Any]:
    return {"text": text, "xref": "paper", "yref": "paper", "x": 0.5, "y": 0.5,
            "showarrow": False, "font": {"color": MUTED}}


# ------------------------------------------------------------------------------- PNG


def _chunk(tag: bytes, payload: bytes) -> bytes:
    return (struct.pack(">I", len(payload)) + tag + payload
            + struct.pack(">I", zlib.crc32(tag + payload) & 0xFFFFFFFF))


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_END = _chunk(b"IEND", b"")
_PALETTE_CHUNKS = {name: _chunk(b"PLTE", p.tobytes()) for name, p in _PALETTES.items()}


def _png(pixels: np.ndarray, palette: str | None = None) -> str:
    """A PNG data URI: (h, w) uint8 palette indices of `palette`, or (h, w, 3) uint8 RGB.

    Written by hand (filter 0 on every row) because PIL's per-call overhead is several times
    the encode of a small tile; the tests decode the output with PIL.
    """
    h, w = pixels.shape[:2]
    rgb = pixels.ndim == 3
    raw = np.empty((h, 1 + w * (3 if rgb else 1)), dtype=np.uint8)
    raw[:, 0] = 0
    raw[:, 1:] = pixels.reshape(h, -1)
    header = struct.pack(">IIBBBBB", w, h, 8, 2 if rgb else 3, 0, 0, 0)
    body = (_PNG_SIGNATURE + _chunk(b"IHDR", header)
            + (b"" if rgb else _PALETTE_CHUNKS[palette or "grey"])
            + _chunk(b"IDAT", zlib.compress(raw.tobytes(), 1)) + _PNG_END)
    return "data:image/png;base64," + base64.b64encode(body).decode("ascii")


def png_uri(pixels: np.ndarray) -> str:
    """A PNG data URI of (h, w, 3) uint8 RGB or (h, w) uint8 grey pixels."""
    a = np.asarray(pixels, dtype=np.uint8)
    return _png(np.repeat(a[..., None], 3, axis=2) if a.ndim == 2 else a)


def _upscale(pixels: np.ndarray, factor: int) -> np.ndarray:
    """Nearest-neighbour enlargement, so the browser never blurs an 8×8 digit or a 3×3 kernel."""
    if factor <= 1:
        return pixels
    return np.repeat(np.repeat(pixels, factor, axis=0), factor, axis=1)


# ------------------------------------------------------------------------ image grids


def _as_image(image: Any) -> np.ndarray:
    """(H, W) for one channel or (H, W, 3) for colour; (1, H, W), (H, W, 1) are squeezed and
    (3, H, W) is moved to channels-last."""
    a = np.asarray(image)
    if a.ndim == 3 and a.shape[0] == 1:
        a = a[0]
    elif a.ndim == 3 and a.shape[-1] == 1:
        a = a[..., 0]
    elif a.ndim == 3 and a.shape[0] == 3 and a.shape[-1] != 3:
        a = np.moveaxis(a, 0, -1)
    if a.ndim == 3 and a.shape[-1] == 4:
        a = a[..., :3]  # RGBA: alpha dropped
    if a.size == 0 or not (a.ndim == 2 or (a.ndim == 3 and a.shape[-1] == 3)):
        raise ValueError(f"an image must be a non-empty H×W or H×W×3 array, got shape {a.shape}")
    return a


def _finite_range(a: np.ndarray) -> tuple[float, float]:
    finite = a[np.isfinite(a)]
    if finite.size == 0:
        return math.nan, math.nan
    return float(finite.min()), float(finite.max())


def tile_range(image: np.ndarray, cmap: Cmap, vmin: float | None = None,
               vmax: float | None = None) -> tuple[float, float]:
    """The (low, high) a single-channel tile is drawn over: the given vmin/vmax, else the
    image's own finite range (grey, viridis) or ± its largest |value| (diverging)."""
    lo, hi = _finite_range(np.asarray(image, dtype=np.float64))
    if cmap == "diverging":
        m = max(abs(lo), abs(hi)) if math.isfinite(lo) else 0.0
        lo, hi = -m, m
    return (lo if vmin is None else float(vmin)), (hi if vmax is None else float(vmax))


def _palette_index(a: np.ndarray, lo: float, hi: float, cmap: Cmap) -> np.ndarray:
    """Palette row per pixel. Values are clipped to [lo, hi]; NaN and a zero-width range give
    the diverging map's white middle, or the bottom of grey / viridis (a dead map is dark)."""
    empty = 0 if cmap != "diverging" else _MID
    span = hi - lo
    if not (math.isfinite(span) and span > 0):
        return np.full(a.shape, empty, dtype=np.uint8)
    with np.errstate(invalid="ignore"):
        idx = (a.astype(np.float64) - lo) * ((_PALETTE_SIZE - 1) / span)
    idx = np.clip(np.nan_to_num(idx, nan=empty, posinf=_PALETTE_SIZE - 1, neginf=0.0),
                  0, _PALETTE_SIZE - 1)
    return np.rint(idx).astype(np.uint8)


def _rgb_pixels(a: np.ndarray, vmin: float | None, vmax: float | None) -> np.ndarray:
    """uint8 RGB: uint8 as is; floats over [vmin, vmax] (default 0-1), clipped, NaN black."""
    if a.dtype == np.uint8:
        return a
    lo = 0.0 if vmin is None else float(vmin)
    hi = 1.0 if vmax is None else float(vmax)
    span = hi - lo if hi > lo else 1.0
    scaled = np.nan_to_num((a.astype(np.float64) - lo) / span, nan=0.0)
    return np.rint(np.clip(scaled, 0.0, 1.0) * 255).astype(np.uint8)


_TILE = 0.86  # a tile's share of its cell; the rest is the gap between tiles
_TITLE_ROW = 0.3  # height of a title line, in cell widths


def _title_font(names: Sequence[str], cell_px: float) -> float:
    """11 px, or smaller (down to 8) when the longest title would spill into its neighbour."""
    longest = max((len(n) for n in names), default=0)
    if longest == 0:
        return 11.0
    return float(max(8.0, min(11.0, round(0.96 * cell_px / (0.56 * longest), 1))))


def image_grid_figure(
    images: Sequence[Any],
    *,
    titles: Sequence[str] | None = None,
    cols: int = 8,
    cmap: Cmap = "grey",
    vmin: float | None = None,
    vmax: float | None = None,
    tile_px: int = 72,
    height: int | None = None,
    title_side: Literal["top", "bottom"] = "top",
    hover: Sequence[str] | None = None,
    uirevision: str = "image_grid",
) -> go.Figure:
    """A grid of images as PNG layout images in one figure.

    `images`: H×W arrays (one channel, drawn in `cmap`) or H×W×3 colour images (floats 0-1,
    or uint8; float colour images are mapped over [vmin, vmax] when those are given, which
    draws signed RGB filters). A single-channel tile is scaled to its own range — grey and
    viridis min → max, diverging symmetric ± max |value| — unless vmin / vmax fix a shared one.
    `titles` go above (or below, `title_side`) their tiles; `tile_px` is a tile's size in
    pixels, from which the default height follows (the grid shrinks to fit a narrow page).
    Every tile has a hover: its title and value range, or the `hover` text given.
    """
    if cmap not in CMAPS:
        raise ValueError(f"cmap must be one of {', '.join(CMAPS)}, not {cmap!r}")
    if cols < 1:
        raise ValueError("cols must be at least 1")
    if tile_px < 8:
        raise ValueError("tile_px must be at least 8")
    arrays = [_as_image(img) for img in images]
    n = len(arrays)
    names = [str(t) for t in titles] if titles is not None else []
    if names and len(names) != n:
        raise ValueError(f"got {n} images but {len(names)} titles")
    if hover is not None and len(hover) != n:
        raise ValueError(f"got {n} images but {len(hover)} hover texts")
    ncols = max(1, min(cols, n))
    nrows = max(1, math.ceil(n / ncols))
    title_h = _TITLE_ROW if names else 0.0
    row_h = 1.0 + title_h
    cell_px = tile_px / _TILE
    if height is None:
        height = int(round(nrows * row_h * cell_px)) + 8

    layout_images: list[dict[str, Any]] = []
    cx, cy, tx, ty, hovers = [], [], [], [], []
    for k, a in enumerate(arrays):
        r, c = divmod(k, ncols)
        top = -r * row_h
        tile_y = top - (title_h if title_side == "top" else 0.0) - 0.5
        text_y = top - title_h / 2 if title_side == "top" else top - 1.0 - title_h / 2
        factor = max(1, min(32, math.ceil(tile_px / max(a.shape[:2]))))
        if a.ndim == 3:
            source = _png(_upscale(_rgb_pixels(a, vmin, vmax), factor))
            span = ""
        else:
            lo, hi = tile_range(a, cmap, vmin, vmax)
            source = _png(_upscale(_palette_index(a, lo, hi, cmap), factor), cmap)
            dlo, dhi = _finite_range(a.astype(np.float64))
            span = (f"min {dlo:.3g}, max {dhi:.3g}" if math.isfinite(dlo)
                    else "no finite values")
        layout_images.append({
            "source": source, "xref": "x", "yref": "y", "x": c + 0.5, "y": tile_y,
            "sizex": _TILE, "sizey": _TILE, "xanchor": "center", "yanchor": "middle",
            "sizing": "contain", "layer": "above",
        })
        cx.append(c + 0.5)
        cy.append(tile_y)
        tx.append(c + 0.5)
        ty.append(text_y)
        label = names[k] if names else f"#{k + 1}"
        hovers.append(hover[k] if hover is not None else
                      (f"{label}: {span}" if span else label) + f" ({a.shape[0]}×{a.shape[1]})")

    data: list[dict[str, Any]] = []
    if names:
        data.append({
            "type": "scatter", "x": np.array(tx, float), "y": np.array(ty, float),
            "mode": "text", "text": np.array(names, dtype=str),
            "textfont": {"size": _title_font(names, cell_px), "color": INK},
            "hoverinfo": "skip",
        })
    data.append({
        "type": "scatter", "x": np.array(cx, float), "y": np.array(cy, float),
        "mode": "markers",
        # As large as a tile (in pixels), so the hover answers anywhere over it.
        "marker": {"size": max(8.0, 0.9 * tile_px), "symbol": "square", "color": _TRANSPARENT},
        "hovertext": np.array(hovers, dtype=str), "hovertemplate": "%{hovertext}<extra></extra>",
    })
    hidden = {"visible": False, "fixedrange": True}
    layout = _base_layout(
        height, uirevision,
        xaxis=hidden | {"range": [0, ncols], "constrain": "domain"},
        yaxis=hidden | {"range": [-nrows * row_h, 0], "scaleanchor": "x", "scaleratio": 1,
                        "constrain": "domain"},
        hovermode="closest", images=layout_images,
        annotations=[] if n else [_empty_note("no images")],
    )
    return fast_figure(data, layout)


def heatmap_figure(
    image: Any,
    *,
    cmap: Cmap = "viridis",
    vmin: float | None = None,
    vmax: float | None = None,
    height: int = 320,
    title: str | None = None,
    value_label: str = "value",
    colorbar: bool = True,
    uirevision: str = "heatmap",
) -> go.Figure:
    """One image, large, with the value of every pixel on hover (row 0 at the top).

    One channel: a heatmap in `cmap` over vmin/vmax (default as `image_grid_figure`'s tile,
    so an enlarged feature map matches its tile). H×W×3 colour: an RGB image trace.
    """
    a = _as_image(image)
    h, w = a.shape[:2]
    data: list[dict[str, Any]]
    if a.ndim == 3:
        data = [{"type": "image", "z": _rgb_pixels(a, vmin, vmax), "colormodel": "rgb",
                 "hovertemplate": "row %{y}, column %{x}<br>RGB %{z}<extra></extra>"}]
    else:
        lo, hi = tile_range(a, cmap, vmin, vmax)
        if not (math.isfinite(lo) and math.isfinite(hi) and hi > lo):
            lo, hi = (lo - 1.0, lo + 1.0) if math.isfinite(lo) else (0.0, 1.0)
        trace: dict[str, Any] = {
            "type": "heatmap", "z": a.astype(np.float32), "zmin": lo, "zmax": hi,
            "colorscale": colorscale(cmap), "showscale": colorbar,
            "hovertemplate": f"row %{{y}}, column %{{x}}<br>{value_label} = %{{z:.3g}}"
                             "<extra></extra>",
        }
        if colorbar:
            trace["colorbar"] = {"thickness": 10, "outlinewidth": 0, "len": 0.9,
                                 "tickfont": {"size": 10, "color": MUTED}}
        data = [trace]
    hidden = {"visible": False, "fixedrange": True, "showgrid": False, "zeroline": False}
    layout = _base_layout(
        height, uirevision,
        margin={"l": 4, "r": 4, "t": 28 if title else 4, "b": 4},
        xaxis=hidden | {"range": [-0.5, w - 0.5], "constrain": "domain"},
        yaxis=hidden | {"range": [h - 0.5, -0.5], "scaleanchor": "x", "scaleratio": 1,
                        "constrain": "domain"},
        hovermode="closest",
    )
    if title:
        layout["title"] = {"text": title, "x": 0.5, "xanchor": "center", "y": 0.98,
                           "yanchor": "top", "font": {"size": 13, "color": INK}}
    return fast_figure(data, layout)


# ---------------------------------------------------------------------- confusion matrix


def _square_matrix(matrix: Any) -> np.ndarray:
    m = np.asarray(matrix, dtype=np.float64)
    if m.ndim != 2 or m.shape[0] != m.shape[1] or m.shape[0] == 0:
        raise ValueError(f"a confusion matrix must be square k×k, got shape {m.shape}")
    if not np.all(np.isfinite(m)) or (m < 0).any():
        raise ValueError("a confusion matrix holds counts: finite and not negative")
    return m


def _names(class_names: Sequence[str] | None, k: int) -> list[str]:
    names = [str(n) for n in class_names] if class_names is not None else []
    if len(names) != k:
        if names:
            raise ValueError(f"the matrix has {k} classes but {len(names)} names were given")
        names = [f"class {i}" for i in range(k)]
    return names


def row_fractions(matrix: Any) -> np.ndarray:
    """Each row divided by its total (the share of each true class predicted as each class);
    rows with no images are all 0."""
    m = _square_matrix(matrix)
    totals = m.sum(axis=1, keepdims=True)
    return np.divide(m, totals, out=np.zeros_like(m), where=totals > 0)


def confusion_matrix_figure(
    matrix: Any,
    class_names: Sequence[str] | None,
    *,
    normalize: bool = True,
    height: int | None = None,
    uirevision: str = "confusion",
) -> go.Figure:
    """Rows: true class (first on top); columns: predicted class.

    Colour says right from wrong: diagonal cells are blue, mistakes orange, each as strong as
    the square root of its share of the true class (`normalize`) or of the largest count, so a
    2 % confusion is still visible. Cell text: the count, and with `normalize` the row share.
    """
    m = _square_matrix(matrix)
    k = m.shape[0]
    names = _names(class_names, k)
    frac = row_fractions(m)
    strength = frac if normalize else (m / m.max() if m.max() > 0 else np.zeros_like(m))
    sign = np.where(np.eye(k, dtype=bool), 1.0, -1.0)
    z = sign * np.sqrt(strength)
    counts = m.astype(np.int64)
    if normalize:
        text = [[f"{counts[i, j]:,}<br>{frac[i, j]:.0%}" for j in range(k)] for i in range(k)]
    else:
        text = [[f"{counts[i, j]:,}" for j in range(k)] for i in range(k)]
    customdata = np.stack([counts, np.rint(frac * 1000) / 10], axis=-1)
    font_size = 13 if k <= 4 else (11 if k <= 7 else 10)
    data = [{
        "type": "heatmap", "z": z, "x": names, "y": names, "zmin": -1.0, "zmax": 1.0,
        "colorscale": [list(stop) for stop in DIVERGING_COLORSCALE], "showscale": False,
        "text": text, "texttemplate": "%{text}", "textfont": {"size": font_size},
        "customdata": customdata, "xgap": 1, "ygap": 1,
        "hovertemplate": ("true %{y}, predicted %{x}<br>%{customdata[0]:,} images "
                          "(%{customdata[1]}% of true %{y})<extra></extra>"),
    }]
    if height is None:
        height = int(min(620, max(280, 110 + 48 * k)))
    axis = {"type": "category", "showgrid": False, "zeroline": False, "ticks": "",
            "tickfont": {"size": 11, "color": INK}, "fixedrange": True}
    layout = _base_layout(
        height, uirevision,
        margin={"l": 8, "r": 8, "t": 8, "b": 8},
        xaxis=axis | {"title": {"text": "predicted class", "font": {"size": 12, "color": MUTED}},
                      "constrain": "domain", "automargin": True},
        yaxis=axis | {"title": {"text": "true class", "font": {"size": 12, "color": MUTED}},
                      "autorange": "reversed", "scaleanchor": "x", "scaleratio": 1,
                      "constrain": "domain", "automargin": True},
        hovermode="closest",
    )
    return fast_figure(data, layout)


def per_class_table(matrix: Any, class_names: Sequence[str] | None) -> list[dict[str, Any]]:
    """One row per class: class, support (true images), precision, recall, F1.

    Undefined scores are NaN, never an error: precision when nothing was predicted as the
    class, recall when it has no images, F1 when either is undefined (0 when both are 0).
    """
    m = _square_matrix(matrix)
    names = _names(class_names, m.shape[0])
    tp = np.diag(m)
    support = m.sum(axis=1)
    predicted = m.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(predicted > 0, tp / np.where(predicted > 0, predicted, 1), np.nan)
        recall = np.where(support > 0, tp / np.where(support > 0, support, 1), np.nan)
        denom = precision + recall
        f1 = np.where(denom > 0, 2 * precision * recall / np.where(denom > 0, denom, 1),
                      np.where(np.isnan(denom), np.nan, 0.0))
    return [{"class": names[i], "support": int(support[i]), "precision": float(precision[i]),
             "recall": float(recall[i]), "F1": float(f1[i])} for i in range(len(names))]


def balanced_accuracy(matrix: Any) -> float:
    """Mean recall over the classes that have images (NaN when none has): on imbalanced data
    (70 % ellipticals) this is the honest accuracy."""
    m = _square_matrix(matrix)
    support = m.sum(axis=1)
    has = support > 0
    if not has.any():
        return math.nan
    return float(np.mean(np.diag(m)[has] / support[has]))


def accuracy(matrix: Any) -> float:
    """Share of all images on the diagonal (NaN for an empty matrix)."""
    m = _square_matrix(matrix)
    total = m.sum()
    return float(np.trace(m) / total) if total > 0 else math.nan


# -------------------------------------------------------------------------- Altair charts


def _altair_config(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    return (chart.configure_view(stroke=None)
            .configure_axis(labelColor=MUTED, titleColor=MUTED, labelFontSize=11,
                            titleFontSize=12, labelFont=FONT, titleFont=FONT, grid=False)
            .configure_title(font=FONT, fontSize=12, color=INK, anchor="start",
                             fontWeight="normal"))


def class_counts_chart(counts: Mapping[str, int], *, title: str | None = None,
                       bar_px: int = 22) -> alt.Chart:
    """Images per class, largest first, each bar labelled with its count and share: one look
    shows how imbalanced a set is (Galaxy Zoo: ~70 % ellipticals)."""
    items = [(str(name), int(n)) for name, n in counts.items()]
    if any(n < 0 for _, n in items):
        raise ValueError("class counts cannot be negative")
    items.sort(key=lambda item: (-item[1], item[0]))
    total = sum(n for _, n in items)
    rows = [{"class": name, "count": n, "share": n / total if total else 0.0,
             "label": f"{n:,} ({n / total:.0%})" if total else f"{n:,}"} for name, n in items]
    order = [r["class"] for r in rows]
    base = alt.Chart(pd.DataFrame(rows)).encode(
        y=alt.Y("class:N", sort=order, title=None,
                axis=alt.Axis(labelLimit=220, ticks=False, labelOverlap=False)),
        x=alt.X("count:Q", title="images", axis=alt.Axis(tickCount=5, format=",~d"),
                scale=alt.Scale(domain=[0, max([n for _, n in items] + [1]) * 1.25])),
        tooltip=[alt.Tooltip("class:N"), alt.Tooltip("count:Q", format=","),
                 alt.Tooltip("share:Q", format=".1%")],
    )
    bars = base.mark_bar(color=BLUE, cornerRadiusEnd=2)
    labels = base.mark_text(align="left", dx=4, color=INK, fontSize=11).encode(text="label:N")
    # Step sizing: each class gets `bar_px` pixels, however many there are.
    chart = alt.layer(bars, labels).properties(
        height=alt.Step(bar_px), width="container",
        **({"title": title} if title else {}))
    return _altair_config(chart)


def probability_chart(probabilities: Sequence[float], class_names: Sequence[str] | None, *,
                      true_class: int | None = None, bar_px: int = 24) -> alt.Chart:
    """The model's class probabilities as bars in class order: the predicted class blue, the
    others grey, the true class (when known) named in its label."""
    p = np.asarray(probabilities, dtype=np.float64).ravel()
    if p.size == 0:
        raise ValueError("no probabilities to draw")
    names = _names(class_names, p.size)
    top = int(np.nanargmax(p)) if np.isfinite(p).any() else -1
    rows = []
    for i, name in enumerate(names):
        value = float(p[i]) if np.isfinite(p[i]) else 0.0
        mark = "  ← true class" if true_class == i else ""
        # Labels only where they say something: a column of "0.0%" is noise.
        text = f"{value:.1%}" if value >= 0.01 or i == top else ("<1%" if mark else "")
        rows.append({"class": name, "probability": value, "predicted": i == top,
                     "label": f"{text}{mark}"})
    base = alt.Chart(pd.DataFrame(rows)).encode(
        y=alt.Y("class:N", sort=names, title=None,
                axis=alt.Axis(labelLimit=220, ticks=False, labelOverlap=False)),
        x=alt.X("probability:Q", title="probability", scale=alt.Scale(domain=[0, 1.45]),
                axis=alt.Axis(format="%", values=[0, 0.25, 0.5, 0.75, 1.0])),
        tooltip=[alt.Tooltip("class:N"), alt.Tooltip("probability:Q", format=".2%")],
    )
    bars = base.mark_bar(cornerRadiusEnd=2).encode(
        color=alt.condition("datum.predicted", alt.value(BLUE), alt.value("#c8c8c8")))
    labels = base.mark_text(align="left", dx=4, color=INK, fontSize=11).encode(text="label:N")
    chart = alt.layer(bars, labels).properties(height=alt.Step(bar_px), width="container")
    return _altair_config(chart)


def _robust_edges(values: list[np.ndarray], bins: int, q: float) -> np.ndarray:
    """Shared bin edges for one kind: the pooled q … 1-q quantiles (outliers fall into the end
    bins), widened around a single value when everything is equal (all-zero gradients)."""
    pooled = np.concatenate(values) if values else np.zeros(0)
    pooled = pooled[np.isfinite(pooled)]
    if pooled.size == 0:
        lo, hi = -1.0, 1.0
    else:
        lo, hi = (float(v) for v in np.quantile(pooled, [q, 1.0 - q]))
        if not hi > lo:
            lo, hi = float(pooled.min()), float(pooled.max())
        if not hi > lo:
            pad = abs(lo) * 0.5 if lo != 0 else 1.0
            lo, hi = lo - pad, hi + pad
    return np.linspace(lo, hi, bins + 1)


def histogram_rows(stats: Sequence[Mapping[str, Any]], *, bins: int = 40,
                   clip_quantile: float = 0.005) -> list[dict[str, Any]]:
    """The binned data behind `histograms_chart`: one row per (layer, kind, bin) with the bin
    edges, the count and the share of the panel's finite values. Bins are shared per kind;
    values beyond the edges are counted in the first / last bin."""
    if bins < 1:
        raise ValueError("bins must be at least 1")
    by_kind: dict[str, list[np.ndarray]] = {}
    for s in stats:
        kind = str(s["kind"])
        if kind not in ("activation", "gradient"):
            raise ValueError(f"kind must be 'activation' or 'gradient', not {kind!r}")
        by_kind.setdefault(kind, []).append(np.asarray(s["values"], dtype=np.float64).ravel())
    edges = {kind: _robust_edges(v, bins, clip_quantile) for kind, v in by_kind.items()}
    rows: list[dict[str, Any]] = []
    for s in stats:
        kind = str(s["kind"])
        v = np.asarray(s["values"], dtype=np.float64).ravel()
        v = v[np.isfinite(v)]
        e = edges[kind]
        counts, _ = np.histogram(np.clip(v, e[0], e[-1]), bins=e)
        std = float(s["std"]) if s.get("std") is not None else (float(v.std()) if v.size else
                                                                 math.nan)
        for b in range(bins):
            rows.append({"layer": str(s["layer"]), "kind": kind, "x0": float(e[b]),
                         "x1": float(e[b + 1]), "count": int(counts[b]),
                         "share": float(counts[b] / v.size) if v.size else 0.0, "std": std})
    return rows


def histograms_chart(stats: Sequence[Mapping[str, Any]], *, bins: int = 40,
                     panel_width: int = 260, panel_height: int = 56,
                     clip_quantile: float = 0.005) -> alt.FacetChart:
    """Per-layer activation and gradient distributions as small multiples.

    `stats`: dicts {"layer": name, "kind": "activation" | "gradient", "values": 1-D array}
    (an optional "std" replaces the std of the values, e.g. over the whole batch). One row
    per layer (in order of first appearance), activations left and gradients right. Each kind
    shares one binning (every panel of a kind spans the same edges, so their x axes agree): a
    layer whose gradients vanish shows as a spike at 0 beside its neighbours' wide hills. The
    y axis (share of the panel's values) is square-root scaled so thin tails stay visible; the
    title of every panel gives its std.
    """
    rows = histogram_rows(stats, bins=bins, clip_quantile=clip_quantile)
    kinds = [k for k in ("activation", "gradient") if any(str(s["kind"]) == k for s in stats)]
    layer_order = list(dict.fromkeys(str(s["layer"]) for s in stats))
    rank: dict[str, tuple[int, int]] = {}
    for r in rows:
        r["panel"] = f"{r['layer']} · {r['kind']}s · std {r['std']:.3g}"
        rank[r["panel"]] = (layer_order.index(r["layer"]), kinds.index(r["kind"]))
    # Layer-major order, activation before gradient: with `columns=len(kinds)` the wrapped
    # facet puts activations left and gradients right, one layer per row.
    panels = sorted(rank, key=rank.__getitem__)
    if not rows:
        rows = [{"panel": "no layers to show", "x0": 0.0, "x1": 1.0, "share": 0.0, "count": 0,
                 "kind": "activation", "layer": "", "std": math.nan}]
        panels = ["no layers to show"]
    base = alt.Chart(pd.DataFrame(rows)).mark_rect().encode(
        x=alt.X("x0:Q", title=None, scale=alt.Scale(nice=False, zero=False),
                axis=alt.Axis(format=".3~g", tickCount=5, labelFontSize=10)),
        x2="x1:Q",
        # A square-root axis: a ReLU layer's spike at 0 would otherwise flatten its tail.
        y=alt.Y("share:Q", title=None, scale=alt.Scale(type="sqrt"),
                axis=alt.Axis(format="%", tickCount=2, labelFontSize=9)),
        y2=alt.datum(0),
        color=alt.Color("kind:N", legend=None, scale=alt.Scale(
            domain=["activation", "gradient"], range=[BLUE, GRADIENT_COLOR])),
        tooltip=[alt.Tooltip("layer:N"), alt.Tooltip("kind:N"),
                 alt.Tooltip("x0:Q", title="from", format=".3g"),
                 alt.Tooltip("x1:Q", title="to", format=".3g"),
                 alt.Tooltip("count:Q", title="values", format=","),
                 alt.Tooltip("share:Q", format=".1%")],
    ).properties(width=panel_width, height=panel_height)
    chart = base.facet(
        facet=alt.Facet("panel:N", sort=panels, title=None,
                        header=alt.Header(labelFontSize=11, labelColor=INK, labelAnchor="start",
                                          labelFont=FONT, labelPadding=2)),
        columns=max(1, len(kinds)), spacing={"row": 8, "column": 28},
    ).resolve_scale(x="independent", y="independent")
    return _altair_config(chart)
