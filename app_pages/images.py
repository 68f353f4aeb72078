"""Train on images: MNIST and real galaxies with the same engine, a layer-stack editor with
convolutions, and live curves, confusion matrix and mistakes. Layout and widgets only."""

from __future__ import annotations

import streamlit as st

from playground.controls import control_bar, outcome_message, sync_job
from playground.export_panel import export_job_panel
from playground.images import folder_tuning as ft
from playground.images.image_data import class_counts_view, load_with_progress, preview_view
from playground.images.image_setup import default_image_config
from playground.images.image_widgets import (
    augmentation_panel,
    dataset_panel,
    starter_picker,
    training_panel,
)
from playground.jobs import configure_threads
from playground.literal import literal
from playground.live.image_view import live_view
from playground.shapes import shapes_table
from playground.stack_editor import stack_editor
from playground.state import current_config, init_config

PAGE = "images"
configure_threads()
init_config(PAGE, {"mnist": default_image_config("mnist")}, "mnist", use_url=False)

with st.sidebar:
    with st.expander("Data", expanded=True, icon=":material/image:"):
        dataset_panel(PAGE)
    with st.expander("Augmentation", icon=":material/auto_fix_high:"):
        augmentation_panel(PAGE)
    with st.expander("Training", expanded=True, icon=":material/model_training:"):
        training_panel(PAGE)

st.title("Train on images")
st.caption("Stack convolutions, pooling and dense layers, train on real digits or galaxies, "
           "and watch what the network gets right and wrong.")
controls = st.container()
design = st.container()

with design:
    st.divider()
    net_col, data_col = st.columns([1.1, 1], gap="large")
    tune = ft.chosen(PAGE)  # fine-tuning a shipped model on your pictures, or None
    with net_col:
        st.subheader("Network")
        if isinstance(tune, ft.FineTune):
            ft.network_note(tune)
        else:
            starter_picker(PAGE)
            stack_editor(PAGE)
    config, problem = current_config(PAGE)
    if tune is None:
        dataset = load_with_progress(config.dataset) if config is not None else None
    else:
        config, dataset, problem = ft.tuned_run(tune, config, problem)
    loaded = dataset is not None and not isinstance(dataset, str)
    with data_col:
        if loaded:
            st.subheader("Data")
            class_counts_view(dataset)
            preview_view(PAGE, dataset)
            st.subheader("Layers, shapes and parameters")
            shapes_table(config, dataset)
        elif isinstance(dataset, str):
            st.error(literal(dataset), icon=":material/cloud_off:")

with controls:
    if problem:
        st.error(literal(problem), icon=":material/block:")
    job, job_problem = (None, None)
    if config is not None and loaded:
        job, job_problem = sync_job(PAGE, config, load=lambda _c: dataset,
                                    warm_start=ft.warm_start(tune))
    if job_problem:
        st.error(literal(job_problem), icon=":material/block:")
    control_bar(PAGE, None if problem or job_problem or job is None else config,
                reset=ft.reset(PAGE, tune, config, dataset))
    ft.job_note(job, tune)
    outcome_message(job)
    if job is not None:
        live_view(job)
        with st.expander("Export: take the model home", icon=":material/download:"):
            export_job_panel(f"images-{job.config.dataset.name}", job,
                             f"images-{job.config.dataset.name}",
                             data_path=ft.script_data_file(job.config))
