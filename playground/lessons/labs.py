"""Streamlit side of the Learning-rate and Optimizers labs: the Playground's config, the
side-by-side jobs, cached races, and turning core results into chart inputs.

The numbers come from `core.labs.surfaces` and `core.labs.landscape`; the pictures from
`playground.charts.lab_charts`; the pages only lay them out.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import streamlit as st

from core.config import RunConfig
from core.errors import ConfigError
from core.labs.landscape import LossProbe, job_weights, line_slice, plane_slice, side_by_side
from core.labs.surfaces import make_surface, race
from core.optimizers import OPTIMIZERS
from playground.charts.lab_charts import OPTIMIZER_COLORS, SIDE_BY_SIDE_COLORS
from playground.jobs import OWNER_TIMEOUT_S, session_jobs
from playground.live.component import mount, session_feed
from playground.live.feeds import RunsFeed
from playground.state import load_config

if TYPE_CHECKING:
    from core.labs.surfaces import Race, Surface, Trajectory
    from core.train import Job

PLAYGROUND = "playground"
PLAYGROUND_PAGE = "app_pages/playground_2d.py"
PLAYGROUND_CONFIG_KEY = "_config.playground"
SIDE_NAMES = ("lr-lab:small", "lr-lab:suggested", "lr-lab:large")
SIDE_LABELS = ("too small", "suggested", "too large")
REFRESH_S = 0.5

DEFAULT_CONFIG: dict[str, Any] = {
    "dataset": {"name": "spiral", "samples": 500, "noise": 0.1, "train_fraction": 0.5,
                "features": ["x1", "x2", "sin_x1", "sin_x2"]},
    "network": {"layers": [{"type": "dense", "units": 8, "activation": "tanh"},
                           {"type": "dense", "units": 8, "activation": "tanh"}]},
    "training": {"loss": "bce", "optimizer": "adam", "lr": 0.03, "batch_size": 10,
                 "epochs": 200},
}
"""Used when this session has no Playground setup yet (examples/spiral.json's network)."""


# ----- the Playground's configuration ------------------------------------------------------
def playground_config() -> tuple[RunConfig, str]:
    """(config, where it came from): the Playground page's current setup when this session
    has one that validates, else the default spiral."""
    data = st.session_state.get(PLAYGROUND_CONFIG_KEY)
    if data is not None:
        try:
            return RunConfig.from_dict(copy.deepcopy(data)), "playground"
        except (ConfigError, TypeError):
            pass
    return RunConfig.from_dict(copy.deepcopy(DEFAULT_CONFIG)), "default"


def describe_config(config: RunConfig) -> str:
    d, n, t = config.dataset, config.network, config.training
    layers = " → ".join(f"{layer.get('units', '?')} {layer.get('activation', '')}".strip()
                        for layer in n.layers) or "no hidden layer"
    return (f"{d.name} ({d.samples:,} points, noise {d.noise:g}), hidden layers {layers}, "
            f"{OPTIMIZERS[t.optimizer].label}, batch size {t.batch_size}, loss {t.loss}")


def nice_rate(lr: float) -> float:
    """Two significant digits: what a person would type."""
    return float(f"{lr:.2g}")


def apply_lr_to_playground(lr: float) -> None:
    """Callback: put `lr` into the Playground's config (its widgets then show it, and a job
    that is paused or running takes it at the next batch)."""
    config, _ = playground_config()
    data = config.to_dict()
    data["training"]["lr"] = nice_rate(lr)
    load_config(PLAYGROUND, data)
    st.session_state["lab:applied_lr"] = data["training"]["lr"]


# ----- side by side ----------------------------------------------------------------------------
def side_jobs() -> list[Job]:
    jobs = session_jobs()
    return [job for name in SIDE_NAMES if (job := jobs.get(name)) is not None]


def start_side_by_side(config: RunConfig, lrs: tuple[float, float, float], epochs: int) -> None:
    """Callback: three fresh jobs from the same initial weights, started together."""
    trial = config.copy()
    trial.training.epochs = int(epochs)
    trial.training.early_stopping = None
    try:
        made = side_by_side(trial, lrs, owner_timeout_s=OWNER_TIMEOUT_S)
    except ConfigError as exc:
        st.session_state["lab:side_error"] = str(exc)
        return
    st.session_state.pop("lab:side_error", None)
    registry = session_jobs()
    for name, job in zip(SIDE_NAMES, made, strict=True):
        registry.replace(name, job)
    for job in made:
        job.start()


def stop_side_by_side() -> None:
    for job in side_jobs():
        job.stop()


def side_by_side_view() -> None:
    """Overlaid live loss curves and one counter per run, updating in place (the live-view
    component polls the runs; the page reruns only when all three have settled)."""
    jobs = side_jobs()
    if not jobs:
        return
    labels = [f"{label} (lr {job.config.training.lr:g})"
              for job, label in zip(jobs, SIDE_LABELS, strict=False)]
    colors = list(SIDE_BY_SIDE_COLORS[: len(jobs)])
    for job in jobs:
        job.touch()
    feed = session_feed("lr_side", tuple(id(job) for job in jobs),
                        lambda: RunsFeed(jobs, labels, colors))
    mount(feed, key="lr_side_live")


# ----- optimizer races ---------------------------------------------------------------------------
@st.cache_resource(max_entries=24, show_spinner=False)
def cached_race(surface_name: str, params: tuple, noise: float, entries: tuple, start: tuple,
                steps: int, seed: int, eps: float) -> Race:
    """A race, remembered for reruns that change nothing it depends on (results are never
    mutated)."""
    surface = make_surface(surface_name, noise, **dict(params))
    return race(surface, {name: dict(knobs) for name, knobs in entries}, start, steps, seed,
                eps)


def chart_paths(trajectories: Mapping[str, Trajectory],
                colors: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    colors = colors or OPTIMIZER_COLORS
    return [{"label": tr.label, "color": colors.get(name, "#333333"),
             "positions": tr.positions, "losses": tr.losses}
            for name, tr in trajectories.items()]


def surface_chart_kwargs(surface: Surface, resolution: int = 90) -> dict[str, Any]:
    xs, ys, values = surface.grid(resolution)
    return {"xs": xs, "ys": ys if ys.size else None, "values": values,
            "x_range": surface.x_range, "y_range": surface.y_range,
            "minima": surface.minima, "local_minima": surface.local_minima,
            "minimum_value": surface.min_value, "log_values": surface.log_scale}


def results_table(result: Race) -> list[dict[str, Any]]:
    def step(value: int | None) -> str:
        return "—" if value is None else str(value)

    rows = []
    for tr in result.trajectories.values():
        rows.append({"optimizer": tr.label, "lr": tr.lr,
                     "final loss": float(tr.losses[-1]),
                     "steps taken": tr.steps,
                     f"within {result.eps:g} from step": step(tr.reached_step),
                     "escaped at step": step(tr.escaped_step),
                     "outcome": tr.status})
    if result.surface.saddle is None:
        for row in rows:
            row.pop("escaped at step")
    if not result.surface.minima:
        for row in rows:
            row.pop(f"within {result.eps:g} from step")
    return rows


# ----- loss landscape of the Playground's run --------------------------------------------------
def playground_job() -> Job | None:
    return session_jobs().get(PLAYGROUND)


def compute_landscape(job: Job, resolution: int, directions: str, span: float,
                      progress: Callable[[float, str], None]) -> dict[str, Any]:
    """The 1-D and 2-D slices of `job`'s current weights, reporting progress (0–1, text)."""
    started = time.monotonic()
    probe = LossProbe.from_job(job)
    initial, trained = job_weights(job, probe)
    checkpoints = list(job.checkpoints)
    n_line = 41
    total = n_line + resolution * resolution

    line = line_slice(probe, initial, trained, progress=lambda d, _t: progress(
        d / total, f"line: {d}/{n_line}"))
    plane = plane_slice(probe, trained, resolution=resolution, directions=directions,
                        span=span, checkpoints=checkpoints if len(checkpoints) >= 2 else (),
                        progress=lambda d, t: progress((n_line + d) / total,
                                                       f"plane: {d:,}/{t:,} points"))
    return {"line": line, "plane": plane, "seconds": time.monotonic() - started,
            "epoch": job.epoch, "step": job.step_count, "params": probe.size,
            "checkpoints": len(checkpoints), "job": id(job)}
