"""Optimizers lab: real torch.optim optimizers racing on test surfaces, and the loss landscape
of the Playground's trained network. Layout and widgets only."""

from __future__ import annotations

import streamlit as st

from core.errors import ConfigError
from core.labs.surfaces import SURFACE_LABELS, make_surface
from core.optimizers import OPTIMIZERS
from playground.charts import lab_charts
from playground.jobs import configure_threads
from playground.lessons import labs
from playground.state import from_state

configure_threads()
RACE_SURFACES = [name for name in SURFACE_LABELS if name != "parabola"]
CONDITIONS = [1, 2, 5, 10, 20, 50, 100]
NOISE = [0.0, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0]
DEFAULT_ON = ("sgd", "momentum", "rmsprop", "adam")
KNOB_WIDGETS = {
    "momentum": ("momentum", 0.0, 0.99, 0.01, "%.2f"),
    "rho": ("ρ (decay)", 0.0, 0.999, 0.01, "%.3f"),
    "beta1": ("β1", 0.0, 0.999, 0.01, "%.3f"),
    "beta2": ("β2", 0.0, 0.9999, 0.001, "%.4f"),
    "weight_decay": ("weight decay", 0.0, 10.0, 0.01, "%.3f"),
}
KNOB_DEFAULTS = {"momentum": 0.9, "rho": 0.9, "beta1": 0.9, "beta2": 0.999,
                 "weight_decay": 0.01}
RESOLUTIONS = [11, 15, 21, 25, 31, 41, 51]


def _surface():
    name = st.session_state["opt:surface"]
    params = {"condition": st.session_state["opt:condition"]} if name == "bowl" else {}
    return name, params, make_surface(name, st.session_state["opt:noise"], **params)


def _reset_for_surface() -> None:
    """New surface: its own start point and learning rates that behave on it."""
    _, _, surface = _surface()
    st.session_state["opt:start_x"], st.session_state["opt:start_y"] = surface.start
    for name in OPTIMIZERS:
        st.session_state[f"opt:lr.{name}"] = surface.default_lr(name)


def _pick_start(chart_key: str) -> None:
    """A click on the contours: start there (the chart is remounted, forgetting the click)."""
    points = (st.session_state.get(chart_key) or {}).get("selection", {}).get("points", [])
    if points and "x" in points[0] and "y" in points[0]:
        st.session_state["opt:start_x"] = round(float(points[0]["x"]), 2)
        st.session_state["opt:start_y"] = round(float(points[0]["y"]), 2)
        st.session_state["opt:chart_n"] += 1


st.session_state.setdefault("opt:surface", "rosenbrock")
st.session_state.setdefault("opt:condition", 10)
st.session_state.setdefault("opt:noise", 0.0)
if "opt:start_x" not in st.session_state:
    _reset_for_surface()
for key, value in (("opt:steps", 500), ("opt:eps", 0.05), ("opt:chart_n", 0),
                   ("opt:raced", False), ("opt:show3d", False), ("opt:seed", 0),
                   ("opt:resolution", 25), ("opt:directions", "random"), ("opt:span", 1.0)):
    st.session_state.setdefault(key, value)
for name in OPTIMIZERS:
    st.session_state.setdefault(f"opt:on.{name}", name in DEFAULT_ON)
    for knob in OPTIMIZERS[name].knobs:
        st.session_state.setdefault(f"opt:{knob}.{name}", KNOB_DEFAULTS[knob])

st.title("Optimizers")
st.caption("SGD, momentum, Nesterov, AdaGrad, Adadelta, RMSProp, Adam and AdamW — the real "
           "`torch.optim` classes — stepping on surfaces whose minima we know, then on the "
           "loss of a network you trained.")
race_tab, real_tab = st.tabs(["Race on test surfaces", "The real thing: your network"],
                             key="opt:tab", on_change="rerun")

# ----- 1. races on test surfaces ---------------------------------------------------------------
if race_tab.open:
    with race_tab:
        top = st.columns([1.4, 1, 1, 0.8, 0.8, 0.8])
        from_state(top[0].selectbox, "Surface", RACE_SURFACES, key="opt:surface",
                   format_func=lambda n: SURFACE_LABELS[n], on_change=_reset_for_surface)
        if st.session_state["opt:surface"] == "bowl":
            from_state(top[1].select_slider, "Condition number κ", CONDITIONS,
                       key="opt:condition")
        from_state(top[2].select_slider, "Gradient noise σ", NOISE, key="opt:noise",
                   format_func=lambda v: f"{v:g}",
                   help="Gaussian noise on every gradient, like a mini-batch "
                        "(seeded: the same noise for every optimizer).")
        from_state(top[3].number_input, "Steps", 10, 2000, step=50, key="opt:steps")
        from_state(top[4].number_input, "start x", step=0.1, format="%.2f", key="opt:start_x")
        from_state(top[5].number_input, "start y", step=0.1, format="%.2f", key="opt:start_y")
        surface_name, params, surface = _surface()
        st.caption(surface.description + " Click the contours to start somewhere else.")

        with st.expander("Optimizers and their settings", expanded=True,
                         icon=":material/tune:"):
            grid = st.columns(4)
            for i, (name, spec) in enumerate(OPTIMIZERS.items()):
                with grid[i % 4].container(border=True):
                    from_state(st.checkbox, f"**{spec.label}**", key=f"opt:on.{name}")
                    from_state(st.number_input, "learning rate", min_value=1e-6,
                               max_value=99.0, format="%g", key=f"opt:lr.{name}",
                               disabled=not st.session_state[f"opt:on.{name}"])
                    for knob in spec.knobs:
                        label, low, high, step, fmt = KNOB_WIDGETS[knob]
                        from_state(st.number_input, label, low, high, step=step, format=fmt,
                                   key=f"opt:{knob}.{name}",
                                   disabled=not st.session_state[f"opt:on.{name}"])
        enabled = [n for n in OPTIMIZERS if st.session_state[f"opt:on.{n}"]]
        buttons = st.columns([1.1, 0.9, 0.9, 1.4, 1.7])
        if buttons[0].button("Start race", icon=":material/flag:", type="primary",
                             key="opt:race", width="stretch", disabled=not enabled):
            st.session_state["opt:raced"] = True
        buttons[1].button("Reset", icon=":material/restart_alt:", key="opt:reset",
                          on_click=_reset_for_surface, width="stretch",
                          help="This surface's start point and learning rates.")
        from_state(buttons[2].toggle, "3-D view", key="opt:show3d")
        from_state(buttons[3].number_input, "ε", min_value=1e-4, max_value=1.0, format="%g",
                   key="opt:eps", label_visibility="collapsed",
                   help="Reached = stays within ε of a minimum to the end.")
        buttons[4].caption("ε: a path has reached a minimum once it stays this close.")

        start = (st.session_state["opt:start_x"], st.session_state["opt:start_y"])
        entries = tuple(
            (n, tuple(sorted({"lr": st.session_state[f"opt:lr.{n}"],
                              **{k: st.session_state[f"opt:{k}.{n}"]
                                 for k in OPTIMIZERS[n].knobs}}.items())))
            for n in enabled)
        result = None
        if st.session_state["opt:raced"] and enabled:
            try:
                result = labs.cached_race(surface_name, tuple(sorted(params.items())),
                                          float(st.session_state["opt:noise"]), entries,
                                          start, int(st.session_state["opt:steps"]),
                                          int(st.session_state["opt:seed"]),
                                          float(st.session_state["opt:eps"]))
            except ConfigError as exc:
                st.error(str(exc), icon=":material/block:")
        paths = labs.chart_paths(result.trajectories) if result is not None else []
        if result is None:
            st.info("Pick the optimizers and press **Start race**: each runs from the same "
                    "start with its own settings.", icon=":material/flag:")
        chart_key = f"opt_race_{st.session_state['opt:chart_n']}"
        figure = lab_charts.trajectory_figure(
            paths, **labs.surface_chart_kwargs(surface), click_grid=25, height=600,
            uirevision=f"race-{surface_name}")
        if result is None:  # show where it will start
            figure.add_scatter(x=[start[0]], y=[start[1]], mode="markers", name="start",
                               marker={"symbol": "circle-open", "size": 14, "color": "#333",
                                       "line": {"width": 2}})
        st.plotly_chart(figure, key=chart_key, on_select=lambda: _pick_start(chart_key),
                        selection_mode="points", config={"displaylogo": False})
        if result is not None:
            st.markdown("\n".join(f"- {line}" for line in result.summary()))
            st.dataframe(labs.results_table(result), hide_index=True,
                         column_config={"lr": st.column_config.NumberColumn(format="%g"),
                                        "final loss": st.column_config.NumberColumn(
                                            format="%.3g")})
            if st.session_state["opt:show3d"]:
                kwargs = labs.surface_chart_kwargs(surface, 60)
                st.plotly_chart(lab_charts.surface3d_figure(
                    paths, xs=kwargs["xs"], ys=kwargs["ys"], values=kwargs["values"],
                    minimum_value=kwargs["minimum_value"], log_values=kwargs["log_values"]),
                    key="opt_surface3d", config={"displaylogo": False})

# ----- 2. the loss landscape of the Playground's network ---------------------------------------
if real_tab.open:
    with real_tab:
        job = labs.playground_job()
        if job is None or job.epoch == 0:
            st.info("Train a network on the **Playground** first (a few epochs are enough); "
                    "this tab then shows the loss landscape around the weights it found.",
                    icon=":material/science:")
            st.page_link(labs.PLAYGROUND_PAGE, label="Open the Playground",
                         icon=":material/science:")
        else:
            last = job.history[-1] if job.history else {}
            st.markdown(
                f"Your Playground network after **{job.epoch} epochs** ({job.step_count:,} "
                f"steps, training loss {last.get('train_loss', float('nan')):.4f}, "
                f"{job.built.total_params:,} parameters, {len(job.checkpoints)} checkpoints "
                "along the way). Following Li et al. (2018): the loss along the straight "
                "line from the initial to the trained weights, and over a plane through the "
                "trained weights.")
            cols = st.columns([1, 1.6, 1, 1])
            from_state(cols[0].select_slider, "Grid resolution", RESOLUTIONS,
                       key="opt:resolution", format_func=lambda n: f"{n}×{n}",
                       help="Loss evaluations: resolution² on the whole training "
                            "set (up to 2,000 samples).")
            from_state(cols[1].radio, "Plane", ["random", "pca"], key="opt:directions",
                       horizontal=True,
                       format_func=lambda d: {"random": "random, filter-normalised",
                                              "pca": "main directions of the path (PCA)"}[d])
            if st.session_state["opt:directions"] == "random":
                from_state(cols[2].select_slider, "Span ±", [0.25, 0.5, 1.0, 1.5, 2.0],
                           key="opt:span",
                           help="±1 = a step as large as each filter's weights.")
            with cols[3]:
                st.write("")
                compute = st.button("Compute the landscape", icon=":material/landscape:",
                               type="primary", key="opt:landscape", width="stretch")
            if compute:
                bar = st.progress(0.0, text="evaluating the loss…")
                try:
                    st.session_state["lab:landscape"] = labs.compute_landscape(
                        job, st.session_state["opt:resolution"],
                        st.session_state["opt:directions"], st.session_state["opt:span"],
                        lambda f, text: bar.progress(min(1.0, f), text=text))
                except ConfigError as exc:
                    st.error(str(exc), icon=":material/block:")
                bar.empty()
            land = st.session_state.get("lab:landscape")
            if land is not None and land["job"] == id(job):
                line, plane = land["line"], land["plane"]
                left, right = st.columns(2)
                with left:
                    st.markdown("**1-D: from the initial to the trained weights**")
                    st.plotly_chart(lab_charts.line_slice_figure(line.alphas, line.train,
                                                                 line.test),
                                    key="opt_line", config={"displaylogo": False})
                    st.caption("α = 0 is where training started, α = 1 where it ended. A "
                               "smooth valley in between means the optimizer walked down one "
                               "basin; beyond α = 1 the loss rises again.")
                with right:
                    if plane.directions == "pca":
                        share = plane.explained or (0.0, 0.0)
                        titles = (f"PC 1 ({share[0]:.0%} of the path)",
                                  f"PC 2 ({share[1]:.0%})")
                    else:
                        titles = ("random direction 1 (filter-normalised)",
                                  "random direction 2")
                    st.markdown("**2-D: a plane through the trained weights**")
                    st.plotly_chart(lab_charts.plane_slice_figure(
                        plane.xs, plane.ys, plane.losses, path=plane.path,
                        path_epochs=plane.path_epochs, axis_titles=titles),
                        key="opt_plane", config={"displaylogo": False})
                    if plane.directions == "random":
                        st.caption("A random plane shows only part of the path's motion: in a "
                                   "large network two random directions are almost "
                                   "perpendicular to it and the projected path looks short. "
                                   "Switch the plane to PCA to see the plane it moved in.")
                    else:
                        st.caption("The plane of the path's two main directions: the orange "
                                   "line is the training run, from the white circle to the "
                                   "star.")
                st.caption(f"Computed at epoch {land['epoch']} in {land['seconds']:.1f} s "
                           f"({len(plane.xs)}×{len(plane.ys)} grid, {land['params']:,} "
                           f"parameters, {land['checkpoints']} checkpoints).")
