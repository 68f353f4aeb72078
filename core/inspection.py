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


# ----- images: feature maps, filters, statistics, saliency -------------------------------------
def block_outputs(model: nn.Sequential, x: torch.Tensor) -> dict[str, torch.Tensor]:
    """Every block's output for input `x` (eval mode), collected with forward hooks."""
    captured: dict[str, torch.Tensor] = {}
    hooks = [block.register_forward_hook(
        lambda _m, _i, out, name=name: captured.__setitem__(name, out.detach()))
        for name, block in model.named_children()]
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            model(x)
    finally:
        model.train(was_training)
        for h in hooks:
            h.remove()
    return captured


def feature_maps(model: nn.Sequential, image: torch.Tensor) -> list[tuple[str, np.ndarray]]:
    """(block name, maps (channels, H, W)) for every block whose output is an image."""
    outputs = block_outputs(model, image.unsqueeze(0) if image.dim() == 3 else image[:1])
    return [(name, out[0].cpu().numpy()) for name, out in outputs.items() if out.dim() == 4]


def first_conv_filters(model: nn.Module) -> np.ndarray | None:
    """Kernels of the first convolution, (filters, in_channels, k, k), or None without one."""
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            return module.weight.detach().cpu().numpy()
    return None


@dataclass
class LayerStats:
    name: str
    activations: np.ndarray  # a sample of the block's output values
    gradients: np.ndarray  # a sample of d(loss)/d(block output)
    activation_std: float
    gradient_std: float


def layer_statistics(model: nn.Sequential, head: Head, criterion: nn.Module, x: torch.Tensor,
                     targets: torch.Tensor, sample: int = 4000, seed: int = 0
                     ) -> list[LayerStats]:
    """Activation and gradient distributions per block over one batch: the lecture's
    "initialisation too small / too big / just right" and vanishing gradients, measured."""
    outputs: dict[str, torch.Tensor] = {}

    def keep(name: str):
        def hook(_m, _i, out):
            if out.requires_grad:  # a Flatten on the raw input carries no gradient yet
                out.retain_grad()
            outputs[name] = out
        return hook

    hooks = [block.register_forward_hook(keep(name)) for name, block in model.named_children()]
    was_training = model.training
    model.eval()
    try:
        model.zero_grad(set_to_none=True)
        loss = criterion(head.outputs_for_loss(model(x)), targets)
        loss.backward()
    finally:
        model.train(was_training)
        for h in hooks:
            h.remove()
    generator = torch.Generator().manual_seed(seed)
    stats = []
    for name, out in outputs.items():
        values = out.detach().flatten().cpu()
        grads = (out.grad if out.grad is not None else torch.zeros_like(out)).flatten().cpu()
        pick = torch.randperm(len(values), generator=generator)[:sample]
        stats.append(LayerStats(name, values[pick].numpy(), grads[pick].numpy(),
                                float(values.std()), float(grads.std())))
    model.zero_grad(set_to_none=True)
    return stats


def saliency(model: nn.Module, image: torch.Tensor, target: int) -> np.ndarray:
    """|d score_target / d pixel|, max over channels: which pixels move the decision."""
    x = image.unsqueeze(0).clone().requires_grad_(True)
    was_training = model.training
    model.eval()
    try:
        score = model(x)[0, target]
        (grad,) = torch.autograd.grad(score, x)
    finally:
        model.train(was_training)
    return grad.abs().amax(dim=1)[0].cpu().numpy()


def grad_cam(model: nn.Sequential, image: torch.Tensor, target: int) -> np.ndarray | None:
    """Grad-CAM (Selvaraju et al. 2017) on the last block that outputs an image, upsampled to
    the input size and scaled to 0-1; None for a network without convolutions."""
    names = [name for name, block in model.named_children()]
    outputs = block_outputs(model, image.unsqueeze(0))
    # a global pooling layer's 1×1 output has no "where": the last map with at least 2×2 does
    spatial = [n for n in names if n in outputs and outputs[n].dim() == 4
               and outputs[n].shape[-1] * outputs[n].shape[-2] > 1]
    if not spatial:
        return None
    layer = dict(model.named_children())[spatial[-1]]
    store: dict[str, torch.Tensor] = {}

    def hook(_m, _i, out):
        out.retain_grad()
        store["out"] = out

    handle = layer.register_forward_hook(hook)
    was_training = model.training
    model.eval()
    try:
        model.zero_grad(set_to_none=True)
        # an input that needs gradients keeps the graph even when every layer is frozen
        x = image.unsqueeze(0).detach().clone().requires_grad_(True)
        model(x)[0, target].backward()
    finally:
        handle.remove()
        model.train(was_training)
    act, grad = store["out"][0].detach(), store["out"].grad[0]
    weights = grad.mean(dim=(1, 2))
    cam = torch.relu((weights[:, None, None] * act).sum(0))
    cam = torch.nn.functional.interpolate(cam[None, None], size=image.shape[-2:],
                                          mode="bilinear", align_corners=False)[0, 0]
    model.zero_grad(set_to_none=True)
    top = float(cam.max())
    return (cam / top).cpu().numpy() if top > 0 else cam.cpu().numpy()
