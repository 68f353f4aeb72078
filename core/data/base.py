"""The Dataset record every trainer and chart reads, and the names of the user-data sources
(core.data.loading dispatches a DatasetConfig to its maker)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import torch

TABLE = "csv"
"""dataset.name of your own table (a CSV file or a built-in one): core.data.tables."""
FOLDERS = "folders"
"""dataset.name of your own pictures (a zip of class folders): core.data.folders."""


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
    x_val: torch.Tensor | None = None
    """Validation split (image datasets): monitored during training instead of the test set."""
    y_val: torch.Tensor | None = None
    normalization: tuple[torch.Tensor | None, torch.Tensor | None] = (None, None)
    """(mean, std) per channel when standardised, to show images in their real colours."""
    augment: Callable[[torch.Tensor, torch.Generator], torch.Tensor] | None = None
    """Applied to every training batch on the fly (random shift, rotation, flip, ...)."""

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    @property
    def target_dim(self) -> int:
        return 1 if self.y_train.dim() == 1 else int(self.y_train.shape[1])


    @property
    def is_image(self) -> bool:
        return len(self.input_shape) == 3

    def show(self, x: torch.Tensor) -> torch.Tensor:
        """Model-input images back to 0-1 for display."""
        mean, std = self.normalization
        return x if mean is None else (x * std.to(x.device) + mean.to(x.device)).clamp(0, 1)
