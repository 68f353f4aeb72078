"""Small builders shared by the core tests: configs, hand-made datasets, polling waits."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from core.config import RunConfig
from core.data import Dataset


def make_config(dataset: dict | None = None, network: dict | None = None,
                training: dict | None = None) -> RunConfig:
    """A validated RunConfig; sections not given take their defaults."""
    return RunConfig.from_dict({"dataset": dataset or {}, "network": network or {},
                                "training": training or {}})


def dense(units: int, activation: str = "tanh", **extra: Any) -> dict:
    return {"type": "dense", "units": units, "activation": activation, **extra}


def tensor_dataset(input_shape: tuple[int, ...], classes: int = 2, n: int = 8,
                   seed: int = 0) -> Dataset:
    """A classification Dataset of random inputs with the given per-sample shape."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, *input_shape, generator=g)
    y = torch.arange(n) % classes
    half = n // 2
    return Dataset(name="hand-made", task="classification", x_train=x[:half], y_train=y[:half],
                   x_test=x[half:], y_test=y[half:], input_shape=tuple(input_shape),
                   class_names=[f"class {i}" for i in range(classes)])


def wait_for(predicate: Callable[[], bool], timeout: float = 10.0, what: str = "") -> None:
    """Poll `predicate` every few milliseconds; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what or predicate}")
        time.sleep(0.002)


def state_dict_copy(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


GZ_CLASS_NAMES = ["elliptical", "spiral_clockwise", "spiral_anticlockwise", "edge_on",
                  "dont_know", "merger"]


def write_galaxy_zoo(folder: Path, counts: tuple[int, ...] = (40, 15, 15, 20, 5, 10),
                     seed: int = 1) -> Path:
    """A tiny galaxy_zoo1_sdss.npz (random 69×69 colour images, `counts` per Galaxy Zoo 1
    class) in `folder`, laid out as the real file."""
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(len(counts)), counts).astype(np.uint8)
    path = Path(folder) / "galaxy_zoo1_sdss.npz"
    np.savez(path, images=rng.integers(0, 256, (len(labels), 69, 69, 3), dtype=np.uint8),
             labels=labels, objid=np.arange(len(labels)), class_names=np.array(GZ_CLASS_NAMES))
    return path
