"""How much memory and time a run will need, estimated from its config alone — before any image
is read or any weight allocated — so that an impossible setup is refused with the numbers
instead of exhausting the machine (a link with `image_size: 256` on MNIST would take ~36 GB).

The estimate is deliberately an upper bound: every copy the data pipeline makes on its way to
float tensors (core.data.images), the weights, their gradients, a best checkpoint and up to two
optimizer averages per weight, and the activations of one training batch or one evaluation
chunk. `tests/benchmarks/bench_worst_config.py` measures the real peak of the largest accepted
config against it.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any

import torch

from core.data.images import IMAGE_SOURCES
from core.data.toy import TOY_DATASETS
from core.errors import ConfigError
from core.layers import LAYERS, infer_shapes, with_defaults
from core.safe_files import size_text

MEMORY_LIMIT_ENV = "PLAYGROUND_MAX_RUN_MB"
MEMORY_SHARE = 0.5
"""Without $PLAYGROUND_MAX_RUN_MB, one run may need half of the machine's physical memory ..."""
MIN_MEMORY_LIMIT = 2 * 1024**3
"""... but never less than this (or this when the machine does not say)."""
MAX_EPOCH_SECONDS = 15 * 60
"""An epoch that would take longer than this (estimated) is refused: curves and checkpoints
only move at epoch ends, and a lesson has to show something."""
MAX_STEP_SECONDS = 5.0
"""Pause, Stop and new hyperparameters act between batches; a longer step freezes them."""
FLOPS_PER_SECOND = 4e9
"""Conservative CPU throughput: the LeNet epoch of bench_cnn.py runs at ~10 GFLOP/s on 2 cores."""
SECONDS_PER_MODULE = 45e-6
"""Fixed cost of one module per training step (forward, backward, optimizer), measured at
~90 µs per Dense+tanh pair with Adam on the 2-core VM: it dominates very deep, thin stacks."""
EVAL_CHUNK = 2048
"""Images per evaluation forward pass (core.train.Job._evaluate_set)."""
OPTIMIZER_SLOTS = 2
"""Running averages per weight kept by the hungriest optimizers (Adam, AdamW, Adadelta)."""


def memory_limit() -> int:
    """Bytes one run may need: $PLAYGROUND_MAX_RUN_MB (megabytes) when set, else half of the
    physical memory (a server hosts other sessions, and the Python process itself needs some)."""
    text = os.environ.get(MEMORY_LIMIT_ENV, "").strip()
    if text.isdigit() and 0 < int(text) < 10**9:
        return int(text) * 1024**2
    try:
        physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return MIN_MEMORY_LIMIT
    return max(MIN_MEMORY_LIMIT, int(physical * MEMORY_SHARE))


def duration_text(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:,.1f} hours"
    if seconds >= 60:
        return f"{seconds / 60:,.1f} minutes"
    return f"{seconds:,.2f} s"


@dataclass(frozen=True)
class DataPlan:
    """What the dataset will be, from the config and the source's stored sizes."""

    label: str
    stored_bytes: int
    """The source as read (uint8 for images)."""
    final_bytes: int
    """All splits as float32 tensors, as training holds them."""
    peak_bytes: int
    """The most the pipeline holds at once while making them."""
    input_shape: tuple[int, ...]
    fit_samples: int
    eval_samples: int
    classes: int


@dataclass(frozen=True)
class Estimate:
    data: DataPlan
    params: int
    state_bytes: int
    activation_bytes: int
    steps_per_epoch: int
    step_seconds: float
    epoch_seconds: float

    @property
    def training_bytes(self) -> int:
        return self.state_bytes + self.activation_bytes

    @property
    def peak_bytes(self) -> int:
        return max(self.data.peak_bytes, self.data.final_bytes + self.training_bytes)

    def as_dict(self) -> dict[str, Any]:
        return {"peak_bytes": self.peak_bytes, "data_peak_bytes": self.data.peak_bytes,
                "data_bytes": self.data.final_bytes, "training_bytes": self.training_bytes,
                "params": self.params, "step_seconds": self.step_seconds,
                "epoch_seconds": self.epoch_seconds}


def plan_data(dataset) -> DataPlan | None:
    """The data plan of a validated DatasetConfig; None for a source of unknown size."""
    if dataset.name in TOY_DATASETS:
        toy = TOY_DATASETS[dataset.name]
        n, features = dataset.samples, len(dataset.features)
        fit = max(1, round(n * dataset.train_fraction))
        size = n * (features + toy.dims + 2) * 4 * 2  # features, raw points, targets; train+test
        classes = dataset.classes if toy.task == "classification" else 1
        return DataPlan(toy.label, size, size, size * 2, (features,), fit, n - fit, classes)
    source = IMAGE_SOURCES.get(dataset.name)
    if source is None or source.stored is None:
        return None
    images, height, width, channels = source.stored
    task = source.tasks[dataset.task or source.default_task]
    if source.official_test:
        test = source.official_test
        train = images - test
    else:
        test = math.ceil(images * dataset.test_fraction)
        train = images - test
    if dataset.subset is not None:
        train = min(train, dataset.subset)
    val = math.ceil(train * dataset.val_fraction)
    crop_h = crop_w = dataset.crop if dataset.crop is not None else None
    crop_h, crop_w = (crop_h or height), (crop_w or width)
    side_h, side_w = (dataset.image_size,) * 2 if dataset.image_size else (crop_h, crop_w)
    kept = train + test
    stored = images * height * width * channels
    final = kept * channels * side_h * side_w * 4
    # copies on the way (core.data.images): the source (cached), the task's selection and each
    # split's fancy index are uint8 copies; a resize first makes float32 at the stored
    # (cropped) size, resized chunk by chunk into the final tensor; standardising is in place
    largest = max(train, test)
    resize = (side_h, side_w) != (crop_h, crop_w)
    transient = largest * channels * crop_h * crop_w * 4 if resize else 0
    peak = 3 * stored + final + transient
    label = f"{kept:,} {dataset.name} images of {channels}×{side_h}×{side_w}"
    return DataPlan(label, stored, final, peak, (channels, side_h, side_w), train - val,
                    val + test, len(task.classes))


def estimate(config) -> Estimate | None:
    """The estimate for a RunConfig whose fields are valid; None when the network's shapes do
    not fit together (core.build says why) or the data source is of unknown size."""
    data = plan_data(config.dataset)
    if data is None:
        return None
    specs = [with_defaults(layer) for layer in config.network.layers]
    try:
        shapes = infer_shapes(specs, data.input_shape)
    except ConfigError:
        return None
    params = 0
    flops = 0.0
    modules = 1
    activations = 0
    widest = _numel(data.input_shape)
    shape = data.input_shape
    with torch.device("meta"):
        for spec, out in zip(specs, shapes, strict=True):
            made = LAYERS[spec["type"]].make(spec, shape)
            params += sum(p.numel() for m in made for p in m.parameters())
            flops += _forward_flops(spec, shape, out)
            modules += len(made) + (1 if config.training.dropout and spec["type"] == "dense"
                                    else 0)
            activations += _numel(out) * len(made)
            widest = max(widest, _numel(shape) + _numel(out))
            shape = out
    outputs = data.classes if data.classes > 2 else 1
    if len(shape) == 1:
        params += shape[0] * outputs + outputs
        flops += 2 * shape[0] * outputs
    batch = max(1, min(config.training.batch_size, data.fit_samples))
    state = params * 4 * (3 + OPTIMIZER_SLOTS)  # weights, gradients, best checkpoint, averages
    if params <= 100_000:  # core.train keeps up to 100 flat copies for the loss landscape
        state += params * 4 * 100
    train_act = batch * (activations + _numel(data.input_shape)) * 4 * 2  # outputs + gradients
    eval_act = min(EVAL_CHUNK, max(1, data.eval_samples)) * widest * 4
    step = 3 * batch * flops / FLOPS_PER_SECOND + modules * SECONDS_PER_MODULE
    steps = math.ceil(data.fit_samples / batch)
    epoch = steps * step + (data.eval_samples + min(data.fit_samples, 2_000)) * flops \
        / FLOPS_PER_SECOND
    return Estimate(data, params, state, max(train_act, eval_act), steps, step, epoch)


def check_resources(config) -> Estimate | None:
    """ConfigError, with the numbers, when the run would need more memory or time than a run
    may take; the estimate otherwise."""
    found = estimate(config)
    if found is None:
        return None
    limit = memory_limit()
    if found.peak_bytes > limit:
        data = found.data
        where = (f"{size_text(data.final_bytes)} for {data.label} as 32-bit floats, "
                 f"{size_text(found.training_bytes)} for the {found.params:,} weights with "
                 f"their gradients and optimizer state and the activations of a batch of "
                 f"{config.training.batch_size:,} or an evaluation chunk of "
                 f"{min(EVAL_CHUNK, data.eval_samples):,}")
        if data.final_bytes >= found.training_bytes:
            hint = ("use a smaller dataset.image_size, a dataset.crop, or a dataset.subset"
                    if data.input_shape and len(data.input_shape) == 3 else "use fewer samples")
        else:
            hint = "use a smaller network or a smaller batch"
        raise ConfigError(f"this setup needs about {size_text(found.peak_bytes)} of memory "
                          f"({where}), more than the {size_text(limit)} a run may use; {hint}")
    if found.step_seconds > MAX_STEP_SECONDS:
        raise ConfigError(f"one training step would take about "
                          f"{duration_text(found.step_seconds)} (batch of "
                          f"{config.training.batch_size:,}, {len(config.network.layers):,} "
                          f"layers, {found.params:,} weights), more than the "
                          f"{MAX_STEP_SECONDS:g} s that keeps Pause and Stop responsive; use a "
                          "smaller batch or a smaller network")
    if found.epoch_seconds > MAX_EPOCH_SECONDS:
        raise ConfigError(f"one epoch would take about {duration_text(found.epoch_seconds)} "
                          f"({found.steps_per_epoch:,} steps of about "
                          f"{duration_text(found.step_seconds)}), more than the "
                          f"{duration_text(MAX_EPOCH_SECONDS)} a run may spend on one; use "
                          "fewer images, a larger batch or a smaller network")
    return found


def _numel(shape: tuple[int, ...]) -> int:
    return int(math.prod(shape))


def _forward_flops(spec: dict, shape: tuple[int, ...], out: tuple[int, ...]) -> float:
    """Multiply-adds ×2 of one sample's forward pass through a layer (others: one per value)."""
    if spec["type"] == "dense":
        pieces = spec["pieces"] if spec["activation"] == "maxout" else 1
        return 2.0 * shape[0] * spec["units"] * pieces
    if spec["type"] == "conv2d":
        return 2.0 * spec["kernel"] ** 2 * shape[0] * _numel(out)
    return float(_numel(out) + _numel(shape))
