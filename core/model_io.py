"""Save and load trained models: weights + the exact config + class names + metrics, in one
safetensors file (its metadata header holds the JSON). Loading never unpickles anything."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from core.build import BuiltModel, build_model
from core.config import RunConfig
from core.data import Dataset
from core.errors import ConfigError


def save_model(path: str | Path, model: torch.nn.Module, config: RunConfig, *,
               class_names: list[str] | None = None, metrics: dict[str, Any] | None = None,
               extra: dict[str, Any] | None = None, input_shape: tuple[int, ...] | None = None,
               task: str = "classification") -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().to("cpu").contiguous() for k, v in model.state_dict().items()}
    meta = {"config": config.to_json(indent=None),
            "input_shape": json.dumps(list(input_shape) if input_shape else []),
            "task": task,
            "class_names": json.dumps(class_names or []),
            "metrics": json.dumps(metrics or {}),
            "extra": json.dumps(extra or {}),
            "format": "nn-playground/1"}
    save_file(state, str(path), metadata=meta)
    return path


def read_metadata(path: str | Path) -> dict[str, Any]:
    try:
        with safe_open(str(path), framework="pt") as f:
            meta = f.metadata() or {}
    except Exception as exc:  # noqa: BLE001 - any unreadable file gets one plain message
        raise ConfigError(f"{path} is not a model file this playground saved ({exc})") from None
    if meta.get("format") != "nn-playground/1":
        raise ConfigError(f"{path} is not a model file this playground saved")
    return {"config": RunConfig.from_json(meta["config"]),
            "class_names": json.loads(meta["class_names"]),
            "metrics": json.loads(meta["metrics"]),
            "extra": json.loads(meta.get("extra", "{}")),
            "input_shape": tuple(json.loads(meta.get("input_shape", "[]"))),
            "task": meta.get("task", "classification")}


def shape_only_dataset(meta: dict[str, Any]) -> Dataset:
    """An empty Dataset with the saved input shape and classes: enough to rebuild the model."""
    shape = meta["input_shape"]
    if not shape:
        raise ConfigError("this model file does not record its input shape")
    classification = meta["task"] == "classification"
    empty_x = torch.zeros(0, *shape)
    empty_y = torch.zeros(0, dtype=torch.long) if classification else torch.zeros(0)
    return Dataset(name=meta["config"].dataset.name, task=meta["task"], x_train=empty_x,
                   y_train=empty_y, x_test=empty_x, y_test=empty_y, input_shape=tuple(shape),
                   class_names=list(meta["class_names"]))


def load_model(path: str | Path, dataset: Dataset | None = None
               ) -> tuple[BuiltModel, dict[str, Any]]:
    """Rebuild the network from its saved config and load the weights. Shapes come from
    `dataset`, or from the file itself (so a shipped model loads without its data)."""
    meta = read_metadata(path)
    if dataset is None:
        dataset = shape_only_dataset(meta)
    built = build_model(meta["config"], dataset)
    built.model.load_state_dict(load_file(str(path)))
    built.model.eval()
    return built, meta


def update_metadata(path: str | Path, *, metrics: dict[str, Any] | None = None,
                    extra: dict[str, Any] | None = None) -> None:
    """Merge `metrics` and `extra` into a saved model's metadata, weights untouched (the model
    card tool records the calibration and the measured scores this way)."""
    with safe_open(str(path), framework="pt") as f:
        meta = dict(f.metadata() or {})
    state = load_file(str(path))
    for key, new in (("metrics", metrics), ("extra", extra)):
        if new:
            meta[key] = json.dumps({**json.loads(meta.get(key, "{}")), **new})
    save_file(state, str(path), metadata=meta)
