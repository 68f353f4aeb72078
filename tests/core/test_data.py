"""Toy datasets: reproducible by seed, the right sizes and labels, exact feature expansion."""

from __future__ import annotations

import math

import pytest
import torch

from core.config import DatasetConfig
from core.data import FEATURES, TOY_DATASETS, load_dataset
from core.data.toy import RADIUS, featurize
from core.errors import ConfigError

TENSORS = ("x_train", "y_train", "x_test", "y_test", "raw_train", "raw_test")


def _load(name: str, **settings) -> object:
    if TOY_DATASETS[name].dims == 1:
        settings.setdefault("features", ["x1"])
    return load_dataset(DatasetConfig(name=name, **settings))


@pytest.mark.parametrize("name", list(TOY_DATASETS))
def test_every_toy_is_reproducible_by_seed(name):
    a = _load(name, samples=60, noise=0.2, seed=3)
    b = _load(name, samples=60, noise=0.2, seed=3)
    c = _load(name, samples=60, noise=0.2, seed=4)
    for attr in TENSORS:
        assert torch.equal(getattr(a, attr), getattr(b, attr)), attr
    assert not torch.equal(a.raw_train, c.raw_train)
    assert not torch.equal(a.x_test, c.x_test)


@pytest.mark.parametrize("name", list(TOY_DATASETS))
@pytest.mark.parametrize(("samples", "fraction", "n_train"), [(100, 0.3, 30), (61, 0.5, 30),
                                                               (40, 0.95, 38)])
def test_sizes_match_samples_and_train_fraction(name, samples, fraction, n_train):
    d = _load(name, samples=samples, train_fraction=fraction)
    dims = TOY_DATASETS[name].dims
    n_features = len(d.feature_names)
    assert d.x_train.shape == (n_train, n_features)
    assert d.x_test.shape == (samples - n_train, n_features)
    assert d.raw_train.shape == (n_train, dims) and d.raw_test.shape == (samples - n_train, dims)
    assert len(d.y_train) == n_train and len(d.y_test) == samples - n_train
    assert d.input_shape == (n_features,) and d.raw_dims == dims
    assert d.task == TOY_DATASETS[name].task


@pytest.mark.parametrize("name", [n for n, t in TOY_DATASETS.items() if t.task == "classification"])
def test_classification_labels_are_in_range(name):
    d = _load(name, samples=200, noise=0.5)
    labels = torch.cat([d.y_train, d.y_test])
    assert labels.dtype == torch.long
    assert set(labels.tolist()) == {0, 1}
    assert d.class_names == ["class 0", "class 1"] and d.n_classes == 2
    assert d.target_dim == 1


@pytest.mark.parametrize("name", [n for n, t in TOY_DATASETS.items() if t.task == "regression"])
def test_regression_targets_are_float_values(name):
    d = _load(name, samples=50)
    assert d.y_train.dtype == torch.float32 and d.y_train.dim() == 1
    assert d.class_names == [] and d.n_classes == 0


@pytest.mark.parametrize(("name", "classes"), [("gauss", 3), ("gauss", 8), ("spiral", 3),
                                               ("spiral", 6)])
def test_gauss_and_spiral_take_a_number_of_classes(name, classes):
    d = _load(name, samples=120, classes=classes)
    labels = torch.cat([d.y_train, d.y_test])
    assert set(labels.tolist()) == set(range(classes))
    assert d.class_names == [f"class {i}" for i in range(classes)]
    assert torch.bincount(labels).tolist() == [120 // classes] * classes


@pytest.mark.parametrize(("settings", "message"), [
    ({"name": "xor", "classes": 3}, "dataset.classes: 'xor' always has 2 classes"),
    ({"name": "gauss", "classes": 9}, "dataset.classes for 'gauss' must be between 2 and 8, not 9"),
    ({"name": "spiral", "classes": 1},
     "dataset.classes for 'spiral' must be between 2 and 6, not 1"),
    ({"name": "sin", "features": ["x1", "x2"]},
     "dataset.features: 'x2' needs a second coordinate, but 'sin' has one input (x1)"),
    ({"name": "sin", "features": ["x1x2"]},
     "dataset.features: 'x1·x2' needs a second coordinate, but 'sin' has one input (x1)"),
    ({"name": "sin", "features": ["sin_x2"]},
     "dataset.features: 'sin x2' needs a second coordinate, but 'sin' has one input (x1)"),
    ({"features": []}, "dataset.features: choose at least one input feature"),
    ({"features": ["x1", "x3"]},
     "dataset.features: unknown feature 'x3' (choose from x1, x2, x1^2, x2^2, x1x2, sin_x1, "
     "sin_x2)"),
    ({"features": ["x1", "x1"]}, "dataset.features: each feature may be chosen once"),
    ({"samples": 3}, "dataset.samples must be between 4 and 20,000, not 3"),
    ({"samples": 100.0}, "dataset.samples must be a whole number, not 100.0"),
    ({"noise": 1.5}, "dataset.noise must be between 0 and 1, not 1.5"),
    ({"train_fraction": 1.0}, "dataset.train_fraction must be between 0.05 and 0.95, not 1"),
])
def test_bad_dataset_settings_are_refused_in_plain_words(settings, message):
    with pytest.raises(ConfigError) as err:
        load_dataset(DatasetConfig(**settings))
    assert str(err.value) == message


@pytest.mark.parametrize("name", ["imagenet", ["circle"], None])
def test_an_unknown_dataset_name_is_refused(name):
    with pytest.raises(ConfigError) as err:
        load_dataset(DatasetConfig(name=name))
    assert str(err.value).startswith(
        f"dataset.name: unknown dataset {name!r} (choose from circle, xor, gauss, spiral, moons, "
        "sin, plane, bumps")


def test_sin_takes_features_of_x1_only():
    d = _load("sin", samples=20, features=["x1", "x1^2", "sin_x1"])
    assert d.feature_names == ["x1", "x1²", "sin x1"]
    x1 = d.raw_train[:, 0]
    assert torch.equal(d.x_train, torch.stack([x1, x1 * x1, torch.sin(x1)], dim=1))


def test_feature_expansion_of_a_hand_made_point():
    raw = torch.tensor([[2.0, 3.0], [-1.0, 0.5]])
    x = featurize(raw, list(FEATURES))
    expected = torch.tensor([[2.0, 3.0, 4.0, 9.0, 6.0, math.sin(2.0), math.sin(3.0)],
                             [-1.0, 0.5, 1.0, 0.25, -0.5, math.sin(-1.0), math.sin(0.5)]])
    assert torch.allclose(x, expected, rtol=0, atol=1e-7)
    assert featurize(raw, ["x1x2", "x1"]).tolist() == [[6.0, 2.0], [-0.5, -1.0]]


def test_dataset_featurize_maps_raw_points_to_the_network_inputs():
    features = ["x2", "x1^2", "x1x2", "sin_x1"]
    d = _load("moons", samples=50, noise=0.3, features=features)
    assert d.feature_names == ["x2", "x1²", "x1·x2", "sin x1"]
    assert torch.equal(d.featurize(d.raw_train), d.x_train)
    assert torch.equal(d.featurize(d.raw_test), d.x_test)
    x1, x2 = d.raw_train[:, 0], d.raw_train[:, 1]
    assert torch.equal(d.x_train[:, 2], x1 * x2)


def test_noise_free_circle_points_follow_the_radius_rule():
    d = _load("circle", samples=400, noise=0.0, seed=5)
    raw = torch.cat([d.raw_train, d.raw_test])
    labels = torch.cat([d.y_train, d.y_test])
    r = raw.norm(dim=1)
    assert (r[labels == 1] <= RADIUS * 0.5 + 1e-5).all()
    assert (r[labels == 0] >= RADIUS * 0.7 - 1e-5).all()
    assert (r[labels == 0] <= RADIUS + 1e-5).all()
    assert int((labels == 1).sum()) == 200


def test_noise_free_xor_labels_are_the_sign_of_x1_times_x2():
    d = _load("xor", samples=300, noise=0.0, seed=2)
    raw, labels = torch.cat([d.raw_train, d.raw_test]), torch.cat([d.y_train, d.y_test])
    assert torch.equal(labels, (raw[:, 0] * raw[:, 1] > 0).long())
    assert (raw.abs() >= 0.3 - 1e-6).all()  # the margin around the axes


def test_noise_free_regression_targets_follow_their_formula():
    sin = _load("sin", samples=50, noise=0.0)
    assert torch.allclose(sin.y_train, torch.sin(sin.raw_train[:, 0]), atol=1e-6)
    plane = _load("plane", samples=50, noise=0.0)
    x1, x2 = plane.raw_test[:, 0], plane.raw_test[:, 1]
    assert torch.allclose(plane.y_test, (x1 + x2) / (2 * RADIUS), atol=1e-6)


def test_noise_changes_the_targets_of_a_regression_toy():
    clean = _load("sin", samples=50, noise=0.0, seed=1)
    noisy = _load("sin", samples=50, noise=0.5, seed=1)
    residual = noisy.y_train - torch.sin(noisy.raw_train[:, 0])
    assert residual.abs().max() > 0.05
    assert not torch.equal(clean.y_train, noisy.y_train)
