"""Root fixtures shared by every test layer."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS_DIR = REPO_ROOT / "tests" / "artifacts"
_SHARED_DATA_DIR = REPO_ROOT.parent / "shared" / "data"

if _SHARED_DATA_DIR.is_dir():
    os.environ.setdefault("PLAYGROUND_DATA_DIR", str(_SHARED_DATA_DIR))


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """`tests/artifacts/` (gitignored), created on demand: screenshots, server logs."""
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS_DIR
