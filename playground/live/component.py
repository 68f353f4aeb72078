"""Mount the live view: one Streamlit components-v2 element per view, fed by its own route.

The page script runs once per user action, not once per frame: it registers a feed for the
session's job (kept in session_state while the job and the view options stay the same) and
mounts the component with the feed's token, the scene and a first reply. The browser polls the
feed and draws on canvas; when a run settles (paused, finished, diverged) it asks the page for
one rerun, so buttons and messages catch up.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import streamlit as st

from playground.live.channel import LIVE_PATH
from playground.live.feeds import Feed, lookup, register, unregister

_HERE = Path(__file__).parent
POLL_MS = 100
"""Frames asked for while training: 10 a second, TensorFlow Playground's pace."""
IDLE_MS = 1000
DREW_BUSY = "_live_drew_busy"
"""Session key: this script run drew Pause for a run (playground.controls sets it, mount takes
it), so the view asks for a rerun when that run settles even if it settled mid-run."""

_COMPONENT = st.components.v2.component(
    "nnp_live_view",
    js=(_HERE / "live_view.js").read_text(encoding="utf-8"),
    css=(_HERE / "live_view.css").read_text(encoding="utf-8"),
)


_KEEP_BRIGHT = """<style>
.stElementContainer[class*="st-key-"][class*="_live"][data-stale="true"] {
  opacity: 1 !important; transition: none !important;
}
</style>"""
"""While the page script reruns, Streamlit fades every element not yet redrawn as stale; a live
view is never stale (it keeps drawing from its own feed), so it keeps full opacity."""


def _rerun() -> None:
    """The browser saw a run settle or its feed go: the page reruns to catch up."""


def session_feed(key: str, identity: tuple, make: Callable[[], Feed]) -> Feed:
    """The session's feed for view `key`, rebuilt only when `identity` (the job(s) and the
    options drawn) changes; the old feed is unregistered at once."""
    slot = f"_live_feed:{key}"
    held = st.session_state.get(slot)
    if held is not None and held[0] == identity:
        if lookup(held[1].token) is None:  # unregistered elsewhere: the same feed serves again
            register(held[1])
        return held[1]
    if held is not None:
        unregister(held[1].token)
    feed = make()
    register(feed)
    st.session_state[slot] = (identity, feed)
    return feed


def mount(feed: Feed, key: str, *, height: int | None = None) -> Any:
    """Place the live view for `feed` (scene + first reply embedded; polling from there)."""
    scene = dict(feed.scene)
    scene["curve_keys"] = list(feed.curve_keys)
    data = {"feed": f"{LIVE_PATH}/{feed.token}", "scene": scene,
            "sceneKey": zlib.crc32(json.dumps(scene, sort_keys=True).encode()),
            "reply": feed.first_reply(), "poll_ms": POLL_MS, "idle_ms": IDLE_MS,
            "drewBusy": bool(st.session_state.pop(DREW_BUSY, False))}
    st.html(_KEEP_BRIGHT)  # style only: Streamlit adds it to the page without taking room
    kwargs: dict[str, Any] = {}
    if height is not None:
        kwargs["height"] = height
    return _COMPONENT(data=data, key=key, on_settled_change=_rerun, on_gone_change=_rerun,
                      **kwargs)
