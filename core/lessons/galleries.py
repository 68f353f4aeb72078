"""Activation and loss functions as curves with their derivatives, computed by the engine's
own modules and torch.autograd (no hand-written derivative can disagree with training).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from core.activations import ACTIVATIONS
from core.build import build_model
from core.config import RunConfig
from core.data import load_dataset
from core.optimizers import make_optimizer

GALLERY_ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu", "softplus",
                       "gaussian", "maxout")
MAXOUT_PIECES = ((1.0, 0.0), (-0.5, -1.0))
"""The two (slope, intercept) pieces of the 1-D maxout example: max(x, −0.5·x − 1)."""
SATURATION_SLOPE = 0.05
"""Where |f′(x)| falls below this, a gradient passing through is cut twenty-fold or more."""


@dataclass(frozen=True)
class Curve:
    x: np.ndarray
    y: np.ndarray
    dy: np.ndarray  # derivative with respect to x


def activation_curve(name: str, lo: float = -6.0, hi: float = 6.0, n: int = 601) -> Curve:
    """f and f′ on a grid. Maxout is not element-wise: here it is max over MAXOUT_PIECES."""
    x = torch.linspace(lo, hi, n, dtype=torch.float64, requires_grad=True)
    if name == "maxout":
        pieces = torch.stack([a * x + b for a, b in MAXOUT_PIECES])
        y = pieces.amax(dim=0)
    else:
        y = ACTIVATIONS[name].make().double()(x)
    (dy,) = torch.autograd.grad(y.sum(), x)
    return Curve(x.detach().numpy(), y.detach().numpy(), dy.numpy())


def saturated_tails(curve: Curve, slope: float = SATURATION_SLOPE) -> list[tuple[float, float]]:
    """Intervals of x reaching the end of the range where |f′| < slope: the function has gone
    flat for good (saturated; for ReLU's negative side, dead). A flat spot in the middle (a
    peak, GELU's dip) is not saturation: the slope picks up again on both sides."""
    flat = np.abs(curve.dy) < slope
    regions: list[tuple[float, float]] = []
    start = None
    for i, is_flat in enumerate(flat):
        if is_flat and start is None:
            start = i
        if start is not None and (not is_flat or i == len(flat) - 1):
            end = i if is_flat else i - 1
            if start == 0 or end == len(flat) - 1:
                regions.append((float(curve.x[start]), float(curve.x[end])))
            start = None
    return regions


# ----- losses ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class LossView:
    label: str
    x_label: str  # what varies along x
    labels: tuple[float, ...]  # the label values a student can choose
    lo: float
    hi: float
    formula: str  # LaTeX


LOSS_VIEWS: dict[str, LossView] = {
    "mse": LossView("Mean squared error", "prediction ŷ", (0.0, 1.0, 2.0), -3.0, 5.0,
                    r"L = (\hat y - y)^2"),
    "mae": LossView("Mean absolute error", "prediction ŷ", (0.0, 1.0, 2.0), -3.0, 5.0,
                    r"L = |\hat y - y|"),
    "huber": LossView("Huber (δ = 1)", "prediction ŷ", (0.0, 1.0, 2.0), -3.0, 5.0,
                      r"L = \begin{cases}\tfrac12(\hat y-y)^2 & |\hat y-y|\le 1\\"
                      r" |\hat y-y|-\tfrac12 & \text{otherwise}\end{cases}"),
    "bce": LossView("Binary cross-entropy", "predicted probability p of class 1", (0.0, 1.0),
                    0.001, 0.999, r"L = -\left[y\log p + (1-y)\log(1-p)\right]"),
    "cce": LossView("Categorical cross-entropy (3 classes)",
                    "probability p given to class 1 (classes 0 and 2 share the rest)",
                    (0.0, 1.0, 2.0), 0.001, 0.999,
                    r"L = -\sum_k y_k \log p_k = -\log p_{\text{true class}}"),
    "hinge": LossView("Hinge (multi-class margin, 2 classes)",
                      "score s of class 1 (class 0 scores 0)", (0.0, 1.0),
                      -3.0, 3.0, r"L = \tfrac{1}{C}\sum_{k\ne y}\max(0,\,1 - s_y + s_k)"),
}
"""The decks' losses over the quantity each one judges; every value comes from torch."""


def loss_curve(name: str, label: float, n: int = 401) -> Curve:
    """The loss of one example as its prediction sweeps the view's range, with dL/d(that)."""
    view = LOSS_VIEWS[name]
    v = torch.linspace(view.lo, view.hi, n, dtype=torch.float64, requires_grad=True)
    if name in ("mse", "mae", "huber"):
        target = torch.full_like(v, label)
        fn = {"mse": F.mse_loss, "mae": F.l1_loss, "huber": F.huber_loss}[name]
        losses = fn(v, target, reduction="none")
    elif name == "bce":
        losses = F.binary_cross_entropy(v, torch.full_like(v, label), reduction="none")
    elif name == "cce":
        rest = (1 - v) / 2  # class 1 gets p, classes 0 and 2 share 1 − p equally
        probs = torch.stack([rest, v, rest], dim=1)
        losses = F.nll_loss(torch.log(probs), torch.full((n,), int(label)), reduction="none")
    elif name == "hinge":
        scores = torch.stack([torch.zeros_like(v), v], dim=1)
        losses = F.multi_margin_loss(scores, torch.full((n,), int(label)), reduction="none")
    else:
        raise KeyError(name)
    (grad,) = torch.autograd.grad(losses.sum(), v)
    return Curve(v.detach().numpy(), losses.detach().numpy(), grad.numpy())


LOSS_TABLE: tuple[tuple[str, str, str, str], ...] = (
    ("Two classes", "sigmoid", "binary cross-entropy", "bce"),
    ("Several classes, one label each", "softmax", "categorical cross-entropy", "cce"),
    ("Several classes, a margin instead of probabilities", "softmax (for display)",
     "hinge (multi-class margin)", "hinge"),
    ("A real number", "none (linear)", "mean squared error", "mse"),
    ("A real number, robust to outliers", "none (linear)", "mean absolute error or Huber",
     "mae"),
)
"""(problem, last-layer activation, loss, engine name) — the decks' table, as the engine pairs
them (core.losses.make_head picks the output layer from the loss)."""


# ----- dead ReLUs ------------------------------------------------------------------------------
@dataclass(frozen=True)
class DeadShare:
    layer: str
    units: int
    dead: int

    @property
    def share(self) -> float:
        return self.dead / self.units if self.units else 0.0


def dead_relu_shares(model: nn.Module, x: torch.Tensor) -> list[DeadShare]:
    """Per ReLU module: units whose output is 0 for every input in x (they get no gradient,
    so they can never come back). Computed on a copy's forward pass in eval mode."""
    found: list[tuple[str, nn.Module]] = [(name, m) for name, m in model.named_modules()
                                          if isinstance(m, nn.ReLU)]
    outputs: dict[str, torch.Tensor] = {}
    hooks = [m.register_forward_hook(lambda _m, _i, out, name=name: outputs.__setitem__(name, out))
             for name, m in found]
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            model(x)
    finally:
        for h in hooks:
            h.remove()
        model.train(was_training)
    shares = []
    for i, (name, _m) in enumerate(found, start=1):
        out = outputs[name].reshape(len(x), -1) if name in outputs else None
        if out is None:
            continue
        alive = (out > 0).any(dim=0)
        shares.append(DeadShare(f"ReLU layer {i}", int(alive.numel()), int((~alive).sum())))
    return shares


def train_relu_net(lr: float, epochs: int = 20, width: int = 8, depth: int = 4,
                   seed: int = 0) -> tuple[nn.Module, torch.Tensor]:
    """A small ReLU network trained in-process on the circle with plain SGD; returns it and
    its training inputs, for counting dead units when the session has no Playground run."""
    config = RunConfig.from_dict({
        "dataset": {"name": "circle", "noise": 0.1, "seed": seed},
        "network": {"layers": [{"type": "dense", "units": width, "activation": "relu"}] * depth,
                    "init": "he_uniform"},
        "training": {"optimizer": "sgd", "lr": lr, "batch_size": 10, "seed": seed,
                     "device": "cpu"}})
    data = load_dataset(config.dataset)
    built = build_model(config, data)
    model, head = built.model, built.head
    criterion = head.criterion()
    optimizer = make_optimizer(model.parameters(), config.training)
    x, y = data.x_train, head.prepare_targets(data.y_train)
    g = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        order = torch.randperm(len(x), generator=g)
        for start in range(0, len(x), 10):
            idx = order[start:start + 10]
            optimizer.zero_grad()
            loss = criterion(head.outputs_for_loss(model(x[idx])), y[idx])
            if not torch.isfinite(loss):
                return model, x
            loss.backward()
            optimizer.step()
    return model, x
