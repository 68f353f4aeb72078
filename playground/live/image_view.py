"""Live view of an image-training job (Train on images, galaxy fine-tuning): progress with ETA,
counters, curves, the confusion matrix, per-class scores and the current mistakes, drawn in
place by the live-view component from its own feed (no page rerun per frame)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from playground.live.component import mount, session_feed
from playground.live.feeds import ImageFeed, mistakes_gallery

if TYPE_CHECKING:
    from core.train import Job


def live_view(job: Job, key: str = "img") -> None:
    job.touch()

    def make() -> ImageFeed:
        model = job.clone_model()
        return ImageFeed(job, mistakes=lambda j: mistakes_gallery(j, model))

    mount(session_feed(key, (id(job),), make), key=f"{key}_live")
