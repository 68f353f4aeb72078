"""The trained model as one downloadable safetensors file: weights plus the exact config,
classes, input shape, metrics and normalisation (what `python -m core train` writes)."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from core.model_io import save_model


def model_file_bytes(job, *, extra: dict[str, Any] | None = None) -> bytes:
    """A job's current weights as the bytes of a .safetensors model file."""
    from core.cli import _normalization  # the CLI's one rule for what a model file records

    last = dict(job.history[-1]) if job.history else {}
    last.pop("lr", None)
    last.pop("val_confusion", None)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.safetensors"
        snapshot = job.clone_model()
        save_model(path, snapshot, job.config, class_names=job.dataset.class_names,
                   input_shape=tuple(job.dataset.input_shape), task=job.dataset.task,
                   metrics={k: v for k, v in last.items() if isinstance(v, int | float)},
                   extra={"trained_at": time.strftime("%Y-%m-%d %H:%M:%S"),
                          "outcome": job.outcome, "warm_start": bool(job.warm_started),
                          **_normalization(job.dataset), **(extra or {})})
        return path.read_bytes()
