"""Helpers of the Feature maps page: the chosen model and its test data (`Subject`), uploads,
and the numbers the charts draw, so that the page itself only lays out widgets.

Uploads go through core.pictures.preprocess.prepare_digit for digit models, exactly as Draw a digit
reads its canvas. Everything but `Subject`, the fetch request and the cached loaders is plain
Python that never touches Streamlit (unit-tested with images made in the tests).
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
import torch
from PIL import Image, ImageOps
from torch import nn

from core.config import DatasetConfig
from core.data import load_dataset
from core.data.download import DatasetUnavailable, find_local
from core.data.images import GALAXY_ZOO_FILE, IMAGE_SOURCES
from core.errors import ConfigError
from core.inspection import feature_maps, layer_statistics
from core.layers import Maxout
from core.pictures.preprocess import BOX, SIZE, ImageRefused, image_array, prepare_digit
from playground.model_catalogue import (
    SESSION_JOB,
    ModelEntry,
    default_model_index,
    load_shipped,
)

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
    """A digit as Draw a digit reads it (core.pictures.preprocess.prepare_digit: crop to the ink,
    longer
    side 20/28 of the frame, or all of it under 16 pixels like the 8×8 digits; centred by its
    centre of mass), in an (h, w) frame of 0-1 values; the notes say what was done."""
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
    return slim_dataset(load_dataset(DatasetConfig(**json.loads(dataset_json))))


def dataset_key(config) -> str:
    """The cache key of a run config's data set: its dataset section as canonical JSON."""
    return json.dumps(dataclasses.asdict(config.dataset), sort_keys=True)


# ----- the chosen model -------------------------------------------------------------------------
def session_image_job(jobs: Any) -> Any | None:
    """The session's image-training job when it trained on images (it can be inspected)."""
    job = jobs.get(SESSION_JOB)
    dataset = getattr(job, "dataset", None)
    if job is None or dataset is None or not dataset.is_image:
        return None
    return job


def image_check(built: Any, meta: dict[str, Any]) -> None:
    """ConfigError for an uploaded model that does not take images (no feature maps)."""
    if len(meta["input_shape"]) != 3:
        raise ConfigError("this model does not take images (it was trained on "
                          f"{meta['config'].dataset.name}); feature maps need an image model")


def fetch_key(page: str, ds_key: str) -> str:
    """Session key of a "Fetch the data set" request: the download happens on the next run."""
    return f"{page}:fetch:{ds_key}"


def request_fetch(page: str, ds_key: str) -> None:
    """On-click of the fetch button."""
    st.session_state[fetch_key(page, ds_key)] = True


def settle_model(page: str, entries: list[ModelEntry], wanted: str | None) -> None:
    """Before the picker `{page}:model` is drawn: a model just uploaded (`{page}:select`) is
    chosen; on the first visit the `?model=` link's (`wanted`) or the default; a choice that
    went away (the session's model) falls back to the default."""
    state = st.session_state
    keys = [e.key for e in entries]
    if state.get(f"{page}:select") in keys:
        state[f"{page}:model"] = state.pop(f"{page}:select")
    if f"{page}:model" not in state:
        state[f"{page}:model"] = (wanted if wanted in keys
                                  else keys[default_model_index(entries)])
    elif state[f"{page}:model"] not in keys:
        state[f"{page}:model"] = keys[default_model_index(entries)]


def class_pool(y_test: np.ndarray, wanted: int) -> np.ndarray:
    """Indices of the test images of class `wanted` (-1: every class), for the picker."""
    return np.arange(len(y_test)) if wanted < 0 else np.flatnonzero(y_test == wanted)


class Subject:
    """The chosen model, however it came (shipped or uploaded file, or this session's training
    job), with its test data when it is on this machine: one object the page draws from."""
    def __init__(self, entry: ModelEntry, job: Any, page: str) -> None:
        self.dataset = None
        self.data_problem: str | None = None
        self.can_fetch = False
        self.history: list[dict] = []
        if entry.path is None:
            self.model = job.clone_model().eval()
            self.head, self.summary = job.head, job.built.summary
            self.summary_text = job.built.summary_text()
            self.config, self.meta = job.config, {"metrics": {}, "extra": {}}
            self.dataset = job.dataset
            self.input_shape = tuple(job.dataset.input_shape)
            self.class_names = list(job.dataset.class_names)
            self.lock = None
            self.history = list(job.history)
            self.cache_id = None
            self.note = f"weights after epoch {job.epoch} ({job.state})"
            return
        loaded = load_shipped(str(entry.path), entry.path.stat().st_mtime)
        self.model, self.head = loaded.built.model, loaded.built.head
        self.summary, self.meta, self.lock = loaded.built.summary, loaded.meta, loaded.lock
        self.summary_text = loaded.built.summary_text()
        self.config = loaded.meta["config"]
        self.input_shape = tuple(loaded.meta["input_shape"])
        self.class_names = list(loaded.meta["class_names"])
        self.cache_id = (str(entry.path), entry.path.stat().st_mtime)
        self.note = loaded.meta.get("extra", {}).get("trained_at", "")
        self.note = f"trained {self.note}" if self.note else ""
        self._load_data(page)

    def _load_data(self, page: str) -> None:
        """The test split, unless its files are missing and no fetch was asked for: a page
        render must not start a download on its own."""
        problem = dataset_status(self.config.dataset)
        ds_key = dataset_key(self.config)
        self.can_fetch = problem is not None and self.config.dataset.name != "galaxy_zoo"
        if problem is not None and not st.session_state.get(fetch_key(page, ds_key)):
            self.data_problem = problem
            return
        try:
            self.dataset = load_test_data(ds_key)
        except (DatasetUnavailable, ConfigError) as exc:
            self.data_problem = str(exc)
        except Exception as exc:  # a damaged file must not end the page
            self.data_problem = f"the data set could not be loaded ({type(exc).__name__}: {exc})"
        st.session_state.pop(fetch_key(page, ds_key), None)

    def guarded(self) -> Any:
        """The shared model's lock (hooks and gradients, one session at a time), or nothing."""
        return self.lock if self.lock is not None else contextlib.nullcontext()

    def caption(self) -> str:
        """The sidebar's one line about the model: size, input, test accuracy, provenance."""
        channels, height, width = self.input_shape
        params = sum(r.params for r in self.summary)
        bits = [f"{params:,} parameters", f"input {width}×{height}"
                + (" colour" if channels == 3 else " grey")]
        accuracy = self.meta.get("metrics", {}).get("test_accuracy")
        if isinstance(accuracy, int | float):
            bits.append(f"test accuracy {fmt_pct(accuracy)}")
        if self.note:
            bits.append(self.note)
        return " · ".join(bits)

    def as_shown(self, x: torch.Tensor) -> np.ndarray:
        """A test image (C, H, W, normalised) as a picture: (H, W) grey or (H, W, 3) 0-1."""
        shown = self.dataset.show(x[None])[0].numpy()
        return shown[0] if len(shown) == 1 else np.moveaxis(shown, 0, -1)

    def upload_normalization(self) -> tuple[Any, Any]:
        """(mean, std) an uploaded image is standardised with: the test set's, else the ones
        saved with the model, else (None, None)."""
        if self.dataset is not None and self.dataset.normalization[0] is not None:
            mean, std = (t.flatten().numpy() for t in self.dataset.normalization)
            return mean, std
        norm = self.meta.get("extra", {}).get("normalization")
        if isinstance(norm, dict):
            return norm.get("mean"), norm.get("std")
        return None, None

    def predict(self, x: torch.Tensor) -> np.ndarray:
        """Class probabilities of one input (C, H, W), in eval mode."""
        with self.guarded(), torch.no_grad():
            was = self.model.training
            self.model.eval()
            try:
                return self.head.probabilities(self.model(x[None]))[0].numpy()
            finally:
                self.model.train(was)

    def feature_maps(self, x: torch.Tensor) -> list[tuple[str, np.ndarray]]:
        """(block name, maps) of every block that outputs maps, for one input."""
        with self.guarded():
            return feature_maps(self.model, x)

    def statistics(self, x_input: torch.Tensor, top: int, labels: dict[str, str]
                   ) -> tuple[list[dict], str]:
        """(histogram rows, what they are over): a fixed test batch when there is one (cached
        for shipped models), else this one image with its predicted class as the target."""
        if self.dataset is not None and self.cache_id is not None:
            rows = shipped_stats(*self.cache_id, dataset_key(self.config))
            return rows, "over a fixed batch of 64 test images"
        if self.dataset is not None:
            rows = layer_stats(self.model, self.head, None, self.dataset, labels)
            return rows, "over a fixed batch of 64 test images"
        rows = layer_stats(self.model, self.head, self.lock, None, labels, x_input, top)
        return rows, ("for this one image (no test images here), with its predicted class as "
                      "target")


def block_caption(label: str, maps: np.ndarray) -> str:
    """What a block's feature maps show, in a sentence for students."""
    n, h, w = maps.shape
    shape = f"{n} maps of {w}×{h}"
    if "Conv2D" in label:
        return (f"{shape}. Each map is one learned filter slid over the previous layer, then "
                "the activation: bright where the filter's pattern is found, dark where not.")
    if "MaxPool" in label:
        return (f"{shape}. Max-pooling keeps the strongest response in each window: "
                "smaller maps, the same features, a little shift doesn't matter.")
    if "AvgPool" in label:
        return f"{shape}. Average-pooling blurs and shrinks each map."
    if "BatchNorm" in label:
        return (f"{shape}. Batch normalisation shifts and rescales each map by numbers learned "
                "in training: the same pictures on a steadier scale.")
    if "Dropout" in label:
        return f"{shape}. Dropout does nothing outside training: the maps pass unchanged."
    return f"{shape}."


def layer_stats(model: Any, head: Any, lock: Any, dataset: Any, labels: dict[str, str],
                x_single: torch.Tensor | None = None, target: int | None = None
                ) -> list[dict]:
    """Activation and gradient spreads per layer over a fixed test batch (or one image)."""
    if dataset is not None:
        pick = torch.from_numpy(pick_batch(len(dataset.y_test)))
        x, y = dataset.x_test[pick], dataset.y_test[pick]
    else:
        x, y = x_single[None], torch.tensor([target])
    # Gradients w.r.t. the input too: otherwise a first block that has no weights (Flatten)
    # outputs a tensor without gradients and layer_statistics cannot keep them.
    x = x.clone().requires_grad_(True)
    with lock if lock is not None else contextlib.nullcontext():
        stats = layer_statistics(model, head, head.criterion(), x, head.prepare_targets(y))
    return stats_rows(stats, labels)


@st.cache_data(show_spinner=False, max_entries=16)
def shipped_stats(path: str, mtime: float, dataset_json: str) -> list[dict]:
    """`layer_stats` of a shipped model over its test batch, computed once for every session."""
    loaded = load_shipped(path, mtime)
    dataset = load_test_data(dataset_json)
    return layer_stats(loaded.built.model, loaded.built.head, loaded.lock, dataset,
                       layer_labels(loaded.built.summary))
