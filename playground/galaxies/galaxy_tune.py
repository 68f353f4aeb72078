"""The transfer-learning lesson on the galaxy page: upload a zip of class folders, freeze the
pretrained convolutions, retrain the head with live curves, then classify with the result."""

from __future__ import annotations

from typing import Any

import streamlit as st

from core.errors import ConfigError
from core.models.transfer import (
    FREEZE,
    TransferRefused,
    read_class_zip,
    transfer_config,
    transfer_dataset,
    warm_weights,
)
from playground.charts import image_charts as ic
from playground.controls import control_bar, outcome_message
from playground.export_panel import export_job_panel
from playground.galaxies import galaxy_views as gv
from playground.jobs import new_job, session_jobs
from playground.literal import literal
from playground.live.image_view import live_view
from playground.model_catalogue import pretty_name

LEARNING_RATES = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2]


def _key(page: str, name: str) -> str:
    return f"{page}:tune_{name}"


def read_zip(page: str, data: bytes, base, options) -> Any:
    """core.models.transfer.read_class_zip, remembered for the last zip; a str when it is
    refused."""
    stamp = (gv.digest(data), base.frame, repr(options))
    cached = st.session_state.get(_key(page, "zip"))
    if cached is not None and cached[0] == stamp:
        return cached[1]
    try:
        with st.spinner("Reading and framing every picture in the zip…"):
            folders: Any = read_class_zip(data, base.frame, options)
    except TransferRefused as exc:
        folders = str(exc)
    st.session_state[_key(page, "zip")] = (stamp, folders)
    return folders


def start_job(page: str, recipe: dict[str, Any]) -> str | None:
    """(Re)create the fine-tuning job from its recipe; an error message or None."""
    base = recipe["base"]
    try:
        config = transfer_config(base.config, recipe["freeze"], epochs=recipe["epochs"],
                                 lr=recipe["lr"])
        dataset = transfer_dataset(recipe["folders"], base)
        job = new_job(config, dataset, warm_start=warm_weights(base))
    except (ConfigError, TransferRefused, ValueError) as exc:
        return str(exc)
    session_jobs().replace(gv.TUNE_JOB, job)
    st.session_state[_key(page, "recipe")] = recipe
    return None


def _reset(page: str) -> None:
    recipe = st.session_state.get(_key(page, "recipe"))
    if recipe is not None:
        start_job(page, recipe)


def tune_panel(page: str, model, chosen: str, options) -> None:
    recipe = st.session_state.get(_key(page, "recipe"))
    base = recipe["base"] if chosen == "tuned" and recipe else model
    st.markdown(
        "**Transfer learning.** The convolutions of a trained network have learned to see "
        "edges, cores, arms and disks. Keep them (*freeze* them) and train only the last "
        "layers on *your* classes: a few dozen pictures per class and a minute of CPU are "
        "enough, where training from scratch would need thousands.")
    st.caption("Upload a zip with one folder per class — `spiral/…`, `elliptical/…`, any "
               "names — holding JPEG, PNG, TIFF or FITS pictures. They are framed with the "
               "sidebar's preparation settings, as the classifier frames a picture.")
    upload = gv.uploaded("A zip of class folders", ["zip"], _key(page, "upload"), multiple=False)
    cols = st.columns([2, 1, 1.4])
    freeze = cols[0].radio("Freeze", list(FREEZE), format_func=FREEZE.__getitem__,
                           key=_key(page, "freeze"))
    epochs = int(cols[1].number_input("Epochs", 1, 200, 15, key=_key(page, "epochs")))
    lr = cols[2].select_slider("Learning rate", LEARNING_RATES, value=1e-3,
                               key=_key(page, "lr"))
    if upload:
        folders = read_zip(page, upload[0][1], base, options)
        if isinstance(folders, str):
            st.error(literal(folders), icon=":material/folder_off:")
        else:
            counts = folders.counts()
            left, right = st.columns([1, 1.2])
            with left:
                st.altair_chart(ic.class_counts_chart(counts, title="Usable pictures"),
                                width="stretch")
            with right:
                if folders.problems:
                    st.warning(f"{len(folders.problems)} file(s) left out — each with its "
                               "reason:", icon=":material/report:")
                    st.dataframe([{"file": f, "why": why} for f, why in folders.problems],
                                 hide_index=True, width="stretch",
                                 height=min(36 * (len(folders.problems) + 1) + 3, 250))
                else:
                    st.success(f"All {sum(counts.values())} pictures read.",
                               icon=":material/check_circle:")
            if st.button(f"Set up fine-tuning from {pretty_name(base.name)}",
                         icon=":material/build:", type="primary", key=_key(page, "setup")):
                error = start_job(page, {"base": base, "folders": folders, "freeze": freeze,
                                         "epochs": epochs, "lr": float(lr)})
                if error:
                    st.error(literal(error), icon=":material/block:")
    job = session_jobs().get(gv.TUNE_JOB)
    if job is None:
        return
    st.divider()
    frozen = sum(p.numel() for p in job.model.parameters() if not p.requires_grad)
    trainable = sum(p.numel() for p in job.model.parameters() if p.requires_grad)
    source = st.session_state[_key(page, "recipe")]["base"].name
    st.caption(f"Fine-tuning {literal(pretty_name(source))} on "
               f"{literal(', '.join(job.dataset.class_names))}: {trainable:,} weights learn, "
               f"{frozen:,} stay as trained (frozen).")
    control_bar(gv.TUNE_JOB, job.config, reset=lambda: _reset(page))
    outcome_message(job)
    live_view(job, key="tune")
    with st.expander("Export the fine-tuned model", icon=":material/download:"):
        export_job_panel("galaxy-finetuned", job, "galaxy-finetuned")
