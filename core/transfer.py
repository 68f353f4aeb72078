"""Transfer learning: fine-tune a trained galaxy CNN on the user's own classes.

The user uploads a zip of class folders (`spiral/…`, `elliptical/…`, any names). Every picture
goes through the same reading and framing as the classifier (core.galaxy), so the frozen
convolutions see what they were trained on; a file that cannot be used is reported by name and
the rest are kept. The new network is the old one with a fresh output layer for the new classes
and its convolutional layers marked `"trainable": false` — frozen weights and frozen batch-norm
statistics — trained by the same Job as every other page, so the live curves are the same too.
"""

from __future__ import annotations

import numpy as np
import torch

from core.config import RunConfig
from core.data import folders
from core.data.base import Dataset
from core.data.folders import MAX_FILE_BYTES, ClassFolders, FoldersRefused
from core.galaxy import GalaxyModel, PrepOptions, prepare_bytes

FREEZE = {"convolutions": "the convolutional layers (retrain the dense head)",
          "all_hidden": "every hidden layer (retrain the output layer only)",
          "none": "nothing (fine-tune every layer, slowly)"}
TransferRefused = FoldersRefused
"""The zip as a whole cannot be used; the message is a plain sentence."""


def read_class_zip(data: bytes, frame: int = 69, options: PrepOptions | None = None
                   ) -> ClassFolders:
    """Every usable picture of a zip of class folders, framed for a `frame`-pixel model:
    (N, frame, frame, 3) float32 0-1, as the classifier frames a picture."""
    def prepare(name: str, blob: bytes) -> np.ndarray:
        return prepare_bytes(name, blob, frame, options)[0].image

    return folders.read_class_zip(data, prepare, what="fine-tuning",
                                  max_file_bytes=MAX_FILE_BYTES)


# ----- the fine-tuning run ----------------------------------------------------------------------
def transfer_config(base: RunConfig, freeze: str = "convolutions", *, epochs: int = 15,
                    lr: float = 1e-3, batch_size: int = 32) -> RunConfig:
    """The base network with `freeze` layers marked untrainable, and a short Adam schedule."""
    if freeze not in FREEZE:
        raise ValueError(f"freeze must be one of {', '.join(FREEZE)}, not {freeze!r}")
    config = base.copy()
    layers = [dict(layer) for layer in config.network.layers]
    flatten = next((i for i, layer in enumerate(layers) if layer["type"] == "flatten"),
                   len(layers))
    frozen = {"convolutions": flatten, "all_hidden": len(layers), "none": 0}[freeze]
    for i, layer in enumerate(layers):
        layer.pop("trainable", None)
        if i < frozen:
            layer["trainable"] = False
    config.network.layers = layers
    t = config.training
    t.epochs, t.lr, t.batch_size, t.optimizer = epochs, lr, batch_size, "adam"
    t.early_stopping, t.class_weights = max(3, epochs // 3), "sqrt"
    config.validate()
    return config


def transfer_dataset(folders: ClassFolders, base: GalaxyModel, *, val_fraction: float = 0.2,
                     seed: int = 0, augment: dict[str, float] | None = None) -> Dataset:
    """The pictures as the base model's inputs (its crop, size and standardisation), split
    stratified into training and validation (which also serves as the test split)."""
    from core.data.augment import Augmenter
    from core.data.images import stratified_split

    x = base.tensor(folders.images)
    y = torch.from_numpy(folders.labels)
    rng = np.random.default_rng(seed)
    train, val = stratified_split(len(y), val_fraction, rng, folders.labels)
    if len(val) == 0 or len(train) == 0:
        raise TransferRefused("too few pictures to keep some for validation: add more")
    mean = std = None
    if base.mean is not None:
        mean = torch.as_tensor(base.mean).reshape(1, -1, 1, 1)
        std = torch.as_tensor(base.std).reshape(1, -1, 1, 1)
    dataset = Dataset(name=base.source, task="classification", x_train=x[train],
                      y_train=y[train], x_test=x[val], y_test=y[val], x_val=x[val],
                      y_val=y[val], input_shape=tuple(x.shape[1:]),
                      class_names=list(folders.class_names), normalization=(mean, std))
    spec = {"flip": True, "rotation": 180} if augment is None else augment
    if spec:
        dataset.augment = Augmenter(spec, normalization=(mean, std))
    return dataset


def warm_weights(base: GalaxyModel) -> dict[str, torch.Tensor]:
    """The base network's weights without its output layer (the new classes get a fresh one)."""
    return {k: v.detach().cpu() for k, v in base.model.state_dict().items()
            if not k.startswith("output.")}
