"""Every registry entry builds and trains: activations, optimizers, losses, initializers."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from core.activations import ACTIVATIONS
from core.errors import ConfigError
from core.initializers import INITIALIZERS
from core.losses import LOSSES, REGRESSION_LOSSES
from core.optimizers import OPTIMIZERS
from core.train import Job, run_to_end
from tests.core.helpers import dense, make_config

XOR = {"name": "xor", "samples": 80, "seed": 1}


def _one_epoch(dataset: dict, network: dict, training: dict) -> Job:
    """Train one epoch of 4 batches of 10 and check what every run must satisfy."""
    config = make_config(dataset=dataset, network=network,
                         training={"epochs": 1, "batch_size": 10, **training})
    job = run_to_end(config)
    assert job.state == "finished", job.outcome
    assert job.step_count == 4 and len(job.history) == 1
    record = job.history[0]
    assert math.isfinite(record["train_loss"]) and math.isfinite(record["test_loss"])
    assert all(torch.isfinite(v).all() for v in job.model.state_dict().values())
    return job


def _changed(job: Job) -> set[str]:
    now = job.snapshot()["state_dict"]
    return {k for k, v in now.items() if not torch.equal(v, job.initial_state[k])}


# ----- activations --------------------------------------------------------------------------
VALUES = {  # activation: (f(-1), f(0), f(2))
    "sigmoid": (1 / (1 + math.e), 0.5, 1 / (1 + math.exp(-2))),
    "tanh": (math.tanh(-1), 0.0, math.tanh(2)),
    "relu": (0.0, 0.0, 2.0),
    "leaky_relu": (-0.1, 0.0, 2.0),
    "elu": (math.exp(-1) - 1, 0.0, 2.0),
    "gelu": (-0.15865525, 0.0, 1.9544997),
    "softplus": (math.log1p(math.exp(-1)), math.log(2), math.log1p(math.exp(2))),
    "linear": (-1.0, 0.0, 2.0),
    "gaussian": (math.exp(-1), 1.0, math.exp(-4)),
    "maxout": (-1.0, 0.0, 2.0),  # its element-wise part is the identity
}


def test_every_activation_has_expected_values():
    assert set(VALUES) == set(ACTIVATIONS)
    x = torch.tensor([-1.0, 0.0, 2.0])
    for name, expected in VALUES.items():
        got = ACTIVATIONS[name].make()(x)
        assert torch.allclose(got, torch.tensor(expected), atol=1e-6), name


@pytest.mark.parametrize("activation", list(ACTIVATIONS))
def test_every_activation_trains_in_a_dense_layer(activation):
    job = _one_epoch(XOR, {"layers": [dense(4, activation), dense(3, activation)]},
                     {"optimizer": "sgd", "lr": 0.1})
    block = job.model.layer1
    if activation == "maxout":
        assert [type(m).__name__ for m in block] == ["Maxout"]
    elif activation == "linear":
        assert [type(m) for m in block] == [nn.Linear]
    else:
        assert type(block[1]) is type(ACTIVATIONS[activation].make())
    assert {k for k in job.initial_state if k.endswith("weight")} <= _changed(job)


# ----- optimizers ---------------------------------------------------------------------------
OPTIMIZER_CLASSES = {
    "sgd": (torch.optim.SGD, {"momentum": 0, "nesterov": False}),
    "momentum": (torch.optim.SGD, {"momentum": 0.8, "nesterov": False}),
    "nesterov": (torch.optim.SGD, {"momentum": 0.8, "nesterov": True}),
    "adagrad": (torch.optim.Adagrad, {}),
    "adadelta": (torch.optim.Adadelta, {"rho": 0.7}),
    "rmsprop": (torch.optim.RMSprop, {"alpha": 0.7}),
    "adam": (torch.optim.Adam, {"betas": (0.85, 0.99)}),
    "adamw": (torch.optim.AdamW, {"betas": (0.85, 0.99), "weight_decay": 0.05}),
}


@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
def test_every_optimizer_trains_one_epoch(optimizer):
    assert set(OPTIMIZER_CLASSES) == set(OPTIMIZERS)
    knobs = {"momentum": 0.8, "rho": 0.7, "beta1": 0.85, "beta2": 0.99, "weight_decay": 0.05}
    job = _one_epoch(XOR, {"layers": [dense(4)]}, {"optimizer": optimizer, "lr": 0.05, **knobs})
    cls, expected = OPTIMIZER_CLASSES[optimizer]
    assert type(job._optimizer) is cls
    group = job._optimizer.param_groups[0]
    assert group["lr"] == 0.05
    for key, value in expected.items():
        assert group[key] == value, key
    assert set(job.initial_state) == _changed(job)


# ----- losses -------------------------------------------------------------------------------
LOSS_TASKS = [(loss, "xor") for loss in LOSSES] + [
    (loss, name) for name in ("sin", "plane") for loss in REGRESSION_LOSSES]
HEADS = {  # (loss, task) -> (output units, output activation)
    "bce": (1, "sigmoid"), "cce": (2, "softmax"), "hinge": (2, "softmax"),
    "mse": (1, "sigmoid"), "mae": (1, "sigmoid"), "huber": (1, "sigmoid"),
}


@pytest.mark.parametrize(("loss", "name"), LOSS_TASKS)
def test_every_loss_trains_on_a_task_it_fits(loss, name):
    features = ["x1"] if name == "sin" else ["x1", "x2"]
    dataset = {"name": name, "samples": 80, "seed": 1, "features": features}
    job = _one_epoch(dataset, {"layers": [dense(5)]}, {"loss": loss, "optimizer": "adam",
                                                         "lr": 0.01})
    record = job.history[0]
    if name == "xor":
        assert (job.head.out_units, job.head.output_activation) == HEADS[loss]
        assert 0.0 <= record["test_accuracy"] <= 1.0
    else:
        assert (job.head.out_units, job.head.output_activation) == (1, "linear")
        assert "test_accuracy" not in record and "train_accuracy" not in record
    assert set(job.initial_state) == _changed(job)


def test_mse_on_three_classes_compares_softmax_probabilities():
    job = _one_epoch({"name": "gauss", "samples": 80, "classes": 3}, {"layers": [dense(4)]},
                     {"loss": "mse", "optimizer": "adam", "lr": 0.01})
    assert (job.head.out_units, job.head.output_activation) == (3, "softmax")
    assert job._y_train.shape == (40, 3)  # one-hot targets


@pytest.mark.parametrize(("dataset", "loss", "message"), [
    ({"name": "gauss", "classes": 3}, "bce",
     "training.loss: binary cross-entropy needs 2 classes, but this dataset has 3; use "
     "categorical cross-entropy (cce)"),
    ({"name": "spiral", "classes": 5}, "bce",
     "training.loss: binary cross-entropy needs 2 classes, but this dataset has 5; use "
     "categorical cross-entropy (cce)"),
    ({"name": "sin", "features": ["x1"]}, "cce",
     "training.loss: 'cce' is a classification loss, but this dataset is a regression task; use "
     "mse, mae or huber"),
    ({"name": "plane"}, "bce",
     "training.loss: 'bce' is a classification loss, but this dataset is a regression task; use "
     "mse, mae or huber"),
    ({"name": "bumps"}, "hinge",
     "training.loss: 'hinge' is a classification loss, but this dataset is a regression task; "
     "use mse, mae or huber"),
])
def test_a_loss_that_does_not_fit_the_task_is_refused(dataset, loss, message):
    config = make_config(dataset={"samples": 40, **dataset}, training={"loss": loss})
    with pytest.raises(ConfigError) as err:
        Job(config)
    assert str(err.value) == message


# ----- initializers -------------------------------------------------------------------------
@pytest.mark.parametrize("init", list(INITIALIZERS))
def test_every_initializer_trains_one_epoch(init):
    job = _one_epoch(XOR, {"layers": [dense(4), dense(4)], "init": init, "init_std": 0.5},
                     {"optimizer": "sgd", "lr": 0.1})
    changed = _changed(job)
    if init == "zeros":
        # all-zero weights with tanh: every hidden output is 0, so every weight gradient is 0;
        # only the output bias learns (the symmetry is never broken)
        assert changed == {"output.0.bias"}
        assert not any(v.any() for k, v in job.model.state_dict().items() if k != "output.0.bias")
    else:
        assert changed == set(job.initial_state)
