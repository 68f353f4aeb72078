"""Convolution and pooling arithmetic on one real picture: the output size formula, one output
pixel computed by hand beside torch's conv2d, preset and learned kernels, parameter counts.

Like a CNN layer (and torch), "convolution" here is cross-correlation: the kernel is not flipped.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from core.data.download import find_local
from core.inspection import first_conv_filters
from core.models.model_io import load_model

PRESET_KERNELS: dict[str, np.ndarray] = {
    "vertical edges (Sobel)": np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=np.float32),
    "horizontal edges (Sobel)": np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
                                         dtype=np.float32),
    "outline (Laplacian)": np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]], dtype=np.float32),
    "blur (box 3×3)": np.full((3, 3), 1 / 9, dtype=np.float32),
    "blur (Gaussian 5×5)": (np.outer([1, 4, 6, 4, 1], [1, 4, 6, 4, 1]) / 256).astype(np.float32),
    "sharpen": np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], dtype=np.float32),
    "identity": np.array([[0, 0, 0], [0, 1, 0], [0, 0, 0]], dtype=np.float32),
}


def output_size(n: int, k: int, p: int, s: int) -> int:
    """⌊(n + 2p − k) / s⌋ + 1: positions the kernel fits at (0 or less: it does not fit)."""
    return (n + 2 * p - k) // s + 1


def convolve(image: np.ndarray, kernel: np.ndarray, stride: int, padding: int) -> np.ndarray:
    """torch's conv2d of a grey image with one kernel (zero padding), as a 2-D array."""
    x = torch.from_numpy(np.ascontiguousarray(image, dtype=np.float32))[None, None]
    w = torch.from_numpy(np.ascontiguousarray(kernel, dtype=np.float32))[None, None]
    return F.conv2d(x, w, stride=stride, padding=padding)[0, 0].numpy()


def pool(image: np.ndarray, size: int, stride: int, kind: str) -> np.ndarray:
    x = torch.from_numpy(np.ascontiguousarray(image, dtype=np.float32))[None, None]
    fn = F.max_pool2d if kind == "max" else F.avg_pool2d
    return fn(x, size, stride=stride)[0, 0].numpy()


def padded(image: np.ndarray, padding: int) -> np.ndarray:
    return np.pad(image.astype(np.float64), padding)


@dataclass(frozen=True)
class Window:
    """The patch under the kernel for one output pixel, and the sum worked out."""

    row: int  # output pixel
    col: int
    top: int  # where the patch starts in the padded image
    left: int
    patch: np.ndarray
    products: np.ndarray  # patch · kernel, element by element (convolution)
    value: float  # by hand: the sum of the products (or max / mean of the patch for pooling)


def conv_window(image: np.ndarray, kernel: np.ndarray, stride: int, padding: int,
                row: int, col: int) -> Window:
    k = kernel.shape[0]
    _check_pixel(row, col, output_size(image.shape[0], k, padding, stride),
                 output_size(image.shape[1], k, padding, stride))
    top, left = row * stride, col * stride
    patch = padded(image, padding)[top:top + k, left:left + k]
    products = patch * kernel.astype(np.float64)
    return Window(row, col, top, left, patch, products, float(products.sum()))


def pool_window(image: np.ndarray, size: int, stride: int, kind: str, row: int,
                col: int) -> Window:
    _check_pixel(row, col, output_size(image.shape[0], size, 0, stride),
                 output_size(image.shape[1], size, 0, stride))
    top, left = row * stride, col * stride
    patch = image.astype(np.float64)[top:top + size, left:left + size]
    value = float(patch.max() if kind == "max" else patch.mean())
    return Window(row, col, top, left, patch, patch, value)


def _check_pixel(row: int, col: int, rows: int, cols: int) -> None:
    if not (0 <= row < rows and 0 <= col < cols):
        raise ValueError(f"output pixel ({row}, {col}) is outside the {rows}×{cols} output")


# ----- parameter counts ------------------------------------------------------------------------
@dataclass(frozen=True)
class ParamComparison:
    conv: int  # a conv layer: filters · (k·k·channels + 1)
    dense_same_outputs: int  # a dense layer giving as many numbers as the conv's feature maps
    dense_same_units: int  # a dense layer with one unit per filter
    conv_outputs: int

    @property
    def ratio(self) -> float:
        return self.dense_same_outputs / self.conv


def _count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def parameter_counts(height: int, width: int, channels: int, filters: int, k: int,
                     stride: int, padding: int) -> ParamComparison:
    """Counted from torch modules built on the meta device (no memory for a 10⁸-weight layer)."""
    oh, ow = output_size(height, k, padding, stride), output_size(width, k, padding, stride)
    outputs = max(oh, 0) * max(ow, 0) * filters
    inputs = height * width * channels
    with torch.device("meta"):
        conv = _count(nn.Conv2d(channels, filters, k, stride=stride, padding=padding))
        dense_out = _count(nn.Linear(inputs, outputs)) if outputs else 0
        dense_units = _count(nn.Linear(inputs, filters))
    return ParamComparison(conv, dense_out, dense_units, outputs)


# ----- pictures --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Picture:
    label: str
    pixels: np.ndarray  # grey, 0–1, (H, W)


@functools.lru_cache(maxsize=2)
def sample_pictures(count: int = 6) -> tuple[Picture, ...]:
    """A few MNIST test digits and Galaxy Zoo galaxies (grey) from PLAYGROUND_DATA_DIR or the
    cache; scikit-learn's 8×8 digits (always installed) when neither file is on the machine."""
    pictures: list[Picture] = []
    mnist = find_local("mnist.npz")
    if mnist is not None:
        with np.load(mnist, allow_pickle=False) as d:
            x, y = d["x_test"][:count], d["y_test"][:count]
        pictures += [Picture(f"MNIST digit {int(label)} (28×28)", img / 255.0)
                     for img, label in zip(x, y, strict=True)]
    zoo = find_local("galaxy_zoo1_sdss.npz")
    if zoo is not None:
        pictures += _galaxies(zoo, count)
    if not pictures:
        from sklearn.datasets import load_digits  # heavy: only without MNIST at hand

        digits = load_digits()
        pictures += [Picture(f"scikit-learn digit {int(t)} (8×8)", img / 16.0)
                     for img, t in zip(digits.images[:count], digits.target[:count],
                                       strict=True)]
    return tuple(pictures)


def _galaxies(path: Path, count: int) -> list[Picture]:
    with np.load(path, allow_pickle=False) as d:
        names = [str(n) for n in d["class_names"]] if "class_names" in d.files else []
        labels = d["labels"]
        # one of each class first: an elliptical and a spiral teach more than four ellipticals
        order = [int(np.flatnonzero(labels == c)[0]) for c in np.unique(labels)][:count]
        images = d["images"][sorted(order)] if order else d["images"][:0]
        chosen = labels[sorted(order)]
    out = []
    for img, label in zip(images, chosen, strict=True):
        grey = img.astype(np.float64).mean(axis=2) / 255.0
        name = (names[int(label)] if int(label) < len(names) else f"class {int(label)}")
        name = name.replace("_", " ")
        out.append(Picture(f"Galaxy Zoo galaxy: {name} (69×69)", grey))
    return out


def learned_kernels(model_path: str | Path) -> list[np.ndarray]:
    """The first convolution's kernels of a saved model (first input channel each)."""
    built, _meta = load_model(model_path)
    weights = first_conv_filters(built.model)
    return [] if weights is None else [w[0] for w in weights]
