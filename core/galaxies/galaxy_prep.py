"""Turn any galaxy picture into what the galaxy network was trained on.

The training galaxies are Galaxy Zoo 1 SDSS cut-outs: each 424-pixel cut-out was scaled to the
galaxy's size, its central 207 pixels kept and shrunk to 69×69, so the galaxy fills a similar
share of every frame. A new picture goes through the same steps:

1. **Stretch** raw data (FITS, 16-bit) to 0-1: percentile clipping, then asinh, log or linear
   (astropy.visualization). 8-bit photos are already stretched and are used as they are.
2. **Frame**: "auto" finds the central object (background-subtracted, smoothed, the connected
   region of light nearest the centre), measures the radius holding 90 % of its Petrosian light
   and crops a square `FRAME_PER_R90` times that radius around it — the share a galaxy has in the
   training frames (calibrated on them). "galaxy_zoo" keeps the central 207/424 of a Galaxy Zoo
   or SDSS cut-out, "full" keeps everything, "manual" keeps a chosen share of the frame.
3. **Resize** to the model's input (anti-aliased), grey repeated to three channels.

NumPy, SciPy and astropy (torch only to resize, as the data sets are resized); no Streamlit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch

from core.galaxies.sky_files import SkyImage
from core.pictures.preprocess import ImageRefused

STRETCHES = {"asinh": "asinh (faint detail and bright cores)", "log": "logarithmic",
             "linear": "linear"}
FRAMINGS = {"auto": "auto: find the galaxy and frame it like the training images",
            "galaxy_zoo": "Galaxy Zoo / SDSS cut-out: keep the central 207 of 424 pixels",
            "full": "the whole picture",
            "manual": "manual zoom"}
GALAXY_ZOO_SIDE = 424
GALAXY_ZOO_SHARE = 207 / GALAXY_ZOO_SIDE
"""The share of a 424-pixel Galaxy Zoo cut-out that the 69-pixel training images show."""
FRAME_PER_R90 = 5.9
"""Frame side ÷ the radius holding 90 % of the galaxy's light (Petrosian, measured by
`find_galaxy` in linear light) on the Galaxy Zoo 1 training images: median of 69 / r90 over 400
of them 5.91, quartiles 5.6 and 6.7, the same for every class to within 6 %
(tests/core/test_galaxy_prep.py re-measures it)."""
PHOTO_BETA = 8.0
"""8-bit photos are measured in linear light, sinh(β·v) / sinh(β): SDSS colour cut-outs are
asinh-stretched (Lupton et al. 2004), and measured on the stretched values an elliptical's
bright core looked 12 % bigger and a spiral's arms 10 % smaller than their Petrosian sizes
(β = 8 brings every class to the same ratio and narrows the spread the most)."""
DETECT_SIGMA = 3.0
"""Light this many noise sigmas above the sky (after smoothing) belongs to an object."""
PEAK_SIGMA = 7.0
"""... and an object must peak this far above it: pure noise (smoothed) reaches about 6 sigma
at most on the working grid."""
PETROSIAN_ETA = 0.2
"""The Petrosian radius is where the surface brightness falls to this share of the mean inside
it (SDSS)."""
WORK_SIDE = 256
"""Objects are found on a copy at most this big: fast, and enough for a radius."""
FLAT = 1e-7
AUTO_SCALES = (0.8, 0.9, 1.0, 1.1, 1.2)
"""A galaxy's size is measured to about ±15 % of the Petrosian size its training cut-out was
scaled by (quartiles of 69 / r90 on the training images): auto framing also frames it this
much tighter and wider, and the classifier averages its answers over the five."""
CROP_SIDE = 1024
"""Frames wider than this (pixels) are cut from a reduced copy of the picture."""


@dataclass
class Extent:
    """Where the galaxy is and how big (pixels of the image it was measured on)."""

    found: bool
    cy: float
    cx: float
    r90: float
    r50: float = 0.0
    sky: float = 0.0
    noise: float = 0.0


@dataclass
class PreparedGalaxy:
    image: np.ndarray
    """(S, S, 3) float32 in 0-1: what the network sees."""
    display: np.ndarray
    """(H, W, 3) float32 0-1: the stretched picture before framing, for the preview."""
    box: tuple[float, float, float]
    """(centre y, centre x, side) of the square crop in `display`'s pixels."""
    framing: str
    extent: Extent | None = None
    notes: list[str] = field(default_factory=list)
    frames: np.ndarray | None = None
    """(k, S, S, 3): the galaxy framed at each of AUTO_SCALES × the measured size (auto
    framing only), for a classifier to average over; `image` is the middle one."""


# ----- stretch ----------------------------------------------------------------------------------
def stretch(data: np.ndarray, method: str = "asinh", low: float = 10.0,
            high: float = 99.8) -> np.ndarray:
    """Raw values → 0-1: clip to the [low, high] percentiles, then the named stretch. Colour
    images are clipped per channel (bands from different filters differ in level)."""
    from astropy.visualization import (  # heavy: only FITS and 16-bit pictures need it
        AsinhStretch,
        AsymmetricPercentileInterval,
        LinearStretch,
        LogStretch,
    )

    if method not in STRETCHES:
        raise ValueError(f"unknown stretch {method!r} (choose from {', '.join(STRETCHES)})")
    if not 0 <= low < high <= 100:
        raise ValueError(f"percentiles must satisfy 0 ≤ low < high ≤ 100, not {low}, {high}")
    curve = {"asinh": AsinhStretch(a=0.1), "log": LogStretch(a=1000),
             "linear": LinearStretch()}[method]
    channels = [data] if data.ndim == 2 else [data[..., c] for c in range(data.shape[-1])]
    out = []
    for channel in channels:
        sample = channel[::max(1, channel.shape[0] // 512), ::max(1, channel.shape[1] // 512)]
        lo, hi = AsymmetricPercentileInterval(low, high).get_limits(sample)
        if not hi - lo > FLAT * max(1.0, abs(hi)):
            lo, hi = float(channel.min()), float(channel.max())
        if not hi - lo > FLAT * max(1.0, abs(hi)):
            out.append(np.zeros_like(channel, dtype=np.float32))
            continue
        unit = np.clip((channel - lo) / (hi - lo), 0, 1)
        out.append(np.asarray(curve(unit, clip=True), dtype=np.float32))
    return out[0] if data.ndim == 2 else np.stack(out, axis=-1)


def to_display(sky: SkyImage, method: str = "asinh", low: float = 10.0,
               high: float = 99.8) -> np.ndarray:
    """(H, W, 3) 0-1 colour for any 2-D or colour SkyImage: raw data stretched, photos as they
    are, grey repeated to three channels. A blank picture is refused."""
    if sky.cube:
        raise ImageRefused("pick a plane of the cube (or three for colour) first")
    data = sky.data
    spread = float(data.max() - data.min()) if data.size else 0.0
    if not spread > FLAT * max(1.0, float(np.abs(data).max(initial=0))):
        level = float(data.flat[0]) if data.size else 0.0
        raise ImageRefused(f"the image is blank: every pixel has the same value ({level:g}); "
                           "there is no galaxy to see")
    image = stretch(data, method, low, high) if sky.raw else np.clip(data, 0, 1)
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=2)
    return np.ascontiguousarray(image, dtype=np.float32)


# ----- finding the galaxy -----------------------------------------------------------------------
def luminance(image: np.ndarray) -> np.ndarray:
    return image if image.ndim == 2 else image.mean(axis=-1)


def linear_light(display: np.ndarray) -> np.ndarray:
    """A stretched 0-1 picture back to (roughly) linear light, for measuring sizes."""
    v = np.asarray(display, dtype=np.float32)
    return luminance(np.sinh(PHOTO_BETA * v) / np.float32(np.sinh(PHOTO_BETA)))  # per band


def find_galaxy(image: np.ndarray) -> Extent:
    """The central object's centre (light-weighted, within its half-light radius) and its 50 % /
    90 % Petrosian light radii, in pixels of `image`; `found` is False when nothing stands out
    of the sky (no blob peaks PEAK_SIGMA above it)."""
    from scipy import ndimage  # heavy: only galaxy framing needs it

    grey = luminance(np.asarray(image, dtype=np.float32))
    h, w = grey.shape
    scale = max(1, -(-max(h, w) // WORK_SIDE))
    if scale > 1:
        h2, w2 = h // scale, w // scale
        grey = grey[:h2 * scale, :w2 * scale].reshape(h2, scale, w2, scale).mean(axis=(1, 3))
    smooth = ndimage.gaussian_filter(grey, 1.0)
    sky, noise = _sky_level(smooth)
    centre = ((grey.shape[0] - 1) / 2, (grey.shape[1] - 1) / 2)
    nothing = Extent(False, (centre[0] + 0.5) * scale - 0.5, (centre[1] + 0.5) * scale - 0.5,
                     0.0, sky=sky, noise=noise)
    if not noise > 0:
        return nothing
    above = smooth - sky  # > 0 everywhere inside the objects
    labels, n = ndimage.label(above > DETECT_SIGMA * noise)
    if n == 0:
        return nothing
    index = np.arange(1, n + 1)
    peak = np.asarray(ndimage.maximum(above, labels, index))
    flux = np.asarray(ndimage.sum_labels(above, labels, index))
    cy, cx = (np.asarray(c) for c in zip(*ndimage.center_of_mass(above, labels, index),
                                         strict=True))
    # the object nearest the centre wins unless a much brighter one is not much farther;
    # blobs whose peak a noise fluctuation could reach are not objects
    distance = np.hypot(cy - centre[0], cx - centre[1]) / max(grey.shape)
    score = np.where(peak >= PEAK_SIGMA * noise, flux / (0.05 + distance) ** 2, -1.0)
    chosen = int(np.argmax(score))
    if score[chosen] < 0:
        return nothing
    mask = ndimage.binary_dilation(labels == chosen + 1, iterations=2)
    usable = ~(ndimage.binary_dilation((labels > 0) & ~mask, iterations=2) & ~mask)
    light = np.where(usable, grey - sky, 0).astype(np.float32)  # other objects left out
    ys, xs = np.nonzero(mask)
    weights = np.clip(light[ys, xs], 0, None)
    total = float(weights.sum())
    if not total > 0:
        return nothing
    y0, x0 = float((ys * weights).sum() / total), float((xs * weights).sum() / total)
    r50, r90 = _light_radii(light, usable, y0, x0)
    # the centroid of the whole region drifts towards companions merged with the galaxy: the
    # centroid within the half-light radius, iterated, settles on the galaxy's core
    yy, xx = np.indices(light.shape)
    positive = np.clip(light, 0, None)
    for _ in range(5):
        window = positive * (np.hypot(yy - y0, xx - x0) <= max(2.0, r50))
        total = float(window.sum())
        if not total > 0:
            break
        y1, x1 = float((window * yy).sum() / total), float((window * xx).sum() / total)
        moved = np.hypot(y1 - y0, x1 - x0)
        y0, x0 = y1, x1
        if moved < 0.05:
            break
    r50, r90 = _light_radii(light, usable, y0, x0)
    return Extent(True, (y0 + 0.5) * scale - 0.5, (x0 + 0.5) * scale - 0.5, r90 * scale,
                  r50 * scale, sky, noise)


def _light_radii(light: np.ndarray, usable: np.ndarray, y0: float, x0: float
                 ) -> tuple[float, float]:
    """Radii holding 50 % and 90 % of the Petrosian flux around (y0, x0): the light within
    twice the radius where the surface brightness falls to PETROSIAN_ETA of the mean inside
    it (the SDSS measure the Galaxy Zoo cut-outs were scaled by). Being a ratio of brightnesses
    it does not depend on the noise level or the depth of the picture, only on the galaxy.
    `usable` leaves out the other objects."""
    ys, xs = np.nonzero(usable)
    r = np.hypot(ys - y0, xs - x0)
    order = np.argsort(r)
    r = r[order]
    cumulative = np.cumsum(light[ys, xs][order], dtype=np.float64)
    grid = np.arange(1.5, max(float(r[-1]), 2.0), 0.25)
    inner = np.searchsorted(r, 0.8 * grid)
    outer = np.searchsorted(r, 1.25 * grid)
    within = np.searchsorted(r, grid, side="right")

    def flux(k: np.ndarray) -> np.ndarray:
        return np.where(k > 0, cumulative[np.maximum(k, 1) - 1], 0.0)

    ring = (flux(outer) - flux(inner)) / np.maximum(outer - inner, 1)
    mean = flux(within) / np.maximum(within, 1)
    falling = (mean > 0) & (outer > inner) & (ring < PETROSIAN_ETA * mean)
    r_petrosian = float(grid[np.argmax(falling)]) if falling.any() else float(r[-1]) / 2
    k = max(1, int(np.searchsorted(r, 2 * r_petrosian, side="right")))
    total = float(cumulative[k - 1])
    if not total > 0:
        return 1.0, 1.0
    grown = cumulative[:k]
    r50 = float(r[int(np.argmax(grown >= 0.5 * total))])
    r90 = float(r[int(np.argmax(grown >= 0.9 * total))])
    return max(r50, 0.5), max(r90, 1.0)


def _sky_level(smooth: np.ndarray) -> tuple[float, float]:
    """Median and robust sigma of the sky (on the smoothed image): clipped of bright pixels,
    then measured again away from everything that stands out (with a margin), so that a galaxy
    filling much of the frame does not raise the level with its faint outskirts."""
    from scipy import ndimage  # heavy: only galaxy framing needs it

    step = (max(1, smooth.shape[0] // 128), max(1, smooth.shape[1] // 128))
    values = smooth[::step[0], ::step[1]].ravel()
    median, sigma = _clipped(values)
    if not sigma > 0:  # a sky of one exact value: anything clearly above it counts
        spread = float(np.std(values))
        return median, spread * 0.05 if spread > FLAT * max(1.0, abs(median)) else 0.0
    margin = max(2, round(0.02 * max(smooth.shape)))
    objects = ndimage.binary_dilation(smooth > median + 2 * sigma, iterations=margin)
    sky = smooth[~objects][::max(1, step[0] * step[1])]
    if sky.size >= 0.1 * values.size:
        median2, sigma2 = _clipped(sky)
        if sigma2 > 0:
            # the mode (2.5 median - 1.5 mean) of what is left: the faint outskirts a mask
            # cannot catch skew the values upwards; the most common value is the sky's
            near = sky[np.abs(sky - median2) < 3 * sigma2]
            median = float(2.5 * np.median(near) - 1.5 * near.mean())
            sigma = sigma2
    return median, sigma


def _clipped(values: np.ndarray) -> tuple[float, float]:
    keep = values
    for _ in range(3):
        median = float(np.median(keep))
        sigma = 1.4826 * float(np.median(np.abs(keep - median)))
        if not sigma > 0:
            break
        keep = values[values < median + 3 * sigma]
    return median, sigma


# ----- framing ----------------------------------------------------------------------------------
def frame_box(image: np.ndarray, framing: str = "auto", zoom: float = 1.0,
              light: np.ndarray | None = None
              ) -> tuple[tuple[float, float, float], Extent | None, list[str]]:
    """(centre y, centre x, side) of the square to keep, the galaxy found (auto), and notes.
    `light`: the same picture in linear light to measure the galaxy on (default `image`)."""
    if framing not in FRAMINGS:
        raise ValueError(f"unknown framing {framing!r} (choose from {', '.join(FRAMINGS)})")
    h, w = image.shape[:2]
    centre_y, centre_x, short = (h - 1) / 2, (w - 1) / 2, min(h, w)
    if framing == "full":
        return (centre_y, centre_x, float(max(h, w))), None, []
    if framing == "galaxy_zoo":
        return (centre_y, centre_x, short * GALAXY_ZOO_SHARE), None, []
    if framing == "manual":
        if not 0.02 <= zoom <= 4:
            raise ValueError(f"zoom must be between 0.02 and 4, not {zoom}")
        return (centre_y, centre_x, short * zoom), None, []
    if (h, w) == (GALAXY_ZOO_SIDE, GALAXY_ZOO_SIDE):
        return ((centre_y, centre_x, short * GALAXY_ZOO_SHARE), None,
                ["a 424×424 picture: framed as a Galaxy Zoo / SDSS cut-out (its central 207 "
                 "pixels, as the training images were); pick another framing if it is not one"])
    extent = find_galaxy(image if light is None else light)
    if not extent.found:
        return ((centre_y, centre_x, float(max(h, w))), extent,
                ["no object stands out of the sky: the whole picture is used"])
    side = FRAME_PER_R90 * extent.r90
    notes = [f"galaxy found {extent.r90:.0f} px in radius (90 % of its light): framed "
             f"{side:.0f} px wide"]
    if side > 1.5 * max(h, w):
        notes.append("the galaxy fills the picture; the frame is padded with sky")
    return (extent.cy, extent.cx, side), extent, notes


def crop_square(image: np.ndarray, box: tuple[float, float, float],
                fill: float | None = None) -> np.ndarray:
    """The square `box` of `image`; parts outside the picture are filled with the sky level
    (the median) so that padding looks like empty sky, not like a black border."""
    cy, cx, side = box
    side_px = max(2, int(round(side)))
    top = math.floor(cy - (side_px - 1) / 2 + 0.5)  # halves round up, whatever their parity
    left = math.floor(cx - (side_px - 1) / 2 + 0.5)
    h, w = image.shape[:2]
    if fill is None:
        fill_value = np.median(image.reshape(-1, *image.shape[2:])[::7], axis=0)
    else:
        fill_value = fill
    out = np.empty((side_px, side_px, *image.shape[2:]), dtype=np.float32)
    out[...] = fill_value
    y0, x0 = max(top, 0), max(left, 0)
    y1, x1 = min(top + side_px, h), min(left + side_px, w)
    if y1 > y0 and x1 > x0:
        out[y0 - top:y1 - top, x0 - left:x1 - left] = image[y0:y1, x0:x1]
    return out


def resize_image(image: np.ndarray, size: int) -> np.ndarray:
    """(H, W, C) 0-1 → (size, size, C), anti-aliased like the training set's resize."""
    x = torch.from_numpy(np.ascontiguousarray(image, dtype=np.float32)).permute(2, 0, 1)[None]
    if x.shape[-1] != size or x.shape[-2] != size:
        x = torch.nn.functional.interpolate(x, size=(size, size), mode="bilinear",
                                            antialias=True, align_corners=False)
    return x[0].permute(1, 2, 0).clamp(0, 1).numpy().copy()


def prepare_galaxy(sky: SkyImage, *, size: int = 69, framing: str = "auto", zoom: float = 1.0,
                   stretch_method: str = "asinh", low: float = 10.0, high: float = 99.8
                   ) -> PreparedGalaxy:
    """The whole path from a read picture to the network's (size, size, 3) input."""
    display = to_display(sky, stretch_method, low, high)
    # sizes are measured in linear light: raw data as it is, photos un-stretched
    light = luminance(sky.data) if sky.raw else linear_light(display)
    box, extent, notes = frame_box(display, framing, zoom, light=light)
    image = _framed(display, box, size)
    frames = None
    if extent is not None and extent.found:
        cy, cx, side = box
        frames = np.stack([image if scale == 1.0 else _framed(display, (cy, cx, side * scale),
                                                               size)
                           for scale in AUTO_SCALES])
        notes.append(f"the answer averages the network over frames {AUTO_SCALES[0]:g}–"
                     f"{AUTO_SCALES[-1]:g} times as wide: a galaxy's size is measured to about "
                     "±15 %")
    return PreparedGalaxy(image, display, box, framing, extent, [*sky.notes, *notes], frames)


def _framed(display: np.ndarray, box: tuple[float, float, float], size: int) -> np.ndarray:
    """The square `box` of `display` resized to size × size."""
    cy, cx, side = box
    # a frame far wider than the picture (a galaxy filling it) is cut from a block-averaged
    # copy, kept at least twice the input size: a 2048-pixel picture framed 4× wider would be
    # a gigabyte of floats at full size, for a 69-pixel input
    factor = min(int(side // CROP_SIDE) + 1, int(side // (2 * size))) if side > CROP_SIDE else 1
    if factor > 1 and min(display.shape[:2]) >= factor:
        h, w = (n // factor * factor for n in display.shape[:2])
        small = display[:h, :w].reshape(h // factor, factor, w // factor, factor, 3)
        crop = crop_square(small.mean(axis=(1, 3)), ((cy + 0.5) / factor - 0.5,
                                                     (cx + 0.5) / factor - 0.5, side / factor))
    else:
        crop = crop_square(display, box)
    return resize_image(crop, size)
