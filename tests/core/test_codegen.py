"""core.codegen: the PyTorch code it writes is executed and must build the engine's model —
same parameter count, layer by layer, and the same outputs once given the same weights; the
Keras code is checked as text (Keras is no dependency) and for valid Python."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
import torch

from core.codegen import NetworkShape, keras_code, pytorch_code, summary
from core.config import RunConfig
from core.models.model_io import read_metadata
from tests.core.helpers import dense, make_config

ASSETS = Path(__file__).resolve().parents[2] / "assets"
MNIST = NetworkShape((1, 28, 28), "classification", 10)


def _asset(name: str) -> RunConfig:
    return RunConfig.from_dict(json.loads((ASSETS / f"{name}.json").read_text()))


def _run(code: str) -> torch.nn.Module:
    namespace: dict = {}
    exec(compile(code, "<generated>", "exec"), namespace)  # noqa: S102 - our own generated code
    return namespace["model"]


def _same_outputs(config: RunConfig, shape: NetworkShape) -> None:
    built = summary(config, shape)
    model = _run(pytorch_code(config, shape))
    ours = list(built.model.state_dict().values())
    theirs = list(model.state_dict().values())
    assert [t.shape for t in theirs] == [t.shape for t in ours]
    assert sum(p.numel() for p in model.parameters()) == built.total_params
    with torch.no_grad():
        for target, source in zip(theirs, ours, strict=True):
            target.copy_(source)
    built.model.eval()
    model.eval()
    x = torch.randn(5, *shape.input_shape, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        assert torch.allclose(model(x), built.model(x), atol=1e-5)


def test_lecture_mlp_has_13002_parameters_in_every_form() -> None:
    config = _asset("mnist_mlp")
    built = summary(config, MNIST)
    assert built.total_params == 13_002
    assert [r.params for r in built.summary] == [0, 12_560, 272, 170]
    _same_outputs(config, MNIST)
    keras = keras_code(config, MNIST)
    ast.parse(keras)
    assert "keras.Input(shape=(28, 28, 1))," in keras
    assert keras.count('layers.Dense(16, activation="relu", kernel_initializer="he_uniform")') == 2
    assert 'layers.Dense(10, activation="softmax"),  # output layer' in keras
    assert 'loss="sparse_categorical_crossentropy"' in keras
    assert "EarlyStopping(patience=5, restore_best_weights=True)" in keras


@pytest.mark.parametrize("name", ["mnist_cnn", "galaxy_cnn"])
def test_shipped_cnns(name: str) -> None:
    meta = read_metadata(ASSETS / f"{name}.safetensors")
    shape = NetworkShape.of_model_file(meta)
    _same_outputs(meta["config"], shape)
    keras = keras_code(meta["config"], shape)
    ast.parse(keras)
    assert "layers.BatchNormalization()," in keras and "layers.Conv2D(" in keras


def test_every_activation_regularisation_and_odd_layers() -> None:
    config = make_config(
        {"name": "spiral", "classes": 3, "features": ["x1", "x2", "sin_x1"]},
        {"layers": [dense(5, "maxout", pieces=3), dense(4, "gaussian"), dense(4, "leaky_relu"),
                    dense(3, "elu"), dense(3, "gelu"), dense(3, "softplus"),
                    dense(3, "linear"), {"type": "batchnorm"}, dense(3, "sigmoid")],
         "init": "normal", "init_std": 0.3},
        {"loss": "hinge", "optimizer": "adamw", "l1": 0.001, "l2": 0.01, "dropout": 0.2})
    shape = NetworkShape((3,), "classification", 3)
    _same_outputs(config, shape)
    code = pytorch_code(config, shape)
    assert "class Maxout(nn.Module):" in code and "class Gaussian(nn.Module):" in code
    assert "nn.MultiMarginLoss()" in code and "torch.optim.AdamW(" in code
    assert "nn.init.normal_(m.weight, 0.0, 0.3)" in code and "0.001 * sum(w.abs()" in code
    keras = keras_code(config, shape)
    ast.parse(keras)
    assert "layers.Dense(15, kernel_initializer=keras.initializers.RandomNormal(stddev=0.3)" \
           in keras  # maxout: 5 units × 3 pieces
    assert "layers.LeakyReLU(negative_slope=0.1)," in keras and "activation=gaussian" in keras
    assert "kernel_regularizer=keras.regularizers.L1L2(l1=0.001, l2=0.01)" in keras
    assert keras.count("layers.Dropout(0.2),") == 8


def test_regression_strided_conv_and_training_loop_runs() -> None:
    config = make_config(
        {"name": "digits"},
        {"layers": [{"type": "conv2d", "filters": 4, "kernel": 3, "stride": 2,
                     "padding": "same", "activation": "tanh"},
                    {"type": "avgpool", "size": 2}, {"type": "flatten"}]},
        {"loss": "cce", "optimizer": "nesterov", "epochs": 2, "batch_size": 4})
    shape = NetworkShape((1, 8, 8), "classification", 10)
    _same_outputs(config, shape)
    namespace: dict = {}
    exec(compile(pytorch_code(config, shape), "<generated>", "exec"), namespace)  # noqa: S102
    x, y = torch.randn(8, 1, 8, 8), torch.arange(8) % 10
    before = namespace["loss_fn"](namespace["model"](x), y).item()
    namespace["train"](x, y, epochs=20)
    assert namespace["loss_fn"](namespace["model"](x), y).item() < before
    regression = make_config({"name": "sin", "features": ["x1"]}, {"layers": [dense(4)]},
                             {"loss": "huber", "optimizer": "rmsprop"})
    reg_shape = NetworkShape((1,), "regression", 0)
    _same_outputs(regression, reg_shape)
    keras = keras_code(regression, reg_shape)
    assert "layers.Dense(1),  # output layer" in keras and "metrics" not in keras
