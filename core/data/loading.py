"""From a DatasetConfig to its Dataset: which maker validates and builds each name."""

from __future__ import annotations

import json
from dataclasses import asdict

from core.data.base import FOLDERS, TABLE, Dataset
from core.data.folders import make_folder_dataset, validate_folders
from core.data.images import IMAGE_SOURCES, make_image_dataset, validate_image
from core.data.tables import make_table_dataset, validate_table_config
from core.data.toy import TOY_DATASETS, make_toy, validate_toy
from core.errors import ConfigError, shown


def validate_dataset(config) -> None:
    if not isinstance(config.name, str):
        pass
    elif config.name == TABLE:
        validate_table_config(config)
        return
    elif config.name == FOLDERS:
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
    validate_dataset(config)
    if config.name == TABLE:
        return make_table_dataset(config)
    if config.name in (*IMAGE_SOURCES, FOLDERS):
        key = json.dumps(asdict(config), sort_keys=True)
        cached = IMAGE_CACHE.get(key)
        if cached is None:
            if config.name == FOLDERS:
                cached = make_folder_dataset(config)
            else:
                cached = make_image_dataset(config, progress)
            IMAGE_CACHE[key] = cached
            while len(IMAGE_CACHE) > 2:  # MNIST as tensors is ~200 MB: keep two at most
                IMAGE_CACHE.pop(next(iter(IMAGE_CACHE)))
        return cached
    return make_toy(config)


IMAGE_CACHE: dict[str, Dataset] = {}
"""Image datasets are read-only once built, so jobs of the same data share one copy (editing
a layer must not reload 60,000 images)."""


def _loaders() -> list[str]:
    return [*TOY_DATASETS, TABLE, *IMAGE_SOURCES, FOLDERS]
