"""Small heatmaps as palette PNGs in the orange–white–blue map.

The network diagram and the neuron grid draw one thumbnail per node: one small PNG layout
image is far lighter for the browser than one heatmap trace per node.
"""

from __future__ import annotations

import base64
import struct
import zlib
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np

from playground.colors import DIVERGING_PALETTE, diverging_palette_index

__all__ = ["finite_min_max", "heatmap_png", "heatmap_pngs", "max_abs_range", "thumbnail"]


def _png_chunk(tag: bytes, payload: bytes) -> bytes:
    """One PNG chunk: length, tag, payload, CRC."""
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


def thumbnail(values: Any) -> np.ndarray:
    """`values` as a float32 2-D array, or a ValueError naming the shape it had."""
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

    `origin="lower"` (default) puts row 0 at the bottom, matching the decision-boundary plot
    where row 0 is the smallest x2.
    """
    a = thumbnail(values)
    if origin == "lower":
        a = a[::-1]
    return _png_uri(diverging_palette_index(a, vmin, vmax))


def heatmap_pngs(
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


def finite_min_max(arrays: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
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
    pairs = [finite_min_max([a]) for a in arrays]
    return np.concatenate([p[0] for p in pairs]), np.concatenate([p[1] for p in pairs])


def max_abs_range(a: np.ndarray) -> tuple[float, float]:
    """Symmetric range (-m, m) by the largest finite |value|; (-1, 1) when there is none."""
    finite = np.abs(a[np.isfinite(a)])
    m = float(finite.max()) if finite.size else 0.0
    return (-m, m) if m > 0 else (-1.0, 1.0)
