"""The playground's colour language, shared by every chart.

Follows TensorFlow Playground so workshop material carries over: orange means negative /
class 0 / low, blue means positive / class 1 / high, white means "undecided". Kept free of
plotting imports so the same map can colour Plotly traces and PIL images identically.
"""

from __future__ import annotations

import numpy as np

ORANGE = "#f59322"
BLUE = "#0877bd"
WHITE = "#ffffff"
INK = "#333333"  # text, axes and neutral marks
MUTED = "#888888"  # secondary text
TEST_OUTLINE = "#1a1a1a"  # outline that tells test points from white-outlined train points


def hex_to_rgb(color: str) -> tuple[int, int, int]:
    """'#rrggbb' → (r, g, b); the one parser, so hex constants stay the source of truth."""
    c = color.lstrip("#")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)


def rgba(color: str, alpha: float) -> str:
    """A hex colour with transparency, for Plotly lines whose opacity encodes strength."""
    r, g, b = hex_to_rgb(color)
    return f"rgba({r},{g},{b},{alpha:.3g})"


# Class 0 and 1 keep the TF Playground pair; the rest are distinct from both and from each
# other (no second orange or blue), so a multiclass boundary stays readable.
CLASS_COLORS: tuple[str, ...] = (
    ORANGE,
    BLUE,
    "#2e9e44",  # green
    "#8e44ad",  # purple
    "#d62728",  # red
    "#17a2b8",  # teal
    "#8c564b",  # brown
    "#e377c2",  # pink
    "#7f7f7f",  # grey
    "#b5b021",  # olive
)

_ORANGE_RGB = np.array(hex_to_rgb(ORANGE), dtype=np.float32)
_BLUE_RGB = np.array(hex_to_rgb(BLUE), dtype=np.float32)
_WHITE_RGB = np.array(hex_to_rgb(WHITE), dtype=np.float32)

# Plotly's linear interpolation between these stops is the same blend diverging_rgb computes,
# so a Plotly heatmap and a PIL image of the same numbers look alike.
DIVERGING_COLORSCALE: list[list[float | str]] = [[0.0, ORANGE], [0.5, WHITE], [1.0, BLUE]]


def class_color(index: int) -> str:
    """Colour of class `index`; cycles past the palette rather than failing on many classes."""
    return CLASS_COLORS[index % len(CLASS_COLORS)]


def class_rgb_table(n_classes: int) -> np.ndarray:
    """(n_classes, 3) float32 RGB rows, for vectorised lookup by class index."""
    return np.array([hex_to_rgb(class_color(i)) for i in range(n_classes)], dtype=np.float32)


def _diverging_exact(t: np.ndarray) -> np.ndarray:
    """t in [-1, 1] → float RGB: linear orange → white → blue (Plotly's interpolation too)."""
    t = t[..., None]
    end = np.where(t < 0, _ORANGE_RGB, _BLUE_RGB)
    return _WHITE_RGB + np.abs(t) * (end - _WHITE_RGB)


# Odd-sized lookup tables: index 0 is exactly orange, the middle exactly white, the last
# exactly blue. A lookup is 2-3x faster than evaluating the blend. The 1023-entry table keeps
# neighbours under one colour level apart (diverging_rgb); the 255-entry one is the palette of
# the node thumbnails, whose 1-byte pixels make PNG encoding ~5x cheaper (steps < 2 levels).
_LUT_SIZE = 1023
_DIVERGING_LUT = np.rint(_diverging_exact(np.linspace(-1.0, 1.0, _LUT_SIZE))).astype(np.uint8)
PALETTE_SIZE = 255
DIVERGING_PALETTE = np.rint(_diverging_exact(np.linspace(-1.0, 1.0, PALETTE_SIZE))).astype(np.uint8)


def _lut_index(
    values: np.ndarray,
    vmin: float | np.ndarray,
    vmax: float | np.ndarray,
    size: int = _LUT_SIZE,
) -> np.ndarray:
    """Table row (0 … size-1) for each value. vmin/vmax may be arrays that broadcast against
    `values` (one range per thumbnail in a stack). Out-of-range values are clipped; NaN and
    zero-width or non-finite ranges give the middle row (white)."""
    v = np.asarray(values, dtype=np.float32)
    mid = (size - 1) // 2
    top = np.float32(size - 0.51)  # floor(x + 0.5) below implements rounding
    if np.ndim(vmin) == 0 and np.ndim(vmax) == 0:
        span = float(vmax) - float(vmin)
        if not np.isfinite(span) or span <= 0:
            return np.full(v.shape, mid, dtype=np.intp)
        scale = np.float32((size - 1) / span)
        offset = np.float32(0.5 - float(vmin) * (size - 1) / span)
    else:
        lo = np.asarray(vmin, dtype=np.float64)
        span = np.asarray(vmax, dtype=np.float64) - lo
        ok = np.isfinite(span) & (span > 0)
        scale64 = np.where(ok, (size - 1) / np.where(ok, span, 1.0), 0.0)
        scale = scale64.astype(np.float32)
        offset = np.where(ok, 0.5 - lo * scale64, mid + 0.5).astype(np.float32)
    with np.errstate(invalid="ignore"):  # inf * 0 → NaN, handled just below
        idx = v * scale
        idx += offset
    np.clip(idx, np.float32(0.0), top, out=idx)
    nan = np.isnan(idx)
    if nan.any():
        idx[nan] = mid + 0.5
    return idx.astype(np.intp)


def diverging_rgb(
    values: np.ndarray, vmin: float | np.ndarray, vmax: float | np.ndarray
) -> np.ndarray:
    """Map values to orange (vmin) → white (midpoint) → blue (vmax) as uint8 RGB (..., 3).

    Values outside [vmin, vmax] are clipped and NaN maps to white (no opinion), so a diverged
    network renders as a blank map instead of raising. A zero-width range is all white.
    """
    return _DIVERGING_LUT[_lut_index(values, vmin, vmax)]


def diverging_palette_index(
    values: np.ndarray, vmin: float | np.ndarray, vmax: float | np.ndarray
) -> np.ndarray:
    """Like `diverging_rgb`, but uint8 indices into `DIVERGING_PALETTE` (for indexed PNGs)."""
    return _lut_index(values, vmin, vmax, PALETTE_SIZE).astype(np.uint8)


def blend_to_white(rgb: np.ndarray, strength: np.ndarray) -> np.ndarray:
    """Fade colours towards white: strength 1 keeps the colour, 0 gives white (uint8 out)."""
    s = np.clip(np.asarray(strength, dtype=np.float32), 0.0, 1.0)[..., None]
    out = _WHITE_RGB + s * (np.asarray(rgb, dtype=np.float32) - _WHITE_RGB)
    return np.rint(out).astype(np.uint8)
