"""Write a shipped model's "does this look like the training data?" summary (core.models.novelty):
class means and shared covariance of its penultimate features over its training split, the
threshold at a percentile of its validation split's distances, and for digit models the range
of ink shares of MNIST's digits; then report the false-flag rate on the held-out test split.

    PLAYGROUND_DATA_DIR=../shared/data python tools/calibrate_novelty.py \
        assets/galaxy_cnn.safetensors

Writes assets/<name>.ood.npz next to the weights.
"""

# ruff: noqa: E402
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np
import torch

from core.data import load_dataset
from core.models import novelty
from core.models.model_io import load_model

MAX_FIT = 20_000
"""Training images used for the means and covariance (enough for a 128-D Gaussian)."""


@torch.no_grad()
def features_of(model: torch.nn.Module, x: torch.Tensor) -> np.ndarray:
    model.eval()
    return torch.cat([novelty.penultimate(model, x[i:i + 1000])[0]
                      for i in range(0, len(x), 1000)]).double().numpy()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("model", type=Path)
    parser.add_argument("--percentile", type=float, default=99.0)
    args = parser.parse_args()
    built, meta = load_model(args.model)
    data = load_dataset(meta["config"].dataset)
    pick = np.random.default_rng(0).permutation(len(data.x_train))[:MAX_FIT]
    x_fit, y_fit = data.x_train[pick], data.y_train[pick].numpy()
    ink = None
    if meta["config"].dataset.name == "mnist":
        shares = np.array([novelty.ink_share(data.show(x)[0].numpy()) for x in x_fit])
        ink = (float(np.percentile(shares, 0.05)), float(np.percentile(shares, 99.95)))
    density = novelty.fit(features_of(built.model, x_fit), y_fit,
                          features_of(built.model, data.x_val), args.percentile, ink,
                          {"model": args.model.name, "fit_images": len(x_fit),
                           "threshold_images": len(data.x_val)})
    test = density.distances(features_of(built.model, data.x_test))
    out = novelty.density_path(args.model)
    novelty.save(out, density)
    print(f"{out}: threshold {density.threshold:.2f} (p{args.percentile:g} of "
          f"{len(data.x_val):,} validation images), ink {ink}; test images over it: "
          f"{(test > density.threshold).mean():.2%} of {len(test):,}")


if __name__ == "__main__":
    main()
