"""One registry entry is enough: a new toy dataset, optimizer or image source added to its
registry alone validates in a config, builds and trains; nothing else has to learn its name."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
import torch

from core.budget import plan_data
from core.data import load_dataset, loading
from core.data.images import IMAGE_SOURCES, ImageSource, Task
from core.data.toy import TOY_DATASETS, Toy
from core.galaxies.galaxy import frame_side, is_galaxy_source
from core.optimizers import OPTIMIZERS, Optimizer, update_hyperparameters
from core.train import run_to_end
from tests.core.helpers import dense, make_config


def _ring(rng: np.random.Generator, n: int, noise: float,
          classes: int) -> tuple[np.ndarray, np.ndarray]:
    """Points on `classes` concentric rings, labelled by ring."""
    labels = np.arange(n) % classes
    angle = rng.uniform(0, 2 * np.pi, n)
    radius = 1.5 + 1.5 * labels + rng.normal(0, 0.1 + noise, n)
    points = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
    return points, labels.astype(np.int64)


def test_a_toy_dataset_needs_only_its_registry_entry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(TOY_DATASETS, "rings", Toy("Rings", "classification", 2, _ring,
                                                   max_classes=3))
    config = make_config(dataset={"name": "rings", "samples": 60, "classes": 3},
                         network={"layers": [dense(4)]},
                         training={"loss": "cce", "epochs": 1, "batch_size": 10})
    data = load_dataset(config.dataset)
    assert data.class_names == ["class 0", "class 1", "class 2"]
    assert len(data.x_train) + len(data.x_test) == 60
    assert plan_data(config.dataset).label == "Rings"
    job = run_to_end(config)
    assert job.state == "finished" and len(job.history) == 1


def test_an_optimizer_needs_only_its_registry_entry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(OPTIMIZERS, "sgd_decay", Optimizer(
        "SGD + weight decay", torch.optim.SGD,
        lambda t: {"lr": t.lr, "weight_decay": t.weight_decay}, ("weight_decay",)))
    config = make_config(dataset={"name": "xor", "samples": 40},
                         network={"layers": [dense(4)]},
                         training={"optimizer": "sgd_decay", "lr": 0.1, "weight_decay": 0.01,
                                   "epochs": 1, "batch_size": 10})
    job = run_to_end(config)
    assert job.state == "finished"
    assert type(job._optimizer) is torch.optim.SGD
    assert job._optimizer.param_groups[0]["weight_decay"] == 0.01
    # a paused job's knobs change in place, from the same entry that built the optimizer
    config.training.weight_decay, config.training.lr = 0.05, 0.2
    update_hyperparameters(job._optimizer, config.training)
    group = job._optimizer.param_groups[0]
    assert (group["lr"], group["weight_decay"]) == (0.2, 0.05)


@pytest.fixture
def clean_image_cache() -> Iterator[None]:
    loading.IMAGE_CACHE.clear()
    yield
    loading.IMAGE_CACHE.clear()


def _blobs(progress: object) -> tuple[np.ndarray, np.ndarray, None, None]:
    """60 random 12×12 colour images in 3 classes, no official test split."""
    rng = np.random.default_rng(0)
    return (rng.integers(0, 256, (60, 12, 12, 3), dtype=np.uint8),
            np.arange(60, dtype=np.int64) % 3, None, None)


@pytest.mark.usefixtures("clean_image_cache")
def test_an_image_source_needs_only_its_registry_entry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(IMAGE_SOURCES, "blobs", ImageSource(
        "Blobs", "Random colour blobs.", _blobs,
        {"pairs": Task("0 vs 1 and 2", {"zero": (0,), "rest": (1, 2)}),
         "all": Task("all 3", {"a": (0,), "b": (1,), "c": (2,)})},
        stored=(60, 12, 12, 3), galaxy=True))
    config = make_config(dataset={"name": "blobs", "subset": 20},
                         network={"layers": [{"type": "flatten"}, dense(4, "relu")]},
                         training={"loss": "cce", "epochs": 1, "batch_size": 8})
    assert IMAGE_SOURCES["blobs"].default_task == "pairs"
    data = load_dataset(config.dataset)
    assert data.class_names == ["zero", "rest"]  # no task given: the first one
    assert data.input_shape == (3, 12, 12)
    plan = plan_data(config.dataset)
    assert plan.classes == 2 and plan.input_shape == (3, 12, 12)
    assert is_galaxy_source("blobs") and frame_side("blobs") == 12
    job = run_to_end(config)
    assert job.state == "finished" and len(job.history) == 1


def test_the_shipped_galaxy_sources_and_frames() -> None:
    """What the registry says about the built-in sources (was GALAXY_SOURCES and FRAME_SIDE)."""
    assert [n for n in IMAGE_SOURCES if is_galaxy_source(n)] == [
        "galaxy_zoo", "galaxy10_sdss", "galaxy10_decals"]
    assert [frame_side(n) for n in ("galaxy_zoo", "galaxy10_sdss", "galaxy10_decals",
                                    "mnist", "folders")] == [69, 69, 256, 69, 69]
    assert {n: s.default_task for n, s in IMAGE_SOURCES.items()} == {
        "mnist": "digits", "digits": "digits", "galaxy_zoo": "morphology",
        "galaxy10_sdss": "morphology", "galaxy10_decals": "morphology"}
