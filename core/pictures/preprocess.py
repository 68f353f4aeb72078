"""Turn a drawing (or any picture of one digit) into a 28×28 MNIST-style input.

MNIST was made this way (LeCun et al.): each digit was cropped to its ink, its longer side
scaled to 20 pixels keeping the aspect ratio (anti-aliased, so the edges are grey), and the
result pasted into a 28×28 frame so that its centre of mass sits at the centre. `prepare_digit`
repeats that for any image size, plus what a drawing needs beforehand:

* light-on-dark or dark-on-light: a light background (median of the border ring) is inverted,
  so the digit is light on black as in MNIST; RGBA whose visible colour is uniform (a canvas with
  a transparent background) uses its alpha channel as the ink;
* the background level becomes exactly 0 and the ink is stretched to reach 1;
* thin strokes: when the strokes would end up thinner than MIN_STROKE pixels in the 28×28
  frame (a 3-pixel pen over a 280-pixel canvas comes out 0.2 pixels wide), the digit is
  thickened on a working grid first, so the network sees pen strokes as thick as MNIST's;
* an image without ink comes back with `empty=True` instead of a made-up digit.

Pure NumPy and Pillow: no torch, no Streamlit.
"""

from __future__ import annotations

import contextlib
import io
import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageFilter, ImageOps

from core.safe_files import MAX_PICTURE_BYTES, UnreadableFile, read_regular_file

SIZE = 28
"""The frame MNIST's digits sit in."""
BOX = 20
"""The longer side of the digit's ink box inside that frame."""
MAX_PIXELS = 50_000_000
"""Larger images are refused (a photo has ~12 megapixels; 50 is far beyond any drawing)."""
EMPTY_LEVEL = 0.1
"""Ink fainter than this everywhere (0-1, after removing the background) means no drawing."""
BOX_LEVEL = 0.25
"""Ink at least this strong (relative to the strongest) defines the digit's bounding box."""
MIN_STROKE = 1.8
"""Strokes estimated thinner than this (pixels in the 28×28 frame) are thickened ..."""
TARGET_STROKE = 2.5
"""... to about this width; MNIST's strokes are 2-3 pixels wide (median 2.6)."""
WORK = 112
"""Longer side (pixels) of the working grid on which thin strokes are thickened."""


class ImageRefused(ValueError):
    """An image that cannot be used; the message is a plain sentence for people."""


@dataclass
class Prepared:
    """The result of `prepare_digit`."""

    image: np.ndarray
    """(28, 28) float32 in 0-1, light digit on black; all zeros when `empty`."""
    empty: bool
    """True when the image holds no ink: nothing to predict."""
    inverted: bool = False
    """The image was dark ink on a light background and was inverted."""
    alpha_ink: bool = False
    """The alpha channel was used as the ink (uniform colour on transparency)."""
    box: tuple[int, int, int, int] | None = None
    """(top, left, bottom, right) of the ink in the source image, bottom/right exclusive."""
    digit_size: tuple[int, int] | None = None
    """(height, width) of the scaled digit inside the frame; its longer side is 20."""
    stroke_px: float | None = None
    """Estimated stroke width in the 28×28 frame before any thickening."""
    thickened: bool = False
    source_size: tuple[int, int] = (0, 0)
    """(height, width) of the input image."""
    notes: list[str] = field(default_factory=list)
    """What was done, in plain words."""


# ----- reading images --------------------------------------------------------------------------
def load_image(source: str | Path | bytes, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """A PNG / JPEG / any Pillow-readable file (path or bytes) as an array: (H, W) grey,
    (H, W, 2) grey + alpha, (H, W, 3) RGB or (H, W, 4) RGBA, uint8. Raises ImageRefused with a
    plain sentence for a missing, unreadable or oversized file."""
    try:
        data = source if isinstance(source, bytes) else read_regular_file(source,
                                                                          MAX_PICTURE_BYTES)
    except UnreadableFile as exc:
        raise ImageRefused(str(exc)) from None
    if not data:
        raise ImageRefused("the file is empty")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data))
            _check_size(im.height, im.width, max_pixels)
            im.load()
    except ImageRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRefused(f"the image is too large (over {max_pixels / 1e6:.0f} megapixels)"
                           ) from None
    except Exception:
        raise ImageRefused("this file could not be read as an image: it may be damaged, or "
                           "another kind of file") from None
    with contextlib.suppress(Exception):  # a broken EXIF block only loses the rotation
        im = ImageOps.exif_transpose(im)
    return image_array(im)


def image_array(im: Any) -> np.ndarray:
    """A loaded Pillow image as the array `prepare_digit` reads: (H, W) grey, (H, W, 2) grey +
    alpha, (H, W, 3) RGB or (H, W, 4) RGBA uint8; 16-bit and float grey as float32 0-1.
    Shared by every reader of pictures, so a file reads the same on every page."""
    if im.mode in ("I;16", "I;16B", "I;16L", "I", "F"):  # 16-bit or float grey
        a = np.asarray(im, dtype=np.float64)
        top = float(a.max()) if a.size else 0.0
        return (a / top if top > 0 else a).astype(np.float32)
    if im.mode == "1":
        im = im.convert("L")
    elif im.mode not in ("L", "LA", "RGB", "RGBA"):
        has_alpha = "A" in im.getbands() or "transparency" in im.info
        im = im.convert("RGBA" if has_alpha else "RGB")
    return np.asarray(im)


def _check_size(h: int, w: int, max_pixels: int) -> None:
    if h < 1 or w < 1:
        raise ImageRefused("the image has no pixels")
    if h * w > max_pixels:
        raise ImageRefused(f"the image is {w:,}×{h:,} pixels ({h * w / 1e6:.0f} megapixels), "
                           f"more than the {max_pixels / 1e6:.0f} megapixels this accepts; "
                           "please use a smaller image")


_UINT8_UNIT = np.arange(256, dtype=np.float32) / np.float32(255)


def _unit(a: np.ndarray) -> np.ndarray:
    """Any numeric / bool array as float32 in 0-1 (uint8 /255, uint16 /65535, floats as is
    when within 0-1, else /255)."""
    if a.dtype == np.uint8:  # the usual case: a table look-up, one pass
        return _UINT8_UNIT[a]
    if a.dtype == bool:
        return a.astype(np.float32)
    if np.issubdtype(a.dtype, np.integer):
        info = np.iinfo(a.dtype)
        top = 255.0 if info.max <= 255 or (a.size and a.max() <= 255) else float(info.max)
        return np.clip(a.astype(np.float32) / top, 0.0, 1.0)
    if not np.issubdtype(a.dtype, np.floating):
        raise ImageRefused("the image holds no numbers")
    a = np.nan_to_num(a.astype(np.float32), nan=0.0, posinf=1.0, neginf=0.0)
    if a.size and a.max() > 1.0:
        a = a / 255.0
    return np.clip(a, 0.0, 1.0)


def _luminance(rgb: np.ndarray) -> np.ndarray:
    return (rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114).astype(np.float32)


def to_grey(image: Any) -> tuple[np.ndarray, bool]:
    """(grey (H, W) float32 0-1, alpha used as ink). RGBA with transparency: when the visible
    pixels all have about one colour (a pen on a transparent canvas), the alpha channel is the
    ink; otherwise the image is put on a background that contrasts with its visible colours.
    Works channel by channel, so a large uint8 photo never becomes one big float copy."""
    a = np.asarray(image)
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[..., 0]
    if a.ndim == 2:
        _check_size(*a.shape, MAX_PIXELS)
        return _unit(a), False
    if a.ndim != 3 or a.shape[2] not in (2, 3, 4):
        raise ImageRefused(f"an image must be H×W grey or H×W×(3 or 4) colour, not an array "
                           f"of shape {tuple(a.shape)}")
    _check_size(a.shape[0], a.shape[1], MAX_PIXELS)
    n_colour = 1 if a.shape[2] == 2 else 3
    if n_colour == 1:
        grey = _unit(a[..., 0])
    else:
        grey = _unit(a[..., 0]) * np.float32(0.299)
        grey += _unit(a[..., 1]) * np.float32(0.587)
        grey += _unit(a[..., 2]) * np.float32(0.114)
    if a.shape[2] == 3:
        return grey, False
    alpha = _unit(a[..., -1])
    if alpha.min() >= 0.999:  # opaque: the alpha says nothing
        return grey, False
    visible = alpha > 0.02
    if not visible.any():
        return np.zeros_like(grey), True
    spread = max(float(np.ptp(_unit(a[..., c])[visible])) for c in range(n_colour))
    if spread <= 0.1:
        return alpha, True
    light_ink = float(grey[visible].mean()) > 0.5
    background = np.float32(0.0 if light_ink else 1.0)
    return grey * alpha + background * (1.0 - alpha), False


def border_median(grey: np.ndarray) -> float:
    """Median of the outer ring (5 %, at least one pixel) of a 2-D image: its background.
    Images under 3 pixels on a side have no inside: their overall median."""
    h, w = grey.shape
    if min(h, w) < 3:
        return float(np.median(grey))
    b = max(1, int(round(0.05 * min(h, w))))
    ring = np.concatenate([grey[:b].ravel(), grey[-b:].ravel(), grey[b:-b, :b].ravel(),
                           grey[b:-b, -b:].ravel()])
    return float(np.median(ring))


def ink_image(image: Any, invert: bool | None = None) -> tuple[np.ndarray, bool, bool]:
    """(ink (H, W) float32: 0 background … 1 strongest ink, inverted, alpha used as ink).
    `invert`: None inverts a light background; True / False force it either way."""
    grey, alpha_ink = to_grey(image)
    background = border_median(grey)
    inverted = background > 0.5 if invert is None else invert
    if inverted:
        grey = 1.0 - grey
        background = 1.0 - background
    if background > 0.002:  # grey paper or JPEG noise: the background level becomes 0
        floor = background + 0.04 * (1.0 - background)
        grey = np.clip((grey - floor) / max(1.0 - floor, 1e-6), 0.0, 1.0)
    return grey.astype(np.float32, copy=False), inverted, alpha_ink


# ----- the MNIST recipe ------------------------------------------------------------------------
def _bbox(mask: np.ndarray) -> tuple[int, int, int, int]:
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    return int(rows[0]), int(cols[0]), int(rows[-1]) + 1, int(cols[-1]) + 1


def stroke_width(mask: np.ndarray) -> float:
    """Estimated stroke width (pixels) of a binary drawing: a stroke of width w and length L
    covers w·L pixels and has about 2·L edge pixels, so w ≈ 2·area / edge pixels."""
    area = int(mask.sum())
    if area == 0:
        return 0.0
    padded = np.pad(mask, 1)
    inner = (padded[1:-1, 1:-1] & padded[:-2, 1:-1] & padded[2:, 1:-1]
             & padded[1:-1, :-2] & padded[1:-1, 2:])
    edge = area - int(inner.sum())
    return max(1.0, 2.0 * area / max(edge, 1))


def _resize(a: np.ndarray, w: int, h: int, method: str = "lanczos") -> np.ndarray:
    """Float image resize with Pillow (mode F). Large reductions go through a fast box
    reduction first (reducing_gap), which is exact area averaging."""
    resample = {"lanczos": Image.Resampling.LANCZOS, "box": Image.Resampling.BOX,
                "bilinear": Image.Resampling.BILINEAR}[method]
    im = Image.fromarray(np.ascontiguousarray(a, dtype=np.float32), mode="F")
    out = im.resize((max(1, w), max(1, h)), resample, reducing_gap=3.0)
    return np.asarray(out, dtype=np.float32)


def _thicken(crop: np.ndarray, width: float) -> np.ndarray:
    """Thin strokes made thicker: the crop on a WORK-pixel grid, made two-level, dilated with a
    max filter so the strokes come out about TARGET_STROKE pixels wide at the 20-pixel scale.
    Returns the thickened ink (0-1), cropped to its new bounding box."""
    h, w = crop.shape
    longer = max(h, w)
    r = WORK / longer
    nh, nw = max(1, round(h * r)), max(1, round(w * r))
    work = _resize(crop, nw, nh, "box" if r < 1 else "bilinear")
    peak = float(work.max())
    if peak <= 0:
        return crop
    # A stroke thinner than a working pixel is faint after area averaging: the two-level
    # threshold is relative to the strongest ink, so it is kept.
    binary = work >= 0.3 * peak
    width_work = max(1.0, width * r)
    target_work = TARGET_STROKE * max(nh, nw) / BOX
    k = max(3, 2 * round((target_work - width_work) / 2) + 1)
    pad = k // 2 + 1
    im = Image.fromarray(np.pad(binary, pad).astype(np.uint8) * 255, mode="L")
    thick = np.asarray(im.filter(ImageFilter.MaxFilter(k)), dtype=np.float32) / 255.0
    top, left, bottom, right = _bbox(thick > 0)
    return thick[top:bottom, left:right]


def prepare_digit(image: Any, *, size: int = SIZE, box: int = BOX,
                  invert: bool | None = None) -> Prepared:
    """Any image of one digit → the 28×28 input MNIST models expect (see the module doc).

    `image`: an array (H, W) grey, (H, W, 3) RGB or (H, W, 4) RGBA; uint8, bool or float 0-1;
    any size from 1×1 up to MAX_PIXELS (larger: ImageRefused). Light-on-dark and dark-on-light
    both work (`invert` None decides from the border; True / False force it). `size` / `box`:
    another frame and digit size for models of other inputs (8×8 digits: box = size). Returns
    a `Prepared`; `empty` when there is no ink.
    """
    a = np.asarray(image)
    if a.ndim < 2:
        raise ImageRefused("an image needs two dimensions (height and width)")
    source = (int(a.shape[0]), int(a.shape[1]))
    ink, inverted, alpha_ink = ink_image(a, invert)
    frame = np.zeros((size, size), dtype=np.float32)
    notes: list[str] = []
    if inverted:
        notes.append("colours inverted: dark ink on a light background" if invert is None
                     else "colours inverted")
    if alpha_ink:
        notes.append("transparency used as the ink")
    peak = float(ink.max()) if ink.size else 0.0
    if peak < EMPTY_LEVEL:
        return Prepared(frame, True, inverted, alpha_ink, source_size=source, notes=notes)
    if peak < 1.0:
        ink = np.clip(ink / peak, 0.0, 1.0)
        notes.append(f"faint ink stretched to full strength (it peaked at {peak:.0%})")

    top, left, bottom, right = _bbox(ink >= BOX_LEVEL)
    crop = ink[top:bottom, left:right]
    longer = max(crop.shape)
    scale = box / longer
    width = stroke_width(crop >= 0.5)
    stroke_px = width * scale
    thickened = stroke_px * BOX / box < MIN_STROKE  # MIN_STROKE is at MNIST's 20-pixel scale
    if thickened:
        crop = _thicken(crop, width)
        notes.append(f"thin strokes thickened (about {stroke_px:.1f} px wide at {size}×{size}, "
                     f"MNIST's are 2–3 px)")
    ch, cw = crop.shape
    s = box / max(ch, cw)
    nh, nw = (box, max(1, round(cw * s))) if ch >= cw else (max(1, round(ch * s)), box)
    digit = np.clip(_resize(crop, nw, nh), 0.0, 1.0)

    total = float(digit.sum())
    if total > 0:
        cy = float(digit.sum(axis=1) @ np.arange(nh)) / total
        cx = float(digit.sum(axis=0) @ np.arange(nw)) / total
    else:  # pragma: no cover - a non-empty crop always keeps some ink
        cy, cx = (nh - 1) / 2, (nw - 1) / 2
    centre = size / 2
    y0 = int(np.clip(math.floor(centre - cy + 0.5), 0, size - nh))
    x0 = int(np.clip(math.floor(centre - cx + 0.5), 0, size - nw))
    frame[y0:y0 + nh, x0:x0 + nw] = digit
    notes.append(f"cropped to the ink ({right - left}×{bottom - top} px of {source[1]}×"
                 f"{source[0]}), scaled to {nw}×{nh} and centred by its centre of mass")
    return Prepared(frame, False, inverted, alpha_ink, (top, left, bottom, right), (nh, nw),
                    stroke_px, thickened, source, notes)


def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    """(row, column) of an image's centre of mass, in pixel-index coordinates."""
    a = np.asarray(image, dtype=np.float64)
    total = a.sum()
    if total <= 0:
        raise ValueError("an image without ink has no centre of mass")
    rows, cols = np.indices(a.shape)
    return float((a * rows).sum() / total), float((a * cols).sum() / total)


def to_uint8(image: np.ndarray) -> np.ndarray:
    """A 0-1 float image as uint8 0-255 (for PNG files)."""
    return np.rint(np.clip(np.asarray(image, dtype=np.float32), 0.0, 1.0) * 255).astype(np.uint8)
