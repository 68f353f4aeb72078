"""The survey-shift test: held-out Galaxy Zoo test galaxies redrawn as other surveys and cameras
would show them, to measure how a galaxy model holds up away from its SDSS training pictures.

Built from the held-out TEST split only (never from training or validation images) and never
trained on. Each transform follows a documented difference between the SDSS colour cut-outs the
models learn from and what users bring; all are deterministic (seeded). The SDSS facts used:
gri colour (i → red, r → green, g → blue) with the Lupton et al. (2004) asinh stretch, pixels of
0.396″, median seeing ≈ 1.4″, r-band depth ≈ 22.7 mag (5σ). A Galaxy Zoo frame (69 px here) is
scaled to the galaxy's Petrosian radius, so one frame pixel spans roughly 0.6–1.5″: the seeing
of either survey is about one frame pixel.

Transforms (`TRANSFORMS`, each (N, 69, 69, 3) 0-1 → the same shape):

* ``legacy_colour`` — the DESI Legacy Surveys' grz colour scheme. The SDSS asinh stretch is
  undone (sinh, the softening the page also assumes), i is extrapolated to z (redder galaxies
  are brighter still in z), the bands are weighted as the Legacy Surveys viewer does (z 2.2,
  r 3.4, g 6.0: blue lifted, red damped relative to SDSS) and re-stretched with its stronger
  asinh softening (Q = 20), which brings up faint outskirts and neighbours.
* ``legacy_sharp`` — Legacy Surveys resolution and depth: 0.262″ pixels (1.5× finer) and
  ≈ 1.2″ seeing. Sharpened by undoing a Gaussian of σ = √(1.4² − 1.2²)/2.355 ≈ 0.3″ (an unsharp
  mask), upsampled 1.5× and shrunk back (the finer sampling), with the faint light lifted as a
  survey one magnitude deeper shows it.
* ``shallow_blurry`` — a shallower, worse-seeing survey or a small telescope: seeing 2.2″
  (Gaussian σ ≈ 0.8 frame pixels added in quadrature) and sky noise about 3× SDSS's (a depth
  ≈ 1.2 mag shallower), Gaussian per pixel and band.
* ``single_band`` — a one-filter picture (a FITS file of one band, a grey press image): the
  r band alone, rescaled to the same brightness and shown grey in all three channels, as the
  page does with grey pictures.
* ``linear_stretch`` — the same fluxes shown with a linear stretch (what a FITS viewer's default
  or an archive's quick-look gives): the SDSS asinh undone, scaled so the 99.5th percentile of
  each picture is white; faint arms and disks fade into the sky.
* ``jpeg_reframed`` — a user's screenshot: framing off by up to ±4 px (6 % of the frame) and
  ±15 % in size, any rotation, a flip, then saved as a JPEG of quality 50 (4:2:0 chroma).
"""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
import torch
from PIL import Image
from torch.nn import functional as F

from core.config import DatasetConfig
from core.data import load_dataset

SDSS_BETA = 8.0
"""Softening of the SDSS colour images' asinh stretch as the page undoes it
(core.galaxies.galaxy_prep)."""
SEED = 1234


def to_linear(v: np.ndarray) -> np.ndarray:
    """SDSS-stretched 0-1 values → (relative) linear flux, per band."""
    return np.sinh(SDSS_BETA * v) / np.sinh(SDSS_BETA)


def from_linear(flux: np.ndarray, softening: float = SDSS_BETA) -> np.ndarray:
    """Linear flux (1 = white under the SDSS stretch) → 0-1 with an asinh stretch."""
    return np.clip(np.arcsinh(softening * np.sinh(SDSS_BETA) / SDSS_BETA * flux)
                   / np.arcsinh(softening * np.sinh(SDSS_BETA) / SDSS_BETA), 0, 1)


def _gauss_blur(x: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur of NHWC pictures (σ in pixels), edges reflected."""
    radius = max(1, int(np.ceil(3 * sigma)))
    t = np.arange(-radius, radius + 1, dtype=np.float32)
    k = np.exp(-0.5 * (t / sigma) ** 2)
    k = torch.from_numpy(k / k.sum())
    a = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32)).permute(0, 3, 1, 2)
    c = a.shape[1]
    a = F.pad(a, (radius, radius, radius, radius), mode="reflect")
    a = F.conv2d(a, k.view(1, 1, 1, -1).repeat(c, 1, 1, 1), groups=c)
    a = F.conv2d(a, k.view(1, 1, -1, 1).repeat(c, 1, 1, 1), groups=c)
    return a.permute(0, 2, 3, 1).numpy()


def legacy_colour(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    flux = to_linear(x)
    i, r, g = flux[..., 0], flux[..., 1], flux[..., 2]
    z = np.clip(i + 0.5 * (i - r), 0, None)  # z continues the i − r colour one step redder
    weights = np.array([2.2, 3.4, 6.0]) / 3.4
    rgb = np.stack([z, r, g], axis=-1) * weights
    return from_linear(rgb, softening=20.0).astype(np.float32)


def legacy_sharp(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    blurred = _gauss_blur(x, 0.7)
    sharp = np.clip(x + 0.8 * (x - blurred), 0, 1)
    a = torch.from_numpy(sharp).permute(0, 3, 1, 2)
    side = a.shape[-1]
    up = F.interpolate(a, scale_factor=1.5, mode="bicubic", align_corners=False)
    back = F.interpolate(up, size=(side, side), mode="bilinear", antialias=True,
                         align_corners=False).clamp(0, 1)
    # one magnitude deeper: the faint light stands 1.6× higher above the same stretch
    deeper = from_linear(to_linear(back.permute(0, 2, 3, 1).numpy()) * 1.6)
    return deeper.astype(np.float32)


def shallow_blurry(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    blurred = _gauss_blur(x, 0.8)
    sky = x[:, :6].reshape(len(x), -1, 3)
    noise = np.median(np.abs(sky - np.median(sky, axis=1, keepdims=True)), axis=1) * 1.4826
    sigma = np.maximum(2.0 * noise, 0.012)[:, None, None, :]  # added: total ≈ 3× the sky's
    return np.clip(blurred + rng.normal(size=x.shape) * sigma, 0, 1).astype(np.float32)


def single_band(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    r = x[..., 1]
    scale = x.mean(axis=(1, 2, 3)) / np.maximum(r.mean(axis=(1, 2)), 1e-6)
    grey = np.clip(r * scale[:, None, None], 0, 1)
    return np.repeat(grey[..., None], 3, axis=-1).astype(np.float32)


def linear_stretch(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    flux = to_linear(x)
    top = np.percentile(flux.reshape(len(x), -1), 99.5, axis=1)
    return np.clip(flux / np.maximum(top, 1e-6)[:, None, None, None], 0, 1).astype(np.float32)


def jpeg_reframed(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    n, side = len(x), x.shape[1]
    angle = torch.from_numpy(rng.uniform(0, 2 * np.pi, n)).float()
    zoom = torch.from_numpy(1 / rng.uniform(0.85, 1.15, n)).float()
    shift = torch.from_numpy(rng.uniform(-4, 4, (n, 2)) * 2 / side).float()
    flip = torch.from_numpy(np.where(rng.random(n) < 0.5, -1.0, 1.0)).float()
    cos, sin = torch.cos(angle) * zoom, torch.sin(angle) * zoom
    theta = torch.stack([torch.stack([cos * flip, -sin, shift[:, 0]], 1),
                         torch.stack([sin * flip, cos, shift[:, 1]], 1)], 1)
    a = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32)).permute(0, 3, 1, 2)
    grid = F.affine_grid(theta, list(a.shape), align_corners=False)
    moved = F.grid_sample(a, grid, mode="bilinear", padding_mode="border",
                          align_corners=False).permute(0, 2, 3, 1).numpy()
    out = np.empty_like(moved)
    for k, picture in enumerate(moved):
        buffer = io.BytesIO()
        Image.fromarray((np.clip(picture, 0, 1) * 255).round().astype(np.uint8)).save(
            buffer, format="JPEG", quality=50)
        out[k] = np.asarray(Image.open(buffer).convert("RGB"), dtype=np.float32) / 255
    return out


TRANSFORMS: dict[str, Callable[[np.ndarray, np.random.Generator], np.ndarray]] = {
    "legacy_colour": legacy_colour,
    "legacy_sharp": legacy_sharp,
    "shallow_blurry": shallow_blurry,
    "single_band": single_band,
    "linear_stretch": linear_stretch,
    "jpeg_reframed": jpeg_reframed,
}


def survey_shift_set(images: np.ndarray, seed: int = SEED) -> dict[str, np.ndarray]:
    """Every transform of (N, H, W, 3) 0-1 test pictures, in TRANSFORMS' order."""
    x = np.asarray(images, dtype=np.float32)
    return {name: transform(x, np.random.default_rng([seed, k]))
            for k, (name, transform) in enumerate(TRANSFORMS.items())}


def test_frames(dataset) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The held-out test split of a galaxy model's data set (`dataset`: its DatasetConfig) as
    full frames (N, H, W, 3) 0-1, before the model's crop, with labels and class names."""
    plain = DatasetConfig(name=dataset.name, task=dataset.task, seed=dataset.seed,
                          subset=dataset.subset, val_fraction=dataset.val_fraction,
                          test_fraction=dataset.test_fraction)
    data = load_dataset(plain)
    return (data.x_test.permute(0, 2, 3, 1).numpy(), data.y_test.numpy(),
            list(data.class_names))


def val_frames(dataset) -> tuple[np.ndarray, np.ndarray]:
    """The validation split as full frames (for calibration: never the test split)."""
    plain = DatasetConfig(name=dataset.name, task=dataset.task, seed=dataset.seed,
                          subset=dataset.subset, val_fraction=dataset.val_fraction,
                          test_fraction=dataset.test_fraction)
    data = load_dataset(plain)
    return data.x_val.permute(0, 2, 3, 1).numpy(), data.y_val.numpy()
