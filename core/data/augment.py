"""On-the-fly data augmentation for image batches, with torch's own resampling.

One affine resample (torch.nn.functional.affine_grid + grid_sample) applies the random shift,
rotation and zoom (`scale`: ±that share, so a model copes with framing that is a little off)
together; flips, brightness and noise are element-wise. Works on the batch's
device, in 0-1 pixel units (standardised batches are un- and re-standardised around it).
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
            x = F.grid_sample(x, grid, padding_mode="zeros", align_corners=False)
        if self.flip:
            horizontal = (torch.rand(n, generator=generator) < 0.5).to(dev)
            vertical = (torch.rand(n, generator=generator) < 0.5).to(dev)
            x = torch.where(horizontal[:, None, None, None], x.flip(-1), x)
            x = torch.where(vertical[:, None, None, None], x.flip(-2), x)
        if self.brightness:
            x = x * (1 + uniform(n)[:, None, None, None] * self.brightness)
        if self.noise:
            x = x + torch.randn(x.shape, generator=generator).to(dev) * self.noise
        x = x.clamp(0, 1)
        if self.mean is not None:
            x = (x - self.mean.to(dev)) / self.std.to(dev)
        return x
