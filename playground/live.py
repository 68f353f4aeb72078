"""Live views of a training job: one fragment polls the job and redraws every chart together.

The fragment re-runs on a timer only while the job trains; when the job pauses or ends, it asks
for one full rerun so the page (buttons, messages) catches up and the timer stops.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import streamlit as st

from core.build import dense_weights
from core.inspection import GridView, grid_view
from playground import charts

if TYPE_CHECKING:
    from core.train import Job

REFRESH_S = 0.1
ACTIVE = ("running", "stepping")


@dataclass
class ViewOptions:
    show_test: bool = True
    discretize: bool = False
    resolution: int = 50


def is_active(job: Job | None) -> bool:
    return job is not None and job.state in ACTIVE


def view_model(job: Job):
    """A CPU copy of the job's model, made once per job, refreshed with its weights per frame."""
    cached = st.session_state.get("view_model")
    if cached is None or cached[0] is not job:
        cached = (job, job.clone_model())
        st.session_state["view_model"] = cached
    return cached[1]


def _frame_rate() -> float:
    stamps: deque[float] = st.session_state.setdefault("_frame_times", deque(maxlen=20))
    stamps.append(time.monotonic())
    if len(stamps) < 2 or stamps[-1] - stamps[0] <= 0:
        return 0.0
    return (len(stamps) - 1) / (stamps[-1] - stamps[0])


def task_of(job: Job) -> str:
    if job.head.task == "regression":
        return "regression"
    return "binary" if job.head.n_classes == 2 else "multiclass"


def _node_values(job: Job, view: GridView) -> list[list[np.ndarray | None]] | None:
    """Per-node thumbnails at half the grid's resolution: a 24-pixel square shows a 25×25
    map as well as a 50×50 one, for a quarter of the PNG work in every frame."""
    if view.grid.ys.size == 0:  # 1-D data: no plane to draw in the nodes
        return None
    thumb = (slice(None), slice(None, None, 2), slice(None, None, 2))
    nodes: list[list[np.ndarray | None]] = [list(view.inputs[thumb])]
    for layer in view.neurons:
        scale = np.maximum(1.0, np.abs(layer).reshape(len(layer), -1).max(axis=1))
        nodes.append(list((layer / scale[:, None, None])[thumb]))
    task = task_of(job)
    if task == "binary":
        nodes.append([2 * view.output[::2, ::2] - 1])
    elif task == "regression":
        nodes.append([view.output[::2, ::2] / max(1e-9, float(np.abs(view.output).max()))])
    else:
        nodes.append([None] * job.head.out_units)
    return nodes


def _short_title(spec: dict) -> str:
    """Column titles must fit narrow columns: "8 · tanh"."""
    act = spec.get("activation", "")
    if act == "leaky_relu":
        act = "leaky"
    return f"{spec.get('units', '')} · {act}"


def network_chart(job: Job, view: GridView) -> Any:
    model = view_model(job)
    weights = [w.numpy() for w in dense_weights(model)]
    sizes = [len(job.dataset.feature_names), *[w.shape[0] for w in weights]]
    titles = ["input", *[_short_title(spec) for spec in job.config.network.layers],
              f"output · {job.head.output_activation}"]
    return charts.network_figure(
        sizes, weights, input_names=job.dataset.feature_names,
        output_name="output" if job.head.out_units == 1 else job.dataset.class_names,
        node_values=_node_values(job, view), layer_titles=titles, height=430)


def output_chart(job: Job, view: GridView, options: ViewOptions) -> Any:
    d = job.dataset
    train_x, test_x = d.raw_train.numpy(), d.raw_test.numpy()
    if view.grid.ys.size == 0:
        return charts.curve_figure(view.grid.xs, view.output, train_x=train_x[:, 0],
                                   train_y=d.y_train.numpy(), test_x=test_x[:, 0],
                                   test_y=d.y_test.numpy(), show_test=options.show_test,
                                   height=400)
    task = task_of(job)
    value_range = None
    if task == "regression":
        bound = float(max(np.abs(d.y_train.numpy()).max(), 1e-6))
        value_range = (-bound, bound)
    return charts.decision_boundary_figure(
        view.grid.xs, view.grid.ys, view.output, task=task, train_x=train_x,
        train_y=d.y_train.numpy(), test_x=test_x, test_y=d.y_test.numpy(),
        show_test=options.show_test, discretize=options.discretize,
        class_names=d.class_names or None, value_range=value_range, height=400)


def counters(job: Job, fps: float) -> None:
    last = job.history[-1] if job.history else {}
    cols = st.columns(5)
    cols[0].metric("Epoch", f"{job.epoch:,}")
    cols[1].metric("Step", f"{job.step_count:,}")
    cols[2].metric("Train loss", _fmt(last.get("train_loss")))
    cols[3].metric("Test loss", _fmt(last.get("test_loss")))
    if "test_accuracy" in last:
        cols[4].metric("Test accuracy", f"{last['test_accuracy']:.1%}")
    elif fps:
        cols[4].metric("Redraws / s", f"{fps:.1f}")


def _fmt(value: float | None) -> str:
    """Four decimals; a diverging loss (1e24) in short scientific form, not 29 digits."""
    if value is None:
        return "—"
    return f"{value:.4f}" if abs(value) < 1e4 else f"{value:.4g}"


def draw(job: Job, options: ViewOptions, live: bool) -> None:
    """Everything that moves while training, drawn from one copy of the weights."""
    job.touch()
    model = view_model(job)
    job.copy_weights_into(model)
    view = grid_view(model, job.head, job.dataset, options.resolution)
    fps = _frame_rate() if live else 0.0
    counters(job, fps)
    left, right = st.columns([1.25, 1], gap="medium")
    with left:
        st.plotly_chart(network_chart(job, view), key="pg_network", config={"displaylogo": False})
        st.plotly_chart(charts.loss_figure(job.history, height=220), key="pg_loss",
                        config={"displayModeBar": False})
    with right:
        st.plotly_chart(output_chart(job, view, options), key="pg_output",
                        config={"displaylogo": False})
        if job.head.task == "classification":
            st.plotly_chart(charts.loss_figure(job.history, metric="accuracy", height=220),
                            key="pg_acc", config={"displayModeBar": False})
    st.caption(f"Frame: epoch {job.epoch:,}, step {job.step_count:,}"
               + (f" · redrawing {fps:.1f} times a second" if fps else ""),
               help="The charts redraw from a copy of the weights taken between two steps.")
    if live and not is_active(job):
        st.rerun()


def live_view(job: Job, options: ViewOptions) -> None:
    """Poll while the job trains; draw once otherwise."""
    live = is_active(job)
    st.fragment(run_every=REFRESH_S if live else None)(draw)(job, options, live)
