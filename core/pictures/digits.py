"""Digit models for the "Draw a digit" page and `python -m core predict-digit`: load a model
(found through core.models.assets), feed it a 28×28 drawing, fine-tune a copy on a few of the user's
own drawings, and pack those drawings into a zip. No Streamlit here.
"""

from __future__ import annotations

import copy
import csv
import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from PIL import Image
from torch import nn

from core.data.download import find_local
from core.data.images import MNIST_REMOTE
from core.errors import ConfigError
from core.losses import Head
from core.models import novelty
from core.models.assets import model_path, normalization_of
from core.models.model_io import load_model
from core.models.novelty import digit_reason, penultimate
from core.pictures.preprocess import SIZE, to_uint8

DEFAULT_MODEL = "mnist_cnn"
SHIPPED = ("mnist_cnn", "mnist_mlp")


@dataclass
class DigitModel:
    """A classifier of 10 digits that takes one grey image, with what its input needs."""

    model: nn.Module
    head: Head
    input_shape: tuple[int, int, int]
    mean: np.ndarray | None = None
    """Per-channel mean / std of a standardised training set (None: pixels 0-1 as they are)."""
    std: np.ndarray | None = None
    name: str = ""
    density: Any = None
    """core.models.novelty.FeatureDensity of its training digits (shipped models), or None."""

    def input(self, image: np.ndarray) -> torch.Tensor:
        """A prepared 28×28 drawing (0-1) as this model's input batch (1, C, H, W)."""
        return model_input(image, self.input_shape, self.mean, self.std)

    @torch.no_grad()
    def probabilities(self, image: np.ndarray) -> np.ndarray:
        return predict_probabilities(self.model, self.head, self.input(image))

    def warning(self, image: np.ndarray) -> str | None:
        """A sentence when the prepared drawing does not look like MNIST's digits."""
        return unfamiliar_warning(self.model, self.input(image), self.density, image)


@torch.no_grad()
def unfamiliar_warning(model: nn.Module, x: torch.Tensor, density: Any, image: np.ndarray
                       ) -> str | None:
    """"This does not look like a handwritten digit: …" when the prepared drawing `image`
    (model input `x`) has an ink share or penultimate features unlike the training digits
    (core.models.novelty); None when it looks like one, or when the model has no summary."""
    if density is None:
        return None
    was = model.training
    model.eval()
    try:
        features, _ = penultimate(model, x.to(next(model.parameters()).device))
    finally:
        model.train(was)
    reason = digit_reason(density, image, features.cpu().double().numpy())
    return None if reason is None else (f"This does not look like a handwritten digit: "
                                        f"{reason}. The answer is a guess.")


def check_digit_model(head: Head, input_shape: Sequence[int], class_names: Sequence[str],
                      what: str = "this model") -> None:
    """ConfigError unless the model classifies one-channel images into ten classes."""
    if head.task != "classification" or len(class_names) != 10 or len(input_shape) != 3:
        raise ConfigError(f"{what} is not a digit classifier (it must sort grey images into "
                          f"10 classes)")
    if int(input_shape[0]) != 1:
        raise ConfigError(f"{what} takes colour images; digit drawings are grey")


def load_digit_model(name: str = DEFAULT_MODEL) -> DigitModel:
    """A shipped model by name, or a .safetensors path; ModelMissing / ConfigError otherwise."""
    path = model_path(name)
    built, meta = load_model(path)
    check_digit_model(built.head, meta["input_shape"], meta["class_names"], str(path))
    mean, std = normalization_of(meta)
    built.model.eval()
    return DigitModel(built.model, built.head, tuple(meta["input_shape"]), mean, std,
                      name=path.stem, density=novelty.load(path))


def model_input(image: np.ndarray, input_shape: Sequence[int] = (1, SIZE, SIZE),
                mean: Any = None, std: Any = None) -> torch.Tensor:
    """(N, C, H, W) float32 from one drawing (28, 28) (N = 1) or a stack (N, 28, 28): resized
    to the model's size when it differs (as the data sets are resized: bilinear, anti-aliased)
    and standardised when the model was."""
    a = np.ascontiguousarray(image, dtype=np.float32)
    x = torch.from_numpy(a[None, None] if a.ndim == 2 else a[:, None])
    c, h, w = (int(v) for v in input_shape)
    if (h, w) != tuple(x.shape[-2:]):
        x = torch.nn.functional.interpolate(x, size=(h, w), mode="bilinear", antialias=True,
                                            align_corners=False).clamp_(0, 1)
    if c != 1:
        x = x.expand(len(x), c, h, w).contiguous()
    if mean is not None and std is not None:
        m = torch.as_tensor(np.asarray(mean, dtype=np.float32)).reshape(1, -1, 1, 1)
        s = torch.as_tensor(np.asarray(std, dtype=np.float32)).reshape(1, -1, 1, 1)
        x = (x - m) / s.clamp_min(1e-6)
    return x


@torch.no_grad()
def predict_probabilities(model: nn.Module, head: Head, x: torch.Tensor) -> np.ndarray:
    """Class probabilities of the first image of batch `x`, in eval mode."""
    was = model.training
    model.eval()
    try:
        device = next(model.parameters()).device
        return head.probabilities(model(x.to(device)))[0].cpu().numpy().astype(np.float64)
    finally:
        model.train(was)


def doubt(probabilities: Sequence[float], threshold: float = 0.6, margin: float = 0.2
          ) -> str | None:
    """A short sentence when the model is unsure (top probability under `threshold`, or the
    top two within `margin`); None when it is sure."""
    p = np.asarray(probabilities, dtype=np.float64)
    order = np.argsort(-p)
    first, second = int(order[0]), int(order[1])
    if p[first] >= threshold and p[first] - p[second] >= margin:
        return None
    if p[first] - p[second] < margin:
        return (f"Unsure: it is torn between {first} ({p[first]:.0%}) and {second} "
                f"({p[second]:.0%}).")
    return f"Unsure: {first} is only {p[first]:.0%} likely; next is {second} ({p[second]:.0%})."


# ----- fine-tuning on the user's drawings -------------------------------------------------------
@dataclass
class FineTuneResult:
    model: nn.Module
    losses: list[float]
    steps: int
    examples: int
    mixed: int
    """How many real MNIST images each step mixed in (0 without the data set)."""


def fine_tune(model: nn.Module, head: Head, x_user: torch.Tensor, y_user: torch.Tensor, *,
              x_mix: torch.Tensor | None = None, y_mix: torch.Tensor | None = None,
              steps: int = 30, lr: float = 3e-4, mix_per_step: int = 32, seed: int = 0
              ) -> FineTuneResult:
    """A copy of `model` after `steps` Adam steps on the user's drawings (every step sees all
    of them, up to 64 drawn at random) mixed with `mix_per_step` real training images, so the
    network learns the new examples without forgetting the rest. Batch-norm layers keep their
    running statistics (a batch of a few drawings would spoil them); the original model is not
    touched. Inputs are model-ready batches (N, C, H, W) with integer labels."""
    if len(x_user) == 0:
        raise ValueError("there are no drawings to learn from")
    tuned = copy.deepcopy(model).cpu()
    tuned.train()
    for module in tuned.modules():
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            module.eval()
    optimizer = torch.optim.Adam([p for p in tuned.parameters() if p.requires_grad], lr=lr)
    criterion = head.criterion()
    generator = torch.Generator().manual_seed(seed)
    mixed = 0 if x_mix is None or y_mix is None or len(x_mix) == 0 else min(mix_per_step,
                                                                            len(x_mix))
    losses = []
    for _ in range(steps):
        if len(x_user) > 64:
            pick = torch.randperm(len(x_user), generator=generator)[:64]
            xb, yb = x_user[pick], y_user[pick]
        else:
            xb, yb = x_user, y_user
        if mixed:
            pick = torch.randint(len(x_mix), (mixed,), generator=generator)
            xb, yb = torch.cat([xb, x_mix[pick]]), torch.cat([yb, y_mix[pick]])
        optimizer.zero_grad(set_to_none=True)
        loss = criterion(head.outputs_for_loss(tuned(xb)), head.prepare_targets(yb))
        loss.backward()
        optimizer.step()
        losses.append(float(loss.detach()))
    tuned.eval()
    return FineTuneResult(tuned, losses, steps, len(x_user), mixed)


def mnist_sample(n: int = 2000, seed: int = 0) -> tuple[np.ndarray, np.ndarray] | None:
    """`n` random MNIST training digits ((n, 28, 28) float32 0-1, labels) from the local copy
    (PLAYGROUND_DATA_DIR or the download cache); None when it is not on this machine. Never
    downloads."""
    path = find_local(MNIST_REMOTE.filename)
    if path is None:
        return None
    try:
        with np.load(path) as data:
            x, y = data["x_train"], data["y_train"]
            pick = np.sort(np.random.default_rng(seed).choice(len(y), size=min(n, len(y)),
                                                              replace=False))
            return x[pick].astype(np.float32) / 255.0, y[pick].astype(np.int64)
    except Exception:  # noqa: BLE001 - a damaged file: fine-tune without it
        return None


# ----- the collection of drawings ---------------------------------------------------------------
def collection_zip(images: Sequence[np.ndarray], labels: Sequence[int],
                   predicted: Sequence[int | None] | None = None) -> bytes:
    """The drawings as 28×28 PNG files (white digit on black, as MNIST) plus labels.csv
    (file, label, predicted), zipped in memory."""
    if len(images) != len(labels):
        raise ValueError(f"got {len(images)} drawings but {len(labels)} labels")
    predicted = list(predicted) if predicted is not None else [None] * len(images)
    table = io.StringIO()
    writer = csv.writer(table, lineterminator="\n")
    writer.writerow(["file", "label", "predicted"])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for i, (image, label, guess) in enumerate(zip(images, labels, predicted, strict=True),
                                                  start=1):
            name = f"drawing_{i:03d}_label_{int(label)}.png"
            png = io.BytesIO()
            Image.fromarray(to_uint8(image), mode="L").save(png, format="PNG")
            zf.writestr(name, png.getvalue())
            writer.writerow([name, int(label), "" if guess is None else int(guess)])
        zf.writestr("labels.csv", table.getvalue())
    return buffer.getvalue()
