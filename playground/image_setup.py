"""Starting points for the image pages: default configs and starter architectures."""

from __future__ import annotations

from typing import Any

from core.config import DatasetConfig, NetworkConfig, RunConfig, TrainingConfig


def _conv(filters: int, kernel: int = 3, padding: str = "same") -> dict[str, Any]:
    return {
        "type": "conv2d",
        "filters": filters,
        "kernel": kernel,
        "stride": 1,
        "padding": padding,
        "activation": "relu",
    }


def _dense(units: int, activation: str = "relu") -> dict[str, Any]:
    return {"type": "dense", "units": units, "activation": activation}


POOL = {"type": "maxpool", "size": 2, "stride": 0}
FLATTEN = {"type": "flatten"}

STARTERS: dict[str, tuple[str, list[dict[str, Any]]]] = {
    "mlp": ("MLP 784-16-16-10 (the lecture's)", [FLATTEN, _dense(16), _dense(16)]),
    "lenet": (
        "LeNet-like CNN",
        [_conv(6, 5), POOL, _conv(16, 5, "valid"), POOL, FLATTEN, _dense(120), _dense(84)],
    ),
    "galaxy": (
        "Small galaxy CNN",
        [
            _conv(16),
            POOL,
            _conv(32),
            POOL,
            _conv(64),
            POOL,
            FLATTEN,
            {"type": "dropout", "rate": 0.3},
            _dense(64),
        ],
    ),
}
STARTER_FOR = {
    "mnist": "lenet",
    "digits": "mlp",
    "galaxy_zoo": "galaxy",
    "galaxy10_sdss": "galaxy",
    "galaxy10_decals": "galaxy",
    "folders": "galaxy",
}


def default_image_config(name: str = "mnist") -> RunConfig:
    """A fast first lesson: 2,000 training images, a starter network, a few epochs of Adam."""
    data = RunConfig().to_dict()
    data["dataset"].update(
        name=name,
        subset=2000 if name != "digits" else None,
        val_fraction=0.1,
        features=["x1", "x2"],
    )
    if name == "galaxy10_decals":
        data["dataset"]["image_size"] = 64
    if name == "folders":  # your pictures: 32×32 colour, and every picture you gave
        data["dataset"].update(image_size=32, channels=3, subset=None, val_fraction=0.2)
    if name.startswith("galaxy"):
        data["dataset"]["augment"] = {"flip": True, "rotation": 180}
    data["network"]["layers"] = STARTERS[STARTER_FOR[name]][1]
    data["network"]["init"] = "he_uniform"
    data["training"].update(
        loss="cce",
        optimizer="adam",
        lr=0.001,
        batch_size=64,
        epochs=5,
        class_weights="balanced" if name.startswith("galaxy") else "none",
    )
    if name == "folders":  # no zip yet: valid once the user uploads one
        return RunConfig(DatasetConfig(**data["dataset"]), NetworkConfig(**data["network"]),
                         TrainingConfig(**data["training"]))
    return RunConfig.from_dict(data, resources=False)  # the page says when it is too big
