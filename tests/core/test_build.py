"""build_model: parameter counts, summary rows, shape inference and its plain refusals."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from core.build import MAX_PARAMETERS, build_model, dense_weights
from core.errors import ConfigError
from core.initializers import INITIALIZERS
from core.layers import Maxout
from tests.core.helpers import dense, make_config, tensor_dataset

IMAGE = (1, 8, 8)


def _build(layers: list[dict], dataset, **training):
    config = make_config(network={"layers": layers}, training={"loss": "cce", **training})
    return build_model(config, dataset)


def _check_shapes(built, dataset) -> None:
    """Every block's real output shape is the one the summary promised."""
    x = dataset.x_train
    built.model.train()
    for (name, block), row in zip(built.model.named_children(), built.summary, strict=True):
        assert name == row.name
        x = block(x)
        assert tuple(x.shape) == (len(dataset.x_train), *row.output_shape), row.label
        assert sum(p.numel() for p in block.parameters()) == row.params, row.label


# ----- the lecture's MNIST multilayer perceptron ---------------------------------------------
def test_784_16_16_10_has_13002_parameters():
    data = tensor_dataset((784,), classes=10, n=20)
    built = _build([dense(16, "relu"), dense(16, "relu")], data)

    rows = [(r.name, r.label, r.output_shape, r.params) for r in built.summary]
    assert rows == [
        ("layer1", "Dense (16, relu)", (16,), 784 * 16 + 16),
        ("layer2", "Dense (16, relu)", (16,), 16 * 16 + 16),
        ("output", "Dense (10, softmax) output", (10,), 16 * 10 + 10),
    ]
    assert built.total_params == 13_002
    assert sum(p.numel() for p in built.model.parameters()) == 13_002
    assert built.summary_text().splitlines()[-1] == "Total params: 13,002"
    assert built.head.out_units == 10 and built.head.output_activation == "softmax"
    assert built.model(data.x_train).shape == (10, 10)
    _check_shapes(built, data)


def test_summary_text_lists_every_layer_like_keras():
    built = _build([dense(16, "relu"), dense(16, "relu")], tensor_dataset((784,), classes=10))
    lines = built.summary_text().splitlines()
    assert lines[0].split() == ["Layer", "(type)", "Output", "Shape", "Param", "#"]
    assert lines[2].split() == ["Dense", "(16,", "relu)", "(None,", "16)", "12,560"]
    assert lines[4].split() == ["Dense", "(10,", "softmax)", "output", "(None,", "10)", "170"]


def test_binary_loss_gives_one_sigmoid_output_unit():
    built = build_model(make_config(network={"layers": [dense(3)]}),
                        tensor_dataset((2,), classes=2))
    assert built.summary[-1].label == "Dense (1, sigmoid) output"
    assert built.summary[-1].params == 3 + 1


# ----- every layer type on an 8×8 one-channel image ------------------------------------------
CONV = {"type": "conv2d", "filters": 4, "kernel": 3, "activation": "relu"}
LAYER_CASES = [
    # (layers, expected (label, output shape, params) of the last hidden layer)
    ([{**CONV, "padding": "same"}], ("Conv2D (4, 3×3, relu)", (4, 8, 8), 1 * 4 * 9 + 4)),
    ([{**CONV, "padding": "valid"}], ("Conv2D (4, 3×3, relu)", (4, 6, 6), 40)),
    ([{**CONV, "padding": "same", "stride": 2}], ("Conv2D (4, 3×3, relu)", (4, 4, 4), 40)),
    ([{**CONV, "kernel": 5, "padding": "valid", "stride": 3}],
     ("Conv2D (4, 5×5, relu)", (4, 2, 2), 4 * 25 + 4)),
    ([{**CONV, "padding": "same"}, {**CONV, "filters": 6, "padding": "valid"}],
     ("Conv2D (6, 3×3, relu)", (6, 6, 6), 4 * 6 * 9 + 6)),
    ([{"type": "maxpool", "size": 2}], ("MaxPool (2×2)", (1, 4, 4), 0)),
    ([{"type": "maxpool", "size": 3}], ("MaxPool (3×3)", (1, 2, 2), 0)),
    ([{"type": "avgpool", "size": 3, "stride": 1}], ("AvgPool (3×3)", (1, 6, 6), 0)),
    ([{"type": "avgpool", "size": 2, "stride": 3}], ("AvgPool (2×2)", (1, 3, 3), 0)),
    ([{"type": "flatten"}], ("Flatten", (64,), 0)),
    ([{**CONV, "padding": "same"}, {"type": "batchnorm"}], ("BatchNorm", (4, 8, 8), 2 * 4)),
    ([{"type": "flatten"}, {"type": "batchnorm"}], ("BatchNorm", (64,), 2 * 64)),
    ([{"type": "dropout", "rate": 0.25}], ("Dropout (0.25)", (1, 8, 8), 0)),
    ([{"type": "flatten"}, {"type": "dropout"}], ("Dropout (0.5)", (64,), 0)),
    ([{"type": "flatten"}, dense(7, "elu")], ("Dense (7, elu)", (7,), 64 * 7 + 7)),
]


@pytest.mark.parametrize(("layers", "expected"), LAYER_CASES,
                         ids=[f"{c[1][0]}-{c[1][1]}" for c in LAYER_CASES])
def test_every_layer_type_builds_with_the_right_shape(layers, expected):
    data = tensor_dataset(IMAGE, classes=3)
    index = len(layers) - 1
    if len(expected[1]) == 3:
        layers = [*layers, {"type": "flatten"}]
    built = _build(layers, data)
    row = built.summary[index]
    assert (row.label, row.output_shape, row.params) == expected
    _check_shapes(built, data)
    assert built.model(data.x_train).shape == (4, 3)


def test_a_small_cnn_end_to_end():
    data = tensor_dataset(IMAGE, classes=3, n=10)
    layers = [{**CONV, "filters": 6, "padding": "same"}, {"type": "batchnorm"},
              {"type": "maxpool", "size": 2}, {**CONV, "filters": 8, "padding": "valid"},
              {"type": "avgpool", "size": 2}, {"type": "flatten"}, {"type": "dropout", "rate": 0.2},
              dense(5, "relu")]
    built = _build(layers, data)
    assert [r.output_shape for r in built.summary] == [
        (6, 8, 8), (6, 8, 8), (6, 4, 4), (8, 2, 2), (8, 1, 1), (8,), (8,), (5,), (3,)]
    assert [r.params for r in built.summary] == [60, 12, 0, 6 * 8 * 9 + 8, 0, 0, 0, 45, 18]
    _check_shapes(built, data)


def test_training_dropout_goes_after_every_dense_layer_without_parameters():
    data = tensor_dataset((5,), classes=2)
    plain = _build([dense(4), dense(4)], data, loss="bce")
    dropped = _build([dense(4), dense(4)], data, loss="bce", dropout=0.3)
    assert [r.params for r in dropped.summary] == [r.params for r in plain.summary]
    for name in ("layer1", "layer2"):
        block = getattr(dropped.model, name)
        assert isinstance(block[-1], nn.Dropout) and block[-1].p == 0.3
        assert not any(isinstance(m, nn.Dropout) for m in getattr(plain.model, name))
    assert not any(isinstance(m, nn.Dropout) for m in dropped.model.output)


# ----- impossible stacks ------------------------------------------------------------------
REFUSALS = [
    ([CONV, {"type": "flatten"}, CONV],
     "layer 3 (Conv2D) needs an image, but layer 2 (Flatten) produced a vector of 256 values"),
    ([CONV, dense(8)],
     "layer 2 (Dense) needs a vector, but layer 1 (Conv2D) produced an image of 4×8×8 "
     "(channels×height×width); add a Flatten layer before it"),
    ([dense(8)],
     "layer 1 (Dense) needs a vector, but the input produced an image of 1×8×8 "
     "(channels×height×width); add a Flatten layer before it"),
    ([CONV],
     "the output layer needs a vector, but the last layer produced an image of 4×8×8; "
     "add a Flatten layer at the end"),
    ([{**CONV, "kernel": 9, "padding": "valid"}, {"type": "flatten"}],
     "layer 1 (Conv2D) has a 9×9 kernel that does not fit the 8×8 image that the input produced"),
    ([{"type": "maxpool", "size": 4}, {"type": "maxpool", "size": 4}, {"type": "flatten"}],
     "layer 2 (MaxPool) has a 4×4 window that does not fit the 2×2 image that layer 1 (MaxPool) "
     "produced"),
    ([{"type": "flatten"}, {"type": "avgpool"}],
     "layer 2 (AvgPool) needs an image, but layer 1 (Flatten) produced a vector of 64 values"),
    ([{**CONV, "activation": "maxout"}, {"type": "flatten"}],
     "layer 1 (Conv2D) cannot use maxout: it is available for dense layers only"),
]


@pytest.mark.parametrize(("layers", "message"), REFUSALS)
def test_impossible_stacks_are_refused_in_plain_words(layers, message):
    with pytest.raises(ConfigError) as err:
        _build(layers, tensor_dataset(IMAGE, classes=3))
    assert str(err.value) == message


def test_conv_on_a_vector_dataset_is_refused():
    with pytest.raises(ConfigError) as err:
        _build([CONV, {"type": "flatten"}], tensor_dataset((2,), classes=3))
    assert str(err.value) == ("layer 1 (Conv2D) needs an image, but the input produced a vector "
                              "of 2 values")


def test_parameter_guard_refuses_before_allocating_the_weights(monkeypatch):
    initialised: list[torch.Tensor] = []
    original = nn.init.kaiming_uniform_

    def spy(tensor, *args, **kwargs):  # nn.Linear and nn.Conv2d initialise through this
        initialised.append(tensor)
        return original(tensor, *args, **kwargs)

    monkeypatch.setattr(nn.init, "kaiming_uniform_", spy)
    data = tensor_dataset((784,), classes=10)
    with pytest.raises(ConfigError) as err:
        _build([dense(4096), dense(4096)], data)
    total = (784 + 1) * 4096 + (4096 + 1) * 4096 + (4096 + 1) * 10
    assert total == 20_037_642 > MAX_PARAMETERS
    assert str(err.value) == (
        "the network has 20,037,642 parameters; the playground allows up to 20,000,000 so that "
        "training stays live — use fewer units or filters")
    assert initialised and {t.device.type for t in initialised} == {"meta"}


def test_a_network_under_the_guard_builds():
    built = _build([dense(64), dense(64)], tensor_dataset((784,), classes=10))
    assert built.total_params == (785 * 64) + (65 * 64) + (65 * 10)
    assert all(p.device.type == "cpu" for p in built.model.parameters())


# ----- maxout ------------------------------------------------------------------------------
@pytest.mark.parametrize(("units", "pieces"), [(5, 3), (4, 2), (1, 8)])
def test_maxout_parameters_are_in_plus_one_times_units_times_pieces(units, pieces):
    data = tensor_dataset((6,), classes=2)
    built = _build([dense(units, "maxout", pieces=pieces)], data, loss="bce")
    row = built.summary[0]
    assert row.params == (6 + 1) * units * pieces
    assert row.label == f"Dense ({units}, maxout ×{pieces})"
    maxout = built.model.layer1[0]
    assert isinstance(maxout, Maxout) and len(built.model.layer1) == 1
    out = maxout(data.x_train)
    pieces_out = maxout.linear(data.x_train).view(-1, units, pieces)
    assert torch.equal(out, pieces_out.max(dim=2).values)
    # the diagram shows, per unit and input, the piece weight with the largest magnitude
    (shown, _out_w) = dense_weights(built.model)
    w = maxout.linear.weight.detach().view(units, pieces, 6)
    assert shown.shape == (units, 6)
    for u in range(units):
        for i in range(6):
            assert shown[u, i] == w[u, w[u, :, i].abs().argmax(), i]


def test_dense_weights_lists_every_dense_matrix_in_order():
    built = _build([dense(5), dense(3)], tensor_dataset((4,), classes=3))
    assert [tuple(w.shape) for w in dense_weights(built.model)] == [(5, 4), (3, 5), (3, 3)]


# ----- seeds and initialisers --------------------------------------------------------------
def _weights(seed: int, init: str = "xavier_uniform", init_std: float = 0.1):
    config = make_config(network={"layers": [dense(6), dense(6)], "init": init,
                                  "init_std": init_std},
                         training={"seed": seed, "loss": "cce"})
    return build_model(config, tensor_dataset((3,), classes=3)).model.state_dict()


def test_same_seed_same_initial_weights_and_a_different_seed_different_ones():
    first = _weights(seed=7)
    torch.manual_seed(1234)
    torch.rand(100)  # the global RNG's state in between must not matter
    again = _weights(seed=7)
    other = _weights(seed=8)
    assert first.keys() == again.keys() == other.keys()
    assert all(torch.equal(first[k], again[k]) for k in first)
    weights = [k for k in first if k.endswith("weight")]
    assert all(not torch.equal(first[k], other[k]) for k in weights)


@pytest.mark.parametrize("init", list(INITIALIZERS))
def test_every_initializer(init):
    config = make_config(network={"layers": [dense(16)], "init": init, "init_std": 3.0},
                         training={"loss": "cce"})
    model = build_model(config, tensor_dataset((784,), classes=10)).model
    w = model.layer1[0].weight.detach()
    fan_in, fan_out = 784, 16
    for name, p in model.named_parameters():
        assert torch.isfinite(p).all()
        if name.endswith("bias"):
            assert not p.any(), "biases start at zero"
    if init == "zeros":
        assert not any(p.any() for p in model.parameters())
        return
    if init == "normal":
        assert abs(w.std().item() - 3.0) < 0.1
        assert abs(w.mean().item()) < 0.1
    elif init == "xavier_uniform":
        bound = math.sqrt(6 / (fan_in + fan_out))
        assert w.abs().max() <= bound and w.abs().max() > 0.9 * bound
    elif init == "xavier_normal":
        assert abs(w.std().item() / math.sqrt(2 / (fan_in + fan_out)) - 1) < 0.05
    elif init == "he_uniform":
        bound = math.sqrt(6 / fan_in)
        assert w.abs().max() <= bound and w.abs().max() > 0.9 * bound
    elif init == "he_normal":
        assert abs(w.std().item() / math.sqrt(2 / fan_in) - 1) < 0.05
    else:
        pytest.fail(f"no expectation written for initializer {init}")


def test_normal_initializer_uses_init_std():
    small = _weights(seed=0, init="normal", init_std=0.01)["layer1.0.weight"]
    assert small.abs().max() < 0.01 * 5
    assert 0.003 < small.std().item() < 0.03
