"""Confidence that means something: temperature scaling (Guo et al. 2017) fitted on the
validation split, the expected calibration error, the reliability diagram's bins, and the
"unsure" threshold read off them. Pure numpy / torch; no Streamlit."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

ECE_BINS = 10


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    z = np.asarray(logits, dtype=np.float64) / temperature
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """The T > 0 that minimises the negative log-likelihood of softmax(logits / T): one number,
    so the ranking of classes (and every decision) stays as it was; only how sure it sounds
    changes."""
    z = torch.as_tensor(np.asarray(logits), dtype=torch.float64)
    y = torch.as_tensor(np.asarray(labels), dtype=torch.long)
    log_t = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([log_t], lr=0.1, max_iter=200, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(z / log_t.exp(), y)
        loss.backward()
        return loss

    opt.step(closure)
    return float(log_t.detach().exp())


@dataclass
class Reliability:
    """Per confidence bin: its edges, how many predictions, their mean confidence and accuracy."""

    edges: np.ndarray
    counts: np.ndarray
    confidence: np.ndarray
    accuracy: np.ndarray

    @property
    def ece(self) -> float:
        """Expected calibration error: the count-weighted mean |accuracy − confidence|."""
        n = self.counts.sum()
        gap = np.abs(np.nan_to_num(self.accuracy) - np.nan_to_num(self.confidence))
        return float((self.counts * gap).sum() / max(n, 1))


def reliability(probabilities: np.ndarray, labels: np.ndarray, bins: int = ECE_BINS
                ) -> Reliability:
    """Equal-width bins of the top-class confidence, from 1/classes to 1."""
    p = np.asarray(probabilities, dtype=np.float64)
    confidence = p.max(axis=1)
    correct = p.argmax(axis=1) == np.asarray(labels)
    edges = np.linspace(1 / p.shape[1], 1, bins + 1)
    which = np.clip(np.searchsorted(edges, confidence, side="right") - 1, 0, bins - 1)
    counts = np.bincount(which, minlength=bins)
    with np.errstate(invalid="ignore"):
        conf = np.bincount(which, confidence, minlength=bins) / counts
        acc = np.bincount(which, correct.astype(float), minlength=bins) / counts
    return Reliability(edges, counts, conf, acc)


def expected_calibration_error(probabilities: np.ndarray, labels: np.ndarray,
                               bins: int = ECE_BINS) -> float:
    return reliability(probabilities, labels, bins).ece


def unsure_threshold(probabilities: np.ndarray, labels: np.ndarray, target: float = 0.9,
                     grid: np.ndarray | None = None) -> float:
    """The lowest confidence from which the calls are right at least `target` of the time
    (measured on the validation split): below it the page says "unsure"."""
    p = np.asarray(probabilities)
    confidence = p.max(axis=1)
    correct = p.argmax(axis=1) == np.asarray(labels)
    for t in (np.arange(0.30, 0.96, 0.05) if grid is None else grid):
        above = confidence >= t
        if above.sum() >= 20 and correct[above].mean() >= target:
            return round(float(t), 2)
    return 0.95


def confusion_matrix(labels: np.ndarray, predicted: np.ndarray, k: int) -> np.ndarray:
    return np.bincount(np.asarray(labels) * k + np.asarray(predicted),
                       minlength=k * k).reshape(k, k)


def recalls(matrix: np.ndarray) -> np.ndarray:
    m = np.asarray(matrix, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.diag(m) / m.sum(axis=1)


def precisions(matrix: np.ndarray) -> np.ndarray:
    m = np.asarray(matrix, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.diag(m) / m.sum(axis=0)
