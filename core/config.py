"""RunConfig: the whole experiment as plain, JSON-able data, validated before anything runs.

Every message names the field or layer in plain words, because it is shown to students as is.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from core.budget import check_resources
from core.data import validate_dataset
from core.errors import ConfigError, shown
from core.initializers import INITIALIZERS
from core.layers import validate_layer
from core.losses import LOSSES
from core.optimizers import OPTIMIZERS

DEVICES = ("auto", "cpu", "cuda", "mps")
MAX_CONFIG_BYTES = 256 * 1024
"""A run config is a few kilobytes; larger files (and uploads) are refused unread."""
MAX_LAYERS = 100
"""More hidden layers than this are refused: a plain stack this deep does not train (no skip
connections here), and every layer adds a fixed cost to each step however thin it is."""
LR_SCHEDULES = ("constant", "cosine")


def _default_layers() -> list[dict[str, Any]]:
    return [
        {"type": "dense", "units": 4, "activation": "tanh"},
        {"type": "dense", "units": 2, "activation": "tanh"},
    ]


@dataclass
class DatasetConfig:
    name: str = "circle"
    samples: int = 500
    noise: float = 0.0
    train_fraction: float = 0.5
    seed: int = 0
    classes: int = 2
    """Number of classes for the toys that allow more than two (gauss, spiral)."""
    features: list[str] = field(default_factory=lambda: ["x1", "x2"])
    """Input features computed from the raw coordinates (2-D toys only)."""
    # ----- image datasets (mnist, digits, galaxy_zoo, galaxy10_sdss, galaxy10_decals) -----
    task: str | None = None
    """Which labelling: digits; for galaxies morphology, smooth_disk or all (None = default)."""
    subset: int | None = None
    """Train on this many training images (None = all): 2,000 makes a fast lesson."""
    val_fraction: float = 0.1
    test_fraction: float = 0.2
    """Share held out for testing when the source has no official test split."""
    normalization: str = "unit"
    augment: dict[str, float] = field(default_factory=dict)
    """On-the-fly augmentation: shift (pixels), rotation (degrees), flip, brightness, noise."""
    image_size: int | None = None
    """Resize images to this many pixels square (None = as stored)."""
    crop: int | None = None
    """Keep only the central crop×crop pixels (before any resize); None keeps the whole frame.
    Galaxies sit in the middle of their cut-outs: a crop keeps their detail at less cost."""
    # ----- your own table (name "csv"; see core.data.tables) -----
    path: str | None = None
    """The CSV file, or a built-in table such as "builtin:sdss_colours"."""
    columns: list[str] = field(default_factory=list)
    """Input columns (the first two are the plotted plane); empty = every other numeric one."""
    target: str | None = None
    """The label (classification) or target (regression) column; None = the last column."""
    channels: int = 3
    """Your own pictures (name "folders", a zip at `path`): 1 = grey, 3 = colour."""


@dataclass
class NetworkConfig:
    layers: list[dict[str, Any]] = field(default_factory=_default_layers)
    """Hidden layers in order; the output layer is added from the loss (see core.losses)."""
    init: str = "xavier_uniform"
    init_std: float = 0.1
    """Standard deviation for init = "normal" (try 0.01 and 3 to see too small and too big)."""


@dataclass
class TrainingConfig:
    loss: str = "bce"
    optimizer: str = "sgd"
    lr: float = 0.03
    momentum: float = 0.9
    beta1: float = 0.9
    beta2: float = 0.999
    rho: float = 0.9
    """Decay of the squared-gradient average: Adadelta's rho, RMSProp's alpha."""
    weight_decay: float = 0.01
    """AdamW's decoupled weight decay."""
    batch_size: int = 10
    epochs: int = 1000
    l1: float = 0.0
    l2: float = 0.0
    dropout: float = 0.0
    early_stopping: int | None = None
    """Patience in epochs without a better test loss; None switches early stopping off."""
    seed: int = 0
    device: str = "auto"
    lr_schedule: str = "constant"
    """"cosine" lowers the learning rate along half a cosine from `lr` towards 0 over the
    planned epochs (Loshchilov & Hutter 2017): big steps first, fine ones at the end."""
    class_weights: str = "none"
    """"balanced" weights the loss by inverse class frequency (imbalanced data); "sqrt" by its
    inverse square root, a milder push that costs the common classes less."""


@dataclass
class RunConfig:
    dataset: DatasetConfig = field(default_factory=DatasetConfig)
    network: NetworkConfig = field(default_factory=NetworkConfig)
    training: TrainingConfig = field(default_factory=TrainingConfig)

    # ----- plain data round trip -------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    @classmethod
    def from_dict(cls, data: Any, resources: bool = True) -> RunConfig:
        """Build and validate; unknown or mistyped keys are errors, missing ones take defaults.
        `resources=False` skips the memory and time estimate (a starting point shown in a
        form, where the page then says what is too big)."""
        if not isinstance(data, dict):
            raise ConfigError("the configuration must be a JSON object with dataset, network, "
                              "training")
        _reject_unknown("configuration", data, ("dataset", "network", "training"))
        config = cls(
            dataset=_section(DatasetConfig, "dataset", data.get("dataset", {})),
            network=_section(NetworkConfig, "network", data.get("network", {})),
            training=_section(TrainingConfig, "training", data.get("training", {})),
        )
        config.validate(resources)
        return config

    @classmethod
    def from_json(cls, text: str) -> RunConfig:
        return cls.from_dict(parse_json(text, "the configuration"))

    def copy(self) -> RunConfig:
        return RunConfig.from_dict(self.to_dict(), resources=False)

    # ----- validation --------------------------------------------------------------------------
    def validate(self, resources: bool = True) -> None:
        """Check every field, then (with `resources`) that the run fits the machine's memory
        and time limits (core.budget); the network's shapes are checked by core.build."""
        validate_dataset(self.dataset)
        n = self.network
        if not isinstance(n.layers, list):
            raise ConfigError("network.layers must be a list of layers")
        if len(n.layers) > MAX_LAYERS:
            raise ConfigError(f"network.layers: {len(n.layers):,} layers are more than the "
                              f"{MAX_LAYERS} a network may have")
        for i, layer in enumerate(n.layers, start=1):
            validate_layer(i, layer)
        _choice("network.init", n.init, INITIALIZERS)
        _number("network.init_std", n.init_std, low=0.0, high=100.0, low_open=True)

        t = self.training
        _choice("training.loss", t.loss, LOSSES)
        _choice("training.optimizer", t.optimizer, OPTIMIZERS)
        _number("training.lr", t.lr, low=0.0, high=100.0, low_open=True)
        _number("training.momentum", t.momentum, low=0.0, high=1.0, high_open=True)
        _number("training.beta1", t.beta1, low=0.0, high=1.0, high_open=True)
        _number("training.beta2", t.beta2, low=0.0, high=1.0, high_open=True)
        _number("training.rho", t.rho, low=0.0, high=1.0, high_open=True)
        _number("training.weight_decay", t.weight_decay, low=0.0, high=10.0)
        _integer("training.batch_size", t.batch_size, low=1)
        _integer("training.epochs", t.epochs, low=1, high=1_000_000)
        _number("training.l1", t.l1, low=0.0, high=10.0)
        _number("training.l2", t.l2, low=0.0, high=10.0)
        _number("training.dropout", t.dropout, low=0.0, high=1.0, high_open=True)
        if t.early_stopping is not None:
            _integer("training.early_stopping", t.early_stopping, low=1)
        _integer("training.seed", t.seed, low=0)
        _choice("training.device", t.device, DEVICES)
        _choice("training.class_weights", t.class_weights, ("none", "balanced", "sqrt"))
        _choice("training.lr_schedule", t.lr_schedule, LR_SCHEDULES)
        if resources:
            check_resources(self)

    def architecture_key(self) -> str:
        """What, when changed, needs fresh weights: data, network, loss head, dropout, seed."""
        t = self.training
        return json.dumps([asdict(self.dataset), asdict(self.network), t.loss, t.dropout,
                           t.seed, t.device, t.class_weights], sort_keys=True)


# ----- helpers -------------------------------------------------------------------------------
MAX_JSON_DEPTH = 20
"""A run config nests four levels deep; anything much deeper is refused before it is read."""


def parse_json(text: str, what: str) -> Any:
    """json.loads with plain ConfigErrors for what a crafted file or link can hold: broken
    JSON, nesting deep enough to exhaust Python's recursion, numbers too long to convert."""
    depth = _nesting(text)
    if depth > MAX_JSON_DEPTH:
        raise ConfigError(f"{what} is nested {depth:,} levels deep; a configuration needs "
                          f"at most {MAX_JSON_DEPTH}")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{what} is not valid JSON: {exc.msg} at line {exc.lineno}, column "
                          f"{exc.colno}") from None
    except (ValueError, RecursionError) as exc:  # e.g. a 5,000-digit integer
        reason = "a number is far too long" if "digits" in str(exc) else "it cannot be read"
        raise ConfigError(f"{what} is not usable JSON: {reason}") from None


def _nesting(text: str) -> int:
    """Deepest bracket nesting, strings skipped (counted without parsing: cheap and safe)."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def _reject_unknown(where: str, data: dict, allowed) -> None:
    for key in data:
        if key not in allowed:
            raise ConfigError(f"{where}: unknown setting {shown(key)} "
                              f"(allowed: {', '.join(allowed)})")


def _section(cls, name: str, data: Any):
    if not isinstance(data, dict):
        raise ConfigError(f"{name} must be a JSON object")
    names = [f.name for f in fields(cls)]
    _reject_unknown(name, data, names)
    return cls(**data)


def _choice(where: str, value: Any, options) -> None:
    if not isinstance(value, str) or value not in options:
        raise ConfigError(f"{where}: unknown value {shown(value)} "
                          f"(choose from {', '.join(options)})")


def _number(where: str, value: Any, *, low: float | None = None, high: float | None = None,
            low_open: bool = False, high_open: bool = False) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{where} must be a number, not {shown(value)}")
    if not math.isfinite(value):
        raise ConfigError(f"{where} must be a finite number, not {shown(value)}")
    if low is not None and (value <= low if low_open else value < low):
        raise ConfigError(f"{where} must be {'greater than' if low_open else 'at least'} "
                          f"{low:g}, not {value:g}")
    if high is not None and (value >= high if high_open else value > high):
        raise ConfigError(f"{where} must be {'less than' if high_open else 'at most'} "
                          f"{high:g}, not {value:g}")


def _integer(where: str, value: Any, *, low: int | None = None, high: int | None = None) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{where} must be a whole number, not {shown(value)}")
    if low is not None and value < low:
        raise ConfigError(f"{where} must be at least {low:,}, not {shown(value)}")
    if high is not None and value > high:
        raise ConfigError(f"{where} must be at most {high:,}, not {shown(value)}")
