"""Learning-rate and loss-landscape tools on real networks (the 2-D test surfaces live in
core.labs.surfaces).

* `lr_range_test` – Smith (2017): from a fresh copy of a config's weights, raise the learning
  rate exponentially every step, record the loss, smooth it, stop when it explodes, and
  suggest the rate where the smoothed loss falls fastest.
* `side_by_side` – three (or more) Jobs of one config that differ only in the learning rate,
  from the same initial weights and seed.
* `LossProbe`, `line_slice`, `plane_slice` – Li et al. (2018): the loss along the line from the
  initial to the trained weights, and over a plane through the trained weights spanned by two
  random filter-normalised directions (or the two main directions of the training path, by
  PCA of the job's checkpoints), with the path projected onto the plane.

Everything returns plain numbers (`to_dict()` is JSON-able); no streamlit here.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from core.build import penalty_weights
from core.config import RunConfig
from core.data import Dataset
from core.errors import ConfigError
from core.optimizers import make_optimizer
from core.train import Job

Progress = Callable[[int, int], None]
"""progress(done, total), called as work completes."""


# ----- LR range test -----------------------------------------------------------------------
@dataclass
class RangeTest:
    lrs: list[float]
    losses: list[float]
    """Loss of each step's mini-batch, before that step's update."""
    smoothed: list[float]
    """Exponential moving average of the losses with bias correction."""
    suggestion: float | None
    """Rate at the steepest descent of the smoothed curve (None when the sweep was too short)."""
    best_lr: float | None
    """Rate at the lowest smoothed loss (the suggestion lies below it)."""
    stopped: str
    """'exploded' (smoothed loss above `explode` × its best), 'diverged' (not finite) or
    'finished' (reached the end rate)."""
    message: str
    settings: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"lrs": list(self.lrs), "losses": list(self.losses),
                "smoothed": list(self.smoothed), "suggestion": self.suggestion,
                "best_lr": self.best_lr, "stopped": self.stopped, "message": self.message,
                "settings": dict(self.settings)}


def lr_schedule(start_lr: float, end_lr: float, steps: int) -> np.ndarray:
    """`steps` rates from start_lr to end_lr, equally spaced on a log scale."""
    return np.geomspace(start_lr, end_lr, steps)


def _check_sweep(start_lr: float, end_lr: float, steps: int, beta: float,
                 explode: float) -> None:
    for name, value in (("start rate", start_lr), ("end rate", end_lr)):
        if isinstance(value, bool) or not isinstance(value, int | float) or not (
                math.isfinite(value) and value > 0):
            raise ConfigError(f"the {name} must be a positive number, not {value!r}")
    if end_lr <= start_lr:
        raise ConfigError(f"the end rate ({end_lr:g}) must be larger than the start rate "
                          f"({start_lr:g})")
    if isinstance(steps, bool) or not isinstance(steps, int) or not 10 <= steps <= 100_000:
        raise ConfigError(f"the range test needs 10 to 100,000 steps, not {steps!r}")
    if not 0 <= beta < 1:
        raise ConfigError(f"the smoothing must be in [0, 1), not {beta!r}")
    if not explode > 1:
        raise ConfigError(f"the explosion factor must be above 1, not {explode!r}")


def warmup_steps(steps: int) -> int:
    """Early steps ignored for the best loss and the suggestion: the average is still one
    or two noisy batches there."""
    return max(3, steps // 20)


def suggest_lr(lrs: Sequence[float], smoothed: Sequence[float], skip: int | None = None,
               decades: float = 1.0) -> float | None:
    """The rate where the smoothed loss falls fastest against log(lr).

    Only the descent into the lowest smoothed loss counts: from `decades` below the rate of
    the minimum up to it, after the warm-up (earlier, the curve is flat and its wiggles are
    batch noise). The slope is taken over a window of ±1/25 of the sweep, so one noisy batch
    cannot decide it.
    """
    s = np.asarray(smoothed, dtype=np.float64)
    n = len(s)
    skip = warmup_steps(n) if skip is None else skip
    if n - skip < 5:
        return None
    log_lr = np.log10(np.asarray(lrs, dtype=np.float64))
    lowest = skip + int(np.argmin(s[skip:]))
    first = max(skip, int(np.searchsorted(log_lr, log_lr[lowest] - decades)))
    if lowest - first < 2:
        return None
    w = max(1, n // 25)
    # Centred differences only: a window cut off at the minimum would measure the last
    # stretch before it, not the slope at a point.
    idx = np.arange(first, max(first, lowest - w) + 1)
    lo, hi = np.clip(idx - w, first, lowest), np.clip(idx + w, first, lowest)
    slope = (s[hi] - s[lo]) / np.maximum(log_lr[hi] - log_lr[lo], 1e-12)
    return float(lrs[first + int(np.argmin(slope))])


def lr_range_test(config: RunConfig, dataset: Dataset | None = None, *, start_lr: float = 1e-6,
                  end_lr: float = 10.0, steps: int = 250, beta: float = 0.98,
                  explode: float = 4.0, progress: Progress | None = None,
                  on_step: Callable[[dict[str, float]], None] | None = None) -> RangeTest:
    """Smith's learning-rate range test on `config`'s network and data.

    The network starts from the config's initial weights (its seed), the optimizer is the
    config's (from the registry, with its knobs), batches are the config's batch size drawn
    as training draws them; only the learning rate changes, multiplied by the same factor
    every step from `start_lr` to `end_lr`. L1/L2 penalties are part of the optimised loss
    (as in training); the recorded loss is the data loss, as the training curves show it.
    """
    _check_sweep(start_lr, end_lr, steps, beta, explode)
    job = Job(config, dataset)  # never started: only its fresh model, data and loss are used
    model, head, criterion = job.model, job.head, job.criterion
    device = job.device
    x = job.dataset.x_train.to(device)
    y = head.prepare_targets(job.dataset.y_train).to(device)
    n = len(x)
    if n == 0:
        raise ConfigError("the dataset has no training samples")
    training = copy.deepcopy(job.config.training)
    training.lr = start_lr
    optimizer = make_optimizer(model.parameters(), training)
    penalized = penalty_weights(model)
    l1, l2 = training.l1, training.l2
    generator = torch.Generator().manual_seed(training.seed)
    batch = min(training.batch_size, n)
    augment = job.dataset.augment
    rates = lr_schedule(start_lr, end_lr, steps)

    lrs: list[float] = []
    losses: list[float] = []
    smoothed: list[float] = []
    average, best = 0.0, math.inf
    stopped, message = "finished", f"reached the end rate {end_lr:g}"
    perm, pos = torch.randperm(n, generator=generator), 0
    model.train()
    for i, lr in enumerate(rates):
        for group in optimizer.param_groups:
            group["lr"] = float(lr)
        if pos >= n:
            perm, pos = torch.randperm(n, generator=generator), 0
        idx = perm[pos:pos + batch].to(device)
        pos += batch
        xb, yb = x[idx], y[idx]
        if augment is not None:
            xb = augment(xb, generator)
        loss = criterion(head.outputs_for_loss(model(xb)), yb)
        value = loss.item()
        if not math.isfinite(value):
            stopped = "diverged"
            message = f"the loss became {'NaN' if math.isnan(value) else 'infinite'} at lr {lr:.3g}"
            break
        average = beta * average + (1 - beta) * value
        smooth = average / (1 - beta ** (i + 1))
        lrs.append(float(lr))
        losses.append(value)
        smoothed.append(smooth)
        if on_step is not None:
            on_step({"lr": float(lr), "loss": value, "smoothed": smooth})
        if progress is not None:
            progress(i + 1, steps)
        if i >= warmup_steps(steps):
            best = min(best, smooth)
        if smooth > explode * best:
            stopped = "exploded"
            message = (f"the smoothed loss passed {explode:g}× its best at lr {lr:.3g}; "
                       "stopped there")
            break
        if l1 or l2:
            loss = loss + sum(l1 * w.abs().sum() + l2 * (w * w).sum() for w in penalized)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    warm = warmup_steps(steps)
    suggestion = suggest_lr(lrs, smoothed, warm)
    best_lr = (lrs[warm + int(np.argmin(smoothed[warm:]))] if len(smoothed) > warm
               else None)
    settings = {"start_lr": start_lr, "end_lr": end_lr, "steps": steps, "beta": beta,
                "explode": explode, "optimizer": training.optimizer,
                "batch_size": training.batch_size}
    return RangeTest(lrs, losses, smoothed, suggestion, best_lr, stopped, message, settings)


# ----- side by side --------------------------------------------------------------------------
def side_by_side(config: RunConfig, lrs: Sequence[float], dataset: Dataset | None = None,
                 **job_kwargs: Any) -> list:
    """One Job per learning rate (threads not started): the same data, the same initial
    weights and the same seed (so the same batches), only `training.lr` differs."""
    if not lrs:
        raise ConfigError("give at least one learning rate")
    jobs: list[Job] = []
    for lr in lrs:
        trial = config.copy()
        trial.training.lr = float(lr)
        trial.validate()
        job = Job(trial, jobs[0].dataset if jobs else dataset, **job_kwargs)
        if jobs:
            with torch.no_grad():
                job.model.load_state_dict(jobs[0].model.state_dict())
        jobs.append(job)
    return jobs


# ----- loss landscapes -------------------------------------------------------------------------
class LossProbe:
    """The loss of one network at any point of its weight space, on a fixed set of samples.

    Holds its own CPU copy of the model (eval mode: no dropout, batch-norm running statistics
    as trained) and sets its parameters from a flat vector (the order of
    `model.parameters()`); buffers stay as they were in the model it was given.
    """

    def __init__(self, model: torch.nn.Module, head, criterion: torch.nn.Module,
                 x: torch.Tensor, y: torch.Tensor, x_test: torch.Tensor | None = None,
                 y_test: torch.Tensor | None = None, chunk: int = 2048):
        self.model = copy.deepcopy(model).to("cpu").eval()
        self.head = head
        self.criterion = copy.deepcopy(criterion).to("cpu")
        self.params = list(self.model.parameters())
        self.names = [name for name, _ in self.model.named_parameters()]
        self.sets = {"train": (x, y)}
        if x_test is not None and len(x_test):
            self.sets["test"] = (x_test, y_test)
        self.chunk = chunk

    @classmethod
    def from_job(cls, job, max_samples: int = 2000, seed: int = 0) -> LossProbe:
        """A probe of `job`'s network and loss on its training (and test) samples; datasets
        larger than `max_samples` are represented by a fixed random subset of that size."""
        d = job.dataset

        def subset(x, y):
            if x is None or len(x) <= max_samples:
                return x, y
            pick = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))
            pick = pick[:max_samples]
            return x[pick], y[pick]

        x, y = subset(d.x_train, d.y_train)
        xt, yt = subset(d.x_test, d.y_test)
        return cls(job.clone_model(), job.head, job.criterion, x, job.head.prepare_targets(y),
                   xt, None if yt is None else job.head.prepare_targets(yt))

    @property
    def size(self) -> int:
        return sum(p.numel() for p in self.params)

    def vector(self, state: dict[str, torch.Tensor] | None = None) -> torch.Tensor:
        """The parameters of a state dict (default: the probe's model) as one flat vector."""
        if state is None:
            return torch.cat([p.detach().reshape(-1) for p in self.params]).clone()
        return torch.cat([state[name].detach().to("cpu").reshape(-1).to(self.params[0].dtype)
                          for name in self.names])

    def set(self, vector: torch.Tensor) -> None:
        with torch.no_grad():
            torch.nn.utils.vector_to_parameters(vector, self.params)

    @torch.no_grad()
    def loss(self, vector: torch.Tensor | None = None, split: str = "train") -> float:
        """Mean loss over the split at `vector` (the current parameters when None)."""
        if vector is not None:
            self.set(vector)
        x, y = self.sets[split]
        total = 0.0
        for i in range(0, len(x), self.chunk):
            out = self.model(x[i:i + self.chunk])
            total += float(self.criterion(self.head.outputs_for_loss(out),
                                          y[i:i + self.chunk])) * len(out)
        return total / len(x)

    def filter_normalized_direction(self, center: torch.Tensor,
                                    generator: torch.Generator) -> torch.Tensor:
        """A random direction scaled filter by filter to the norms of `center`'s filters (each
        output unit's row of a dense weight, each kernel of a convolution); biases and other
        one-dimensional parameters get 0, as in Li et al. (2018)."""
        pieces = []
        offset = 0
        for p in self.params:
            w = center[offset:offset + p.numel()].view(p.shape)
            offset += p.numel()
            d = torch.randn(p.shape, generator=generator, dtype=center.dtype)
            if p.dim() <= 1:
                d.zero_()
            else:
                rows_d, rows_w = d.reshape(len(d), -1), w.reshape(len(w), -1)
                scale = rows_w.norm(dim=1, keepdim=True) / rows_d.norm(dim=1, keepdim=True)
                d = (rows_d * scale).view(p.shape)
            pieces.append(d.reshape(-1))
        return torch.cat(pieces)


@dataclass
class LineSlice:
    alphas: np.ndarray
    train: np.ndarray
    test: np.ndarray | None

    def to_dict(self) -> dict[str, Any]:
        return {"alphas": self.alphas.tolist(), "train": _finite_list(self.train),
                "test": None if self.test is None else _finite_list(self.test)}


def line_slice(probe: LossProbe, initial: torch.Tensor, trained: torch.Tensor,
               alphas: Sequence[float] | None = None,
               progress: Progress | None = None) -> LineSlice:
    """Loss along θ(α) = θ₀ + α(θ₁ − θ₀): α = 0 the initial, α = 1 the trained weights."""
    alphas = np.linspace(-0.5, 1.5, 41) if alphas is None else np.asarray(alphas, dtype=float)
    step = trained - initial
    train, test = np.empty(len(alphas)), np.empty(len(alphas))
    for i, a in enumerate(alphas):
        probe.set(initial + float(a) * step)
        train[i] = probe.loss()
        if "test" in probe.sets:
            test[i] = probe.loss(split="test")
        if progress is not None:
            progress(i + 1, len(alphas))
    return LineSlice(alphas, train, test if "test" in probe.sets else None)


@dataclass
class PlaneSlice:
    xs: np.ndarray
    ys: np.ndarray
    losses: np.ndarray
    """(len(ys), len(xs)) training loss at center + x·d1 + y·d2."""
    directions: str
    """'random' (filter-normalised) or 'pca' (of the training path)."""
    path: np.ndarray | None = None
    """(checkpoints, 2): the training path projected onto the plane."""
    path_epochs: list[int] | None = None
    explained: tuple[float, float] | None = None
    """PCA: the share of the path's variance along each direction."""
    center_loss: float = float("nan")

    def to_dict(self) -> dict[str, Any]:
        return {"xs": self.xs.tolist(), "ys": self.ys.tolist(),
                "losses": [_finite_list(row) for row in self.losses],
                "directions": self.directions,
                "path": None if self.path is None else self.path.tolist(),
                "path_epochs": self.path_epochs,
                "explained": None if self.explained is None else list(self.explained),
                "center_loss": self.center_loss}


def pca_directions(points: torch.Tensor, center: torch.Tensor
                   ) -> tuple[torch.Tensor, torch.Tensor, tuple[float, float]]:
    """The two unit directions along which `points` (k × n) spread most around `center`."""
    if len(points) < 2:
        raise ConfigError("a training path needs at least two checkpoints")
    _, s, vh = torch.linalg.svd(points - center, full_matrices=False)
    variance = s ** 2
    share = (variance / variance.sum()).tolist() if float(variance.sum()) > 0 else [0.0, 0.0]
    if len(vh) < 2:  # two checkpoints: one direction, complete it with any orthogonal one
        extra = torch.randn(vh.shape[1], generator=torch.Generator().manual_seed(0),
                            dtype=vh.dtype)
        extra -= (extra @ vh[0]) * vh[0]
        vh = torch.stack([vh[0], extra / extra.norm()])
        share = [share[0], 0.0]
    return vh[0], vh[1], (float(share[0]), float(share[1]))


def project(points: torch.Tensor, center: torch.Tensor, d1: torch.Tensor,
            d2: torch.Tensor) -> np.ndarray:
    """Least-squares coordinates (a, b) of each point − center in the plane of d1 and d2."""
    basis = torch.stack([d1, d2], dim=1).double()
    coords = torch.linalg.lstsq(basis, (points - center).double().T).solution
    return coords.T.numpy()


def plane_slice(probe: LossProbe, center: torch.Tensor, *, resolution: int = 25,
                directions: str = "random", span: float = 1.0,
                checkpoints: Sequence[tuple[int, torch.Tensor]] = (), seed: int = 0,
                progress: Progress | None = None) -> PlaneSlice:
    """The training loss on a resolution × resolution grid through `center`.

    directions='random': two filter-normalised random directions, the grid spanning ±span
    of them (±1 = a step the size of the weights themselves). directions='pca': the two main
    directions of the checkpoints' path, the grid covering the projected path with a margin.
    Either way the checkpoints are projected onto the plane.
    """
    if directions not in ("random", "pca"):
        raise ConfigError(f"directions must be 'random' or 'pca', not {directions!r}")
    if isinstance(resolution, bool) or not isinstance(resolution, int) or not (
            3 <= resolution <= 201):
        raise ConfigError(f"the grid resolution must be 3 to 201 points, not {resolution!r}")
    if not (math.isfinite(span) and span > 0):
        raise ConfigError(f"the span must be a positive number, not {span!r}")
    points = torch.stack([c for _, c in checkpoints]).to(center.dtype) if checkpoints else None
    explained = None
    if directions == "pca":
        if points is None:
            raise ConfigError("PCA directions need the checkpoints of a training run")
        d1, d2, explained = pca_directions(points, center)
    else:
        generator = torch.Generator().manual_seed(seed)
        d1 = probe.filter_normalized_direction(center, generator)
        d2 = probe.filter_normalized_direction(center, generator)
    path = project(points, center, d1, d2) if points is not None else None
    if directions == "pca":
        extent = np.abs(path).max(axis=0) if path is not None and len(path) else np.ones(2)
        extent = np.maximum(extent * 1.25 * span, 1e-3)
        xs = np.linspace(-extent[0], extent[0], resolution)
        ys = np.linspace(-extent[1], extent[1], resolution)
    else:
        xs = ys = np.linspace(-span, span, resolution)
    losses = np.empty((len(ys), len(xs)))
    total, done = losses.size, 0
    for j, b in enumerate(ys):
        row = center + float(b) * d2
        for i, a in enumerate(xs):
            losses[j, i] = probe.loss(row + float(a) * d1)
            done += 1
        if progress is not None:
            progress(done, total)
    return PlaneSlice(xs, ys, losses, directions, path,
                      [int(e) for e, _ in checkpoints] if checkpoints else None, explained,
                      probe.loss(center))


def job_weights(job, probe: LossProbe) -> tuple[torch.Tensor, torch.Tensor]:
    """(initial, current) weights of a job as flat vectors in the probe's order."""
    return probe.vector(job.initial_state), probe.vector(job.snapshot()["state_dict"])


def _finite_list(values: np.ndarray) -> list[float | None]:
    return [float(v) if math.isfinite(v) else None for v in np.asarray(values).tolist()]
