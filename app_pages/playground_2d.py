"""Playground: TensorFlow Playground's lesson on a PyTorch core. Layout and widgets only."""

from __future__ import annotations

import streamlit as st

from core.data.base import TABLE
from playground import widgets
from playground.controls import control_bar, outcome_message, sync_job
from playground.export_panel import export_job_panel, table_file_name
from playground.jobs import configure_threads
from playground.literal import literal
from playground.live.playground_view import ViewOptions, live_view
from playground.neurons import neuron_panel
from playground.presets import DEFAULT_PRESET, PRESETS, preset_configs
from playground.sharing import share_panel
from playground.state import (
    canonical,
    current_config,
    init_config,
    link_note,
    load_config,
    sync_url,
)
from playground.table_panel import table_problem

PAGE = "playground"
configure_threads()
PRESET_CONFIGS = preset_configs()
init_config(PAGE, PRESET_CONFIGS, DEFAULT_PRESET, fits=widgets.fits_playground)
if "_lesson" not in st.session_state:  # the lesson whose setup was opened (link, reload), if any
    st.session_state["_lesson"] = next((name for name, preset in PRESET_CONFIGS.items()
                                        if preset.to_dict() == canonical(PAGE)), None)


def _load_preset() -> None:
    name = st.session_state["pg_preset_choice"]
    if name not in PRESETS:
        return
    load_config(PAGE, PRESETS[name].config())
    st.session_state["_lesson"] = name


with st.sidebar:
    # A link to a setup that is no preset says so, instead of naming the first lesson.
    st.selectbox("Lesson preset", list(PRESETS), key="pg_preset_choice",
                 index=list(PRESETS).index(st.session_state["_lesson"])
                 if st.session_state["_lesson"] in PRESETS else None,
                 placeholder="Your own setup (pick a lesson to load it)",
                 format_func=lambda n: PRESETS[n].title)
    st.button("Load preset", on_click=_load_preset, icon=":material/school:",
              width="stretch", disabled=st.session_state.get("pg_preset_choice") is None)
    with st.expander("Data", expanded=True, icon=":material/scatter_plot:"):
        widgets.dataset_panel(PAGE)
        widgets.feature_toggles(PAGE)
    with st.expander("Network", expanded=True, icon=":material/hub:"):
        widgets.layer_editor(PAGE)
        widgets.init_panel(PAGE)
    with st.expander("Training", expanded=True, icon=":material/model_training:"):
        widgets.training_panel(PAGE)
    with st.expander("Regularisation", icon=":material/tune:"):
        widgets.regularization_panel(PAGE)

config, problem = current_config(PAGE)
if config is not None and config.dataset.name == TABLE:
    problem = table_problem(canonical(PAGE)["dataset"])[1]
    config = None if problem else config
with st.sidebar, st.expander("Share & save", icon=":material/share:"):
    share_panel(PAGE, config)

st.title("Playground")
lesson = PRESETS.get(st.session_state["_lesson"])
if lesson is not None:
    st.info(f"**{lesson.title}.** {lesson.lesson}", icon=":material/school:")
link_problem = link_note(PAGE)
if link_problem:
    st.warning(literal(link_problem), icon=":material/link_off:")
if problem:
    st.error(literal(problem), icon=":material/block:")
else:
    sync_url(config)

job, job_problem = sync_job(PAGE, config)
if job_problem:
    st.error(literal(job_problem), icon=":material/block:")
if st.session_state.get("_reset_error"):
    st.error(st.session_state.pop("_reset_error"))

control_bar(PAGE, None if problem or job_problem else config)
outcome_message(job)
options_cols = st.columns([1, 1, 1, 3])
options = ViewOptions(
    show_test=options_cols[0].toggle("Show test data", value=True, key="pg_show_test"),
    discretize=options_cols[1].toggle("Discretize output", value=False, key="pg_discretize"),
    resolution=50,
)
if job is not None and job.config.dataset.name == TABLE:
    names = job.dataset.feature_names
    plane = f"x1 = {names[0]}" + (f", x2 = {names[1]}" if len(names) > 1 else "")
    st.caption(literal(f"The plane: {plane}, in standard units (0 = the training mean, 1 = "
                       "one standard deviation)" + (f"; {', '.join(names[2:])} held at their "
                                                    "training mean" if len(names) > 2 else "")
                       + "."))
if job is not None:
    live_view(job, options)
    with st.expander("Model summary (as Keras' model.summary())", icon=":material/table:"):
        st.code(job.built.summary_text(), language=None)
    with st.expander("What every hidden neuron computes", icon=":material/grid_view:"):
        neuron_panel(job)
    with st.expander("Export: take the model home", icon=":material/download:"):
        export_job_panel(f"playground-{job.config.dataset.name}", job,
                         f"playground-{job.config.dataset.name}",
                         data_path=table_file_name(job.config.dataset))
