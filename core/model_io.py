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
               extra: dict[str, Any] | None = None) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().to("cpu").contiguous() for k, v in model.state_dict().items()}
    meta = {"config": config.to_json(indent=None),
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
            "extra": json.loads(meta.get("extra", "{}"))}


def load_model(path: str | Path, dataset: Dataset) -> tuple[BuiltModel, dict[str, Any]]:
    """Rebuild the network from its saved config for `dataset`'s shapes and load the weights."""
    meta = read_metadata(path)
    built = build_model(meta["config"], dataset)
    built.model.load_state_dict(load_file(str(path)))
    built.model.eval()
    return built, meta
