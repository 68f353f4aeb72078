"""grid_view: output, neuron and input arrays over the 2-D (or 1-D) grid, hooks cleaned up."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from core.build import build_model
from core.data import DOMAIN, load_dataset
from core.inspection import grid_view, make_grid, predict
from tests.core.helpers import dense, make_config

HIDDEN = [dense(5, "tanh"), dense(3, "relu")]


def _built(dataset: dict, loss: str, layers=HIDDEN, **training):
    config = make_config({"samples": 40, **dataset}, {"layers": layers},
                         {"loss": loss, **training})
    data = load_dataset(config.dataset)
    return build_model(config, data), data


def _no_hooks(model) -> bool:
    return all(not m._forward_hooks for m in model.modules())


def _grid_inputs(data, resolution=50) -> torch.Tensor:
    return data.featurize(make_grid(data.raw_dims, resolution).raw)


def test_binary_classification_grid():
    built, data = _built({"name": "circle", "features": ["x1", "x2", "x1x2"]}, "bce")
    view = grid_view(built.model, built.head, data)
    assert view.output.shape == (50, 50)
    assert view.output.min() >= 0 and view.output.max() <= 1
    expected = torch.sigmoid(built.model.eval()(_grid_inputs(data)))[:, 0].detach()
    assert np.allclose(view.output, expected.numpy().reshape(50, 50), atol=1e-6)
    assert [n.shape for n in view.neurons] == [(5, 50, 50), (3, 50, 50)]
    assert view.inputs.shape == (3, 50, 50)
    assert _no_hooks(built.model)


def test_grid_layout_is_rows_of_y_and_columns_of_x():
    built, data = _built({"name": "circle", "features": ["x1", "x2", "x1x2"]}, "bce")
    view = grid_view(built.model, built.head, data, resolution=11)
    xs = np.linspace(*DOMAIN, 11, dtype=np.float32)
    assert np.array_equal(view.grid.xs, xs) and np.array_equal(view.grid.ys, xs)
    x1, x2, x1x2 = view.inputs
    assert np.array_equal(x1[3], xs) and np.array_equal(x2[:, 7], xs)
    assert np.allclose(x1x2, np.outer(xs, xs))
    # the first hidden layer's neurons are tanh(W·inputs + b), point by point
    layer1 = built.model.layer1[0]
    flat = torch.from_numpy(view.inputs.reshape(3, -1).T.copy())
    first = torch.tanh(layer1(flat)).detach().numpy().T.reshape(5, 11, 11)
    assert np.allclose(view.neurons[0], first, atol=1e-6)


def test_multiclass_grid_sums_to_one():
    built, data = _built({"name": "gauss", "classes": 4}, "cce")
    view = grid_view(built.model, built.head, data)
    assert view.output.shape == (50, 50, 4)
    assert np.allclose(view.output.sum(axis=-1), 1.0, atol=1e-5)
    assert (view.output >= 0).all()
    assert view.inputs.shape == (2, 50, 50)


def test_regression_grid_on_the_plane():
    built, data = _built({"name": "plane"}, "mse")
    view = grid_view(built.model, built.head, data, resolution=30)
    assert view.output.shape == (30, 30)
    expected = built.model.eval()(_grid_inputs(data, 30))[:, 0].detach().numpy()
    assert np.allclose(view.output, expected.reshape(30, 30), atol=1e-6)
    assert [n.shape for n in view.neurons] == [(5, 30, 30), (3, 30, 30)]


def test_one_dimensional_curve():
    built, data = _built({"name": "sin", "features": ["x1", "x1^2"]}, "huber")
    view = grid_view(built.model, built.head, data)
    assert view.grid.shape == (50,) and len(view.grid.ys) == 0
    assert view.output.shape == (50,)
    assert [n.shape for n in view.neurons] == [(5, 50), (3, 50)]
    assert view.inputs.shape == (2, 50)
    assert np.allclose(view.inputs[1], view.grid.xs ** 2)


def test_one_neuron_array_per_hidden_dense_layer():
    layers = [dense(6), dense(4, "maxout", pieces=3), dense(2, "sigmoid")]
    built, data = _built({"name": "xor"}, "bce", layers=layers)
    view = grid_view(built.model, built.head, data, resolution=8)
    assert [n.shape for n in view.neurons] == [(6, 8, 8), (4, 8, 8), (2, 8, 8)]
    assert view.neurons[2].min() >= 0 and view.neurons[2].max() <= 1
    assert grid_view(built.model, built.head, data, hidden=False).neurons == []


@pytest.mark.parametrize("training_mode", [True, False])
def test_eval_mode_for_the_grid_and_the_mode_is_put_back(training_mode):
    layers = [dense(6), {"type": "batchnorm"}, {"type": "dropout", "rate": 0.5}, dense(3)]
    built, data = _built({"name": "moons"}, "bce", layers=layers, dropout=0.5)
    model = built.model.train(training_mode)
    first = grid_view(model, built.head, data, resolution=10)
    second = grid_view(model, built.head, data, resolution=10)
    assert np.array_equal(first.output, second.output)  # no dropout noise
    assert model.training is training_mode
    assert all(m.training is training_mode for m in model.modules())
    assert _no_hooks(model)


def test_hooks_are_removed_even_when_the_forward_pass_fails():
    built, data = _built({"name": "xor"}, "bce")
    data.featurize = lambda raw: torch.zeros(len(raw), 7)  # wrong width: the model fails
    with pytest.raises(RuntimeError):
        grid_view(built.model, built.head, data)
    assert _no_hooks(built.model)


def test_predict_gives_probabilities_in_eval_mode():
    built, data = _built({"name": "gauss", "classes": 3}, "cce")
    built.model.train()
    p = predict(built.model, built.head, data.x_test)
    assert p.shape == (20, 3) and torch.allclose(p.sum(dim=1), torch.ones(20))
    assert built.model.training


def test_grad_cam_looks_past_a_global_pooling_layer_to_the_last_real_map():
    from core.inspection import grad_cam
    from tests.core.helpers import tensor_dataset

    config = make_config(dataset={"name": "xor"},
                         network={"layers": [{"type": "conv2d", "filters": 6, "kernel": 3},
                                             {"type": "avgpool", "size": 8},
                                             {"type": "flatten"}]},
                         training={"loss": "cce", "seed": 2})
    model = build_model(config, tensor_dataset((1, 8, 8), classes=3, n=4)).model.eval()
    image = torch.zeros(1, 8, 8)
    image[0, 1:3, 5:7] = 1.0  # light in one corner only
    cam = grad_cam(model, image, target=0)
    assert cam is not None and cam.shape == (8, 8)
    assert cam.min() >= 0.0 and cam.max() <= 1.0
    assert cam.max() - cam.min() > 0.1  # a map with a "where", not the 1×1 pool's constant
    dense = build_model(make_config(dataset={"name": "xor"},
                                    network={"layers": [{"type": "flatten"},
                                                        {"type": "dense", "units": 4}]},
                                    training={"loss": "cce"}),
                        tensor_dataset((1, 8, 8), classes=3, n=4)).model
    assert grad_cam(dense, image, target=0) is None
