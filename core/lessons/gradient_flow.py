"""Vanishing and exploding gradients, measured: a deep narrow network trained a few steps at a
time, recording each layer's gradient norm and activation histogram as it goes.

The network is built by the engine (core.build) from a RunConfig, so the activations,
initialisers and batch norm are exactly the Playground's.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from core.build import build_model
from core.config import RunConfig
from core.data import load_dataset
from core.optimizers import make_optimizer

INITS: dict[str, tuple[str, float]] = {
    "too small (normal, std 0.01)": ("normal", 0.01),
    "Xavier/Glorot": ("xavier_normal", 0.1),
    "He/Kaiming": ("he_normal", 0.1),
    "too big (normal, std 1.5)": ("normal", 1.5),
}
HIST_BINS = np.linspace(-1.5, 1.5, 31)
"""Activation histogram bins; values outside land in the end bins (ReLU can exceed 1.5)."""


@contextmanager
def _flush_denormals() -> Iterator[None]:
    """Gradients of 1e-40 (a vanished gradient) are subnormal floats, which CPUs handle far
    more slowly; flushing them to zero changes nothing visible. The flag is per thread."""
    torch.set_flush_denormal(True)
    try:
        yield
    finally:
        torch.set_flush_denormal(False)


@dataclass(frozen=True)
class ProbeSetup:
    depth: int = 10
    width: int = 8
    activation: str = "sigmoid"
    init: str = "Xavier/Glorot"
    batchnorm: bool = False
    lr: float = 0.1
    seed: int = 0

    def config(self) -> RunConfig:
        layers: list[dict] = []
        for _ in range(self.depth):
            layers.append({"type": "dense", "units": self.width, "activation": self.activation})
            if self.batchnorm:
                layers.append({"type": "batchnorm"})
        init, std = INITS[self.init]
        return RunConfig.from_dict({
            "dataset": {"name": "circle", "samples": 400, "noise": 0.1, "seed": self.seed},
            "network": {"layers": layers, "init": init, "init_std": std},
            "training": {"loss": "bce", "optimizer": "sgd", "lr": self.lr, "batch_size": 50,
                         "seed": self.seed, "device": "cpu"},
        })


@dataclass
class Snapshot:
    step: int
    loss: float
    accuracy: float
    grad_norms: list[float]  # ‖∂L/∂W‖ of each hidden dense layer, first to last, then output
    act_hists: list[np.ndarray]  # share of a batch's activations per HIST_BINS bin, per layer
    act_std: list[float]


@dataclass
class GradientProbe:
    """Holds the network and its optimizer; `advance(n)` takes n SGD steps and records one
    Snapshot after them, so a page can show the run growing a few steps per refresh."""

    setup: ProbeSetup
    history: list[Snapshot] = field(default_factory=list)

    def __post_init__(self) -> None:
        config = self.setup.config()
        self.dataset = load_dataset(config.dataset)
        built = build_model(config, self.dataset)
        self.model: nn.Sequential = built.model
        self.head = built.head
        self.criterion = self.head.criterion()
        self.optimizer = make_optimizer(self.model.parameters(), config.training)
        self.x = self.dataset.x_train
        self.y = self.head.prepare_targets(self.dataset.y_train)
        self.generator = torch.Generator().manual_seed(self.setup.seed)
        self.step = 0
        self.batch_size = config.training.batch_size
        self.linears = [m for m in self.model.modules() if isinstance(m, nn.Linear)]
        self.activations = [block[1] if len(block) > 1 else block[0]
                            for name, block in self.model.named_children()
                            if name != "output" and isinstance(block[0], nn.Linear)]
        self.history.append(self._measure())

    def _loss(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.criterion(self.head.outputs_for_loss(self.model(x)), y)

    def advance(self, steps: int) -> Snapshot:
        self.model.train()
        with _flush_denormals():
            for _ in range(steps):
                self._step()
        snap = self._measure()
        self.history.append(snap)
        return snap

    def _step(self) -> None:
        idx = torch.randint(len(self.x), (self.batch_size,), generator=self.generator)
        self.optimizer.zero_grad()
        self._loss(self.x[idx], self.y[idx]).backward()
        self.optimizer.step()
        self.step += 1

    def _measure(self) -> Snapshot:
        """Gradient norms on the whole training set and activations, in training mode (batch
        norm uses the batch's statistics, as it does while learning); no weight changes."""
        captured: list[torch.Tensor] = []
        hooks = [m.register_forward_hook(lambda _m, _i, out: captured.append(out.detach()))
                 for m in self.activations]
        self.model.zero_grad()
        try:
            with _flush_denormals():
                logits = self.model(self.x)
                loss = self.criterion(self.head.outputs_for_loss(logits), self.y)
                loss.backward()
        finally:
            for h in hooks:
                h.remove()
        norms = [float(m.weight.grad.norm()) for m in self.linears]
        self.model.zero_grad()
        hists, stds = [], []
        for out in captured:
            values = out.numpy().ravel().clip(HIST_BINS[0], HIST_BINS[-1])
            counts, _ = np.histogram(values, bins=HIST_BINS)
            hists.append(counts / max(len(values), 1))
            stds.append(float(out.std()))
        with torch.no_grad():
            acc = float((self.head.predicted_class(logits) ==
                         self.dataset.y_train.to(torch.long)).float().mean())
        return Snapshot(self.step, loss.item(), acc, norms, hists, stds)

    @property
    def layer_names(self) -> list[str]:
        return [f"layer {i}" for i in range(1, len(self.linears))] + ["output"]
