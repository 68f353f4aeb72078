"""The Playground's live view: the page mounts it once; the browser keeps it moving.

No script rerun per frame: the live-view component polls its feed over the app's own route
and redraws in place (see `playground/live`). The page reruns only when the user acts or
when the browser reports that the run settled (paused, finished, diverged).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import streamlit as st

from playground.live.component import mount, session_feed
from playground.live.feeds import ACTIVE, PlaygroundFeed

if TYPE_CHECKING:
    from core.train import Job

__all__ = ["ACTIVE", "ViewOptions", "is_active", "live_view", "view_model"]


@dataclass(frozen=True)
class ViewOptions:
    show_test: bool = True
    discretize: bool = False
    resolution: int = 50


def is_active(job: Job | None) -> bool:
    return job is not None and job.state in ACTIVE


def view_model(job: Job):
    """A CPU copy of the job's model, made once per job, for views drawn by the page itself
    (the neuron panel, the mistakes gallery); refresh it with `job.copy_weights_into`."""
    cached = st.session_state.get("view_model")
    if cached is None or cached[0] is not job:
        cached = (job, job.clone_model())
        st.session_state["view_model"] = cached
    return cached[1]


def live_view(job: Job, options: ViewOptions) -> None:
    """Decision boundary, network diagram, curves and counters, updating in place."""
    job.touch()
    feed = session_feed("playground", (id(job), options), lambda: PlaygroundFeed(
        job, resolution=options.resolution, show_test=options.show_test,
        discretize=options.discretize))
    mount(feed, key="pg_live")
