"""Optimizer registry: the real torch.optim classes, each with the knobs that matter to it."""

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
    make: Callable[[Iterable[torch.nn.Parameter], TrainingConfig], torch.optim.Optimizer]
    knobs: tuple[str, ...]
    """TrainingConfig fields it reads besides `lr` (the UI shows only these)."""


OPTIMIZERS: dict[str, Optimizer] = {
    "sgd": Optimizer("SGD", lambda p, t: torch.optim.SGD(p, lr=t.lr), ()),
    "momentum": Optimizer(
        "SGD + momentum", lambda p, t: torch.optim.SGD(p, lr=t.lr, momentum=t.momentum),
        ("momentum",),
    ),
    "nesterov": Optimizer(
        "Nesterov",
        lambda p, t: torch.optim.SGD(p, lr=t.lr, momentum=t.momentum, nesterov=True),
        ("momentum",),
    ),
    "adagrad": Optimizer("AdaGrad", lambda p, t: torch.optim.Adagrad(p, lr=t.lr), ()),
    "adadelta": Optimizer(
        "Adadelta", lambda p, t: torch.optim.Adadelta(p, lr=t.lr, rho=t.rho), ("rho",)
    ),
    "rmsprop": Optimizer(
        "RMSProp", lambda p, t: torch.optim.RMSprop(p, lr=t.lr, alpha=t.rho), ("rho",)
    ),
    "adam": Optimizer(
        "Adam", lambda p, t: torch.optim.Adam(p, lr=t.lr, betas=(t.beta1, t.beta2)),
        ("beta1", "beta2"),
    ),
    "adamw": Optimizer(
        "AdamW",
        lambda p, t: torch.optim.AdamW(
            p, lr=t.lr, betas=(t.beta1, t.beta2), weight_decay=t.weight_decay
        ),
        ("beta1", "beta2", "weight_decay"),
    ),
}

# torch's param-group keys for each knob, so a paused job can change them without losing state.
GROUP_KEYS: dict[str, Callable[[TrainingConfig], dict[str, object]]] = {
    "sgd": lambda t: {"lr": t.lr},
    "momentum": lambda t: {"lr": t.lr, "momentum": t.momentum},
    "nesterov": lambda t: {"lr": t.lr, "momentum": t.momentum},
    "adagrad": lambda t: {"lr": t.lr},
    "adadelta": lambda t: {"lr": t.lr, "rho": t.rho},
    "rmsprop": lambda t: {"lr": t.lr, "alpha": t.rho},
    "adam": lambda t: {"lr": t.lr, "betas": (t.beta1, t.beta2)},
    "adamw": lambda t: {"lr": t.lr, "betas": (t.beta1, t.beta2), "weight_decay": t.weight_decay},
}


def make_optimizer(params: Iterable[torch.nn.Parameter], training: TrainingConfig):
    return OPTIMIZERS[training.optimizer].make(params, training)


def update_hyperparameters(optimizer: torch.optim.Optimizer, training: TrainingConfig) -> None:
    """Apply new knob values in place, keeping the optimizer's state (momentum buffers etc.)."""
    values = GROUP_KEYS[training.optimizer](training)
    for group in optimizer.param_groups:
        group.update(values)
