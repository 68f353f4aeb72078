"""Optimizer registry: the real torch.optim classes, each with the knobs that matter to it.

One entry per optimizer: its settings function both builds it and, on a paused job, updates the
param groups in place, so the two can never disagree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch

if TYPE_CHECKING:
    from core.config import TrainingConfig


@dataclass(frozen=True)
class Optimizer:
    label: str
    cls: type[torch.optim.Optimizer]
    settings: Callable[[TrainingConfig], dict[str, object]]
    """The torch keyword arguments (param-group keys) a config gives this optimizer."""
    knobs: tuple[str, ...] = ()
    """TrainingConfig fields it reads besides `lr` (the UI shows only these)."""

    def make(self, params: Iterable[torch.nn.Parameter],
             training: TrainingConfig) -> torch.optim.Optimizer:
        return self.cls(params, **self.settings(training))


OPTIMIZERS: dict[str, Optimizer] = {
    "sgd": Optimizer("SGD", torch.optim.SGD, lambda t: {"lr": t.lr}),
    "momentum": Optimizer("SGD + momentum", torch.optim.SGD,
                          lambda t: {"lr": t.lr, "momentum": t.momentum}, ("momentum",)),
    "nesterov": Optimizer("Nesterov", torch.optim.SGD,
                          lambda t: {"lr": t.lr, "momentum": t.momentum, "nesterov": True},
                          ("momentum",)),
    "adagrad": Optimizer("AdaGrad", torch.optim.Adagrad, lambda t: {"lr": t.lr}),
    "adadelta": Optimizer("Adadelta", torch.optim.Adadelta,
                          lambda t: {"lr": t.lr, "rho": t.rho}, ("rho",)),
    "rmsprop": Optimizer("RMSProp", torch.optim.RMSprop,
                         lambda t: {"lr": t.lr, "alpha": t.rho}, ("rho",)),
    "adam": Optimizer("Adam", torch.optim.Adam,
                      lambda t: {"lr": t.lr, "betas": (t.beta1, t.beta2)}, ("beta1", "beta2")),
    "adamw": Optimizer("AdamW", torch.optim.AdamW,
                       lambda t: {"lr": t.lr, "betas": (t.beta1, t.beta2),
                                  "weight_decay": t.weight_decay},
                       ("beta1", "beta2", "weight_decay")),
}


def make_optimizer(params: Iterable[torch.nn.Parameter],
                   training: TrainingConfig) -> torch.optim.Optimizer:
    return OPTIMIZERS[training.optimizer].make(params, training)


def update_hyperparameters(optimizer: torch.optim.Optimizer, training: TrainingConfig) -> None:
    """Apply new knob values in place, keeping the optimizer's state (momentum buffers etc.)."""
    values = OPTIMIZERS[training.optimizer].settings(training)
    for group in optimizer.param_groups:
        group.update(values)
