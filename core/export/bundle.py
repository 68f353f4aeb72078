"""The trained model as one downloadable safetensors file: weights plus the exact config,
classes, input shape, metrics and normalisation (what `python -m core train` writes), in a
form the pages and `core.models.model_io.load_model` read back."""

from __future__ import annotations

import copy
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from core.config import RunConfig
from core.data.base import Dataset
from core.losses import Head
from core.models.assets import normalization_extra
from core.models.model_io import save_model, shape_only_dataset


@dataclass
class Exportable:
    """Everything an export needs, from a training job or a fine-tuned copy."""

    name: str
    """File stem for the downloads, e.g. "playground-circle"."""
    model: torch.nn.Module
    head: Head
    config: RunConfig
    input_shape: tuple[int, ...]
    class_names: list[str]
    task: str
    metrics: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    warm_started: bool = False

    def shapes(self) -> Dataset:
        return shape_only_dataset({"input_shape": self.input_shape, "task": self.task,
                                   "class_names": self.class_names, "config": self.config})


def from_job(job, name: str) -> Exportable:
    """A job's current weights (a CPU copy taken between two steps) and what it trained on."""
    last = dict(job.history[-1]) if job.history else {}
    metrics = {k: v for k, v in last.items()
               if k not in ("lr", "elapsed_s") and isinstance(v, int | float)}
    return Exportable(
        name=name, model=job.clone_model().eval(), head=job.head,
        config=job.config.copy(), input_shape=tuple(job.dataset.input_shape),
        class_names=list(job.dataset.class_names), task=job.dataset.task, metrics=metrics,
        extra={"outcome": job.outcome, "epoch": job.epoch, **normalization_extra(job.dataset)},
        warm_started=bool(job.warm_started))


def model_file_bytes(item: Exportable) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.safetensors"
        save_model(path, copy.deepcopy(item.model).cpu(), item.config,
                   class_names=item.class_names, input_shape=item.input_shape, task=item.task,
                   metrics=item.metrics,
                   extra={"trained_at": time.strftime("%Y-%m-%d %H:%M:%S"),
                          "warm_start": item.warm_started, **item.extra})
        return path.read_bytes()
