"""Activation registry: one place to add an entry; the UI lists them from here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn


class Gaussian(nn.Module):
    """exp(-x²): a bump instead of a step; torch has no built-in, so this is the one we write."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.exp(-x * x)


@dataclass(frozen=True)
class Activation:
    label: str
    make: Callable[[], nn.Module]
    formula: str


ACTIVATIONS: dict[str, Activation] = {
    "sigmoid": Activation("Sigmoid", nn.Sigmoid, "1 / (1 + e^-x)"),
    "tanh": Activation("Tanh", nn.Tanh, "tanh(x)"),
    "relu": Activation("ReLU", nn.ReLU, "max(0, x)"),
    "leaky_relu": Activation("Leaky ReLU", lambda: nn.LeakyReLU(0.1), "max(0.1·x, x)"),
    "elu": Activation("ELU", nn.ELU, "x if x > 0 else e^x - 1"),
    "gelu": Activation("GELU", nn.GELU, "x · Φ(x)"),
    "softplus": Activation("Softplus", nn.Softplus, "log(1 + e^x)"),
    "linear": Activation("Linear", nn.Identity, "x"),
    "gaussian": Activation("Gaussian", Gaussian, "exp(-x²)"),
    "maxout": Activation("Maxout", nn.Identity, "max over k linear pieces"),
}
"""`maxout` is not an element-wise function: a dense layer with it computes k linear pieces per
unit and keeps the largest (see layers.Maxout); its element-wise part is the identity."""
