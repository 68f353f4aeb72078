"""Optimizers on 2-D test surfaces: the real `torch.optim` classes stepping a 2-vector.

Each surface is a torch function f(p) of a position p (the last axis holds the coordinates),
with its known minima and a sensible plot range. `trajectory` runs one optimizer from the
registry (`core.optimizers.OPTIMIZERS`, built from a `TrainingConfig`, as in training) on a
surface with autograd, one real `optimizer.step()` per step; nothing is re-implemented here.
`race` runs several from the same start, `gd_regime` names what plain gradient descent does on
a quadratic of curvature L for a given learning rate (the lesson's "2/L").

No streamlit here: the Optimizers and Learning-rate pages draw what these functions return.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import torch

from core.config import RunConfig, TrainingConfig
from core.errors import ConfigError
from core.optimizers import OPTIMIZERS

Fn = Callable[[torch.Tensor], torch.Tensor]

DEFAULT_LRS: dict[str, float] = {
    "sgd": 0.1, "momentum": 0.03, "nesterov": 0.03, "adagrad": 0.5, "adadelta": 1.0,
    "rmsprop": 0.02, "adam": 0.1, "adamw": 0.1,
}
"""A learning rate per optimizer that behaves on a unit-scale surface; surfaces scale it."""
DEFAULT_EPS = 0.05


@dataclass(frozen=True)
class Surface:
    """A loss surface over one or two coordinates, with what is known about it."""

    name: str
    label: str
    fn: Fn
    x_range: tuple[float, float]
    y_range: tuple[float, float] | None
    """None for a 1-D curve."""
    start: tuple[float, ...]
    minima: tuple[tuple[float, ...], ...]
    """Global minima (several for Himmelblau; none for the saddle, which has no minimum)."""
    local_minima: tuple[tuple[float, ...], ...] = ()
    saddle: tuple[float, ...] | None = None
    """A saddle point to escape from: escaped = the loss fell `escape_drop` below its value."""
    escape_drop: float = 1.0
    bound: float = 1e3
    """A position farther than this from the origin ends the run: diverged (or, for a surface
    without a minimum, left the region)."""
    lr_scale: float = 1.0
    """Multiplies DEFAULT_LRS to give rates that behave on this surface."""
    lrs: Mapping[str, float] = field(default_factory=dict)
    """Per-optimizer rates that override lr_scale × DEFAULT_LRS."""
    curvature: float | None = None
    """Largest curvature L of a quadratic (gradient descent is stable for lr < 2/L)."""
    condition: float | None = None
    log_scale: bool = False
    """Contours of log(1 + f − f*) read better (the surface spans many orders of magnitude)."""
    noise: float = 0.0
    """Std of Gaussian gradient noise added each step (mini-batch-like), 0 = exact gradients."""
    description: str = ""

    @property
    def dims(self) -> int:
        return len(self.start)

    @property
    def min_value(self) -> float | None:
        if not self.minima:
            return None
        return float(self.value(self.minima[0]))

    def __call__(self, p: torch.Tensor) -> torch.Tensor:
        return self.fn(p)

    def value(self, point: Sequence[float]) -> float:
        return float(self.fn(torch.tensor(point, dtype=torch.float64)))

    def default_lr(self, optimizer: str) -> float:
        if optimizer in self.lrs:
            return self.lrs[optimizer]
        return float(f"{DEFAULT_LRS[optimizer] * self.lr_scale:.2g}")

    def grid(self, resolution: int = 80) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(xs, ys, values) on a regular grid over the plot range; ys is empty for 1-D."""
        xs = np.linspace(*self.x_range, resolution)
        if self.y_range is None:
            values = self.fn(torch.from_numpy(xs)[:, None]).numpy()
            return xs, np.empty(0), values
        ys = np.linspace(*self.y_range, resolution)
        gx, gy = np.meshgrid(xs, ys)
        p = torch.from_numpy(np.stack([gx, gy], axis=-1))
        return xs, ys, self.fn(p).numpy()


def _x(p: torch.Tensor) -> torch.Tensor:
    return p[..., 0]


def _y(p: torch.Tensor) -> torch.Tensor:
    return p[..., 1]


# ----- the surfaces ------------------------------------------------------------------------
def parabola(curvature: float = 1.0) -> Surface:
    """f(x) = ½·L·x²: the one-dimensional lesson on learning rates (stable for lr < 2/L)."""
    L = float(curvature)
    return Surface(
        "parabola", "Parabola ½·L·x²", lambda p: 0.5 * L * _x(p) ** 2, (-3.0, 3.0), None,
        (-2.5,), ((0.0,),), lr_scale=1.0 / L, curvature=L, condition=1.0,
        description=f"f(x) = ½·{L:g}·x². Gradient descent multiplies x by (1 − lr·L) each "
                    "step.")


def bowl(condition: float = 10.0, curvature: float = 1.0) -> Surface:
    """f = ½(L/κ·x² + L·y²): a quadratic bowl, flat along x and steep along y."""
    L, k = float(curvature), float(condition)
    return Surface(
        "bowl", "Quadratic bowl", lambda p: 0.5 * (L / k * _x(p) ** 2 + L * _y(p) ** 2),
        (-2.5, 2.5), (-2.5, 2.5), (-2.2, 1.6), ((0.0, 0.0),), lr_scale=1.0 / L,
        lrs={"sgd": round(1.6 / L, 3), "adagrad": 0.5, "adadelta": 3.0},
        curvature=L, condition=k,
        description=f"f = ½(L/κ·x² + L·y²) with L = {L:g}, condition number κ = {k:g}: "
                    "steep across, flat along.")


def rosenbrock() -> Surface:
    return Surface(
        "rosenbrock", "Rosenbrock", lambda p: (1 - _x(p)) ** 2 + 100 * (_y(p) - _x(p) ** 2) ** 2,
        (-2.0, 2.0), (-1.0, 3.0), (-1.2, 1.0), ((1.0, 1.0),), log_scale=True,
        lrs={"sgd": 0.002, "momentum": 0.002, "nesterov": 0.002, "adagrad": 1.0,
             "adadelta": 3.0, "rmsprop": 0.01, "adam": 0.3, "adamw": 0.3},
        description="(1 − x)² + 100(y − x²)²: a curved, narrow valley; the minimum at (1, 1) "
                    "is easy to find and slow to reach.")


def beale() -> Surface:
    def f(p):
        x, y = _x(p), _y(p)
        return ((1.5 - x + x * y) ** 2 + (2.25 - x + x * y ** 2) ** 2
                + (2.625 - x + x * y ** 3) ** 2)

    return Surface(
        "beale", "Beale", f, (-4.5, 4.5), (-4.5, 4.5), (1.0, 1.5), ((3.0, 0.5),),
        log_scale=True,
        lrs={"sgd": 0.01, "momentum": 0.001, "nesterov": 0.001, "adagrad": 1.0,
             "adadelta": 3.0, "rmsprop": 0.03, "adam": 0.1, "adamw": 0.1},
        description="Flat plateaus and steep ridges; the minimum is at (3, 0.5).")


def himmelblau() -> Surface:
    minima = ((3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186),
              (3.584428, -1.848126))
    return Surface(
        "himmelblau", "Himmelblau",
        lambda p: (_x(p) ** 2 + _y(p) - 11) ** 2 + (_x(p) + _y(p) ** 2 - 7) ** 2,
        (-5.0, 5.0), (-5.0, 5.0), (-0.3, -0.9), minima, log_scale=True,
        lrs={"sgd": 0.005, "momentum": 0.002, "nesterov": 0.002, "adagrad": 1.0,
             "adadelta": 10.0, "rmsprop": 0.05, "adam": 0.1, "adamw": 0.1},
        description="Four equally deep minima: which one an optimizer finds depends on where "
                    "it starts and how it moves.")


def saddle() -> Surface:
    return Surface(
        "saddle", "Saddle x² − y²", lambda p: _x(p) ** 2 - _y(p) ** 2,
        (-2.0, 2.0), (-2.0, 2.0), (-1.8, 0.01), (), saddle=(0.0, 0.0), bound=5.0,
        lrs={"sgd": 0.05, "momentum": 0.02, "nesterov": 0.02, "adagrad": 0.2,
             "adadelta": 1.0, "rmsprop": 0.01, "adam": 0.05, "adamw": 0.05},
        description="x² − y²: downhill along x towards the saddle point, then it must notice "
                    "the tiny slope along y and escape. No minimum: paths leave the plot.")


_TILT = 0.3
_WELLS = sorted(float(r.real) for r in np.roots([4.0, 0.0, -4.0, _TILT]) if abs(r.imag) < 1e-12)


def two_minima() -> Surface:
    """(x² − 1)² + 0.3·x + ½y²: a global minimum at x ≈ −1.04, a local one at x ≈ 0.96."""
    global_x, barrier_x, local_x = _WELLS
    return Surface(
        "two_minima", "Local and global minimum",
        lambda p: (_x(p) ** 2 - 1) ** 2 + _TILT * _x(p) + 0.5 * _y(p) ** 2,
        (-2.0, 2.0), (-1.5, 1.5), (1.8, 1.2), ((global_x, 0.0),), ((local_x, 0.0),),
        lrs={"sgd": 0.05, "momentum": 0.02, "nesterov": 0.02, "adagrad": 0.3,
             "adadelta": 2.0, "rmsprop": 0.01, "adam": 0.05, "adamw": 0.05},
        description="(x² − 1)² + 0.3x + ½y²: a shallow local minimum on the right, the global "
                    "one on the left behind a ridge. Momentum can carry a path over it.")


SURFACES: dict[str, Callable[..., Surface]] = {
    "bowl": bowl, "rosenbrock": rosenbrock, "beale": beale, "himmelblau": himmelblau,
    "saddle": saddle, "two_minima": two_minima, "parabola": parabola,
}
SURFACE_LABELS: dict[str, str] = {
    "bowl": "Quadratic bowl", "rosenbrock": "Rosenbrock", "beale": "Beale",
    "himmelblau": "Himmelblau", "saddle": "Saddle x² − y²",
    "two_minima": "Local and global minimum", "parabola": "Parabola ½·L·x² (1-D)",
}


def make_surface(name: str, noise: float = 0.0, **params: Any) -> Surface:
    """A surface by name (bowl takes condition=, curvature=; parabola curvature=)."""
    if name not in SURFACES:
        raise ConfigError(f"unknown surface '{name}' (choose from {', '.join(SURFACES)})")
    surface = SURFACES[name](**params)
    return noisy(surface, noise) if noise else surface


def noisy(surface: Surface, sigma: float) -> Surface:
    """The same surface, with Gaussian noise of std `sigma` on every gradient (seeded per run),
    as a mini-batch gradient is the true one plus noise. The recorded losses stay exact."""
    if not (math.isfinite(sigma) and sigma >= 0):
        raise ConfigError(f"gradient noise must be a number ≥ 0, not {sigma!r}")
    return replace(surface, noise=float(sigma))


# ----- trajectories --------------------------------------------------------------------------
@dataclass
class Trajectory:
    optimizer: str
    label: str
    lr: float
    knobs: dict[str, float]
    positions: np.ndarray
    """(steps + 1, dims): the start, then the position after each step."""
    losses: np.ndarray
    """f at each position (the exact surface, without gradient noise)."""
    status: str
    """'finished' (all steps taken), 'diverged' (non-finite or beyond the bound) or 'left'
    (beyond the bound of a surface that has no minimum)."""
    message: str
    reached_step: int | None = None
    """The step from which the path stays within ε of a global minimum to the end."""
    reached_local_step: int | None = None
    escaped_step: int | None = None
    """First step whose loss is escape_drop below the saddle's value (saddle surfaces only)."""

    @property
    def steps(self) -> int:
        return len(self.losses) - 1

    def to_dict(self) -> dict[str, Any]:
        return {"optimizer": self.optimizer, "label": self.label, "lr": self.lr,
                "knobs": dict(self.knobs), "positions": self.positions.tolist(),
                "losses": self.losses.tolist(), "status": self.status, "message": self.message,
                "reached_step": self.reached_step, "reached_local_step": self.reached_local_step,
                "escaped_step": self.escaped_step}


def training_for(optimizer: str, knobs: Mapping[str, float] | None = None) -> TrainingConfig:
    """The TrainingConfig the optimizer registry reads, checked like a run config's."""
    if optimizer not in OPTIMIZERS:
        raise ConfigError(f"unknown optimizer '{optimizer}' (choose from {', '.join(OPTIMIZERS)})")
    knobs = dict(knobs or {})
    allowed = ("lr", *OPTIMIZERS[optimizer].knobs)
    for key in knobs:
        if key not in allowed:
            raise ConfigError(f"{OPTIMIZERS[optimizer].label} has no setting '{key}' "
                              f"(it uses {', '.join(allowed)})")
    training = TrainingConfig(optimizer=optimizer, **{k: v for k, v in knobs.items()})
    RunConfig(training=training).validate()
    return training


def trajectory(surface: Surface, optimizer_name: str, start: Sequence[float] | None = None,
               steps: int = 300, knobs: Mapping[str, float] | None = None, seed: int = 0,
               eps: float = DEFAULT_EPS) -> Trajectory:
    """Run `steps` real optimizer steps on `surface` from `start` (default: its own).

    `knobs` holds `lr` and the optimizer's other settings (momentum, beta1, …); anything not
    given takes the TrainingConfig default, and lr the surface's default for this optimizer.
    The run stops early, and says so, when the position or loss stops being finite or the
    position moves farther than `surface.bound` from the origin.
    """
    knobs = dict(knobs or {})
    knobs.setdefault("lr", surface.default_lr(optimizer_name))
    training = training_for(optimizer_name, knobs)
    start = tuple(float(v) for v in (surface.start if start is None else start))
    if len(start) != surface.dims:
        raise ConfigError(f"the start needs {surface.dims} coordinate(s), got {len(start)}")
    if not isinstance(steps, int) or steps < 0:
        raise ConfigError(f"steps must be a whole number ≥ 0, not {steps!r}")

    p = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    optimizer = OPTIMIZERS[optimizer_name].make([p], training)
    generator = torch.Generator().manual_seed(seed)
    positions = np.empty((steps + 1, surface.dims))
    losses = np.empty(steps + 1)
    status, message = "finished", f"took all {steps} steps"
    n = 0
    for k in range(steps + 1):
        loss = surface.fn(p)
        value = loss.item()
        position = p.detach().numpy()
        if not (math.isfinite(value) and np.isfinite(position).all()):
            status, message = "diverged", f"the loss stopped being finite at step {k}"
            break
        positions[k], losses[k] = position, value
        n = k + 1
        if float(np.linalg.norm(position)) > surface.bound:
            if surface.minima:
                status = "diverged"
                message = (f"diverged: after {k} steps the position is farther than "
                           f"{surface.bound:g} from the origin and the loss is {value:.3g}")
            else:
                status = "left"
                message = (f"left the region after {k} steps (this surface has no minimum; "
                           "the loss keeps falling)")
            break
        if k == steps:
            break
        optimizer.zero_grad(set_to_none=True)
        if surface.noise:
            xi = torch.randn(surface.dims, generator=generator, dtype=torch.float64)
            loss = loss + surface.noise * (xi * p).sum()  # gradient + noise·ξ
        loss.backward()
        optimizer.step()

    positions, losses = positions[:n], losses[:n]
    return Trajectory(
        optimizer_name, OPTIMIZERS[optimizer_name].label, float(training.lr),
        {key: float(getattr(training, key)) for key in OPTIMIZERS[optimizer_name].knobs},
        positions, losses, status, message,
        reached_step=_settled_within(positions, surface.minima, eps),
        reached_local_step=_settled_within(positions, surface.local_minima, eps),
        escaped_step=_first_escape(surface, losses))


def _settled_within(positions: np.ndarray, points: Sequence[Sequence[float]],
                    eps: float) -> int | None:
    """The step from which the path stays within ε of one of `points` to its end (a path that
    only passes by, as momentum does, has not reached it)."""
    if not points or len(positions) == 0:
        return None
    targets = np.asarray(points, dtype=np.float64)
    distance = np.linalg.norm(positions[:, None, :] - targets[None, :, :], axis=-1).min(axis=1)
    outside = np.flatnonzero(distance > eps)
    if outside.size and outside[-1] == len(distance) - 1:
        return None
    return int(outside[-1]) + 1 if outside.size else 0


def _first_escape(surface: Surface, losses: np.ndarray) -> int | None:
    if surface.saddle is None:
        return None
    hits = np.flatnonzero(losses < surface.value(surface.saddle) - surface.escape_drop)
    return int(hits[0]) if hits.size else None


@dataclass
class Race:
    surface: Surface
    trajectories: dict[str, Trajectory]
    eps: float
    first: list[str]
    """Optimizers that settled within ε of a global minimum first (ties share the place)."""

    def summary(self) -> list[str]:
        """Plain sentences: who got there first, who escaped the saddle, who diverged."""
        lines: list[str] = []
        t = self.trajectories
        if self.surface.minima:
            if self.first:
                names = " and ".join(t[n].label for n in self.first)
                step = t[self.first[0]].reached_step
                lines.append(f"First to settle within {self.eps:g} of the minimum: {names}, "
                             f"from step {step} on.")
            else:
                lines.append(f"No optimizer settled within {self.eps:g} of the minimum.")
            others = [f"{tr.label} (step {tr.reached_step})" for name, tr in t.items()
                      if tr.reached_step is not None and name not in self.first]
            if others:
                lines.append("Also settled there: " + ", ".join(others) + ".")
            stuck = [tr.label for tr in t.values()
                     if tr.reached_local_step is not None and tr.reached_step is None]
            if stuck:
                lines.append("Stuck in the local minimum: " + ", ".join(stuck) + ".")
        if self.surface.saddle is not None:
            escaped = sorted((tr.escaped_step, tr.label) for tr in t.values()
                             if tr.escaped_step is not None)
            if escaped:
                lines.append("Escaped the saddle: " + ", ".join(
                    f"{label} (step {step})" for step, label in escaped) + ".")
            stayed = [tr.label for tr in t.values() if tr.escaped_step is None]
            if stayed:
                lines.append("Still near the saddle: " + ", ".join(stayed) + ".")
        diverged = [f"{tr.label} ({tr.message})" for tr in t.values() if tr.status == "diverged"]
        if diverged:
            lines.append("Diverged: " + "; ".join(diverged) + ".")
        return lines

    def to_dict(self) -> dict[str, Any]:
        return {"surface": self.surface.name, "eps": self.eps, "first": list(self.first),
                "summary": self.summary(),
                "trajectories": {n: tr.to_dict() for n, tr in self.trajectories.items()}}


def race(surface: Surface, entries: Mapping[str, Mapping[str, float]],
         start: Sequence[float] | None = None, steps: int = 300, seed: int = 0,
         eps: float = DEFAULT_EPS) -> Race:
    """Every optimizer in `entries` (name -> knobs with lr) from the same start, same noise."""
    runs = {name: trajectory(surface, name, start, steps, knobs, seed, eps)
            for name, knobs in entries.items()}
    reached = {n: tr.reached_step for n, tr in runs.items() if tr.reached_step is not None}
    best = min(reached.values(), default=None)
    first = [n for n, s in reached.items() if s == best]
    return Race(surface, runs, eps, first)


# ----- gradient descent on a quadratic ------------------------------------------------------
@dataclass(frozen=True)
class Regime:
    name: str
    """'crawling', 'fastest', 'oscillating', 'bouncing' (lr = 2/L exactly) or 'diverging'."""
    title: str
    explanation: str
    ratio: float
    """lr · L: 1 is the fastest, 2 the stability limit."""
    factor: float
    """1 − lr·L: what each step multiplies the distance to the minimum by."""

    @property
    def converges(self) -> bool:
        return abs(self.factor) < 1


FASTEST_BAND = 0.1
"""lr·L within 1 ± this counts as 'about 1/L', the fastest rate."""


def gd_regime(lr: float, curvature: float) -> Regime:
    """What plain gradient descent does on ½·L·x² with this learning rate.

    Each step maps x to x − lr·L·x = (1 − lr·L)·x, so it converges exactly when
    |1 − lr·L| < 1, i.e. 0 < lr < 2/L; the contraction is strongest at lr = 1/L.
    """
    if not (lr > 0 and curvature > 0):
        raise ConfigError("the learning rate and the curvature must be positive")
    ratio = lr * curvature
    factor = 1.0 - ratio
    limit = 2.0 / curvature
    if math.isclose(ratio, 2.0, rel_tol=1e-9):
        return Regime("bouncing", "On the edge: bouncing forever",
                      f"At lr = 2/L = {limit:g} every step lands exactly opposite, as far from "
                      "the minimum as before. Any smaller rate converges, any larger one "
                      "diverges.", ratio, factor)
    if ratio > 2.0:
        return Regime("diverging", "Too large: diverging",
                      f"lr = {lr:g} is above 2/L = {limit:g}: each step overshoots the minimum "
                      f"by more than it started, so the distance grows {abs(factor):.3g}× per "
                      "step and the loss explodes. Lower the rate below 2/L.", ratio, factor)
    if ratio > 1.0 + FASTEST_BAND:
        return Regime("oscillating", "Large: oscillating but converging",
                      f"lr = {lr:g} lies between 1/L and 2/L: every step jumps past the minimum "
                      f"to the other side, but lands closer (×{abs(factor):.3g}), so the path "
                      "zigzags in. Closer to 1/L it would settle faster.", ratio, factor)
    if ratio >= 1.0 - FASTEST_BAND:
        return Regime("fastest", "About 1/L: the fastest",
                      f"lr = {lr:g} ≈ 1/L = {1 / curvature:g}: the step matches the curvature, "
                      f"so one step nearly lands on the minimum (distance ×{abs(factor):.2g}). "
                      "On a quadratic, exactly 1/L gets there in one step.", ratio, factor)
    return Regime("crawling", "Small: crawling",
                  f"lr = {lr:g} is below 1/L = {1 / curvature:g}: every step goes the right "
                  f"way but removes only {ratio * 100:.3g} % of the remaining distance, so it "
                  f"takes many steps. Up to 2/L = {limit:g} is still stable.", ratio, factor)
