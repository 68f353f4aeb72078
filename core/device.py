"""Pick the torch device: `auto` takes CUDA, then Apple's MPS, else the CPU."""

from __future__ import annotations

import torch

from core.errors import ConfigError


def resolve_device(name: str = "auto") -> torch.device:
    cuda = torch.cuda.is_available()
    mps = bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_available())
    if name == "auto":
        return torch.device("cuda" if cuda else "mps" if mps else "cpu")
    if name == "cuda" and not cuda:
        raise ConfigError("training.device: a CUDA GPU was asked for, but none is available "
                          "here; choose auto or cpu")
    if name == "mps" and not mps:
        raise ConfigError("training.device: Apple MPS was asked for, but it is not available "
                          "here; choose auto or cpu")
    return torch.device(name)


def describe_device(device: torch.device) -> str:
    if device.type == "cuda":
        return f"GPU (CUDA: {torch.cuda.get_device_name(device)})"
    if device.type == "mps":
        return "GPU (Apple MPS)"
    return f"CPU ({torch.get_num_threads()} thread{'s' if torch.get_num_threads() != 1 else ''})"
