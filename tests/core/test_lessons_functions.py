"""Lessons 3–5: activation and loss curves, dead ReLUs, convolution arithmetic and the
gradient-flow probe, with exact numbers."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from core.lessons import convolution as cv
from core.lessons import galleries as gal
from core.lessons import gradient_flow as gf

ASSETS = Path(__file__).resolve().parents[2] / "assets"


# ----- activations and losses ------------------------------------------------------------------
def test_activation_derivatives_and_saturated_tails() -> None:
    sig = gal.activation_curve("sigmoid", n=601)
    s = 1 / (1 + np.exp(-sig.x))
    assert np.allclose(sig.dy, s * (1 - s)) and sig.dy.max() == pytest.approx(0.25)
    # |σ′| < 0.05 beyond |x| = ln(σ*/(1−σ*)) with σ* = (1 + √0.8)/2, i.e. 2.887: grid 0.02
    assert gal.saturated_tails(sig) == [(-6.0, pytest.approx(-2.9)), (pytest.approx(2.9), 6.0)]
    relu = gal.activation_curve("relu")
    assert gal.saturated_tails(relu) == [(-6.0, pytest.approx(0.0, abs=1e-9))]
    assert gal.saturated_tails(gal.activation_curve("leaky_relu")) == []
    # a flat spot in the middle (GELU's dip, the Gaussian's peak) is not saturation
    assert len(gal.saturated_tails(gal.activation_curve("gaussian"))) == 2
    assert len(gal.saturated_tails(gal.activation_curve("gelu"))) == 1
    maxout = gal.activation_curve("maxout", lo=-4, hi=4, n=9)  # max(x, −0.5x − 1)
    assert maxout.y.tolist() == [1.0, 0.5, 0.0, -0.5, 0.0, 1.0, 2.0, 3.0, 4.0]
    assert maxout.dy.tolist() == [-0.5, -0.5, -0.5, -0.5, 1.0, 1.0, 1.0, 1.0, 1.0]


def _at(curve: gal.Curve, x: float) -> tuple[float, float]:
    i = int(np.argmin(np.abs(curve.x - x)))
    assert curve.x[i] == pytest.approx(x, abs=1e-9)
    return float(curve.y[i]), float(curve.dy[i])


def test_loss_curves_values_and_gradients() -> None:
    assert _at(gal.loss_curve("mse", 1.0), 3.0) == pytest.approx((4.0, 4.0))
    assert _at(gal.loss_curve("mae", 1.0), 3.0) == pytest.approx((2.0, 1.0))
    assert _at(gal.loss_curve("huber", 0.0), 3.0) == pytest.approx((2.5, 1.0))
    assert _at(gal.loss_curve("huber", 0.0), 0.5) == pytest.approx((0.125, 0.5))
    bce = gal.loss_curve("bce", 1.0, n=999)
    y, dy = _at(bce, 0.5)
    assert (y, dy) == pytest.approx((math.log(2), -2.0))
    cce = gal.loss_curve("cce", 1.0, n=999)
    assert _at(cce, 0.5) == pytest.approx((math.log(2), -2.0))
    assert _at(gal.loss_curve("cce", 0.0, n=999), 0.5)[0] == pytest.approx(math.log(4))
    hinge = gal.loss_curve("hinge", 1.0, n=601)  # ½·max(0, 1 − s) for label 1
    assert _at(hinge, 0.0) == pytest.approx((0.5, -0.5))
    assert _at(hinge, 2.0) == pytest.approx((0.0, 0.0))
    assert _at(gal.loss_curve("hinge", 0.0, n=601), 0.0)[0] == pytest.approx(0.5)
    assert {row[3] for row in gal.LOSS_TABLE} <= set(gal.LOSS_VIEWS)


def test_dead_relu_shares_count_units_silent_on_every_input() -> None:
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 2), nn.ReLU())
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]))
        model[0].bias.copy_(torch.tensor([0.0, 0.0, -100.0]))  # unit 3 never fires
        model[2].weight.fill_(1.0)
        model[2].bias.copy_(torch.tensor([0.0, -1000.0]))
    x = torch.tensor([[1.0, 2.0], [-1.0, 3.0], [2.0, -1.0]])
    shares = gal.dead_relu_shares(model, x)
    assert [(s.layer, s.units, s.dead) for s in shares] == [("ReLU layer 1", 3, 1),
                                                           ("ReLU layer 2", 2, 1)]
    assert shares[0].share == pytest.approx(1 / 3)


def test_a_large_learning_rate_kills_relus() -> None:
    gentle = gal.dead_relu_shares(*gal.train_relu_net(0.1, epochs=1))
    harsh = gal.dead_relu_shares(*gal.train_relu_net(3.0, epochs=1))
    assert sum(s.dead for s in harsh) >= 16 > 2 >= sum(s.dead for s in gentle)


# ----- convolution -----------------------------------------------------------------------------
@pytest.mark.parametrize("n,k,p,s,out", [(28, 3, 1, 1, 28), (28, 5, 0, 1, 24), (28, 3, 1, 2, 14),
                                          (7, 3, 0, 2, 3), (32, 5, 2, 1, 32), (4, 5, 0, 1, 0)])
def test_output_size_formula(n: int, k: int, p: int, s: int, out: int) -> None:
    assert cv.output_size(n, k, p, s) == out
    if out > 0:
        assert cv.convolve(np.zeros((n, n)), np.zeros((k, k)), s, p).shape == (out, out)


@pytest.mark.parametrize("k,s,p", [(3, 1, 1), (5, 2, 0), (2, 3, 2), (1, 1, 0)])
def test_every_pixel_by_hand_equals_conv2d(k: int, s: int, p: int) -> None:
    rng = np.random.default_rng(k * 10 + s)
    image, kernel = rng.random((9, 9)), rng.normal(size=(k, k))
    out = cv.convolve(image, kernel, s, p)
    for r in range(out.shape[0]):
        for c in range(out.shape[1]):
            assert cv.conv_window(image, kernel, s, p, r, c).value == pytest.approx(
                float(out[r, c]), abs=1e-5)
    with pytest.raises(ValueError, match="outside"):
        cv.conv_window(image, kernel, s, p, out.shape[0], 0)


def test_pooling_decks_example_and_by_hand() -> None:
    deck = np.array([[12, 20, 30, 0], [8, 12, 2, 0], [34, 70, 37, 4], [112, 100, 25, 12]])
    assert cv.pool(deck, 2, 2, "max").tolist() == [[20, 30], [112, 37]]
    assert cv.pool(deck, 2, 2, "avg").tolist() == [[13, 8], [79, 19.5]]
    assert cv.pool_window(deck, 2, 2, "avg", 1, 0).value == 79.0
    assert cv.pool_window(deck, 3, 1, "max", 1, 1).value == 100.0
    assert cv.PRESET_KERNELS["blur (Gaussian 5×5)"].sum() == pytest.approx(1.0)


def test_parameter_counts() -> None:
    counts = cv.parameter_counts(28, 28, 1, 16, 3, 1, 1)
    assert counts.conv == 16 * (9 + 1) == 160
    assert counts.dense_same_units == 784 * 16 + 16
    assert counts.conv_outputs == 28 * 28 * 16
    assert counts.dense_same_outputs == (784 + 1) * 12_544 == 9_847_040
    assert cv.parameter_counts(69, 69, 3, 8, 5, 2, 0).conv == 8 * (5 * 5 * 3 + 1)


def test_pictures_and_learned_kernels() -> None:
    pictures = cv.sample_pictures()
    assert pictures and all(p.pixels.min() >= 0 and p.pixels.max() <= 1 for p in pictures)
    kernels = cv.learned_kernels(ASSETS / "mnist_cnn.safetensors")
    assert len(kernels) == 16 and kernels[0].shape == (5, 5)


# ----- gradient flow ---------------------------------------------------------------------------
def _ratio(setup: gf.ProbeSetup) -> float:
    norms = gf.GradientProbe(setup).history[0].grad_norms
    return norms[0] / norms[-1]


def test_sigmoid_vanishes_relu_he_does_not_batchnorm_rescues() -> None:
    assert _ratio(gf.ProbeSetup(depth=10, activation="sigmoid")) < 1e-4
    assert _ratio(gf.ProbeSetup(depth=10, activation="relu", init="He/Kaiming")) > 0.1
    assert _ratio(gf.ProbeSetup(depth=10, activation="sigmoid", batchnorm=True)) > 1e-2
    assert _ratio(gf.ProbeSetup(depth=2, activation="sigmoid")) > 1e3 * _ratio(
        gf.ProbeSetup(depth=10, activation="sigmoid"))


def test_probe_trains_and_records() -> None:
    probe = gf.GradientProbe(gf.ProbeSetup(depth=4, activation="relu", init="He/Kaiming"))
    first = probe.history[0]
    assert probe.layer_names == ["layer 1", "layer 2", "layer 3", "layer 4", "output"]
    assert len(first.grad_norms) == 5 and len(first.act_hists) == 4
    assert all(h.sum() == pytest.approx(1.0) for h in first.act_hists)
    snap = probe.advance(60)
    assert probe.step == 60 and len(probe.history) == 2 and snap.loss < first.loss


def test_too_big_relu_init_explodes() -> None:
    probe = gf.GradientProbe(gf.ProbeSetup(depth=10, activation="relu",
                                           init="too big (normal, std 1.5)"))
    assert probe.history[0].grad_norms[0] > 1e3
    assert not math.isfinite(probe.advance(20).loss)


def test_too_small_init_collapses_activations() -> None:
    snap = gf.GradientProbe(gf.ProbeSetup(depth=10, activation="tanh",
                                          init="too small (normal, std 0.01)")).history[0]
    assert snap.act_std[-1] < 1e-6 and snap.grad_norms[0] < 1e-12
