"""Lessons 1–2: the perceptron rule and backpropagation by hand, number by number; every
gradient is checked against torch.autograd and the SGD step against torch.optim.SGD."""

from __future__ import annotations

import math

import pytest
import torch

from core.lessons import perceptron as pc
from core.lessons.backprop import AddMultiplyGraph, NeuronPass, TinyNet, TinyNetPass


# ----- perceptron ------------------------------------------------------------------------------
def test_rule_learns_and_and_or_in_known_epochs() -> None:
    run = pc.learn("AND", lr=0.5)
    assert run.converged_epoch == 6 and len(run.steps) == 24
    last = run.steps[-1]
    assert last.w_after == (1.0, 0.5) and last.b_after == -1.0
    assert pc.accuracy("AND", last.w_after, last.b_after) == 1.0
    assert run.mistakes_per_epoch()[-1] == 0
    run = pc.learn("OR", lr=0.5)
    assert run.converged_epoch == 4
    assert pc.accuracy("OR", run.steps[-1].w_after, run.steps[-1].b_after) == 1.0


def test_first_steps_follow_the_rule() -> None:
    s = pc.learn("AND", lr=0.5).steps
    # corner (0,0), target 0: z = 0, step(0) = 0, right: nothing changes
    assert (s[0].z, s[0].prediction, s[0].error, s[0].w_after, s[0].b_after) == \
        (0.0, 0.0, 0.0, (0.0, 0.0), 0.0)
    # corner (1,1), target 1 predicted 0: w += 0.5·1·(1,1), b += 0.5
    assert (s[3].x, s[3].error, s[3].w_after, s[3].b_after) == ((1.0, 1.0), 1.0, (0.5, 0.5), 0.5)


def test_xor_is_never_learned_and_no_line_separates_it() -> None:
    run = pc.learn("XOR", lr=0.5, max_epochs=20)
    assert run.converged_epoch is None and len(run.steps) == 80
    assert min(run.mistakes_per_epoch()) > 0
    assert pc.best_single_line_accuracy("XOR") == 0.75
    assert pc.best_single_line_accuracy("AND") == pc.best_single_line_accuracy("OR") == 1.0


def test_sigmoid_rule_and_hidden_layer_xor() -> None:
    run = pc.learn("OR", lr=1.0, activation="sigmoid", max_epochs=60)
    assert run.converged_epoch is not None
    assert pc.predict((0.0, 0.0), 0.0, (1.0, 1.0), "sigmoid") == 0.5
    for x, target in zip(pc.CORNERS, pc.GATES["XOR"], strict=True):
        assert pc.xor_network(x)[1] == target
    grid = pc.output_grid((1.0, 1.0), -1.5, "step", n=5)  # points −0.5 … 1.5
    assert grid.shape == (5, 5) and grid[4, 4] == 1.0 and grid[0, 0] == 0.0
    assert pc.decision_line((0.0, 0.0), 1.0) is None
    xs, ys = pc.decision_line((1.0, 1.0), -1.0)
    assert all(math.isclose(x + y, 1.0) for x, y in zip(xs, ys, strict=True))


# ----- backpropagation -------------------------------------------------------------------------
def test_decks_graph_numbers() -> None:
    g = AddMultiplyGraph(-2.0, 5.0, -4.0)
    assert (g.q, g.f) == (3.0, -12.0)
    assert g.gradients() == {"f": 1.0, "z": 3.0, "q": -4.0, "x": -4.0, "y": -4.0}
    assert [s.node for s in g.backward_steps()] == ["f", "z", "q", "x", "y"]
    assert g.backward_steps()[3].rule == "∂f/∂x = ∂f/∂q · ∂q/∂x = -4 · 1 = -4"


@pytest.mark.parametrize("values", [(-2.0, 5.0, -4.0), (0.3, -1.7, 2.5), (4.0, 4.0, 0.0)])
def test_graph_matches_autograd(values: tuple[float, float, float]) -> None:
    x, y, z = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in values)
    f = (x + y) * z
    f.backward()
    g = AddMultiplyGraph(*values)
    assert g.f == pytest.approx(f.item())
    assert [g.gradients()[n] for n in "xyz"] == pytest.approx([x.grad, y.grad, z.grad])


def test_neuron_matches_autograd() -> None:
    n = NeuronPass((1.0, -0.5), (0.8, 0.4), -0.2, 1.0)
    x = torch.tensor([1.0, -0.5], dtype=torch.float64)
    w = torch.tensor([0.8, 0.4], dtype=torch.float64, requires_grad=True)
    b = torch.tensor(-0.2, dtype=torch.float64, requires_grad=True)
    a = torch.sigmoid(w @ x + b)
    loss = (a - 1.0) ** 2
    loss.backward()
    assert (n.z, n.a, n.loss) == pytest.approx((0.4, a.item(), loss.item()))
    assert n.grad_w() == pytest.approx(w.grad.tolist(), rel=1e-12)
    assert n.grad_b == pytest.approx(b.grad.item(), rel=1e-12)
    assert n.da_dz == pytest.approx(n.a * (1 - n.a)) and n.da_dz <= 0.25


@pytest.mark.parametrize("seed,x,y,lr", [(3, (0.5, -1.0), 1.0, 1.0), (0, (2.0, 1.0), 0.0, 0.5),
                                         (7, (-1.0, 0.25), 1.0, 30.0)])
def test_tiny_net_gradients_and_sgd_step_match_torch(seed: int, x: tuple[float, float],
                                                     y: float, lr: float) -> None:
    net = TinyNet.random(seed)
    by_hand = TinyNetPass(net, x, y)
    model = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Sigmoid(),
                                torch.nn.Linear(2, 1), torch.nn.Sigmoid()).double()
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor(net.W1, dtype=torch.float64))
        model[0].bias.copy_(torch.tensor(net.b1, dtype=torch.float64))
        model[2].weight.copy_(torch.tensor([net.W2], dtype=torch.float64))
        model[2].bias.copy_(torch.tensor([net.b2], dtype=torch.float64))
    xt = torch.tensor([x], dtype=torch.float64)
    hidden = model[1](model[0](xt))
    loss = ((model(xt) - y) ** 2).sum()
    loss.backward()
    assert by_hand.loss == pytest.approx(loss.item(), rel=1e-12)
    assert by_hand.h == pytest.approx(hidden[0].tolist(), rel=1e-12)
    grads = by_hand.gradients()
    torch_grads = {"w1_11": model[0].weight.grad[0, 0], "w1_12": model[0].weight.grad[0, 1],
                   "w1_21": model[0].weight.grad[1, 0], "w1_22": model[0].weight.grad[1, 1],
                   "b1_1": model[0].bias.grad[0], "b1_2": model[0].bias.grad[1],
                   "w2_1": model[2].weight.grad[0, 0], "w2_2": model[2].weight.grad[0, 1],
                   "b2": model[2].bias.grad[0]}
    for name, value in torch_grads.items():
        assert grads[name] == pytest.approx(value.item(), rel=1e-10, abs=1e-15), name
    torch.optim.SGD(model.parameters(), lr=lr).step()
    after = TinyNetPass(by_hand.sgd_update(lr), x, y)
    with torch.no_grad():
        assert after.loss == pytest.approx(((model(xt) - y) ** 2).item(), rel=1e-10)


def test_small_step_lowers_the_loss_and_a_huge_one_may_not() -> None:
    p = TinyNetPass(TinyNet.random(3), (0.5, -1.0), 1.0)
    assert TinyNetPass(p.sgd_update(1.0), p.x, p.y).loss < p.loss
    assert TinyNet.random(3).parameters() == TinyNet.random(3).parameters()
