"""Bring a model back: accept a .safetensors file this playground saved, refuse anything else
in plain words. Nothing is ever unpickled: a safetensors file is a JSON header and raw tensor
bytes, and pickles or PyTorch .pt/.pth files are recognised by their first bytes and refused."""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

from core.build import BuiltModel
from core.errors import ConfigError
from core.models.model_io import load_model
from core.safe_files import keep_by_content

MAX_MODEL_BYTES = 200_000_000
"""Ten times the playground's largest network (20 million float32 parameters = 80 MB)."""


class ModelRefused(ConfigError):
    """The uploaded file is not a model this playground can use; the message says why."""


def check_model_bytes(data: bytes) -> None:
    """Refuse what is plainly not a safetensors file, from its first bytes alone."""
    if len(data) > MAX_MODEL_BYTES:
        raise ModelRefused(f"the file is {len(data) / 1e6:,.0f} MB; at most "
                           f"{MAX_MODEL_BYTES / 1e6:,.0f} MB are accepted")
    size = struct.unpack("<Q", data[:8])[0] if len(data) >= 8 else 0
    if not (2 <= size <= min(len(data) - 8, 100_000_000) and data[8:9] == b"{"):
        # not a safetensors layout; name the usual suspects (only their first bytes are read)
        if data[:4] == b"PK\x03\x04":
            raise ModelRefused("this is a PyTorch .pt/.pth file (a zipped pickle); the "
                               "playground never unpickles files. Upload the .safetensors "
                               "file it saved")
        if data[:1] == b"\x80" or data[:2] in (b"(d", b"(l", b"}q", b"]q"):
            raise ModelRefused("this is a Python pickle; pickles can run code when opened, so "
                               "the playground never opens them. Save the model as "
                               ".safetensors")
        raise ModelRefused("this is not a safetensors file")
    try:
        header = json.loads(data[8:8 + size])
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ModelRefused("this is not a safetensors file (its header is damaged)") from None
    meta = header.get("__metadata__") if isinstance(header, dict) else None
    if not isinstance(meta, dict) or meta.get("format") != "nn-playground/1":
        raise ModelRefused("this safetensors file was not saved by this playground (it has "
                           "no playground config in its metadata), so the network it holds "
                           "cannot be rebuilt")


def save_uploaded_model(name: str, data: bytes, folder: Path) -> Path:
    """Check, then keep the upload under `folder` (named by its content) and return its path."""
    check_model_bytes(data)
    return keep_by_content(data, folder, name, ".safetensors", "model")


def load_uploaded_model(path: Path) -> tuple[BuiltModel, dict[str, Any]]:
    """Rebuild and load a checked upload; wrong shapes or a bad config become ModelRefused."""
    try:
        return load_model(path)
    except ConfigError as exc:
        raise ModelRefused(f"the model cannot be rebuilt: {exc}") from None
    except (RuntimeError, KeyError, ValueError, TypeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelRefused(f"its weights do not fit the network its config describes "
                           f"({first[:200]})") from None
