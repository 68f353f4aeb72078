"""Where the shipped models live and how to find one: the assets folder, a model's file by name
or path, and the input normalisation a saved model was trained with.

Shared by the digit and galaxy code, the CLI and the pages, so none of them has to import
another's module for a file lookup. No Streamlit, no torch.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

ASSETS_ENV = "PLAYGROUND_ASSETS_DIR"
"""Folder of shipped models (`*.safetensors` + model card `*.md`); default `assets/`."""


class ModelMissing(FileNotFoundError):
    """No model file under that name or path; the message is a plain sentence."""


def assets_dir() -> Path:
    """The shipped models' folder: $PLAYGROUND_ASSETS_DIR, else the repository's assets/."""
    env = os.environ.get(ASSETS_ENV)
    return Path(env) if env else Path(__file__).resolve().parents[2] / "assets"


def model_path(name: str) -> Path:
    """A shipped model's name ("mnist_cnn", "galaxy_cnn") or a path to a .safetensors file."""
    looks_like_path = name.endswith(".safetensors") or "/" in name or os.sep in name
    path = Path(name) if looks_like_path else assets_dir() / f"{name}.safetensors"
    if not path.is_file():
        if looks_like_path:
            raise ModelMissing(f"there is no model file {path}")
        shipped = sorted(p.stem for p in assets_dir().glob("*.safetensors"))
        known = ", ".join(shipped) if shipped else "none"
        raise ModelMissing(f"there is no shipped model called '{name}' in {assets_dir()} "
                           f"(shipped: {known}); give a name or a path to a .safetensors file")
    return path


def normalization_extra(dataset: Any) -> dict[str, Any]:
    """Per-channel mean/std of a standardised dataset, for a saved model's metadata (`extra`),
    so new images can be prepared alike; `normalization_of` reads it back."""
    mean, std = dataset.normalization
    if mean is None:
        return {}
    return {"normalization": {"mean": mean.flatten().tolist(), "std": std.flatten().tolist()}}


def normalization_of(meta: dict[str, Any]) -> tuple[np.ndarray | None, np.ndarray | None]:
    """The (mean, std) a saved model was trained with, when its data set was standardised."""
    norm = meta.get("extra", {}).get("normalization")
    if meta["config"].dataset.normalization == "standardize" and isinstance(norm, dict):
        return (np.asarray(norm["mean"], dtype=np.float32),
                np.asarray(norm["std"], dtype=np.float32))
    return None, None
