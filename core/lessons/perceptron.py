"""Rosenblatt's perceptron on the four corners of the unit square: AND and OR can be learned,
XOR cannot, and one hidden layer of two perceptrons fixes it.

With the step activation the update is Rosenblatt's rule; with the sigmoid it is the same
formula with a graded prediction (the delta rule, i.e. SGD on a logistic neuron).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

CORNERS: tuple[tuple[float, float], ...] = ((0.0, 0.0), (0.0, 1.0), (1.0, 0.0), (1.0, 1.0))
GATES: dict[str, tuple[int, ...]] = {"AND": (0, 0, 0, 1), "OR": (0, 1, 1, 1),
                                     "XOR": (0, 1, 1, 0)}
ACTIVATIONS = ("step", "sigmoid")


def activate(z: float, activation: str) -> float:
    if activation == "step":
        return 1.0 if z > 0 else 0.0
    return float(torch.sigmoid(torch.tensor(z, dtype=torch.float64)))


def weighted_sum(w: tuple[float, float], b: float, x: tuple[float, float]) -> float:
    return w[0] * x[0] + w[1] * x[1] + b


def predict(w: tuple[float, float], b: float, x: tuple[float, float], activation: str) -> float:
    return activate(weighted_sum(w, b, x), activation)


def decision_line(w: tuple[float, float], b: float,
                  lo: float = -0.5, hi: float = 1.5) -> tuple[list[float], list[float]] | None:
    """Two end points of w1·x1 + w2·x2 + b = 0 across the box [lo, hi]², or None (no line)."""
    w1, w2 = w
    if abs(w1) < 1e-12 and abs(w2) < 1e-12:
        return None
    if abs(w2) >= abs(w1):
        xs = [lo, hi]
        return xs, [-(w1 * x + b) / w2 for x in xs]
    ys = [lo, hi]
    return [-(w2 * y + b) / w1 for y in ys], ys


@dataclass(frozen=True)
class RuleStep:
    """One application of the learning rule to one training point."""

    epoch: int  # from 1
    index: int  # which corner
    x: tuple[float, float]
    target: int
    z: float
    prediction: float
    error: float  # target − prediction
    w_before: tuple[float, float]
    b_before: float
    w_after: tuple[float, float]
    b_after: float


@dataclass(frozen=True)
class RuleRun:
    steps: list[RuleStep]
    converged_epoch: int | None  # the first epoch with every point right, None if never

    def mistakes_per_epoch(self, activation: str = "step") -> list[int]:
        counts: dict[int, int] = {}
        for s in self.steps:
            wrong = (s.prediction > 0.5) != (s.target == 1)
            counts[s.epoch] = counts.get(s.epoch, 0) + int(wrong)
        return [counts[e] for e in sorted(counts)]


def learn(gate: str, w0: tuple[float, float] = (0.0, 0.0), b0: float = 0.0, lr: float = 0.5,
          activation: str = "step", max_epochs: int = 20) -> RuleRun:
    """Visit the four corners in order, epoch after epoch: w ← w + η·(t − y)·x, b ← b + η·(t − y).

    Stops after the first epoch in which every corner is classified right (prediction on the
    right side of 0.5) before its update, or after `max_epochs` (XOR never gets there).
    """
    targets = GATES[gate]
    w, b = (float(w0[0]), float(w0[1])), float(b0)
    steps: list[RuleStep] = []
    converged = None
    for epoch in range(1, max_epochs + 1):
        all_right = True
        for i, (x, t) in enumerate(zip(CORNERS, targets, strict=True)):
            z = weighted_sum(w, b, x)
            y = activate(z, activation)
            err = t - y
            if (y > 0.5) != (t == 1):
                all_right = False
            new_w = (w[0] + lr * err * x[0], w[1] + lr * err * x[1])
            new_b = b + lr * err
            steps.append(RuleStep(epoch, i, x, t, z, y, err, w, b, new_w, new_b))
            w, b = new_w, new_b
        if all_right:
            converged = epoch
            break
    return RuleRun(steps, converged)


def accuracy(gate: str, w: tuple[float, float], b: float) -> float:
    right = sum((weighted_sum(w, b, x) > 0) == (t == 1)
                for x, t in zip(CORNERS, GATES[gate], strict=True))
    return right / len(CORNERS)


def best_single_line_accuracy(gate: str, resolution: int = 24) -> float:
    """The best accuracy any line reaches (a search over directions and offsets): 1 for AND and
    OR, 0.75 for XOR — the fact the lesson is about, checked rather than asserted."""
    best = 0.0
    for k in range(resolution):
        angle = 2 * math.pi * k / resolution
        w = (math.cos(angle), math.sin(angle))
        for j in range(-4 * resolution, 4 * resolution + 1):
            best = max(best, accuracy(gate, w, j / resolution))
    return best


# ----- one hidden layer: XOR as "OR and not AND" -----------------------------------------------
XOR_HIDDEN = {
    "W1": ((1.0, 1.0), (1.0, 1.0)),  # both hidden units look at x1 + x2
    "b1": (-0.5, -1.5),  # unit 1 fires for "at least one" (OR), unit 2 for "both" (AND)
    "W2": (1.0, -2.0),  # output: OR minus twice AND
    "b2": -0.5,
}


def xor_network(x: tuple[float, float]) -> tuple[tuple[float, float], float]:
    """(hidden outputs, output) of the hand-set 2-2-1 step network that computes XOR."""
    p = XOR_HIDDEN
    h = tuple(activate(weighted_sum(p["W1"][j], p["b1"][j], x), "step") for j in range(2))
    out = activate(weighted_sum(p["W2"], p["b2"], h), "step")
    return (h[0], h[1]), out


def output_grid(w: tuple[float, float], b: float, activation: str, n: int = 101,
                lo: float = -0.5, hi: float = 1.5) -> np.ndarray:
    """The neuron's output over an n×n grid of [lo, hi]² (rows along x2), for the heatmap."""
    g = np.linspace(lo, hi, n)
    x1, x2 = np.meshgrid(g, g)
    z = w[0] * x1 + w[1] * x2 + b
    if activation == "step":
        return (z > 0).astype(np.float64)
    return torch.sigmoid(torch.from_numpy(z)).numpy()


def xor_network_grid(n: int = 101, lo: float = -0.5, hi: float = 1.5) -> np.ndarray:
    """The hand-set XOR network's output over an n×n grid (rows along x2)."""
    g = np.linspace(lo, hi, n)
    return np.array([[xor_network((float(a), float(b)))[1] for a in g] for b in g])
