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
LESSONS: dict[str, dict[str, dict[str, Any]]] = {
    "mnist": {"dataset": {"subset": 20_000}, "training": {"epochs": 8}},
    "digits": {"dataset": {"subset": None},
               "training": {"epochs": 30, "lr": 0.01, "batch_size": 32}},
    "galaxy_zoo": {
        "dataset": {"subset": None, "crop": 48, "image_size": 32, "normalization": "standardize",
                    "augment": {"flip": True, "rotation": 180, "shift": 2}},
        "training": {"epochs": 20, "lr": 0.003, "lr_schedule": "cosine"}},
}
"""Each dataset's default lesson, measured by tests/benchmarks/bench_lessons.py on 2 cores:
MNIST on 20,000 images keeps improving for half a minute; the 8×8 digits need many quick
epochs at a larger rate; galaxies train on every training image, standardised (SDSS cut-outs
are dark), the central 48 px (where the galaxy is) shrunk to 32, with a cosine schedule that
settles the noisy validation score."""
LESSON_NOTES = {
    "mnist": "Watch the loss fall fastest in the first few hundred steps, then the validation "
             "accuracy creep up by tenths of a percent an epoch: most of the learning happens "
             "early, the rest is polish.",
    "digits": "Watch the validation accuracy pass 90 % within seconds while the training loss "
              "keeps falling below the validation loss: 1,437 tiny images are easy to learn and "
              "easy to memorise — the start of overfitting.",
    "galaxy_zoo": "Watch balanced accuracy, not accuracy: 70 % of these galaxies are ellipticals, "
                  "so calling everything elliptical scores 70 % accuracy but 25 % balanced. The "
                  "class weights make the rare spirals, edge-on disks and mergers count; the "
                  "per-class recall shows which the network has learned (mergers come last).",
}
"""One sentence per dataset on what its default lesson shows."""
STARTER_FOR = {
    "mnist": "lenet",
    "digits": "mlp",
    "galaxy_zoo": "galaxy",
    "galaxy10_sdss": "galaxy",
    "galaxy10_decals": "galaxy",
    "folders": "galaxy",
}


def default_image_config(name: str = "mnist") -> RunConfig:
    """A first lesson that teaches: a starter network and Adam, with each dataset's measured
    setup (LESSONS) over the fast default of 2,000 training images and 5 epochs."""
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
    for section, values in LESSONS.get(name, {}).items():
        data[section].update(values)
    if name == "folders":  # no zip yet: valid once the user uploads one
        return RunConfig(DatasetConfig(**data["dataset"]), NetworkConfig(**data["network"]),
                         TrainingConfig(**data["training"]))
    return RunConfig.from_dict(data, resources=False)  # the page says when it is too big
