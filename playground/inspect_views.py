"""Helpers of the Feature maps page: which models there are, their data, uploads, and the
numbers the charts draw.

Everything but the two cached loaders at the end is plain Python that never touches
Streamlit: the model list, the upload preprocessing (`prepare_upload`, unit-tested with images
made in the tests) and the inspection arrays.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import streamlit as st

from core.preprocess import BOX, SIZE, ImageRefused, image_array, prepare_digit

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_UPLOAD_PIXELS = 40_000_000
UPLOAD_FORMATS = ("PNG", "JPEG")


# ----- uploads --------------------------------------------------------------------------------
@dataclass
class PreparedImage:
    x: np.ndarray
    """(C, H, W) float32: exactly what the model gets (normalised like its data set)."""
    display: np.ndarray
    """(H, W) grey or (H, W, 3) colour in 0-1: the same image before normalisation."""
    notes: list[str] = field(default_factory=list)
    """What was done to it, in plain words ("inverted: …", "resized from …")."""


def _megabytes(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB"


def _open_image(data: bytes, max_bytes: int, max_pixels: int):
    from PIL import Image, ImageOps

    if not data:
        raise ImageRefused("the file is empty")
    if len(data) > max_bytes:
        raise ImageRefused(f"the file is {_megabytes(len(data))}; please use an image under "
                           f"{_megabytes(max_bytes)}")
    too_big = (f"far too large for a photo or a drawing (a 'decompression bomb'?); please use "
               f"an image under {max_pixels / 1e6:.0f} megapixels")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data), formats=list(UPLOAD_FORMATS))
            w, h = im.size
            if w * h > max_pixels:
                raise ImageRefused(f"the image is {w:,}×{h:,} pixels, {too_big}")
            im.load()
            with contextlib.suppress(Exception):  # a broken EXIF block only loses rotation
                im = ImageOps.exif_transpose(im)
    except ImageRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRefused(f"the image is {too_big}") from None
    except Exception:
        raise ImageRefused("this file could not be read as a PNG or JPEG image: it may be "
                           "damaged, or another kind of file") from None
    if im.width < 1 or im.height < 1:
        raise ImageRefused("the image has no pixels")
    return im


def _flatten_alpha(im):
    """Transparent pixels become white (a digit drawn on a transparent canvas → on white)."""
    from PIL import Image

    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return im


def _center_square(im):
    w, h = im.size
    if w == h:
        return im, False
    side = min(w, h)
    left, top = (w - side) // 2, (h - side) // 2
    return im.crop((left, top, left + side, top + side)), True


def _digit_frame(im: Any, h: int, w: int, invert: bool | None) -> tuple[np.ndarray, list[str]]:
    """A digit as Draw a digit reads it (core.preprocess.prepare_digit: crop to the ink, longer
    side 20/28 of the frame, or all of it under 16 pixels like the 8×8 digits; centred by its
    centre of mass), in an (h, w) frame of 0-1 values; the notes say what was done."""
    from PIL import Image

    side = max(h, w)
    box = max(1, round(min(h, w) * BOX / SIZE)) if min(h, w) >= 16 else min(h, w)
    prepared = prepare_digit(image_array(im), size=side, box=box, invert=invert)
    notes = list(prepared.notes)
    if prepared.empty:
        notes.append("no digit found: the picture is blank once its background is removed")
    frame = prepared.image
    if (h, w) != frame.shape:  # a non-square input: the square frame squeezed to fit
        frame = np.asarray(Image.fromarray(frame, mode="F").resize(
            (w, h), Image.Resampling.LANCZOS), dtype=np.float32)
    return np.clip(frame, 0.0, 1.0), notes


def prepare_upload(data: bytes, input_shape: tuple[int, ...], *, normalization: str = "unit",
                   mean: Any = None, std: Any = None, digit_like: bool | None = None,
                   invert: bool | None = None, max_bytes: int = MAX_UPLOAD_BYTES,
                   max_pixels: int = MAX_UPLOAD_PIXELS) -> PreparedImage:
    """An uploaded PNG / JPEG as the model's input (C, H, W).

    One channel: grey; with `digit_like` (default for one-channel models: digits) the
    background is inverted when light (`invert` None = decide from the border; True / False
    force it) and the digit is cropped, scaled and centred as MNIST's were. Three channels:
    RGB, centre-cropped to a square. Then resized to H×W and normalised as the data set:
    "unit" = /255, "standardize" = (x - mean) / std per channel (mean / std of the training
    images; without them each channel of this image is standardised by itself, and a note
    says so). Raises ImageRefused with a plain sentence for empty, huge, corrupt or
    non-image files.
    """
    from PIL import Image

    if len(input_shape) != 3 or input_shape[0] not in (1, 3):
        raise ImageRefused("this model does not take grey or colour images")
    c, h, w = (int(v) for v in input_shape)
    opened = _open_image(data, max_bytes, max_pixels)
    original = f"{opened.width}×{opened.height}"
    if c == 1 and (digit_like is None or digit_like):
        # prepare_digit reads transparency itself, exactly as Draw a digit reads the canvas
        display, notes = _digit_frame(opened, h, w, invert)
        chw = display[None]
    elif c == 1:
        notes = []
        grey = np.asarray(_flatten_alpha(opened).convert("L"), dtype=np.uint8)
        if invert:
            grey = 255 - grey
            notes.append("colours inverted")
        square, cropped = _center_square(Image.fromarray(grey))
        display = np.asarray(square.resize((w, h), Image.Resampling.LANCZOS),
                             dtype=np.float32) / 255.0
        notes.append(("centre-cropped and " if cropped else "") +
                     f"resized from {original} to {w}×{h}")
        chw = display[None]
    else:
        square, cropped = _center_square(_flatten_alpha(opened).convert("RGB"))
        display = np.asarray(square.resize((w, h), Image.Resampling.LANCZOS),
                             dtype=np.float32) / 255.0
        notes = [("centre-cropped to a square and " if cropped else "") +
                 f"resized from {original} to {w}×{h}"]
        chw = np.moveaxis(display, -1, 0)
    x = np.ascontiguousarray(chw, dtype=np.float32)
    if normalization == "standardize":
        if mean is not None and std is not None:
            m = np.asarray(mean, dtype=np.float32).reshape(-1, 1, 1)
            s = np.maximum(np.asarray(std, dtype=np.float32).reshape(-1, 1, 1), 1e-6)
            x = (x - m) / s
        else:
            m = x.mean(axis=(1, 2), keepdims=True)
            s = np.maximum(x.std(axis=(1, 2), keepdims=True), 1e-6)
            x = (x - m) / s
            notes.append("standardised by its own mean and spread (the training set's were "
                         "not available), so the colours the model sees are approximate")
    return PreparedImage(x.astype(np.float32), np.clip(display, 0.0, 1.0), notes)


# ----- inspection arrays ----------------------------------------------------------------------
def layer_labels(summary) -> dict[str, str]:
    """Block name → "1 · Conv2D (8, 3×3, relu)" (the output block: "output · Dense …")."""
    labels = {}
    for i, row in enumerate(summary, start=1):
        prefix = "output" if row.name == "output" else str(i)
        label = row.label.removesuffix(" output")
        labels[row.name] = f"{prefix} · {label}"
    return labels


def skip_in_statistics(label: str) -> bool:
    """Flatten and Dropout blocks repeat the previous block's values (in eval mode)."""
    return " · Flatten" in label or " · Dropout" in label


def first_dense_images(model, input_shape: tuple[int, ...]) -> np.ndarray | None:
    """The first dense layer's weights as images (units, C, H, W) when it reads the pixels
    directly (an MLP: Flatten then Dense); None otherwise."""
    from torch import nn

    from core.layers import Maxout

    n_in = int(np.prod(input_shape))
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            return None
        if isinstance(module, Maxout):
            module = module.linear
        if isinstance(module, nn.Linear):
            if module.in_features != n_in:
                return None
            w = module.weight.detach().cpu().numpy()
            return w.reshape(w.shape[0], *input_shape)
    return None


def signed_rgb(weights: np.ndarray) -> np.ndarray:
    """(C=3, H, W) signed weights → (H, W, 3) in 0-1: grey 0.5 = zero, by the largest |w|."""
    m = float(np.nanmax(np.abs(weights))) if np.isfinite(weights).any() else 0.0
    scaled = 0.5 + weights / (2 * m) if m > 0 else np.full_like(weights, 0.5)
    return np.clip(np.moveaxis(np.nan_to_num(scaled, nan=0.5), 0, -1), 0.0, 1.0)


def grid_columns(n: int) -> int:
    return 8 if n <= 32 else (12 if n <= 96 else 16)


def maps_grid_layout(n: int) -> tuple[int, int]:
    """(columns, tile pixels) for n feature maps: few maps get big tiles in two rows (about as
    tall as the enlarged map beside them), many get small ones."""
    if n <= 8:
        return 4, 104
    if n <= 16:
        return 8, 72
    if n <= 32:
        return 8, 60
    return grid_columns(n), 44


def slim_dataset(dataset):
    """The test split only (plus normalisation and class names): what this page needs, at a
    fraction of the memory of the whole set."""
    empty_x = dataset.x_train[:0].clone()
    empty_y = dataset.y_train[:0].clone()
    return dataclasses.replace(dataset, x_train=empty_x, y_train=empty_y, x_val=None,
                               y_val=None, augment=None)


def dataset_status(config) -> str | None:
    """None when the data set's files are on this machine; else a sentence saying what is
    missing. Never downloads: a page render must not start a 2.7 GB download."""
    from core.data.download import find_local
    from core.data.images import GALAXY_ZOO_FILE, IMAGE_SOURCES

    source = IMAGE_SOURCES.get(config.name)
    if source is None:
        return f"'{config.name}' is not an image data set"
    if config.name == "galaxy_zoo":
        if find_local(GALAXY_ZOO_FILE) is None:
            return ("the Galaxy Zoo 1 images (galaxy_zoo1_sdss.npz) are not on this machine; "
                    "set PLAYGROUND_DATA_DIR to the folder that has them")
        return None
    if source.remote is not None and find_local(source.remote.filename) is None:
        size = f", {source.remote.size / 1e6:,.0f} MB" if source.remote.size else ""
        return (f"the {source.remote.title or source.label} images are not on this machine yet "
                f"({source.remote.filename}{size})")
    return None


def pick_batch(n: int, size: int = 64, seed: int = 0) -> np.ndarray:
    """A fixed random batch of test indices for the layer statistics."""
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n, size=min(size, n), replace=False))


def stats_rows(stats, labels: dict[str, str]) -> list[dict[str, Any]]:
    """LayerStats → the dicts `histograms_chart` reads (Flatten / Dropout left out)."""
    rows = []
    for s in stats:
        label = labels.get(s.name, s.name)
        if skip_in_statistics(label):
            continue
        rows.append({"layer": label, "kind": "activation", "values": s.activations,
                     "std": s.activation_std})
        rows.append({"layer": label, "kind": "gradient", "values": s.gradients,
                     "std": s.gradient_std})
    return rows


def fmt_pct(v: Any) -> str:
    return f"{v:.1%}" if isinstance(v, int | float) and math.isfinite(v) else "–"


# ----- Streamlit side: cached models and data --------------------------------------------------
@st.cache_resource(show_spinner="Loading the test images…", max_entries=3)
def load_test_data(dataset_json: str):
    """The data set of a DatasetConfig (as JSON), test split only, cached for every session."""
    from core.config import DatasetConfig
    from core.data import load_dataset

    return slim_dataset(load_dataset(DatasetConfig(**json.loads(dataset_json))))


def dataset_key(config) -> str:
    """The cache key of a run config's data set: its dataset section as canonical JSON."""
    return json.dumps(dataclasses.asdict(config.dataset), sort_keys=True)
