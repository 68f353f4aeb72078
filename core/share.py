"""Share a RunConfig as flat URL query parameters (readable, like TensorFlow Playground's hash).

Every field becomes `section.field=value`; dense hidden layers use a compact form
(`network.layers=8:tanh,8:maxout:3`), anything else falls back to compact JSON. Decoding is
strict: a tampered link gives the same plain ConfigError as a bad JSON file.
"""

from __future__ import annotations

import json
from dataclasses import fields
from typing import Any

from core.config import DatasetConfig, NetworkConfig, RunConfig, TrainingConfig, parse_json
from core.errors import ConfigError, shown
from core.layers import with_defaults

_SECTIONS = {"dataset": DatasetConfig, "network": NetworkConfig, "training": TrainingConfig}


def encode_layers(layers: list[dict[str, Any]]) -> str:
    compact = []
    for layer in layers:
        if layer.get("type") != "dense" or set(layer) - {"type", "units", "activation", "pieces"}:
            return json.dumps(layers, separators=(",", ":"))
        spec = with_defaults(layer)
        part = f"{spec['units']}:{spec['activation']}"
        if spec["activation"] == "maxout":
            part += f":{spec['pieces']}"
        compact.append(part)
    return ",".join(compact) if compact else "none"


def decode_layers(text: str) -> list[dict[str, Any]]:
    text = text.strip()
    if text in ("", "none"):
        return []
    if text.startswith("["):
        return parse_json(text, "network.layers in the link")
    layers = []
    for i, part in enumerate(text.split(","), start=1):
        bits = part.split(":")
        try:
            layer: dict[str, Any] = {"type": "dense", "units": int(bits[0]), "activation": bits[1]}
            if len(bits) > 2:
                layer["pieces"] = int(bits[2])
        except (ValueError, IndexError):
            raise ConfigError(f"layer {i}: {shown(part)} in the link is not units:activation"
                              ) from None
        layers.append(layer)
    return layers


_OPTIONAL_INTS = ("training.early_stopping", "dataset.subset", "dataset.image_size",
                  "dataset.crop")


def _encode_value(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, dict):
        return json.dumps(value, separators=(",", ":"))
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        if any("," in str(v) or str(v).startswith("[") for v in value):  # CSV column names
            return json.dumps(value, separators=(",", ":"))
        return ",".join(str(v) for v in value)
    return str(value)


def config_to_params(config: RunConfig) -> dict[str, str]:
    params: dict[str, str] = {}
    data = config.to_dict()
    for section, cls in _SECTIONS.items():
        for f in fields(cls):
            value = data[section][f.name]
            if section == "network" and f.name == "layers":
                params["network.layers"] = encode_layers(value)
            else:
                params[f"{section}.{f.name}"] = _encode_value(value)
    return params


def config_from_params(params: dict[str, str]) -> RunConfig | None:
    """The config in a link, or None when the link carries none; ConfigError when it is bad."""
    relevant = {k: v for k, v in params.items() if k.split(".")[0] in _SECTIONS}
    if not relevant:
        return None
    defaults = RunConfig().to_dict()
    data: dict[str, dict[str, Any]] = {s: {} for s in _SECTIONS}
    for key, text in relevant.items():
        section, _, name = key.partition(".")
        if name not in defaults[section]:
            raise ConfigError(f"the link has an unknown setting {shown(key)}")
        data[section][name] = _decode_value(key, text, defaults[section][name])
    return RunConfig.from_dict(data)


def _decode_value(key: str, text: str, default: Any) -> Any:
    if key == "network.layers":
        return decode_layers(text)
    if key in _OPTIONAL_INTS:
        return None if text in ("none", "") else _parse_int(key, text)
    if text == "none" and default is None:
        return None
    if isinstance(default, dict):
        value = parse_json(text, f"{key} in the link")
        if not isinstance(value, dict):
            raise ConfigError(f"{key} in the link must be an object")
        return value
    if isinstance(default, list):
        if text.startswith("["):
            try:
                value = json.loads(text)
            except json.JSONDecodeError:
                raise ConfigError(f"{key} in the link is not valid JSON") from None
            if not isinstance(value, list):
                raise ConfigError(f"{key} in the link must be a list")
            return value
        return [t for t in text.split(",") if t]
    if isinstance(default, bool):
        return text == "true"
    if isinstance(default, int):
        return _parse_int(key, text)
    if isinstance(default, float):
        try:
            return float(text)
        except ValueError:
            raise ConfigError(f"{key} in the link must be a number, not {shown(text)}") from None
    return text


def _parse_int(key: str, text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ConfigError(f"{key} in the link must be a whole number, not {shown(text)}"
                          ) from None
