"""Layer registry: parameters, shape rules and the torch modules behind each layer type.

Shapes are worked out from the specs before any torch module exists, so an impossible stack is
refused with a sentence that names the layer, not a matrix-size traceback from inside torch.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from core.activations import ACTIVATIONS
from core.errors import ConfigError, shown

Shape = tuple[int, ...]
"""(features,) for a vector, (channels, height, width) for an image; batch dimension omitted."""


class Maxout(nn.Module):
    """Dense maxout unit (Goodfellow et al. 2013): k linear pieces per unit, keep the largest."""

    def __init__(self, in_features: int, units: int, pieces: int):
        super().__init__()
        self.units, self.pieces = units, pieces
        self.linear = nn.Linear(in_features, units * pieces)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x).view(-1, self.units, self.pieces).amax(dim=2)


@dataclass(frozen=True)
class Param:
    kind: type
    default: Any
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] | None = None


@dataclass(frozen=True)
class LayerType:
    label: str
    params: dict[str, Param]
    infer: Callable[[dict, Shape, str], Shape]
    """(spec, input shape, description of the layer before) -> output shape, or ConfigError."""
    make: Callable[[dict, Shape], list[nn.Module]]


def describe(shape: Shape) -> str:
    if len(shape) == 1:
        return f"a vector of {shape[0]:,} values"
    return f"an image of {shape[0]}×{shape[1]}×{shape[2]} (channels×height×width)"


def _needs_vector(shape: Shape, where: str) -> None:
    """Messages read after "layer i (Label) ", which infer_shapes puts in front."""
    if len(shape) != 1:
        raise ConfigError(f"needs a vector, but {where} produced {describe(shape)}; "
                          "add a Flatten layer before it")


def _needs_image(shape: Shape, where: str) -> None:
    if len(shape) != 3:
        raise ConfigError(f"needs an image, but {where} produced {describe(shape)}")


def _spatial(size: int, kernel: int, stride: int, pad: int) -> int:
    return (size + 2 * pad - kernel) // stride + 1


def _activation(name: str) -> list[nn.Module]:
    return [] if name in ("linear", "maxout") else [ACTIVATIONS[name].make()]


# ----- dense -------------------------------------------------------------------------------------
def _dense_infer(spec: dict, shape: Shape, where: str) -> Shape:
    _needs_vector(shape, where)
    return (spec["units"],)


def _dense_make(spec: dict, shape: Shape) -> list[nn.Module]:
    if spec["activation"] == "maxout":
        return [Maxout(shape[0], spec["units"], spec["pieces"])]
    return [nn.Linear(shape[0], spec["units"]), *_activation(spec["activation"])]


# ----- conv / pool -------------------------------------------------------------------------------
def _conv_pad(spec: dict) -> int:
    return spec["kernel"] // 2 if spec["padding"] == "same" else 0


def _conv_infer(spec: dict, shape: Shape, where: str) -> Shape:
    _needs_image(shape, where)
    if spec["activation"] == "maxout":
        raise ConfigError("cannot use maxout: it is available for dense layers only")
    if spec["padding"] == "same" and spec["stride"] == 1:
        h, w = shape[1:]  # torch pads even kernels asymmetrically to keep the size
    else:
        pad = _conv_pad(spec)
        h, w = (_spatial(s, spec["kernel"], spec["stride"], pad) for s in shape[1:])
    if h < 1 or w < 1:
        raise ConfigError(f"has a {spec['kernel']}×{spec['kernel']} kernel that does not fit the "
                          f"{shape[1]}×{shape[2]} image that {where} produced")
    return (spec["filters"], h, w)


def _conv_make(spec: dict, shape: Shape) -> list[nn.Module]:
    same = spec["padding"] == "same" and spec["stride"] == 1
    conv = nn.Conv2d(shape[0], spec["filters"], spec["kernel"], stride=spec["stride"],
                     padding="same" if same else _conv_pad(spec))
    return [conv, *_activation(spec["activation"])]


def _pool_infer():
    def infer(spec: dict, shape: Shape, where: str) -> Shape:
        _needs_image(shape, where)
        stride = spec.get("stride") or spec["size"]
        h, w = (_spatial(s, spec["size"], stride, 0) for s in shape[1:])
        if h < 1 or w < 1:
            raise ConfigError(f"has a {spec['size']}×{spec['size']} window that does not fit the "
                              f"{shape[1]}×{shape[2]} image that {where} produced")
        return (shape[0], h, w)
    return infer


def _pool_make(cls):
    return lambda spec, shape: [cls(spec["size"], stride=spec.get("stride") or spec["size"])]


def _batchnorm_make(spec: dict, shape: Shape) -> list[nn.Module]:
    return [nn.BatchNorm1d(shape[0]) if len(shape) == 1 else nn.BatchNorm2d(shape[0])]


_ACTS = tuple(ACTIVATIONS)
LAYERS: dict[str, LayerType] = {
    "dense": LayerType(
        "Dense",
        {"units": Param(int, 8, 1, 4096), "activation": Param(str, "tanh", choices=_ACTS),
         "pieces": Param(int, 2, 2, 8)},
        _dense_infer, _dense_make,
    ),
    "conv2d": LayerType(
        "Conv2D",
        {"filters": Param(int, 8, 1, 512), "kernel": Param(int, 3, 1, 15),
         "stride": Param(int, 1, 1, 8), "padding": Param(str, "same", choices=("same", "valid")),
         "activation": Param(str, "relu", choices=_ACTS)},
        _conv_infer, _conv_make,
    ),
    "maxpool": LayerType(
        "MaxPool", {"size": Param(int, 2, 1, 8), "stride": Param(int, 0, 0, 8)},
        _pool_infer(), _pool_make(nn.MaxPool2d),
    ),
    "avgpool": LayerType(
        "AvgPool", {"size": Param(int, 2, 1, 8), "stride": Param(int, 0, 0, 8)},
        _pool_infer(), _pool_make(nn.AvgPool2d),
    ),
    "flatten": LayerType(
        "Flatten", {}, lambda spec, shape, where: (int(torch.Size(shape).numel()),),
        lambda spec, shape: [nn.Flatten()],
    ),
    "batchnorm": LayerType(
        "BatchNorm", {}, lambda spec, shape, where: shape, _batchnorm_make,
    ),
    "dropout": LayerType(
        "Dropout", {"rate": Param(float, 0.5, 0.0, 0.95)},
        lambda spec, shape, where: shape, lambda spec, shape: [nn.Dropout(spec["rate"])],
    ),
}


COMMON_KEYS = ("trainable",)
"""Settings every layer type accepts: `"trainable": false` freezes the layer's weights (and its
batch-norm statistics) — transfer learning retrains only the layers after it."""


def with_defaults(layer: dict) -> dict:
    """The spec with every parameter of its type filled in (validated specs only); a frozen
    layer keeps its `"trainable": false`."""
    kind = LAYERS[layer["type"]]
    spec = {"type": layer["type"], **{k: layer.get(k, p.default) for k, p in kind.params.items()}}
    if layer.get("trainable", True) is False:
        spec["trainable"] = False
    return spec


def is_trainable(layer: dict) -> bool:
    return layer.get("trainable", True) is not False


def validate_layer(index: int, layer: Any) -> None:
    """Check one layer spec's own values; `index` counts from 1 as the user sees it."""
    where = f"layer {index}"
    if not isinstance(layer, dict) or "type" not in layer:
        raise ConfigError(f"{where}: each layer needs a type (one of {', '.join(LAYERS)})")
    if not isinstance(layer["type"], str) or layer["type"] not in LAYERS:
        raise ConfigError(f"{where}: unknown layer type {shown(layer['type'])} "
                          f"(choose from {', '.join(LAYERS)})")
    kind = LAYERS[layer["type"]]
    for key, value in layer.items():
        if key == "type":
            continue
        if key == "trainable":
            if not isinstance(value, bool):
                raise ConfigError(f"{where}: trainable must be true or false, not "
                                  f"{shown(value)}")
            continue
        if key not in kind.params:
            raise ConfigError(f"{where} ({kind.label}): unknown setting {shown(key)}"
                              + (f" (allowed: {', '.join(kind.params)})" if kind.params else ""))
        _check_param(f"{where}: {key}", value, kind.params[key])


def _check_param(where: str, value: Any, p: Param) -> None:
    if p.choices is not None:
        if not isinstance(value, str) or value not in p.choices:
            raise ConfigError(f"{where} must be one of {', '.join(p.choices)}, not "
                              f"{shown(value)}")
        return
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{where} must be a number, not {shown(value)}")
    if p.kind is int and not isinstance(value, int):
        raise ConfigError(f"{where} must be a whole number, not {shown(value)}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(f"{where} must be a finite number, not {shown(value)}")
    if p.low is not None and value < p.low:
        raise ConfigError(f"{where} must be at least {p.low:g}")
    if p.high is not None and value > p.high:
        raise ConfigError(f"{where} must be at most {p.high:g}")


def infer_shapes(layers: list[dict], input_shape: Shape) -> list[Shape]:
    """Output shape of every layer, or a ConfigError naming the first impossible one."""
    shapes: list[Shape] = []
    shape, where = input_shape, "the input"
    for i, raw in enumerate(layers, start=1):
        spec = with_defaults(raw)
        kind = LAYERS[spec["type"]]
        try:
            shape = kind.infer(spec, shape, where)
        except ConfigError as exc:
            raise ConfigError(f"layer {i} ({kind.label}) {exc}") from None
        shapes.append(shape)
        where = f"layer {i} ({kind.label})"
    return shapes
