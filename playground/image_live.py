"""Live view of an image-training job: progress with ETA, curves, confusion matrix, per-class
metrics and a gallery of the current mistakes, all from one fragment."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import streamlit as st
import torch

from playground import charts
from playground.live import ACTIVE, is_active, view_model

if TYPE_CHECKING:
    from core.train import Job

IMAGE_REFRESH_S = 0.5
"""Slower than the playground: an image epoch takes seconds, and each redraw costs a forward
pass for the mistakes gallery."""
MISTAKE_POOL = 512


def _eta(seconds: float | None) -> str:
    if seconds is None:
        return "estimating…"
    if seconds < 60:
        return f"about {seconds:.0f} s left"
    return f"about {seconds / 60:.1f} min left"


def mistakes(job: Job, limit: int = 16) -> list[tuple[np.ndarray, str]]:
    """Validation images the current weights get wrong, most confident first."""
    cache = st.session_state.get("_mistakes")
    if cache and cache[0] is job and cache[1] == job.epoch:
        return cache[2]
    model = view_model(job)
    job.copy_weights_into(model)
    d = job.dataset
    x, y = (d.x_val, d.y_val) if d.x_val is not None else (d.x_test, d.y_test)
    x, y = x[:MISTAKE_POOL], y[:MISTAKE_POOL]
    model.eval()
    with torch.no_grad():
        probs = job.head.probabilities(model(x))
    conf, pred = probs.max(dim=1)
    wrong = torch.nonzero(pred != y).flatten()
    wrong = wrong[conf[wrong].argsort(descending=True)][:limit]
    shown = d.show(x[wrong]).permute(0, 2, 3, 1).numpy()
    names = d.class_names
    items = [(img[..., 0] if img.shape[-1] == 1 else img,
              f"{names[int(y[i])]} → {names[int(pred[i])]} ({float(conf[i]):.0%})")
             for img, i in zip(shown, wrong.tolist(), strict=True)]
    st.session_state["_mistakes"] = (job, job.epoch, items)
    return items


def draw(job: Job, live: bool) -> None:
    from playground import image_charts

    job.touch()
    done, eta = job.progress()
    label = f"Epoch {job.epoch:,} of {job.config.training.epochs:,}"
    if job.state in ACTIVE:
        label += f" · {_eta(eta)}"
    st.progress(done, text=label)
    last = job.history[-1] if job.history else {}
    cols = st.columns(5)
    cols[0].metric("Train loss", _fmt(last.get("train_loss")))
    cols[1].metric("Validation loss", _fmt(last.get("val_loss")))
    cols[2].metric("Train accuracy", _pct(last.get("train_accuracy")))
    cols[3].metric("Validation accuracy", _pct(last.get("val_accuracy")))
    cols[4].metric("Balanced accuracy", _pct(last.get("val_balanced_accuracy")),
                   help="The mean of the per-class recalls: plain accuracy flatters a model "
                        "that ignores rare classes.")
    left, right = st.columns(2, gap="medium")
    with left:
        st.plotly_chart(charts.loss_figure(job.history, height=230, splits=_SPLITS),
                        key="img_loss", config={"displayModeBar": False})
        st.plotly_chart(charts.loss_figure(job.history, metric="accuracy", height=210,
                                           splits=_SPLITS),
                        key="img_acc", config={"displayModeBar": False})
    with right:
        matrix = last.get("val_confusion")
        if matrix is not None:
            st.plotly_chart(image_charts.confusion_matrix_figure(
                np.array(matrix), job.dataset.class_names, height=380),
                key="img_confusion", config={"displayModeBar": False})
        else:
            st.caption("The confusion matrix appears after the first epoch.")
    if matrix is not None:
        with st.expander("Per-class metrics (validation)", expanded=True,
                         icon=":material/table_chart:"):
            st.dataframe(image_charts.per_class_table(np.array(matrix),
                                                      job.dataset.class_names),
                         hide_index=True, width="stretch")
    if job.history:
        items = mistakes(job)
        st.markdown(f"**Current mistakes** on validation images (epoch {job.epoch}): "
                    "true → predicted (confidence)")
        if items:
            st.plotly_chart(image_charts.image_grid_figure(
                [img for img, _ in items], titles=[t for _, t in items], cols=8,
                cmap="grey"), key="img_mistakes", config={"displayModeBar": False})
        else:
            st.caption("No mistakes among the first validation images.")
    if live and not is_active(job):
        st.rerun()


_SPLITS = (("train", "train"), ("val", "validation"))


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.4f}"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def live_view(job: Job) -> None:
    live = is_active(job)
    st.fragment(run_every=IMAGE_REFRESH_S if live else None)(draw)(job, live)
