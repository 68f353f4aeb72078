"""Does a picture look like anything a model was trained on? A classifier always answers — random
noise came out "merger" at 99.99 % — so the answer needs a second opinion that is not the
softmax.

The opinion used here (Lee et al. 2018, "A simple unified framework for detecting
out-of-distribution samples"): the model's penultimate features of its training images are
summarised as one Gaussian per class with a shared covariance; a new picture's distance is its
Mahalanobis distance to the nearest class mean. The threshold is a percentile of the distances
of *held-out* images of the same data (the validation split), so by construction about
100 − percentile % of ordinary pictures are flagged. Digits add a check of their own: the share
of the 28×28 frame that is ink must lie within what MNIST's digits have.

Each shipped model's summary is a small file of our own next to it, `<model>.ood.npz` (plain
arrays, loaded with allow_pickle=False), written by `tools/calibrate_novelty.py`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

INK_LEVEL = 0.5
"""A pixel of a prepared 28×28 digit (0-1) counts as ink above this."""


@dataclass(frozen=True)
class FeatureDensity:
    """Class means and a shared precision matrix of penultimate features, and the threshold."""

    means: np.ndarray
    """(classes, features)."""
    precision: np.ndarray
    """(features, features): the inverse of the shared (shrunk) covariance."""
    threshold: float
    """Distances above this are unfamiliar: the `percentile` of the held-out distances."""
    percentile: float
    ink: tuple[float, float] | None = None
    """(lowest, highest) ink share of the training digits (digit models only)."""
    info: dict[str, Any] = field(default_factory=dict)

    def distances(self, features: np.ndarray) -> np.ndarray:
        """(N,) Mahalanobis distance of each row to the nearest class mean."""
        f = np.asarray(features, dtype=np.float64)
        diff = f[:, None, :] - self.means[None, :, :]
        squared = np.einsum("nkd,de,nke->nk", diff, self.precision, diff)
        return np.sqrt(np.maximum(squared.min(axis=1), 0.0))


def penultimate(model: nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(features, outputs) of a playground network: its blocks up to the output layer, then
    the output layer (core.build names the last block "output")."""
    blocks = list(model.children())
    features = x
    for block in blocks[:-1]:
        features = block(features)
    return features, blocks[-1](features)


def fit(features: np.ndarray, labels: np.ndarray, held_out: np.ndarray,
        percentile: float = 99.0, ink: tuple[float, float] | None = None,
        info: dict[str, Any] | None = None) -> FeatureDensity:
    """The summary of training `features` (N, D) with integer `labels`, its threshold set on
    the distances of `held_out` features (images not used for the means or covariance)."""
    f = np.asarray(features, dtype=np.float64)
    classes = np.unique(labels)
    means = np.stack([f[labels == c].mean(axis=0) for c in classes])
    centred = f - means[np.searchsorted(classes, labels)]
    cov = centred.T @ centred / len(f)
    # a little shrinkage: ReLU features have dead directions, and a singular covariance would
    # make any movement along them infinitely far
    cov += np.eye(len(cov)) * (1e-3 * np.trace(cov) / len(cov) + 1e-9)
    density = FeatureDensity(means, np.linalg.inv(cov), 0.0, percentile, ink, info or {})
    threshold = float(np.percentile(density.distances(held_out), percentile))
    return FeatureDensity(means, density.precision, threshold, percentile, ink, info or {})


def density_path(model_path: str | Path) -> Path:
    path = Path(model_path)
    return path.with_name(path.name.removesuffix(".safetensors") + ".ood.npz")


def save(path: str | Path, density: FeatureDensity) -> None:
    ink = np.asarray(density.ink if density.ink is not None else [np.nan, np.nan])
    np.savez(path, means=density.means.astype(np.float32),
             precision=density.precision.astype(np.float64),
             threshold=np.float64(density.threshold), percentile=np.float64(density.percentile),
             ink=ink, info=np.asarray([f"{k}={v}" for k, v in density.info.items()]))


def load(model_path: str | Path) -> FeatureDensity | None:
    """The summary next to a model file, or None when there is none (or it is unusable: a
    model without one simply gets no feature check). Cached by file and modification time."""
    path = density_path(model_path)
    try:
        stamp = path.stat().st_mtime_ns if path.is_file() else None
    except OSError:
        stamp = None
    return None if stamp is None else _load(str(path), stamp)


@functools.lru_cache(maxsize=8)
def _load(path: str, stamp: int) -> FeatureDensity | None:
    try:
        with np.load(path, allow_pickle=False) as data:
            means = np.asarray(data["means"], dtype=np.float64)
            precision = np.asarray(data["precision"], dtype=np.float64)
            threshold, percentile = float(data["threshold"]), float(data["percentile"])
            ink = tuple(float(v) for v in data["ink"])
            info = dict(str(s).split("=", 1) for s in data["info"])
    except (OSError, KeyError, ValueError, TypeError):
        return None
    if means.ndim != 2 or precision.shape != (means.shape[1],) * 2:
        return None
    return FeatureDensity(means, precision, threshold, percentile,
                          None if np.isnan(ink).any() else ink, info)


def ink_share(image: np.ndarray) -> float:
    """Share of a prepared 28×28 digit's pixels that are ink."""
    return float((np.asarray(image) > INK_LEVEL).mean())


def feature_reason(density: FeatureDensity | None, features: np.ndarray, what: str
                   ) -> str | None:
    """A sentence when `features` (one row) lie farther from every class than the threshold."""
    if density is None or features.shape[-1] != density.means.shape[1]:
        return None
    distance = float(density.distances(features.reshape(1, -1))[0])
    if distance <= density.threshold:
        return None
    return (f"the network's features of it are far from every {what} it was trained on "
            f"(distance {distance:.0f}; {density.percentile:g} % of held-out {what} pictures "
            f"are within {density.threshold:.0f})")


def digit_reason(density: FeatureDensity | None, image: np.ndarray,
                 features: np.ndarray) -> str | None:
    """Why a prepared drawing does not look like MNIST's digits, or None."""
    if density is not None and density.ink is not None:
        share, (low, high) = ink_share(image), density.ink
        if not low <= share <= high:
            return (f"{share:.0%} of its 28×28 frame is ink, where MNIST's digits have "
                    f"{low:.0%} to {high:.0%}")
    return feature_reason(density, features, "digit")
