"""Datasets behind one interface: in-memory tensors plus what a chart needs to draw them."""

from core.data.base import Dataset
from core.data.loading import load_dataset, validate_dataset
from core.data.toy import DOMAIN, FEATURES, TOY_DATASETS

__all__ = ["DOMAIN", "FEATURES", "TOY_DATASETS", "Dataset", "load_dataset", "validate_dataset"]
