"""Transfer learning: fine-tune a trained image classifier on the user's own classes.

The user uploads a zip of class folders (`spiral/…`, `elliptical/…`, any names). On the galaxy
page every picture goes through the classifier's own reading and framing (core.galaxies.galaxy); on
Train on images ("Your pictures") through the plain folder reader, resized to the base model's
side and channels and normalised as its training data were — either way the frozen layers see
what they were trained on, and a file that cannot be used is reported by name. The new network
is the old one with a fresh output layer for the new classes and the chosen layers marked
`"trainable": false` — frozen weights and frozen batch-norm statistics — trained by the same Job
as every other page, so the live curves are the same too.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from core.config import RunConfig
from core.data import folders, load_dataset
from core.data.augment import Augmenter
from core.data.base import Dataset
from core.data.folders import MAX_FILE_BYTES, ClassFolders, FoldersRefused
from core.data.images import stratified_split
from core.errors import ConfigError
from core.galaxies.galaxy import GalaxyModel, PrepOptions, prepare_bytes
from core.models.assets import normalization_of
from core.models.model_io import load_model

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
def freeze_layers(layers: list[dict], freeze: str) -> list[dict]:
    """Copies of `layers` with the first ones marked `"trainable": false`: those before the
    Flatten ("convolutions"), all of them ("all_hidden") or none."""
    if freeze not in FREEZE:
        raise ValueError(f"freeze must be one of {', '.join(FREEZE)}, not {freeze!r}")
    layers = [dict(layer) for layer in layers]
    flatten = next((i for i, layer in enumerate(layers) if layer["type"] == "flatten"),
                   len(layers))
    frozen = {"convolutions": flatten, "all_hidden": len(layers), "none": 0}[freeze]
    for i, layer in enumerate(layers):
        layer.pop("trainable", None)
        if i < frozen:
            layer["trainable"] = False
    return layers


def freeze_choices(layers: list[dict]) -> dict[str, str]:
    """The FREEZE options that differ for this network: an MLP has no convolutions to keep, so
    "convolutions" would freeze nothing and is not offered."""
    flatten = next((i for i, layer in enumerate(layers) if layer["type"] == "flatten"),
                   len(layers))
    convolutional = any(layer["type"] == "conv2d" for layer in layers[:flatten])
    return {k: v for k, v in FREEZE.items() if k != "convolutions" or convolutional}


def transfer_config(base: RunConfig, freeze: str = "convolutions", *, epochs: int = 15,
                    lr: float = 1e-3, batch_size: int = 32) -> RunConfig:
    """The base network with `freeze` layers marked untrainable, and a short Adam schedule."""
    config = base.copy()
    config.network.layers = freeze_layers(config.network.layers, freeze)
    t = config.training
    t.epochs, t.lr, t.batch_size, t.optimizer = epochs, lr, batch_size, "adam"
    t.early_stopping, t.class_weights = max(3, epochs // 3), "sqrt"
    config.validate()
    return config


def transfer_dataset(folders: ClassFolders, base: GalaxyModel, *, val_fraction: float = 0.2,
                     seed: int = 0, augment: dict[str, float] | None = None) -> Dataset:
    """The pictures as the base model's inputs (its crop, size and standardisation), split
    stratified into training and validation (which also serves as the test split)."""
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


def warm_weights(base: GalaxyModel | Pretrained) -> dict[str, torch.Tensor]:
    """The base network's weights without its output layer (the new classes get a fresh one)."""
    return {k: v.detach().cpu() for k, v in base.model.state_dict().items()
            if not k.startswith("output.")}


# ----- any shipped image classifier, on "Your pictures" (Train on images) ---------------------
@dataclass
class Pretrained:
    """A saved image classifier to start from: its network, what its input needs (square side,
    channels, normalisation) and its weights."""

    name: str
    model: nn.Module
    config: RunConfig
    input_shape: tuple[int, int, int]
    class_names: list[str]
    mean: np.ndarray | None = None
    """Per-channel statistics its training data were standardised with (None: pixels 0-1)."""
    std: np.ndarray | None = None

    @property
    def channels(self) -> int:
        return self.input_shape[0]

    @property
    def side(self) -> int:
        return self.input_shape[1]

    def reads(self) -> str:
        """How pictures are prepared for it, in words."""
        colour = "grey" if self.channels == 1 else "colour (RGB)"
        scale = ("standardised with its training set's mean and spread" if self.mean is not None
                 else "pixels scaled to 0–1")
        return f"{self.side}×{self.side} {colour}, {scale}"


def load_pretrained(path: str | Path) -> Pretrained:
    """A model file this playground saved, checked to be a classifier of square grey or colour
    pictures; ConfigError (a plain sentence) for anything else."""
    path = Path(path)
    try:
        built, meta = load_model(path)
    except OSError as exc:
        raise ConfigError(f"cannot read the model {path.name}: {exc.strerror or exc}") from None
    shape = tuple(int(v) for v in meta["input_shape"])
    what = f"{path.stem} cannot be fine-tuned on pictures"
    if built.head.task != "classification":
        raise ConfigError(f"{what}: it predicts numbers, not classes")
    if len(shape) != 3:
        raise ConfigError(f"{what}: it reads a table of numbers, not images")
    if shape[0] not in (1, 3) or shape[1] != shape[2]:
        raise ConfigError(f"{what}: it takes {shape[2]}×{shape[1]} images with {shape[0]} "
                          "channel(s); your pictures become squares of 1 (grey) or 3 (colour)")
    mean, std = normalization_of(meta)
    return Pretrained(path.stem, built.model.eval(), meta["config"], shape,
                      list(meta["class_names"]), mean, std)


def finetune_config(base: Pretrained, own: RunConfig, freeze: str) -> RunConfig:
    """`own` — a "Your pictures" run: its zip, splits, augmentation and training knobs — on
    `base`'s network: pictures at the base's side and channels, normalised as its data were,
    `freeze` layers untrainable, and a fresh output layer sized by the new classes."""
    if freeze not in freeze_choices(base.config.network.layers):
        raise ConfigError(f"{base.name} has no convolutional layers to freeze: choose "
                          "another setting")
    config = own.copy()
    d = config.dataset
    d.image_size, d.channels, d.crop = base.side, base.channels, None
    d.normalization = "standardize" if base.mean is not None else "unit"
    config.network.layers = freeze_layers(base.config.network.layers, freeze)
    config.network.init = base.config.network.init
    config.training.dropout = base.config.training.dropout
    config.validate()
    return config


def finetune_dataset(config: RunConfig, base: Pretrained) -> Dataset:
    """The pictures of `config` (from finetune_config) split as "Your pictures" always are,
    standardised with the base's statistics rather than their own: the frozen layers expect
    the numbers they were trained on."""
    plain = dataclasses.replace(config.dataset, normalization="unit", augment={})
    data = load_dataset(plain)  # shared, read-only: standardised copies below
    if base.mean is None:
        mean = std = None
        x = (data.x_train, data.x_val, data.x_test)
    else:
        mean = torch.as_tensor(base.mean, dtype=torch.float32).reshape(1, -1, 1, 1)
        std = torch.as_tensor(base.std, dtype=torch.float32).reshape(1, -1, 1, 1).clamp_min(1e-6)
        x = tuple(None if a is None else (a - mean) / std
                  for a in (data.x_train, data.x_val, data.x_test))
    dataset = Dataset(name=data.name, task="classification", x_train=x[0], y_train=data.y_train,
                      x_test=x[2], y_test=data.y_test, x_val=x[1], y_val=data.y_val,
                      input_shape=data.input_shape, class_names=list(data.class_names),
                      normalization=(mean, std))
    if config.dataset.augment:
        dataset.augment = Augmenter(config.dataset.augment, normalization=(mean, std))
    return dataset
