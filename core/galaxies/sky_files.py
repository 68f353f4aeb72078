"""Read any picture of a galaxy a student may bring — JPEG, PNG, TIFF, GIF, FITS — as floats.

Photos (8-bit JPEG / PNG) come back display-ready in 0-1. Raw data (FITS, 16-bit or float
PNG / TIFF) come back as the numbers in the file, to be stretched (core.galaxies.galaxy_prep)
before a
network sees them. Every way a file can be unusable ends in `ImageRefused` with one plain
sentence, so a batch goes on with the next file; sizes are checked from the header before any
pixel is decoded, PIL's decompression-bomb guard stays on, and big images are reduced at once so
that memory stays bounded.

Pure NumPy, Pillow and astropy: no torch, no Streamlit.
"""

from __future__ import annotations

import gzip
import io
import warnings
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from core.pictures.preprocess import ImageRefused, load_image

MAX_PIXELS = 40_000_000
"""Images (or FITS planes) larger than this are refused before decoding (a 30,000×30,000 file
would need gigabytes)."""
MAX_FITS_VALUES = 120_000_000
"""All planes of a FITS image together (a 3-D cube of many planes)."""
WORK_SIDE = 2048
"""Longer sides beyond this are reduced right after reading: framing a galaxy for a 69-pixel
network needs no more, and a 40-megapixel photo in floats would take half a gigabyte."""
FITS_SUFFIXES = (".fits", ".fit", ".fts", ".fits.gz", ".fit.gz")
FITS_MAGIC = b"SIMPLE  ="
GZIP_MAGIC = b"\x1f\x8b"


@dataclass
class SkyImage:
    """One readable picture."""

    data: np.ndarray
    """float32: (H, W) grey, (H, W, 3) colour, or (P, H, W) planes of a FITS cube."""
    raw: bool
    """True for FITS / 16-bit / float data: the values need a stretch before display."""
    kind: str
    """What the file was, in words: "JPEG", "PNG (16-bit)", "FITS", ..."""
    cube: bool = False
    """`data` holds planes of a 3-D FITS cube: pick one, or map three to RGB."""
    original_size: tuple[int, int] = (0, 0)
    """(height, width) in the file, before any reduction."""
    notes: list[str] = field(default_factory=list)
    """What was done to it, in plain words (first frame of an animation, NaN pixels, ...)."""

    @property
    def planes(self) -> int:
        return int(self.data.shape[0]) if self.cube else 1


def is_fits(name: str, data: bytes) -> bool:
    return data[:9] == FITS_MAGIC or name.lower().endswith(FITS_SUFFIXES)


def read_sky_file(name: str, data: bytes) -> SkyImage:
    """`data` (a file's bytes; `name` only helps to tell FITS and to word messages)."""
    if not data:
        raise ImageRefused("the file is empty (0 bytes)")
    if is_fits(name, data):
        return read_fits(data)
    return read_picture(data)


# ----- photos: JPEG, PNG, TIFF, GIF, ... -------------------------------------------------------
def read_picture(data: bytes) -> SkyImage:
    header = _header(data)
    if header is None:
        if data[:5] == b"%PDF-":
            raise ImageRefused("this is a PDF document, not an image (whatever its name "
                               "says)")
        raise ImageRefused("this file could not be read as an image: it may be damaged, or "
                           "another kind of file")
    kind, width, height = header
    if width * height > MAX_PIXELS:  # from the header: nothing decoded, nothing allocated
        raise ImageRefused(f"the image is {width:,}×{height:,} pixels "
                           f"({width * height / 1e6:,.0f} megapixels), more than the "
                           f"{MAX_PIXELS / 1e6:.0f} megapixels this accepts; please use a "
                           "smaller image")
    try:
        with warnings.catch_warnings():  # PIL's own decompression-bomb guard stays on
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:  # header only: frame count, mode
                frames = int(getattr(probe, "n_frames", 1) or 1)
                mode = probe.mode
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRefused(f"the image is too large ({width:,}×{height:,} pixels)") from None
    except Exception:
        raise ImageRefused("this file could not be read as an image: it may be damaged, or "
                           "another kind of file") from None
    a = load_image(data, max_pixels=MAX_PIXELS)  # size refused before decoding; bomb guard on
    notes = []
    if frames > 1:
        notes.append(f"the file holds {frames} frames; the first one is used")
    raw = a.dtype != np.uint8
    if raw:
        kind += {"I": " (32-bit)", "F": " (floating point)"}.get(mode, " (16-bit)")
    original = (int(a.shape[0]), int(a.shape[1]))
    # reduced while still 8-bit: a 40-megapixel RGBA photo would be 640 MB as floats
    a = reduce_to(a, WORK_SIDE, notes)
    image = a.astype(np.float32) if raw else a.astype(np.float32) / np.float32(255)
    if image.ndim == 3 and image.shape[2] in (2, 4):  # alpha: composite over black sky
        alpha = image[..., -1:]
        image = image[..., :-1] * alpha
        if float(alpha.min()) < 1:
            notes.append("transparent parts are shown as black sky")
        if image.shape[2] == 1:
            image = image[..., 0]
    if mode == "CMYK":
        notes.append("CMYK colours converted to RGB")
    elif mode == "P":
        notes.append("palette colours converted to RGB")
    return SkyImage(np.ascontiguousarray(image), raw, kind, original_size=original, notes=notes)


def _header(data: bytes) -> tuple[str, int, int] | None:
    """(format, width, height) from the file's header, the way `PIL.Image.open` finds them
    but without its decompression-bomb check, so that an oversized image is refused with its
    size; nothing is decoded. None when no format recognises the file."""
    Image.init()
    prefix = data[:16]
    for format_id in Image.ID:
        factory, accept = Image.OPEN[format_id]
        accepted = not accept or accept(prefix)
        if not accepted or isinstance(accepted, str):
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                im = factory(io.BytesIO(data), "")
            width, height = int(im.width), int(im.height)
            im.close()
        except Exception:
            continue
        return im.format or format_id, width, height
    return None


# ----- FITS -------------------------------------------------------------------------------------
def read_fits(data: bytes) -> SkyImage:
    """The primary HDU when it holds an image, else the first image extension; length-1 axes
    dropped; 2-D images and 3-D cubes accepted; NaN / inf pixels set to the median."""
    from astropy.io import fits  # heavy: only FITS files need it

    stream = io.BytesIO(data)
    if data[:2] == GZIP_MAGIC:  # .fits.gz: read as a stream, so sizes are still checked first
        stream = gzip.GzipFile(fileobj=stream, mode="rb")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # non-standard headers are common and harmless here
            hdul = fits.open(stream, memmap=False, lazy_load_hdus=False)
    except Exception:
        raise ImageRefused("this file could not be read as FITS: it may be damaged, or another "
                           "kind of file") from None
    with hdul:
        hdu = _image_hdu(hdul)
        shape = _header_shape(hdu.header)
        squeezed = tuple(n for n in shape if n > 1)
        values = int(np.prod(shape)) if shape else 0
        if len(squeezed) >= 2 and squeezed[-1] * squeezed[-2] > MAX_PIXELS:
            raise ImageRefused(f"the FITS image is {squeezed[-1]:,}×{squeezed[-2]:,} pixels, "
                               f"more than the {MAX_PIXELS / 1e6:.0f} megapixels this accepts")
        if values > MAX_FITS_VALUES:
            raise ImageRefused(f"the FITS data has {values:,} values (shape "
                               f"{' × '.join(map(str, shape))}), more than this page reads")
        if len(squeezed) > 3:
            raise ImageRefused(f"the FITS image has {len(squeezed)} axes (shape "
                               f"{' × '.join(map(str, shape))}); only 2-D images and 3-D "
                               "cubes can be shown")
        if len(squeezed) < 2:
            raise ImageRefused(f"the FITS data is not an image (shape "
                               f"{' × '.join(map(str, shape)) or 'empty'})")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                array = np.asarray(hdu.data, dtype=np.float32).reshape(squeezed)
        except Exception:
            raise ImageRefused("the FITS image data could not be read: the file may be "
                               "truncated") from None
    notes = []
    if len(shape) != len(squeezed):
        notes.append(f"axes of length 1 dropped (shape {' × '.join(map(str, shape))})")
    array = _finite(array, notes)
    cube = array.ndim == 3
    original = (int(array.shape[-2]), int(array.shape[-1]))
    # FITS rows count upwards (y grows to the north); images are drawn top row first
    array = np.ascontiguousarray(array[..., ::-1, :])
    if cube:
        array = np.stack([reduce_to(p, WORK_SIDE, notes if i == 0 else []) for i, p in
                          enumerate(array)])
        notes.append(f"a cube of {array.shape[0]} planes")
    else:
        array = reduce_to(array, WORK_SIDE, notes)
    return SkyImage(array, True, "FITS", cube=cube, original_size=original, notes=notes)


def _image_hdu(hdul):
    for hdu in hdul:
        is_image = hdu.is_image if hasattr(hdu, "is_image") else False
        if is_image and _header_shape(hdu.header) and int(hdu.header.get("NAXIS", 0)) >= 2:
            return hdu
    kinds = ", ".join(type(h).__name__.replace("HDU", " HDU") for h in hdul) or "nothing"
    raise ImageRefused(f"this FITS file holds no image (it holds: {kinds})")


def _header_shape(header) -> tuple[int, ...]:
    """NumPy-order shape from NAXISn, read before any data is touched."""
    n = int(header.get("NAXIS", 0))
    return tuple(int(header.get(f"NAXIS{i}", 0)) for i in range(n, 0, -1))


def _finite(array: np.ndarray, notes: list[str]) -> np.ndarray:
    good = np.isfinite(array)
    if good.all():
        return array
    if not good.any():
        raise ImageRefused("every pixel of the FITS image is NaN or infinite: there is nothing "
                           "to see")
    bad = int((~good).sum())
    array = np.where(good, array, np.float32(np.median(array[good])))
    notes.append(f"{bad:,} NaN or infinite pixel{'s' if bad != 1 else ''} set to the median "
                 "level")
    return array


# ----- shared ----------------------------------------------------------------------------------
def reduce_to(image: np.ndarray, side: int, notes: list[str]) -> np.ndarray:
    """Block-average (H, W[, C]) by a whole factor until the longer side is at most `side`."""
    h, w = image.shape[:2]
    factor = -(-max(h, w) // side)
    if factor <= 1:
        return image
    h2, w2 = h // factor, w // factor
    block = image[:h2 * factor, :w2 * factor]
    block = block.reshape(h2, factor, w2, factor, *image.shape[2:]).mean(axis=(1, 3))
    notes.append(f"reduced {factor}× to {w2:,}×{h2:,} pixels for framing")
    return block.astype(np.float32)


def choose_planes(sky: SkyImage, plane: int | None = None,
                  rgb: tuple[int, int, int] | None = None) -> SkyImage:
    """A 2-D (one plane) or colour (three planes as R, G, B) image from a cube; other images
    come back as they are."""
    if not sky.cube:
        return sky
    n = sky.planes
    if rgb is not None:
        if any(not 0 <= i < n for i in rgb):
            raise ImageRefused(f"the cube has planes 0 to {n - 1}; cannot use {list(rgb)}")
        data = np.stack([sky.data[i] for i in rgb], axis=-1)
        note = f"planes {rgb[0]}, {rgb[1]}, {rgb[2]} shown as red, green, blue"
    else:
        index = 0 if plane is None else plane
        if not 0 <= index < n:
            raise ImageRefused(f"the cube has planes 0 to {n - 1}; there is no plane {index}")
        data = sky.data[index]
        note = f"plane {index} of {n}"
    return SkyImage(np.ascontiguousarray(data), sky.raw, sky.kind, cube=False,
                    original_size=sky.original_size, notes=[*sky.notes, note])
