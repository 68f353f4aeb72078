"""Weight initialisation registry (torch.nn.init); biases always start at zero."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn


@dataclass(frozen=True)
class Initializer:
    label: str
    apply: Callable[[torch.Tensor, float], None]
    uses_std: bool = False


INITIALIZERS: dict[str, Initializer] = {
    "xavier_uniform": Initializer("Xavier/Glorot uniform", lambda w, s: nn.init.xavier_uniform_(w)),
    "xavier_normal": Initializer("Xavier/Glorot normal", lambda w, s: nn.init.xavier_normal_(w)),
    "he_uniform": Initializer(
        "He/Kaiming uniform", lambda w, s: nn.init.kaiming_uniform_(w, nonlinearity="relu")
    ),
    "he_normal": Initializer(
        "He/Kaiming normal", lambda w, s: nn.init.kaiming_normal_(w, nonlinearity="relu")
    ),
    "normal": Initializer("Normal (chosen std)", lambda w, s: nn.init.normal_(w, 0.0, s), True),
    "zeros": Initializer("Zeros (breaks symmetry-breaking)", lambda w, s: nn.init.zeros_(w)),
}


def initialize(model: nn.Module, name: str, std: float) -> None:
    """Re-initialise every Linear/Conv weight of `model`; BatchNorm keeps torch's defaults."""
    init = INITIALIZERS[name]
    for module in model.modules():
        if isinstance(module, nn.Linear | nn.Conv2d):
            with torch.no_grad():
                init.apply(module.weight, std)
                if module.bias is not None:
                    module.bias.zero_()
