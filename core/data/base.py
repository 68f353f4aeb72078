"""The Dataset record every trainer and chart reads, and the dispatcher from a DatasetConfig."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import torch

from core.errors import ConfigError, shown

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


def validate_dataset(config) -> None:
    from core.data.images import IMAGE_SOURCES, validate_image
    from core.data.tables import validate_table_config
    from core.data.toy import TOY_DATASETS, validate_toy

    if not isinstance(config.name, str):
        pass
    elif config.name == TABLE:
        validate_table_config(config)
        return
    elif config.name == FOLDERS:
        from core.data.folders import validate_folders

        validate_folders(config)
        return
    elif config.name in TOY_DATASETS:
        validate_toy(config)
        return
    elif config.name in IMAGE_SOURCES:
        validate_image(config)
        return
    raise ConfigError(f"dataset.name: unknown dataset {shown(config.name)} "
                      f"(choose from {', '.join(_loaders())})")


def load_dataset(config, progress=None) -> Dataset:
    """Make or read the dataset a (validated) DatasetConfig describes.

    Raises DatasetUnavailable (with where to put the file) when image data is missing offline.
    """
    from core.data.images import IMAGE_SOURCES, make_image_dataset
    from core.data.tables import make_table_dataset
    from core.data.toy import make_toy

    validate_dataset(config)
    if config.name == TABLE:
        return make_table_dataset(config)
    if config.name in (*IMAGE_SOURCES, FOLDERS):
        key = json.dumps(asdict(config), sort_keys=True)
        cached = _IMAGE_CACHE.get(key)
        if cached is None:
            if config.name == FOLDERS:
                from core.data.folders import make_folder_dataset

                cached = make_folder_dataset(config)
            else:
                cached = make_image_dataset(config, progress)
            _IMAGE_CACHE[key] = cached
            while len(_IMAGE_CACHE) > 2:  # MNIST as tensors is ~200 MB: keep two at most
                _IMAGE_CACHE.pop(next(iter(_IMAGE_CACHE)))
        return cached
    return make_toy(config)


_IMAGE_CACHE: dict[str, Dataset] = {}
"""Image datasets are read-only once built, so jobs of the same data share one copy (editing
a layer must not reload 60,000 images)."""


def _loaders() -> list[str]:
    from core.data.images import IMAGE_SOURCES
    from core.data.toy import TOY_DATASETS

    return [*TOY_DATASETS, TABLE, *IMAGE_SOURCES, FOLDERS]
