"""Live feeds: the server side of the live view's own channel.

A page registers a feed for its job(s) once and mounts the live-view component with the feed's
token; the browser then polls `GET /_nnp/live/{token}?v=VERSION&n=ROWS` (see `channel.py`)
instead of re-running the page script for every frame. A feed builds a frame at most once per
new training state (the version: which job, epoch, step and state) and answers "nothing new"
(HTTP 204) otherwise; curve points go out only from the row the browser already has.

No Streamlit here: feeds are plain objects in a process-wide registry, served by Starlette.
Polling doubles as the page's heartbeat (`job.touch()`), so a closed tab still lets its job
end itself after the owner timeout.
"""

from __future__ import annotations

import secrets
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from core.build import dense_biases, dense_weights
from core.inspection import grid_view
from playground.colors import CLASS_COLORS
from playground.jobs import BUSY
from playground.live import frames

if TYPE_CHECKING:
    from core.train import Job

ACTIVE = ("running", "stepping")


def job_version(job: Job) -> str:
    """Changes whenever anything drawn can change: a new job, a step, an epoch, a state."""
    return f"{id(job):x}:{job.epoch}:{job.step_count}:{job.state}"


def counters(job: Job) -> dict[str, Any]:
    last = job.history[-1] if job.history else {}
    return {"epoch": job.epoch, "step": job.step_count, "state": job.state,
            "active": job.state in ACTIVE,
            "metrics": {k: frames.finite_or_none(v) for k, v in last.items()
                        if isinstance(v, int | float) and k not in ("epoch", "step")},
            "outcome": (job.outcome or {}).get("message")}


class Feed:
    """One live view's source. Subclasses say what a frame holds (`build`) and which history
    columns the curves show (`curve_keys`)."""

    curve_keys: tuple[str, ...] = ()

    def __init__(self, jobs: Sequence[Job]):
        self.jobs = list(jobs)
        self.token = secrets.token_urlsafe(18)
        self.lock = threading.Lock()
        self.last_poll = time.monotonic()
        self._cached: tuple[str, dict[str, Any]] | None = None
        self.builds = 0

    # -- what a subclass provides
    def build(self) -> dict[str, Any]:
        raise NotImplementedError

    def rows(self, job_index: int, start: int) -> list[list[float | None]]:
        return frames.curve_rows(self.jobs[job_index].history, self.curve_keys, start)

    # -- shared
    def version(self) -> str:
        return "|".join(job_version(job) for job in self.jobs)

    @property
    def active(self) -> bool:
        return any(job.state in ACTIVE for job in self.jobs)

    def frame(self) -> tuple[str, dict[str, Any]]:
        """(version, frame) — built once per version, however many polls ask."""
        with self.lock:
            version = self.version()
            if self._cached is None or self._cached[0] != version:
                self._cached = (version, single_threaded(self.build))
                self.builds += 1
            return self._cached

    def poll(self, since: str | None, have: Sequence[int]) -> dict[str, Any] | None:
        """The reply to one poll: None when nothing changed since `since` and the browser
        already has every curve row (`have`: rows per job)."""
        self.last_poll = time.monotonic()
        for job in self.jobs:
            job.touch()
        lengths = [len(job.history) for job in self.jobs]
        version = self.version()
        have = list(have) + [0] * (len(self.jobs) - len(have))
        if since == version and all(h == n for h, n in zip(have, lengths, strict=False)):
            return None
        version, frame = self.frame()
        starts = [h if 0 <= h <= n else 0 for h, n in zip(have, lengths, strict=False)]
        busy = any(job.state in BUSY for job in self.jobs)  # the page shows Pause
        return {"v": version, "active": self.active, "busy": busy, "frame": frame,
                "from": starts, "rows": [self.rows(i, s) for i, s in enumerate(starts)]}

    def first_reply(self) -> dict[str, Any]:
        """What the page embeds at mount, so the first paint needs no round trip."""
        reply = self.poll(None, [])
        assert reply is not None
        return reply


class PlaygroundFeed(Feed):
    """The Playground: decision boundary, neuron thumbnails, weights, counters, curves."""

    curve_keys = ("train_loss", "test_loss", "train_accuracy", "test_accuracy")

    def __init__(self, job: Job, *, resolution: int = 50, show_test: bool = True,
                 discretize: bool = False):
        super().__init__([job])
        self.job = job
        self.resolution = resolution
        self.model = job.clone_model()
        d = job.dataset
        self.task = task_of(job)
        self.value_bound = (float(max(np.abs(d.y_train.numpy()).max(), 1e-6))
                            if self.task == "regression" else 1.0)
        weights = dense_weights(self.model)
        self.sizes = [len(d.feature_names), *[int(w.shape[0]) for w in weights]]
        first = grid_view(self.model, job.head, d, resolution)
        layers = job.config.network.layers
        titles = ["input", *[_short_title(spec) for spec in layers],
                  f"output · {job.head.output_activation}"]
        activations = ["", *[spec.get("activation", "") for spec in layers],
                       job.head.output_activation]
        outputs = ["output"] if job.head.out_units == 1 else list(d.class_names)
        self.scene = frames.playground_scene(
            task=self.task, sizes=self.sizes, layer_titles=titles, activations=activations,
            input_names=list(d.feature_names), output_names=outputs,
            class_names=list(d.class_names or []), train_xy=d.raw_train.numpy(),
            train_y=d.y_train.numpy(), test_xy=d.raw_test.numpy(), test_y=d.y_test.numpy(),
            inputs=first.inputs if first.grid.ys.size else None, grid_xs=first.grid.xs,
            value_bound=self.value_bound, show_test=show_test, discretize=discretize,
            colors=CLASS_COLORS)
        self.scene["curves"] = curve_panels(job)

    def build(self) -> dict[str, Any]:
        job = self.job
        job.copy_weights_into(self.model)
        view = grid_view(self.model, job.head, job.dataset, self.resolution)
        frame = frames.playground_frame(
            task=self.task, output=view.output, neurons=view.neurons,
            weights=[w.numpy() for w in dense_weights(self.model)],
            biases=[b.numpy() for b in dense_biases(self.model)], sizes=self.sizes,
            value_bound=self.value_bound)
        frame["counters"] = counters(job)
        return frame


class ImageFeed(Feed):
    """Train on images (and fine-tuning): progress, counters, curves, confusion matrix,
    per-class scores and, once per epoch, the current mistakes."""

    curve_keys = ("train_loss", "val_loss", "train_accuracy", "val_accuracy")

    def __init__(self, job: Job, mistakes: Callable[[Job], list[tuple[str, str]]] | None = None):
        super().__init__([job])
        self.job = job
        self.mistakes = mistakes
        self._gallery: tuple[int, list] | None = None
        classes = list(job.dataset.class_names or [])
        self.scene = {"kind": "images", "classes": classes, "curves": curve_panels(job),
                      "epochs": job.config.training.epochs}

    def version(self) -> str:
        """The epoch limit is drawn too (the progress line): changing it is a new frame."""
        return f"{super().version()}:{self.job.config.training.epochs}"

    def build(self) -> dict[str, Any]:
        job = self.job
        done, eta = job.progress()
        frame = {"counters": counters(job), "progress": done,
                 "eta": None if eta is None else round(eta, 1),
                 "epochs": job.config.training.epochs}
        last = job.history[-1] if job.history else {}
        if last.get("val_confusion") is not None:
            frame["confusion"] = last["val_confusion"]
        if self.mistakes is not None and job.history:
            if self._gallery is None or self._gallery[0] != job.epoch:
                self._gallery = (job.epoch, self.mistakes(job))
            frame["mistakes"] = {"epoch": self._gallery[0], "items": self._gallery[1]}
        return frame


class RunsFeed(Feed):
    """Several runs side by side (the learning-rate lab): one loss curve and counters each."""

    curve_keys = ("train_loss",)

    def __init__(self, jobs: Sequence[Job], labels: Sequence[str], colors: Sequence[str]):
        super().__init__(jobs)
        self.scene = {"kind": "runs", "labels": list(labels), "colors": list(colors),
                      "curves": [{"title": "training loss", "log": True,
                                  "series": [{"run": i, "key": "train_loss", "label": label,
                                              "color": color}
                                             for i, (label, color) in enumerate(
                                                 zip(labels, colors, strict=True))]}]}

    def build(self) -> dict[str, Any]:
        return {"runs": [counters(job) for job in self.jobs]}


# ----------------------------------------------------------------------------- helpers
def single_threaded(build: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Run a frame build on one torch thread: a 2,500-point forward pass gains nothing from
    more, and torch's default intra-op threads fight the training jobs for the cores (measured:
    19 ms a frame with the default 2 threads on a busy 2-core box, 2 ms with one). torch's
    count is per calling thread, so the server thread's own setting is put back after."""
    before = torch.get_num_threads()
    if before != 1:
        torch.set_num_threads(1)
    try:
        return build()
    finally:
        if before != 1:
            torch.set_num_threads(before)


def task_of(job: Job) -> str:
    if job.head.task == "regression":
        return "regression"
    return "binary" if job.head.n_classes == 2 else "multiclass"


def _short_title(spec: dict) -> str:
    """Column titles must fit narrow columns: "8 · tanh"."""
    act = spec.get("activation", "")
    if act == "leaky_relu":
        act = "leaky"
    return f"{spec.get('units', '')} · {act}"


TRAIN_LINE = "#333333"
TEST_LINE = "#c2185b"


def curve_panels(job: Job) -> list[dict[str, Any]]:
    """Loss (and accuracy, for classification) panels: train dark grey, held-out raspberry."""
    held = "val" if job.monitor == "val" else "test"
    held_label = "validation" if held == "val" else "test"
    panels = [{"title": "loss", "log": False, "series": [
        {"run": 0, "key": "train_loss", "label": "train", "color": TRAIN_LINE},
        {"run": 0, "key": f"{held}_loss", "label": held_label, "color": TEST_LINE}]}]
    if job.head.task == "classification":
        panels.append({"title": "accuracy", "percent": True, "series": [
            {"run": 0, "key": "train_accuracy", "label": "train", "color": TRAIN_LINE},
            {"run": 0, "key": f"{held}_accuracy", "label": held_label, "color": TEST_LINE}]})
    return panels


def mistakes_gallery(job: Job, model: torch.nn.Module, limit: int = 16,
                     pool: int = 512) -> list[tuple[str, str]]:
    """Validation images the current weights get wrong, most confident first, as
    (PNG data URI, "true → predicted (confidence)")."""
    job.copy_weights_into(model)
    d = job.dataset
    x, y = (d.x_val, d.y_val) if d.x_val is not None else (d.x_test, d.y_test)
    x, y = x[:pool], y[:pool]
    model.eval()
    with torch.no_grad():
        probs = job.head.probabilities(model(x))
    conf, pred = probs.max(dim=1)
    wrong = torch.nonzero(pred != y).flatten()
    wrong = wrong[conf[wrong].argsort(descending=True)][:limit]
    shown = d.show(x[wrong]).permute(0, 2, 3, 1).numpy()
    names = d.class_names
    return [(frames.png_data_uri(img[..., 0] if img.shape[-1] == 1 else img),
             f"{names[int(y[i])]} → {names[int(pred[i])]} ({float(conf[i]):.0%})")
            for img, i in zip(shown, wrong.tolist(), strict=True)]


# ----------------------------------------------------------------------------- registry
_FEEDS: weakref.WeakValueDictionary[str, Feed] = weakref.WeakValueDictionary()
"""Token → feed, held weakly: the session that mounted a feed keeps it alive (session_state),
so a closed tab's feed, and the job and data it points to, go with its session."""
_LOCK = threading.Lock()


def register(feed: Feed) -> str:
    """Make `feed` reachable by its token for as long as its page holds it."""
    with _LOCK:
        _FEEDS[feed.token] = feed
    return feed.token


def unregister(token: str | None) -> None:
    with _LOCK:
        _FEEDS.pop(token or "", None)


def lookup(token: str) -> Feed | None:
    with _LOCK:
        return _FEEDS.get(token)
