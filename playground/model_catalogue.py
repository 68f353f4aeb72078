"""The catalogue of models the pages offer: the shipped files in the assets folder (labelled by
their model cards), the entries of a page's model picker, and the cached loader every session
shares.

Shared by Draw a digit, Classify galaxies and Feature maps, so that each page lists and loads
models the same way. Only `settle_choice` and `load_shipped` touch Streamlit.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import streamlit as st

from core.models.assets import assets_dir
from core.models.model_io import load_model

SESSION_JOB = "images"
"""Name under which the image-training page registers its job in `session_jobs()`."""
SESSION_KEY = "yours"
"""Model key (and `?model=` value) of the model trained in this browser session."""
DEFAULT_MODEL = "mnist_cnn"
_ACRONYMS = {"mnist", "cnn", "mlp", "sdss", "decals", "gz", "resnet"}


@dataclass(frozen=True)
class ModelEntry:
    """One model of the Feature maps picker: a shipped (or uploaded) file, or the session's."""

    key: str  # "yours" or the file stem, e.g. "mnist_cnn"
    label: str
    path: Path | None = None  # None: the session's own model

    @property
    def card(self) -> Path | None:
        return None if self.path is None else self.path.with_suffix(".md")


@dataclass(frozen=True)
class Choice:
    """One entry of a page's model picker: a shipped file, or the session's own model."""

    key: str
    label: str
    path: Path | None = None


def assets_stamp() -> tuple[str, tuple] | None:
    """(assets folder, names and times of its model files): a cache key that changes when a
    model is added or retrained; None when there is no folder."""
    folder = assets_dir()
    if not folder.is_dir():
        return None
    return str(folder), tuple(sorted((p.name, p.stat().st_mtime)
                                     for p in folder.glob("*.safetensors")))


def pretty_name(stem: str) -> str:
    """'mnist_cnn' → 'MNIST CNN', 'galaxy_cnn' → 'Galaxy CNN'."""
    words = [w for w in re.split(r"[_\-\s]+", stem) if w]
    return " ".join(w.upper() if w.lower() in _ACRONYMS else w.capitalize() for w in words) or stem


def card_title(card: Path | None) -> str | None:
    """The first Markdown heading of a model card, without its '#'s."""
    if card is None or not card.is_file():
        return None
    try:
        with open(card, encoding="utf-8", errors="replace") as f:
            for _, line in zip(range(40), f, strict=False):
                if line.startswith("#"):
                    title = line.lstrip("#").strip()
                    if title:
                        return title
    except OSError:
        return None
    return None


def shipped_models(folder: Path | None = None) -> list[ModelEntry]:
    """Every `*.safetensors` in the assets folder, labelled by its model card's title."""
    folder = assets_dir() if folder is None else folder
    if not folder.is_dir():
        return []
    entries = []
    for path in sorted(folder.glob("*.safetensors")):
        label = card_title(path.with_suffix(".md")) or pretty_name(path.stem)
        entries.append(ModelEntry(path.stem, label, path))
    return entries


def default_model_index(entries: list[ModelEntry]) -> int:
    """The MNIST CNN when it is there, else the first shipped CNN, else the first entry."""
    keys = [e.key for e in entries]
    if DEFAULT_MODEL in keys:
        return keys.index(DEFAULT_MODEL)
    for i, e in enumerate(entries):
        if e.path is not None and "mnist" in e.key and "cnn" in e.key:
            return i
    for i, e in enumerate(entries):
        if e.path is not None:
            return i
    return 0


# ----- Streamlit side ---------------------------------------------------------------------------
def settle_choice(page: str, keys: list[str], fallback: str | None = None) -> None:
    """Before the picker radio `{page}:model` is drawn: take a choice requested by a button
    (`{page}:select`, set in its on_click), and replace one that no longer exists with
    `fallback` (if among `keys`) or the first key."""
    state = st.session_state
    pending = state.pop(f"{page}:select", None)
    if pending in keys:
        state[f"{page}:model"] = pending
    if state.get(f"{page}:model") not in keys:
        state[f"{page}:model"] = fallback if fallback in keys else keys[0]


@dataclass
class LoadedModel:
    built: Any  # core.build.BuiltModel
    meta: dict[str, Any]
    lock: threading.Lock = field(default_factory=threading.Lock)
    """Inspection registers hooks and gradients on the (shared, cached) model: one at a time."""


@st.cache_resource(show_spinner="Loading the model…", max_entries=8)
def load_shipped(path: str, mtime: float) -> LoadedModel:
    """`core.models.model_io.load_model`, cached for every session (the mtime renews the cache when
    a model file is replaced)."""
    built, meta = load_model(path)
    return LoadedModel(built, meta)
