"""2-D toy problems in TensorFlow Playground's spirit, reproducible by seed.

Points live in the square [-6, 6]²; the network sees features of the raw coordinates
(x1, x2, x1², …), exactly what the input column of the network diagram shows.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from core.data.base import Dataset
from core.errors import ConfigError, shown

DOMAIN = (-6.0, 6.0)
RADIUS = 5.0


Generator = Callable[[np.random.Generator, int, float, int], tuple[np.ndarray, np.ndarray]]
"""(rng, n, noise in [0, 1], classes) -> (points (n, dims), targets (n,))."""


@dataclass(frozen=True)
class Toy:
    """One 2-D problem: everything the config check, the page and the data need about it."""

    label: str
    task: str
    dims: int
    generate: Generator
    max_classes: int = 2


FEATURES: dict[str, tuple[str, int]] = {
    "x1": ("x1", 0), "x2": ("x2", 1), "x1^2": ("x1²", 0), "x2^2": ("x2²", 1),
    "x1x2": ("x1·x2", 1), "sin_x1": ("sin x1", 0), "sin_x2": ("sin x2", 1),
}
"""name -> (display label, highest raw coordinate index it needs)."""


def featurize(raw: torch.Tensor, names: list[str]) -> torch.Tensor:
    x1 = raw[:, 0]
    x2 = raw[:, 1] if raw.shape[1] > 1 else None
    columns = {
        "x1": lambda: x1, "x2": lambda: x2, "x1^2": lambda: x1 * x1, "x2^2": lambda: x2 * x2,
        "x1x2": lambda: x1 * x2, "sin_x1": lambda: torch.sin(x1), "sin_x2": lambda: torch.sin(x2),
    }
    return torch.stack([columns[n]() for n in names], dim=1)


def validate_toy(config) -> None:
    toy = TOY_DATASETS[config.name]
    for name, value, low, high in (("samples", config.samples, 4, 20_000),
                                   ("seed", config.seed, 0, 2**31 - 1)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"dataset.{name} must be a whole number, not {shown(value)}")
        if not low <= value <= high:
            raise ConfigError(f"dataset.{name} must be between {low:,} and {high:,}, not "
                              f"{shown(value)}")
    for name, value, low, high in (("noise", config.noise, 0.0, 1.0),
                                   ("train_fraction", config.train_fraction, 0.05, 0.95)):
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if not number or not math.isfinite(value):
            raise ConfigError(f"dataset.{name} must be a number, not {shown(value)}")
        if not low <= value <= high:
            raise ConfigError(f"dataset.{name} must be between {low:g} and {high:g}, not {value:g}")
    classes = config.classes
    valid = isinstance(classes, int) and not isinstance(classes, bool)
    if toy.task == "classification" and not (valid and 2 <= classes <= toy.max_classes):
        if toy.max_classes == 2:
            raise ConfigError(f"dataset.classes: '{config.name}' always has 2 classes")
        raise ConfigError(f"dataset.classes for '{config.name}' must be between 2 and "
                          f"{toy.max_classes}, not {shown(classes)}")
    if not isinstance(config.features, list) or not config.features:
        raise ConfigError("dataset.features: choose at least one input feature")
    for name in config.features:
        if not isinstance(name, str) or name not in FEATURES:
            raise ConfigError(f"dataset.features: unknown feature {shown(name)} "
                              f"(choose from {', '.join(FEATURES)})")
        if FEATURES[name][1] >= toy.dims:
            raise ConfigError(f"dataset.features: '{FEATURES[name][0]}' needs a second "
                              f"coordinate, but '{config.name}' has one input (x1)")
    if len(set(config.features)) != len(config.features):
        raise ConfigError("dataset.features: each feature may be chosen once")


def make_toy(config) -> Dataset:
    toy = TOY_DATASETS[config.name]
    rng = np.random.default_rng(config.seed)
    n, noise = config.samples, float(config.noise)
    classes = config.classes if toy.max_classes > 2 else 2
    points, targets = toy.generate(rng, n, noise, classes)
    order = rng.permutation(len(points))
    points, targets = points[order], targets[order]
    n_train = max(1, min(len(points) - 1, round(len(points) * config.train_fraction)))

    raw = torch.as_tensor(points, dtype=torch.float32)
    if toy.task == "classification":
        y = torch.as_tensor(targets, dtype=torch.long)
        class_names = [f"class {i}" for i in range(classes)]
    else:
        y = torch.as_tensor(targets, dtype=torch.float32)
        class_names = []
    features = list(config.features)
    x = featurize(raw, features)
    return Dataset(
        name=config.name, task=toy.task,
        x_train=x[:n_train], y_train=y[:n_train], x_test=x[n_train:], y_test=y[n_train:],
        input_shape=(len(features),), class_names=class_names,
        feature_names=[FEATURES[f][0] for f in features],
        raw_train=raw[:n_train], raw_test=raw[n_train:],
        featurize=lambda r: featurize(r, features), raw_dims=toy.dims,
    )


# ----- generators: (rng, n, noise in [0, 1], classes) -> (points (n, dims), targets (n,)) ------
def _circle(rng, n, noise, classes):
    inner = n // 2
    r = np.concatenate([rng.uniform(0, RADIUS * 0.5, inner),
                        rng.uniform(RADIUS * 0.7, RADIUS, n - inner)])
    angle = rng.uniform(0, 2 * np.pi, n)
    pts = np.stack([r * np.sin(angle), r * np.cos(angle)], axis=1)
    labels = np.concatenate([np.ones(inner), np.zeros(n - inner)]).astype(np.int64)
    return pts + rng.uniform(-RADIUS, RADIUS, (n, 2)) * noise * 0.5, labels


def _xor(rng, n, noise, classes):
    pts = rng.uniform(-RADIUS, RADIUS, (n, 2))
    pts += np.where(pts > 0, 0.3, -0.3)  # keep a small margin around the axes
    labels = (pts[:, 0] * pts[:, 1] > 0).astype(np.int64)
    return pts + rng.uniform(-RADIUS, RADIUS, (n, 2)) * noise * 0.5, labels


def _gauss(rng, n, noise, classes):
    labels = np.arange(n) % classes
    if classes == 2:
        centres = np.array([[-2.0, -2.0], [2.0, 2.0]])
    else:
        angles = 2 * np.pi * np.arange(classes) / classes
        centres = 3.5 * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    std = math.sqrt(0.5 + 3.5 * noise)
    return centres[labels] + rng.normal(0, std, (n, 2)), labels.astype(np.int64)


def _spiral(rng, n, noise, classes):
    labels = np.arange(n) % classes
    t = rng.uniform(0, 1, n)
    r = t * RADIUS
    angle = 1.75 * t * 2 * np.pi + 2 * np.pi * labels / classes
    pts = np.stack([r * np.sin(angle), r * np.cos(angle)], axis=1)
    return pts + rng.uniform(-1, 1, (n, 2)) * noise * 1.5, labels.astype(np.int64)


def _moons(rng, n, noise, classes):
    labels = np.arange(n) % 2
    t = rng.uniform(0, np.pi, n)
    outer = np.stack([np.cos(t), np.sin(t)], axis=1)
    inner = np.stack([1 - np.cos(t), 0.5 - np.sin(t)], axis=1)
    pts = np.where(labels[:, None] == 0, outer, inner)
    pts = (pts - [0.5, 0.25]) * 3.2
    return pts + rng.normal(0, 1, (n, 2)) * noise * 1.5, labels.astype(np.int64)


def _sin(rng, n, noise, classes):
    x = rng.uniform(DOMAIN[0], DOMAIN[1], n)
    return x[:, None], np.sin(x) + rng.normal(0, 1, n) * noise * 0.5


def _plane(rng, n, noise, classes):
    pts = rng.uniform(-RADIUS, RADIUS, (n, 2))
    y = (pts[:, 0] + pts[:, 1]) / (2 * RADIUS)
    return pts, y + rng.normal(0, 1, n) * noise * 0.5


_BUMPS = [(-2.5, -2.5, 1.0), (2.5, 2.5, 1.0), (-2.5, 2.5, -1.0), (2.5, -2.5, -1.0)]


def _bumps(rng, n, noise, classes):
    pts = rng.uniform(-RADIUS, RADIUS, (n, 2))
    y = sum(s * np.exp(-((pts[:, 0] - cx) ** 2 + (pts[:, 1] - cy) ** 2) / 4.0)
            for cx, cy, s in _BUMPS)
    return pts, y + rng.normal(0, 1, n) * noise * 0.5


# ----- the registry: one entry per dataset (generators above) ---------------------------------
TOY_DATASETS: dict[str, Toy] = {
    "circle": Toy("Circle", "classification", 2, _circle),
    "xor": Toy("XOR", "classification", 2, _xor),
    "gauss": Toy("Gaussian blobs", "classification", 2, _gauss, max_classes=8),
    "spiral": Toy("Spirals", "classification", 2, _spiral, max_classes=6),
    "moons": Toy("Two moons", "classification", 2, _moons),
    "sin": Toy("Sine curve (1-D regression)", "regression", 1, _sin),
    "plane": Toy("Plane (2-D regression)", "regression", 2, _plane),
    "bumps": Toy("Gaussian bumps (2-D regression)", "regression", 2, _bumps),
}
