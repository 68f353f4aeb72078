"""Look inside a model: decision-boundary grids and what every hidden neuron computes.

Pure functions of (model, head, dataset) returning NumPy arrays, so charts draw them and tests
check them without a browser.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from core.data import DOMAIN, Dataset
from core.losses import Head


@dataclass
class Grid:
    xs: np.ndarray  # (nx,)
    ys: np.ndarray  # (ny,) — empty for 1-D data
    raw: torch.Tensor  # (ny*nx, dims) raw coordinates, row-major over (y, x)

    @property
    def shape(self) -> tuple[int, ...]:
        return (len(self.ys), len(self.xs)) if len(self.ys) else (len(self.xs),)


def make_grid(raw_dims: int, resolution: int = 50, domain: tuple[float, float] = DOMAIN) -> Grid:
    xs = np.linspace(domain[0], domain[1], resolution, dtype=np.float32)
    if raw_dims == 1:
        return Grid(xs, np.zeros(0, np.float32), torch.from_numpy(xs[:, None].copy()))
    gx, gy = np.meshgrid(xs, xs)
    raw = torch.from_numpy(np.stack([gx.ravel(), gy.ravel()], axis=1))
    return Grid(xs, xs.copy(), raw)


@dataclass
class GridView:
    """Everything the Playground draws for one frame, on one grid."""

    grid: Grid
    output: np.ndarray
    """binary: P(class 1) (ny, nx); multiclass: (ny, nx, k); regression: values (grid shape)."""
    neurons: list[np.ndarray]
    """Per hidden layer, (units, *grid shape) outputs of each neuron after its activation."""
    inputs: np.ndarray
    """(features, *grid shape): the value of each input feature over the grid."""


@torch.no_grad()
def grid_view(model: nn.Sequential, head: Head, dataset: Dataset, resolution: int = 50,
              hidden: bool = True) -> GridView:
    """One forward pass over the grid, collecting each block's output with forward hooks."""
    grid = make_grid(dataset.raw_dims, resolution)
    device = next(model.parameters()).device
    x = dataset.featurize(grid.raw).to(device)
    captured: list[torch.Tensor] = []
    hooks = []
    if hidden:
        for name, block in model.named_children():
            if name != "output":
                hooks.append(block.register_forward_hook(
                    lambda _m, _i, out: captured.append(out.detach())))
    was_training = model.training
    model.eval()
    try:
        logits = model(x)
    finally:
        model.train(was_training)
        for h in hooks:
            h.remove()
    shape = grid.shape
    if head.task == "regression":
        output = logits[:, 0].cpu().numpy().reshape(shape)
    elif head.n_classes == 2:
        output = head.probabilities(logits)[:, 1].cpu().numpy().reshape(shape)
    else:
        output = head.probabilities(logits).cpu().numpy().reshape(*shape, head.n_classes)
    neurons = [c.T.cpu().numpy().reshape(-1, *shape) for c in captured if c.dim() == 2]
    inputs = x.T.cpu().numpy().reshape(-1, *shape)
    return GridView(grid, output, neurons, inputs)


@torch.no_grad()
def predict(model: nn.Module, head: Head, x: torch.Tensor) -> torch.Tensor:
    """Probabilities (classification) or values (regression) for a batch, in eval mode."""
    was_training = model.training
    model.eval()
    try:
        return head.predict(model(x))
    finally:
        model.train(was_training)
