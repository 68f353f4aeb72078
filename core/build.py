"""Config + dataset -> torch model, with shapes checked first and a Keras-like summary."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import torch
from torch import nn

from core.config import RunConfig
from core.data import Dataset
from core.errors import ConfigError
from core.initializers import initialize
from core.layers import LAYERS, Maxout, Shape, infer_shapes, is_trainable, with_defaults
from core.losses import Head, make_head

MAX_PARAMETERS = 20_000_000
"""Resource guard instead of a fixed layer/neuron cap: beyond this a laptop CPU stops being live."""


@dataclass(frozen=True)
class SummaryRow:
    name: str  # "layer1" … "output": the block's name in the model
    label: str  # "Dense (8, tanh)"
    output_shape: Shape
    params: int


@dataclass
class BuiltModel:
    model: nn.Sequential
    head: Head
    summary: list[SummaryRow]

    @property
    def total_params(self) -> int:
        return sum(row.params for row in self.summary)

    def summary_text(self) -> str:
        """The table Keras' model.summary() prints, so lecture numbers can be checked."""
        lines = [f"{'Layer (type)':<28}{'Output Shape':<22}{'Param #':>12}", "─" * 62]
        for row in self.summary:
            shape = "(None, " + ", ".join(str(d) for d in row.output_shape) + ")"
            lines.append(f"{row.label:<28}{shape:<22}{row.params:>12,}")
        lines += ["─" * 62, f"Total params: {self.total_params:,}"]
        return "\n".join(lines)


def layer_label(spec: dict) -> str:
    spec = with_defaults(spec)
    kind = spec["type"]
    if kind == "dense":
        act = spec["activation"] + (f" ×{spec['pieces']}" if spec["activation"] == "maxout" else "")
        label = f"Dense ({spec['units']}, {act})"
    elif kind == "conv2d":
        label = (f"Conv2D ({spec['filters']}, {spec['kernel']}×{spec['kernel']}, "
                 f"{spec['activation']})")
    elif kind in ("maxpool", "avgpool"):
        label = f"{LAYERS[kind].label} ({spec['size']}×{spec['size']})"
    elif kind == "dropout":
        label = f"Dropout ({spec['rate']:g})"
    else:
        label = LAYERS[kind].label
    return label + ("" if is_trainable(spec) else " · frozen")


def build_model(config: RunConfig, dataset: Dataset) -> BuiltModel:
    """Deterministic for a given training.seed: the same config gives the same initial weights."""
    head = make_head(config.training.loss, dataset.task, dataset.n_classes, dataset.target_dim)
    specs = [with_defaults(layer) for layer in config.network.layers]
    shapes = infer_shapes(specs, tuple(dataset.input_shape))
    last = shapes[-1] if shapes else tuple(dataset.input_shape)
    if len(last) != 1:
        raise ConfigError(f"the output layer needs a vector, but the last layer produced an "
                          f"image of {'×'.join(map(str, last))}; add a Flatten layer at the end")

    dropout = config.training.dropout
    with torch.device("meta"):  # count first: refusing must not cost the memory it guards
        _, planned = _make_blocks(specs, shapes, tuple(dataset.input_shape), head, dropout)
    total = sum(r.params for r in planned)
    if total > MAX_PARAMETERS:
        raise ConfigError(f"the network has {total:,} parameters; the playground allows up to "
                          f"{MAX_PARAMETERS:,} so that training stays live — use fewer units "
                          "or filters")
    torch.manual_seed(config.training.seed)
    blocks, rows = _make_blocks(specs, shapes, tuple(dataset.input_shape), head, dropout)
    model = nn.Sequential(blocks)
    initialize(model, config.network.init, config.network.init_std)
    return BuiltModel(model, head, rows)


class Frozen(nn.Sequential):
    """A layer whose weights and batch-norm statistics stay as they are (`"trainable": false`):
    no gradients, and always in eval mode, so a batch of new images cannot shift the running
    statistics the later layers were trained on."""

    def __init__(self, *modules: nn.Module):
        super().__init__(*modules)
        for p in self.parameters():
            p.requires_grad_(False)
        super().train(False)

    def train(self, mode: bool = True) -> Frozen:
        return super().train(False)


def _make_blocks(specs: list[dict], shapes: list[Shape], in_shape: Shape, head: Head,
                 dropout: float) -> tuple[OrderedDict[str, nn.Module], list[SummaryRow]]:
    blocks: OrderedDict[str, nn.Module] = OrderedDict()
    rows: list[SummaryRow] = []
    for i, (spec, shape) in enumerate(zip(specs, shapes, strict=True), start=1):
        modules = LAYERS[spec["type"]].make(spec, in_shape)
        if dropout > 0 and spec["type"] == "dense":
            modules.append(nn.Dropout(dropout))
        block = nn.Sequential(*modules) if is_trainable(spec) else Frozen(*modules)
        blocks[f"layer{i}"] = block
        rows.append(SummaryRow(f"layer{i}", layer_label(spec), shape, _count(block)))
        in_shape = shape
    output = nn.Sequential(nn.Linear(in_shape[0], head.out_units))
    blocks["output"] = output
    rows.append(SummaryRow("output", f"Dense ({head.out_units}, {head.output_activation}) output",
                           (head.out_units,), _count(output)))
    return blocks, rows


def _count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def dense_weights(model: nn.Sequential) -> list[torch.Tensor]:
    """(out, in) weight of each dense block in order; a maxout layer shows its strongest piece."""
    weights = []
    for block in model:
        for module in block:
            if isinstance(module, Maxout):
                w = module.linear.weight.detach().view(module.units, module.pieces, -1)
                idx = w.abs().argmax(dim=1, keepdim=True)
                weights.append(w.gather(1, idx).squeeze(1))
            elif isinstance(module, nn.Linear):
                weights.append(module.weight.detach())
    return weights


def dense_biases(model: nn.Sequential) -> list[torch.Tensor]:
    """The bias of each dense block, matching `dense_weights` (zeros where a layer has none)."""
    biases = []
    for block in model:
        for module in block:
            if isinstance(module, Maxout):
                w = module.linear.weight.detach().view(module.units, module.pieces, -1)
                strongest = w.abs().argmax(dim=1)[:, 0]
                b = module.linear.bias
                b = (b.detach().view(module.units, module.pieces) if b is not None
                     else w.new_zeros(module.units, module.pieces))
                biases.append(b.gather(1, strongest[:, None]).squeeze(1))
            elif isinstance(module, nn.Linear):
                b = module.bias
                biases.append(b.detach() if b is not None
                              else module.weight.new_zeros(module.out_features))
    return biases


def penalty_weights(model: nn.Module) -> list[torch.Tensor]:
    """Weights that L1/L2 act on: matrices and kernels, not biases or batch-norm scales."""
    return [m.weight for m in model.modules()
            if isinstance(m, nn.Linear | nn.Conv2d) and m.weight.requires_grad]
