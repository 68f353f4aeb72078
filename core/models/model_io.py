"""Save and load trained models: weights + the exact config + class names + metrics, in one
safetensors file (its metadata header holds the JSON). Loading never unpickles anything."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from core.build import MAX_PARAMETERS, BuiltModel, build_model
from core.config import RunConfig, parse_json
from core.data import Dataset
from core.errors import ConfigError
from core.safe_files import UnreadableFile, check_regular_file

MAX_MODEL_BYTES = MAX_PARAMETERS * 4 + 16 * 1024**2
"""The largest network the playground builds, as float32, plus room for the metadata."""
TASKS = ("classification", "regression")


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
    """The metadata of a model file, every field checked: a crafted file gets one plain
    ConfigError (never a traceback), and nothing in it is executed or unpickled."""
    try:
        check_regular_file(path, MAX_MODEL_BYTES)
        with safe_open(str(path), framework="pt") as f:
            meta = f.metadata() or {}
    except UnreadableFile as exc:
        raise ConfigError(f"{path} cannot be used as a model file: {exc}") from None
    except Exception:  # noqa: BLE001 - any unreadable file gets one plain message
        raise ConfigError(f"{path} is not a model file this playground saved (it is not a "
                          "readable safetensors file)") from None
    if meta.get("format") != "nn-playground/1":
        raise ConfigError(f"{path} is not a model file this playground saved")

    def field(key: str, kind: type, default: str | None = None) -> Any:
        text = meta.get(key, default)
        if text is None:
            raise ConfigError(f"{path} is damaged: its metadata has no {key}")
        try:
            value = parse_json(text, f"the {key} in its metadata")
        except ConfigError as exc:
            raise ConfigError(f"{path} is damaged: {exc}") from None
        if not isinstance(value, kind):
            raise ConfigError(f"{path} is damaged: the {key} in its metadata is not a "
                              f"{'list' if kind is list else 'JSON object'}")
        return value

    try:
        config = RunConfig.from_dict(field("config", dict), resources=False)
    except ConfigError as exc:
        message = str(exc)
        raise ConfigError(message if message.startswith(str(path))
                          else f"{path} holds a configuration that cannot be used: {message}"
                          ) from None
    class_names = field("class_names", list)
    if not all(isinstance(n, str) and len(n) <= 200 for n in class_names) \
            or len(class_names) > 10_000:
        raise ConfigError(f"{path} is damaged: its class names are not a list of short texts")
    shape = field("input_shape", list, "[]")
    if len(shape) > 3 or not all(isinstance(v, int) and not isinstance(v, bool)
                                 and 1 <= v <= 4096 for v in shape):
        raise ConfigError(f"{path} is damaged: its input shape is not 1 to 3 sizes "
                          "between 1 and 4,096")
    task = meta.get("task", "classification")
    if task not in TASKS:
        raise ConfigError(f"{path} is damaged: its task is neither classification nor "
                          "regression")
    return {"config": config, "class_names": class_names, "metrics": field("metrics", dict),
            "extra": field("extra", dict, "{}"), "input_shape": tuple(shape), "task": task}


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
    try:
        weights = load_file(str(path))
    except Exception:  # noqa: BLE001 - a crafted or truncated tensor table
        raise ConfigError(f"{path} is damaged: its weights cannot be read") from None
    expected = built.model.state_dict()
    missing = [k for k in expected if k not in weights]
    extra = [k for k in weights if k not in expected]
    wrong = [k for k in expected if k in weights and weights[k].shape != expected[k].shape]
    if missing or extra or wrong:
        problems = ([f"missing {', '.join(missing[:3])}"] if missing else []) \
            + ([f"unexpected {', '.join(extra[:3])}"] if extra else []) \
            + ([f"{k} is {tuple(weights[k].shape)} instead of {tuple(expected[k].shape)}"
                for k in wrong[:3]])
        raise ConfigError(f"{path} is damaged: its weights do not fit the network its "
                          f"configuration describes ({'; '.join(problems)})")
    built.model.load_state_dict(weights)
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
