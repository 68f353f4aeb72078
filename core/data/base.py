"""The Dataset record every trainer and chart reads, and the dispatcher from a DatasetConfig."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import torch

from core.errors import ConfigError


@dataclass
class Dataset:
    """Train/test tensors on the CPU (the job moves them to its device once)."""

    name: str
    task: str  # "classification" | "regression"
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    input_shape: tuple[int, ...]
    class_names: list[str] = field(default_factory=list)
    feature_names: list[str] = field(default_factory=list)
    raw_train: torch.Tensor | None = None
    """Raw 1-D/2-D coordinates of toy points (before feature expansion), for plotting."""
    raw_test: torch.Tensor | None = None
    featurize: Callable[[torch.Tensor], torch.Tensor] | None = None
    """Raw coordinates -> network inputs, so a chart can evaluate the model on a grid."""
    raw_dims: int = 0

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    @property
    def target_dim(self) -> int:
        return 1 if self.y_train.dim() == 1 else int(self.y_train.shape[1])


def validate_dataset(config) -> None:
    from core.data.toy import validate_toy

    if isinstance(config.name, str) and config.name in _loaders():
        validate_toy(config)
        return
    raise ConfigError(f"dataset.name: unknown dataset '{config.name}' "
                      f"(choose from {', '.join(_loaders())})")


def load_dataset(config) -> Dataset:
    """Make or read the dataset a (validated) DatasetConfig describes."""
    validate_dataset(config)
    return _loaders()[config.name](config)


def _loaders() -> dict[str, Callable]:
    from core.data.toy import TOY_DATASETS, make_toy

    return {name: make_toy for name in TOY_DATASETS}
