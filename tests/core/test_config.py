"""RunConfig: JSON round trip, plain validation messages, and what counts as a new network."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from core.config import RunConfig
from core.errors import ConfigError
from tests.core.helpers import dense, make_config

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "spiral.json"


def _base() -> dict:
    return {"dataset": {"name": "xor", "samples": 100},
            "network": {"layers": [dense(4), dense(4), dense(2)]},
            "training": {"loss": "bce", "lr": 0.03, "epochs": 10}}


# ----- round trip -------------------------------------------------------------------------
def test_default_config_round_trips_through_json():
    config = RunConfig()
    again = RunConfig.from_json(config.to_json())
    assert again == config
    assert json.loads(again.to_json()) == config.to_dict()


def test_a_full_config_round_trips_through_json():
    config = make_config(
        dataset={"name": "spiral", "samples": 321, "noise": 0.25, "train_fraction": 0.7,
                 "seed": 9, "classes": 3, "features": ["x1", "x2", "sin_x1"]},
        network={"layers": [dense(5, "relu"), {"type": "dropout", "rate": 0.2},
                            dense(3, "maxout", pieces=3), {"type": "batchnorm"}],
                 "init": "normal", "init_std": 0.5},
        training={"loss": "cce", "optimizer": "adamw", "lr": 0.004, "batch_size": 7,
                  "epochs": 12, "l1": 0.001, "l2": 0.002, "dropout": 0.1, "early_stopping": 4,
                  "seed": 3, "device": "cpu", "weight_decay": 0.2})
    for indent in (None, 2):
        assert RunConfig.from_json(config.to_json(indent=indent)) == config
    assert RunConfig.from_dict(config.to_dict()) == config


def test_missing_keys_take_their_defaults():
    config = RunConfig.from_json('{"training": {"lr": 0.5}}')
    assert config.training.lr == 0.5
    assert config.dataset == RunConfig().dataset and config.network == RunConfig().network


def test_the_example_spiral_config_loads():
    text = EXAMPLE.read_text()
    config = RunConfig.from_json(text)
    assert config.dataset.name == "spiral"
    assert config.dataset.features == ["x1", "x2", "sin_x1", "sin_x2"]
    assert [layer["units"] for layer in config.network.layers] == [8, 8]
    assert (config.training.optimizer, config.training.lr) == ("adam", 0.03)
    assert config.training.early_stopping == 20
    assert RunConfig.from_json(config.to_json()) == config
    for section, values in json.loads(text).items():
        assert {k: config.to_dict()[section][k] for k in values} == values


def test_copy_is_equal_and_independent():
    config = RunConfig.from_dict(_base())
    twin = config.copy()
    assert twin == config
    twin.network.layers[0]["units"] = 99
    twin.dataset.features.append("x1x2")
    assert config.network.layers[0]["units"] == 4
    assert config.dataset.features == ["x1", "x2"]


# ----- plain messages ---------------------------------------------------------------------
def _set(path: str, value):
    def patch(data: dict) -> None:
        *parents, key = path.split(".")
        node = data
        for p in parents:
            node = node[int(p)] if isinstance(node, list) else node.setdefault(p, {})
        if isinstance(node, list):
            node[int(key)] = value
        else:
            node[key] = value
    return patch


INVALID = [
    ("network.layers.2.units", 0, "layer 3: units must be at least 1"),
    ("network.layers.0.units", 5000, "layer 1: units must be at most 4096"),
    ("network.layers.1.units", 2.5, "layer 2: units must be a whole number, not 2.5"),
    ("network.layers.1.units", "8", "layer 2: units must be a number, not '8'"),
    ("network.layers.0.activation", "swish",
     "layer 1: activation must be one of sigmoid, tanh, relu, leaky_relu, elu, gelu, softplus, "
     "linear, gaussian, maxout, not 'swish'"),
    ("network.layers.0.filters", 8,
     "layer 1 (Dense): unknown setting 'filters' (allowed: units, activation, pieces)"),
    ("network.layers.1", {"type": "lstm"},
     "layer 2: unknown layer type 'lstm' (choose from dense, conv2d, maxpool, avgpool, flatten, "
     "batchnorm, dropout)"),
    ("network.layers.1", {"units": 3},
     "layer 2: each layer needs a type (one of dense, conv2d, maxpool, avgpool, flatten, "
     "batchnorm, dropout)"),
    ("network.layers.0", {"type": "dropout", "rate": 0.99}, "layer 1: rate must be at most 0.95"),
    ("network.layers.0", {"type": "flatten", "size": 2}, "layer 1 (Flatten): unknown setting "
     "'size'"),
    ("network.layers", {"type": "dense"}, "network.layers must be a list of layers"),
    ("network.init", "orthogonal",
     "network.init: unknown value 'orthogonal' (choose from xavier_uniform, xavier_normal, "
     "he_uniform, he_normal, normal, zeros)"),
    ("network.init_std", 0, "network.init_std must be greater than 0, not 0"),
    ("training.lr", 0, "training.lr must be greater than 0, not 0"),
    ("training.lr", -0.1, "training.lr must be greater than 0, not -0.1"),
    ("training.lr", 101, "training.lr must be at most 100, not 101"),
    ("training.lr", "0.1", "training.lr must be a number, not '0.1'"),
    ("training.lr", None, "training.lr must be a number, not None"),
    ("training.lr", float("inf"), "training.lr must be a finite number, not inf"),
    ("training.dropout", -0.1, "training.dropout must be at least 0, not -0.1"),
    ("training.dropout", 1.0, "training.dropout must be less than 1, not 1"),
    ("training.momentum", 1, "training.momentum must be less than 1, not 1"),
    ("training.epochs", 0, "training.epochs must be at least 1, not 0"),
    ("training.epochs", 2_000_000, "training.epochs must be at most 1,000,000, not 2,000,000"),
    ("training.epochs", 10.5, "training.epochs must be a whole number, not 10.5"),
    ("training.batch_size", True, "training.batch_size must be a whole number, not True"),
    ("training.early_stopping", 0, "training.early_stopping must be at least 1, not 0"),
    ("training.seed", -1, "training.seed must be at least 0, not -1"),
    ("training.optimizer", "lbfgs",
     "training.optimizer: unknown value 'lbfgs' (choose from sgd, momentum, nesterov, adagrad, "
     "adadelta, rmsprop, adam, adamw)"),
    ("training.loss", "nll",
     "training.loss: unknown value 'nll' (choose from mse, mae, huber, bce, cce, hinge)"),
    ("training.device", "tpu",
     "training.device: unknown value 'tpu' (choose from auto, cpu, cuda, mps)"),
    ("training.learning_rate", 0.1, None),  # unknown key: checked by prefix below
    ("dataset.name", "flowers", None),
    ("dataset.noise", -0.5, "dataset.noise must be between 0 and 1, not -0.5"),
]


@pytest.mark.parametrize(("path", "value", "message"), INVALID,
                         ids=[f"{p}={v!r}" for p, v, _ in INVALID])
def test_invalid_values_are_refused_with_plain_messages(path, value, message):
    data = _base()
    _set(path, value)(data)
    with pytest.raises(ConfigError) as err:
        RunConfig.from_dict(data)
    if path == "training.learning_rate":
        assert str(err.value).startswith(
            "training: unknown setting 'learning_rate' (allowed: loss, optimizer, lr, momentum,")
    elif path == "dataset.name":
        assert str(err.value).startswith(
            "dataset.name: unknown dataset 'flowers' (choose from circle, xor, gauss, spiral,")
    else:
        assert str(err.value) == message


@pytest.mark.parametrize(("path", "value"), [
    ("training.loss", ["bce"]), ("training.optimizer", {"name": "adam"}), ("dataset.name", 3),
    ("dataset.name", ["xor"]), ("network.init", ["zeros"]), ("network.layers.0.type", ["dense"]),
    ("network.layers.0.activation", ["relu"]), ("dataset.features", [["x1"]]),
    ("dataset.features", "x1"), ("training.device", None),
])
def test_wrong_types_give_a_config_error_not_a_crash(path, value):
    data = _base()
    _set(path, value)(data)
    with pytest.raises(ConfigError):
        RunConfig.from_dict(data)


def test_unknown_top_level_and_section_keys():
    with pytest.raises(ConfigError) as err:
        RunConfig.from_dict({**_base(), "model": {}})
    assert str(err.value) == ("configuration: unknown setting 'model' (allowed: dataset, "
                              "network, training)")
    with pytest.raises(ConfigError) as err:
        RunConfig.from_dict({"dataset": {"nmae": "xor"}})
    assert str(err.value).startswith("dataset: unknown setting 'nmae' (allowed: name, samples,")


@pytest.mark.parametrize(("text", "message"), [
    ('{"training": {"lr": 0.1,}}', "the configuration is not valid JSON: Expecting property name "
                                   "enclosed in double quotes at line 1, column 25"),
    ("", "the configuration is not valid JSON: Expecting value at line 1, column 1"),
    ("[1, 2]", "the configuration must be a JSON object with dataset, network, training"),
    ('{"training": 5}', "training must be a JSON object"),
    ('{"dataset": []}', "dataset must be a JSON object"),
])
def test_bad_json_text_gives_a_plain_message(text, message):
    with pytest.raises(ConfigError) as err:
        RunConfig.from_json(text)
    assert str(err.value) == message


def test_validate_catches_values_changed_after_construction():
    config = RunConfig.from_dict(_base())
    config.training.batch_size = 0
    with pytest.raises(ConfigError) as err:
        config.validate()
    assert str(err.value) == "training.batch_size must be at least 1, not 0"


# ----- architecture key -------------------------------------------------------------------
SAME_NETWORK = [("training.lr", 0.5), ("training.batch_size", 32), ("training.epochs", 99),
                ("training.optimizer", "adam"), ("training.momentum", 0.5),
                ("training.early_stopping", 3), ("training.l2", 0.01)]
NEW_NETWORK = [("network.layers.0.units", 5), ("network.layers.1.activation", "relu"),
               ("network.layers", [dense(4)]), ("network.init", "zeros"),
               ("training.loss", "mse"), ("training.dropout", 0.2), ("training.seed", 1),
               ("dataset.seed", 1), ("dataset.noise", 0.3), ("dataset.features", ["x1"])]


@pytest.mark.parametrize(("path", "value"), SAME_NETWORK)
def test_architecture_key_ignores_hyperparameters(path, value):
    data = _base()
    changed = copy.deepcopy(data)
    _set(path, value)(changed)
    a, b = RunConfig.from_dict(data), RunConfig.from_dict(changed)
    assert a != b
    assert a.architecture_key() == b.architecture_key()


@pytest.mark.parametrize(("path", "value"), NEW_NETWORK)
def test_architecture_key_changes_with_the_network(path, value):
    data = _base()
    changed = copy.deepcopy(data)
    _set(path, value)(changed)
    assert (RunConfig.from_dict(data).architecture_key()
            != RunConfig.from_dict(changed).architecture_key())
