"""Helpers of the "Draw a digit" page: which digit models there are, one `Reader` per model
(whatever it came from: a shipped file, this session's training job, or the fine-tuned copy),
the user's collection of labelled drawings, and the arrays the charts draw.

Everything but the cached loaders is plain Python (no Streamlit calls), tested without a page;
the page (app_pages/draw.py) only lays out widgets and calls these.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import io
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import streamlit as st
import torch
from PIL import Image, ImageDraw

from core.errors import ConfigError
from core.export import Exportable
from core.inspection import feature_maps, grad_cam, saliency
from core.losses import make_head
from core.models import novelty
from core.models.assets import normalization_of
from core.models.model_io import read_metadata
from core.pictures.digits import (
    check_digit_model,
    fine_tune,
    mnist_sample,
    model_input,
    predict_probabilities,
    unfamiliar_warning,
)
from core.pictures.preprocess import prepare_digit, to_uint8
from playground import model_catalogue as catalogue
from playground.digits.feature_maps_views import layer_labels

SESSION_JOB = "images"
"""Name under which the image-training page registers its job in `session_jobs()`."""
SESSION_KEY = "yours"
TUNED_KEY = "tuned"
MAX_COLLECTION = 200
PHONE_ANSWER_KEY = "draw_phone_answer"
PHONE_ANSWER_CSS = (f".st-key-{PHONE_ANSWER_KEY} {{ display: none; }} "
                    f"@media (max-width: 640px) {{ .st-key-{PHONE_ANSWER_KEY} "
                    "{ display: block; } }")
"""Streamlit stacks columns below 640 px: only then does the one-line answer under the canvas
show (the full answer is in its own column further down)."""
"""Drawings kept per session (the zip and the fine-tuning use all of them)."""


@dataclass
class Reader:
    """One model that reads drawings, with what its input needs."""
    key: str
    label: str
    model: Any  # torch.nn.Module
    head: Any  # core.losses.Head
    input_shape: tuple[int, int, int] = (1, 28, 28)
    mean: np.ndarray | None = None
    std: np.ndarray | None = None
    summary: list = field(default_factory=list)
    lock: Any = None
    """Shared (cached) models: inspection adds hooks and gradients, one session at a time."""
    note: str = ""
    config: Any = None
    """The run config it was trained with (for exporting a fine-tuned copy)."""
    density: Any = None
    """core.models.novelty.FeatureDensity of the model's training digits (shipped models)."""
    def guarded(self):
        return self.lock if self.lock is not None else contextlib.nullcontext()

    def input(self, image: np.ndarray):
        return model_input(image, self.input_shape, self.mean, self.std)

    def probabilities(self, image: np.ndarray) -> np.ndarray:
        with self.guarded():
            return predict_probabilities(self.model, self.head, self.input(image))

    def warning(self, image: np.ndarray) -> str | None:
        """A sentence when the drawing does not look like MNIST's digits (core.models.novelty)."""
        with self.guarded():
            return unfamiliar_warning(self.model, self.input(image), self.density, image)


# ----- which models -----------------------------------------------------------------------------
Choice = catalogue.Choice


def _shipped_label(stem: str, meta: dict[str, Any]) -> str:
    label = catalogue.pretty_name(stem)
    layers = meta["config"].network.layers
    if not any(layer.get("type") == "conv2d" for layer in layers):
        sizes = [str(int(np.prod(meta["input_shape"])))]
        sizes += [str(layer["units"]) for layer in layers if layer.get("type") == "dense"]
        label += f" {'-'.join([*sizes, str(len(meta['class_names']))])}"
    accuracy = meta.get("metrics", {}).get("test_accuracy")
    if isinstance(accuracy, int | float):
        label += f" ({accuracy:.1%} on MNIST's test digits)"
    return label


@st.cache_data(show_spinner=False, max_entries=4)
def _shipped_choices(folder: str, stamp: tuple) -> list[Choice]:

    choices = []
    for entry in catalogue.shipped_models(Path(folder)):
        try:
            meta = read_metadata(entry.path)
            loss = meta["config"].training.loss
            head = make_head(loss, meta["task"], len(meta["class_names"]))
            check_digit_model(head, meta["input_shape"], meta["class_names"])
        except (ConfigError, KeyError, ValueError):
            continue
        if meta["config"].dataset.name != "mnist":
            continue
        choices.append(Choice(entry.key, _shipped_label(entry.key, meta), entry.path))
    default = "mnist_cnn"
    choices.sort(key=lambda c: (c.key != default, "cnn" not in c.key, c.key))
    return choices


def shipped_choices() -> list[Choice]:
    """The shipped MNIST digit models (the CNN first), labelled with their test accuracy."""
    stamp = catalogue.assets_stamp()
    return [] if stamp is None else _shipped_choices(*stamp)


def session_digit_job(jobs) -> Any | None:
    """The session's image-training job when it trained a digit model on MNIST."""
    job = jobs.get(SESSION_JOB)
    dataset = getattr(job, "dataset", None)
    config = getattr(job, "config", None)
    if job is None or dataset is None or config is None or config.dataset.name != "mnist":
        return None
    shape = tuple(getattr(dataset, "input_shape", ()))
    if len(shape) != 3 or shape[0] != 1 or len(dataset.class_names) != 10:
        return None
    return job


def reader_from_shipped(choice: Choice) -> Reader:

    mtime = choice.path.stat().st_mtime
    loaded = catalogue.load_shipped(str(choice.path), mtime)
    mean, std = normalization_of(loaded.meta)
    reader = Reader(choice.key, choice.label, loaded.built.model, loaded.built.head,
                    tuple(loaded.meta["input_shape"]), mean, std, loaded.built.summary,
                    loaded.lock, config=loaded.meta["config"],
                    density=novelty.load(choice.path))
    _warmed_up(str(choice.path), mtime, reader)
    return reader


@st.cache_resource(show_spinner=False, max_entries=8)
def _warmed_up(path: str, mtime: float, _reader: Reader) -> bool:
    """Read one made-up drawing right after loading, once per process: the first PNG decode,
    resize and forward pass set things up (~200 ms on 2 busy cores), which the first real
    stroke should not pay."""

    im = Image.new("RGBA", (280, 280), (0, 0, 0, 255))
    ImageDraw.Draw(im).line([(70, 50), (210, 50), (120, 240)], fill=(255, 255, 255, 255),
                            width=3)  # thin: the thickening path too
    buf = io.BytesIO()
    im.save(buf, format="PNG")
    drawing = np.asarray(Image.open(io.BytesIO(buf.getvalue())))
    _reader.probabilities(prepare_digit(drawing).image)
    _reader.probabilities(prepare_digit(drawing[::2, ::2]).image)
    return True


def reader_from_job(job, label: str, cache: dict) -> Reader:
    """A CPU copy of the job's current weights, re-copied only when the job has moved on."""
    stamp = (id(job), job.epoch, job.step_count)
    if cache.get("stamp") != stamp:
        cache["stamp"] = stamp
        cache["model"] = job.clone_model().eval()
    mean, std = job.dataset.normalization
    mean = None if mean is None else mean.flatten().numpy()
    std = None if std is None else std.flatten().numpy()
    return Reader(SESSION_KEY, label, cache["model"], job.head, tuple(job.dataset.input_shape),
                  mean, std, job.built.summary, None,
                  note=f"weights after epoch {job.epoch} ({job.state})", config=job.config)


def tuned_exportable(tuned: dict):
    """The fine-tuned copy as an export (model file, ONNX, script)."""
    extra = {}
    if tuned["mean"] is not None and tuned["std"] is not None:
        extra["normalization"] = {"mean": np.asarray(tuned["mean"]).flatten().tolist(),
                                  "std": np.asarray(tuned["std"]).flatten().tolist()}
    with tuned["lock"]:
        model = copy.deepcopy(tuned["model"])
    return Exportable("draw-finetuned", model, tuned["head"], tuned["config"],
                      tuple(tuned["input_shape"]), [str(d) for d in range(10)],
                      "classification", extra=extra, warm_started=True)


def reader_from_tuned(tuned: dict) -> Reader:
    return Reader(TUNED_KEY, tuned["label"], tuned["model"], tuned["head"],
                  tuned["input_shape"], tuned["mean"], tuned["std"], tuned["summary"],
                  tuned["lock"], note=tuned["note"], config=tuned.get("config"))


def tuned_entry(base: Reader, result, drawings: int) -> dict:
    """What the session keeps of a fine-tuned copy (`reader_from_tuned` reads it back)."""
    base_name = base.label.split(" (")[0]
    if base.key == TUNED_KEY:
        base_name = base.label
    return {"label": "Fine-tuned on your drawings",
            "model": result.model, "head": base.head, "input_shape": base.input_shape,
            "mean": base.mean, "std": base.std, "summary": base.summary,
            "lock": threading.Lock(), "config": base.config,
            "note": (f"a copy of {base_name}, {result.steps} Adam steps on {drawings} "
                     f"drawing{'s' if drawings != 1 else ''}"
                     + (f" with {result.mixed} real MNIST digits per step" if result.mixed
                        else ""))}


def digit_check(built: Any, meta: dict[str, Any]) -> None:
    """ConfigError for an uploaded model that is not a digit classifier (the upload check)."""
    check_digit_model(built.head, meta["input_shape"], meta["class_names"], "this model")


def reader_for(choice: Choice, job: Any, tuned: dict | None, job_cache: dict) -> Reader:
    """The Reader of a picker entry: this session's job, the fine-tuned copy or a file."""
    if choice.key == SESSION_KEY:
        return reader_from_job(job, choice.label, job_cache)
    if choice.key == TUNED_KEY:
        return reader_from_tuned(tuned)
    return reader_from_shipped(choice)


def other_readings(choices: list[Choice], reader: Reader, image: np.ndarray,
                   read: Callable[[Choice], Reader]) -> list[str]:
    """"MNIST MLP: **7** (93%)" for every other model, so students compare them at a glance;
    a model that fails is left out (its trouble must not end the page)."""
    others = []
    for choice in choices:
        if choice.key == reader.key:
            continue
        try:
            p = read(choice).probabilities(image)
        except Exception:  # noqa: BLE001 - another model's trouble must not end the page
            continue
        others.append(f"{choice.label.split(' (')[0]}: **{int(np.argmax(p))}** "
                      f"({float(np.max(p)):.0%})")
    return others


def fine_tune_copy(reader: Reader, collection: list[dict], image: np.ndarray | None,
                   steps: int, lr: float) -> tuple[dict, dict | None]:
    """Fine-tune a copy of the reader's model on the collection (each drawing shifted a pixel
    each way, mixed with real MNIST digits when they are here). Returns (the tuned entry to
    keep, what the original read on `image` before — None without a drawing)."""
    images, targets = with_shifts(*collection_arrays(collection))
    x_user = reader.input(images)
    y_user = torch.from_numpy(targets)
    mix = mnist_mix()
    kwargs = {}
    if mix is not None:
        kwargs = {"x_mix": reader.input(mix[0]), "y_mix": torch.from_numpy(mix[1])}
    with reader.guarded():  # a shipped model is shared: copy it, then train the copy freely
        base = copy.deepcopy(reader.model)
    result = fine_tune(base, reader.head, x_user, y_user, steps=steps, lr=lr, **kwargs)
    before = None
    if image is not None:
        p = reader.probabilities(image)
        before = {"digest": image_digest(image), "digit": int(p.argmax()), "p": float(p.max()),
                  "model": reader.label.split(" (")[0]}
    return tuned_entry(reader, result, len(collection)), before


def collection_titles(items: list[dict]) -> list[str]:
    """Grid titles: the digit meant, and in brackets what the network read when it differed."""
    return [f"{item['label']}" + (f" (read {item['predicted']})"
                                  if item["predicted"] not in (None, item["label"]) else "")
            for item in items]


# ----- the user's drawings ----------------------------------------------------------------------
def image_digest(image: np.ndarray) -> str:
    return hashlib.sha1(to_uint8(image).tobytes()).hexdigest()[:16]


def add_drawing(collection: list[dict], image: np.ndarray, label: int,
                predicted: int | None, model: str) -> str:
    """Add a labelled drawing; returns what happened, as a sentence for the page."""
    digest = image_digest(image)
    for item in collection:
        if item["digest"] == digest:
            if item["label"] == label:
                return f"This drawing is already in your collection as a {label}."
            item["label"] = label
            return f"Relabelled this drawing as a {label}."
    if len(collection) >= MAX_COLLECTION:
        return (f"Your collection is full ({MAX_COLLECTION} drawings): download it, or forget "
                "it and start a new one.")
    collection.append({"image": to_uint8(image), "label": int(label),
                       "predicted": None if predicted is None else int(predicted),
                       "model": model, "digest": digest})
    n = len(collection)
    return f"Saved as a {label}: {n} drawing{'s' if n != 1 else ''} in your collection."


def collection_arrays(collection: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    """(N, 28, 28) float32 0-1 images and (N,) labels."""
    if not collection:
        return np.zeros((0, 28, 28), np.float32), np.zeros(0, np.int64)
    images = np.stack([item["image"] for item in collection]).astype(np.float32) / 255.0
    return images, np.array([item["label"] for item in collection], dtype=np.int64)


def with_shifts(images: np.ndarray, labels: np.ndarray, pixels: int = 1
                ) -> tuple[np.ndarray, np.ndarray]:
    """Each drawing plus copies shifted by `pixels` left, right, up and down: five examples
    per drawing, so a fine-tuned model learns the shape, not its exact position."""
    shifted = [images]
    for axis in (1, 2):
        for step in (-pixels, pixels):
            shifted.append(np.roll(images, step, axis=axis))
    return np.concatenate(shifted), np.tile(labels, len(shifted))


# ----- chart arrays -----------------------------------------------------------------------------
def heat_overlay(image: np.ndarray, heat: np.ndarray | None) -> np.ndarray:
    """(H, W, 3) in 0-1: the input dimmed to grey with `heat` (scaled to its maximum) on top,
    dark red → orange → yellow where it is strong; the dimmed input alone without heat."""
    grey = 0.45 * np.clip(np.asarray(image, dtype=np.float32), 0, 1)
    base = np.repeat(grey[..., None], 3, axis=2)
    if heat is None:
        return base
    h = np.nan_to_num(np.asarray(heat, dtype=np.float32))
    top = float(h.max())
    h = h / top if top > 0 else np.zeros_like(h)
    colour = np.stack([np.clip(0.35 + 1.3 * h, 0, 1), np.clip(1.6 * h - 0.45, 0, 1),
                       np.clip(2.5 * h - 1.6, 0, 1)], axis=-1)
    alpha = (0.9 * h)[..., None]
    return np.clip(base * (1 - alpha) + colour * alpha, 0.0, 1.0)


def conv_feature_maps(reader: Reader, x) -> list[tuple[str, np.ndarray]]:
    """(layer label, maps (channels, H, W)) for every convolution of the reader's model."""
    labels = layer_labels(reader.summary) if reader.summary else {}
    with reader.guarded():
        maps = feature_maps(reader.model, x[0])
    out = []
    for name, m in maps:
        label = labels.get(name, name)
        if "Conv2D" in label or (not labels and m.ndim == 3):
            out.append((label, m))
    return out


def pixel_maps(reader: Reader, x, target: int) -> tuple[np.ndarray, np.ndarray | None]:
    """(saliency (H, W), Grad-CAM (H, W) or None without convolutions) for class `target`."""
    with reader.guarded():
        sal = saliency(reader.model, x[0], target)
        cam = grad_cam(reader.model, x[0], target)
    return sal, cam


# ----- Streamlit side: cached data --------------------------------------------------------------
@st.cache_resource(show_spinner="Loading real MNIST digits to mix in…", max_entries=1)
def mnist_mix(n: int = 2000) -> tuple[np.ndarray, np.ndarray] | None:
    """`n` real MNIST training digits (28×28, 0-1) and labels, or None without the data set."""
    return mnist_sample(n)
