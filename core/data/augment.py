"""On-the-fly data augmentation for image batches, with torch's own resampling.

One affine resample (torch.nn.functional.affine_grid + grid_sample) applies the random shift,
rotation and zoom (`scale`: ±that share, so a model copes with framing that is a little off)
together; flips, brightness and noise are element-wise. Works on the batch's
device, in 0-1 pixel units (standardised batches are un- and re-standardised around it).

For pictures from other surveys and cameras (galaxies) three more change what differs between
them, each drawn per image:

* ``stretch`` — the display stretch: the SDSS asinh stretch is undone (sinh), the flux scaled
  by up to e^±stretch and re-stretched with an asinh softening e^±(1.5·stretch) times SDSS's
  (from nearly linear to strongly softened, as the Legacy Surveys' images are);
* ``colour`` — the colour scheme: per-channel gains e^N(0, colour/3) (gri vs grz band weights),
  saturation from grey to 1 + colour, and a quarter of the images fully grey (one band);
* ``blur`` — seeing and pixel scale: a Gaussian of σ = `blur` pixels mixed in by a random
  amount from fully blurred to sharpened (an unsharp mask), so finer and coarser PSFs alike.
"""

from __future__ import annotations

import math

import torch
from torch.nn import functional as F


class Augmenter:
    def __init__(self, spec: dict[str, float],
                 normalization: tuple[torch.Tensor | None, torch.Tensor | None] = (None, None)):
        self.shift = float(spec.get("shift", 0))
        self.rotation = float(spec.get("rotation", 0))
        self.scale = float(spec.get("scale", 0))
        self.flip = bool(spec.get("flip", False))
        self.brightness = float(spec.get("brightness", 0))
        self.noise = float(spec.get("noise", 0))
        self.stretch = float(spec.get("stretch", 0))
        self.colour = float(spec.get("colour", 0))
        self.blur = float(spec.get("blur", 0))
        self.mean, self.std = normalization

    def __call__(self, x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        n, _, h, w = x.shape
        dev = x.device

        def uniform(*shape: int) -> torch.Tensor:
            return (torch.rand(*shape, generator=generator) * 2 - 1).to(dev)

        if self.mean is not None:
            x = x * self.std.to(dev) + self.mean.to(dev)
        if self.shift or self.rotation or self.scale:
            angle = uniform(n) * math.radians(self.rotation)
            # sampling a grid 1/z as wide enlarges the picture z times
            zoom = 1 / (1 + uniform(n) * self.scale) if self.scale else torch.ones(n, device=dev)
            cos, sin = torch.cos(angle) * zoom, torch.sin(angle) * zoom
            # affine_grid works in [-1, 1] coordinates: a shift of s pixels is 2s / size
            tx, ty = uniform(n) * 2 * self.shift / w, uniform(n) * 2 * self.shift / h
            theta = torch.stack([torch.stack([cos, -sin, tx], 1),
                                 torch.stack([sin, cos, ty], 1)], 1)
            grid = F.affine_grid(theta, list(x.shape), align_corners=False)
            x = F.grid_sample(x, grid, padding_mode="border", align_corners=False)
        if self.flip:
            horizontal = (torch.rand(n, generator=generator) < 0.5).to(dev)
            vertical = (torch.rand(n, generator=generator) < 0.5).to(dev)
            x = torch.where(horizontal[:, None, None, None], x.flip(-1), x)
            x = torch.where(vertical[:, None, None, None], x.flip(-2), x)
        if self.stretch:
            x = restretch(x, uniform(n) * self.stretch, uniform(n) * 1.5 * self.stretch)
        if self.colour:
            x = recolour(x, self.colour, generator)
        if self.blur:
            amount = (torch.rand(n, generator=generator) * 1.8 - 1).to(dev)
            x = x + amount[:, None, None, None] * (x - gaussian_blur(x, self.blur))
        if self.brightness:
            x = x * (1 + uniform(n)[:, None, None, None] * self.brightness)
        if self.noise:
            x = x + torch.randn(x.shape, generator=generator).to(dev) * self.noise
        x = x.clamp(0, 1)
        if self.mean is not None:
            x = (x - self.mean.to(dev)) / self.std.to(dev)
        return x


SDSS_BETA = 8.0
"""The SDSS colour images' asinh softening as core.galaxies.galaxy_prep undoes it."""


def restretch(x: torch.Tensor, log_gain: torch.Tensor, log_softening: torch.Tensor
              ) -> torch.Tensor:
    """Undo the SDSS asinh stretch, scale the flux by e^log_gain and stretch again with an asinh
    softening e^log_softening times SDSS's (per image)."""
    s = math.sinh(SDSS_BETA) / SDSS_BETA
    flux = torch.sinh(SDSS_BETA * x.clamp(0, 1)) / math.sinh(SDSS_BETA)
    flux = flux * log_gain.exp()[:, None, None, None]
    q = (SDSS_BETA * log_softening.exp() * s)[:, None, None, None]
    return torch.asinh(q * flux) / torch.asinh(q)


def recolour(x: torch.Tensor, strength: float, generator: torch.Generator) -> torch.Tensor:
    """Per-image channel gains, saturation change, and a quarter of the images grey."""
    n, c = x.shape[:2]
    if c != 3:
        return x
    dev = x.device
    gains = (torch.randn(n, 3, generator=generator) * strength / 3).exp().to(dev)
    x = x * gains[:, :, None, None]
    grey = x.mean(dim=1, keepdim=True)
    saturation = torch.rand(n, generator=generator) * (1 + strength)
    saturation = torch.where(torch.rand(n, generator=generator) < 0.25, 0.0, saturation).to(dev)
    return grey + saturation[:, None, None, None] * (x - grey)


def gaussian_blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """Separable Gaussian blur of an NCHW batch (σ in pixels), edges reflected."""
    radius = max(1, math.ceil(3 * sigma))
    t = torch.arange(-radius, radius + 1, dtype=x.dtype, device=x.device)
    k = torch.exp(-0.5 * (t / sigma) ** 2)
    k = k / k.sum()
    c = x.shape[1]
    y = F.pad(x, (radius, radius, radius, radius), mode="reflect")
    y = F.conv2d(y, k.view(1, 1, 1, -1).repeat(c, 1, 1, 1), groups=c)
    return F.conv2d(y, k.view(1, 1, -1, 1).repeat(c, 1, 1, 1), groups=c)
