"""Read the live-view component's mount data in AppTest: the scene and first reply that the
page embedded (what the browser draws first), and its counters as the browser formats them."""

from __future__ import annotations

import json
from typing import Any

from streamlit.testing.v1 import AppTest


def live_data(at: AppTest, key: str) -> dict[str, Any]:
    """The JSON the page passed to the live-view component mounted under `key`."""
    found = [e for e in at.main if getattr(e, "type", None) == "bidi_component"
             and e.proto.id.endswith("-" + key)]
    if not found:  # inside columns or expanders
        found = [e for e in at.get("bidi_component") if e.proto.id.endswith("-" + key)]
    assert found, f"no live view {key!r} on the page"
    return json.loads(found[0].proto.json)


def counters(at: AppTest, key: str = "pg_live") -> dict[str, Any]:
    return live_data(at, key)["reply"]["frame"]["counters"]


def fmt_loss(value: float | None) -> str:
    """As the browser writes a loss (live_view.js fmtLoss)."""
    if value is None:
        return "—"
    return f"{value:.4f}" if abs(value) < 1e4 else f"{value:.4g}"


def counter_text(at: AppTest, label: str, key: str = "pg_live") -> str:
    c = counters(at, key)
    if label == "Epoch":
        return f"{c['epoch']:,}"
    if label == "Step":
        return f"{c['step']:,}"
    name = {"Train loss": "train_loss", "Test loss": "test_loss"}[label]
    return fmt_loss(c["metrics"].get(name))
