"""Learning rate lab: over- and undershoot on a quadratic, the LR range test, side by side.
Layout and widgets only; the numbers come from core.labs.surfaces and core.labs.landscape."""

from __future__ import annotations

import streamlit as st

from core.errors import ConfigError
from core.labs.landscape import lr_range_test
from core.labs.surfaces import bowl, gd_regime, parabola, trajectory
from playground.charts import lab_charts
from playground.jobs import configure_threads
from playground.lessons import labs
from playground.state import from_state

configure_threads()
LR_OPTIONS = sorted({round(m * 10.0 ** e, 6) for e in range(-3, 1)
                     for m in (1, 1.2, 1.5, 1.8, 2, 2.5, 3, 4, 5, 6, 8)} | {10.0})
CURVATURES = [0.25, 0.5, 1.0, 2.0, 4.0]
CONDITIONS = [1, 2, 5, 10, 20, 50, 100]
REGIME_BOX = {"crawling": st.info, "fastest": st.success, "oscillating": st.warning,
              "bouncing": st.warning, "diverging": st.error}
REGIME_ICON = {"crawling": ":material/slow_motion_video:", "fastest": ":material/bolt:",
               "oscillating": ":material/swap_horiz:", "bouncing": ":material/sync:",
               "diverging": ":material/warning:"}

for key, value in (("lr:shape", "1-D parabola"), ("lr:curvature", 1.0), ("lr:condition", 10),
                   ("lr:lr", 0.3), ("lr:steps", 30), ("lr:start_lr", 1e-6),
                   ("lr:end_lr", 10.0), ("lr:sweep_steps", 250), ("lr:epochs", 40)):
    st.session_state.setdefault(key, value)

st.title("Learning rate")
st.caption("How big a step? Too small crawls, too large overshoots and explodes. Every step "
           "below is a real `torch.optim` step.")
overshoot_tab, range_tab, side_tab = st.tabs(
    ["Overshoot and undershoot", "LR range test", "Side by side"], key="lr:tab",
    on_change="rerun")

# ----- 1. over- and undershoot on ½·L·x² and a bowl ---------------------------------------------
if overshoot_tab.open:
    with overshoot_tab:
        controls, view = st.columns([1, 3], gap="large")
        with controls:
            shape = from_state(st.radio, "Surface", ["1-D parabola", "2-D bowl"],
                               key="lr:shape", horizontal=True)
            L = from_state(st.select_slider, "Curvature L", CURVATURES, key="lr:curvature",
                           help="The second derivative: how sharply the loss bends.")
            condition = 1
            if shape == "2-D bowl":
                condition = from_state(
                    st.select_slider, "Condition number κ", CONDITIONS, key="lr:condition",
                    help="Steep direction curvature L ÷ flat direction curvature L/κ.")
            lr = from_state(st.select_slider, "Learning rate", LR_OPTIONS, key="lr:lr",
                            format_func=lambda v: f"{v:g}",
                            help="Log scale. Gradient descent on a quadratic is stable "
                                 "below 2/L.")
            steps = from_state(st.slider, "Steps", 5, 100, key="lr:steps")
        surface = parabola(L) if shape == "1-D parabola" else bowl(condition, L)
        regime = gd_regime(lr, L)
        path = trajectory(surface, "sgd", steps=steps, knobs={"lr": lr})
        with view:
            REGIME_BOX[regime.name](f"**{regime.title}.** {regime.explanation}",
                                    icon=REGIME_ICON[regime.name])
            cols = st.columns(4)
            cols[0].metric("learning rate", f"{lr:g}")
            cols[1].metric("2/L (stability limit)", f"{2 / L:g}")
            cols[2].metric("lr ÷ (2/L)", f"{lr * L / 2:.2f}")
            cols[3].metric("distance × per step", f"{regime.factor:+.3g}",
                           help="1 − lr·L: below 1 in size it converges; negative means it "
                                "jumps to the other side every step.")
            if path.status == "diverged":
                st.error(f"**Diverged** after {path.steps} steps: the position passed "
                         f"{surface.bound:g} and the loss reached {path.losses[-1]:.3g} "
                         "(the run stops there instead of overflowing).",
                         icon=":material/trending_up:")
            elif shape == "2-D bowl" and condition > 1:
                flat = 1 - lr * L / condition
                st.caption(f"Along the flat direction (curvature L/κ = {L / condition:g}) each "
                           f"step multiplies the distance by only {flat:.3g}: the steep "
                           "direction caps the rate, the flat one sets the pace. That is the "
                           "price of a condition number κ.")
            st.plotly_chart(lab_charts.lr_scale_figure(lr, L), key="lr_scale",
                            config={"displayModeBar": False})
            figure = lab_charts.trajectory_figure(
                [{"label": f"SGD, lr {lr:g}", "color": "#d62728",
                  "positions": path.positions, "losses": path.losses}],
                **labs.surface_chart_kwargs(surface, 200 if surface.dims == 1 else 80),
                height=480, uirevision=f"descent-{shape}")
            st.plotly_chart(figure, key="lr_descent", config={"displaylogo": False})

# ----- 2. LR range test ------------------------------------------------------------------------
config, source = labs.playground_config()
if range_tab.open:
    with range_tab:
        st.markdown(
            "Smith's **learning-rate range test**: start from the network's initial weights, "
            "raise the learning rate a little every step (exponentially, here from "
            f"{st.session_state['lr:start_lr']:g} to {st.session_state['lr:end_lr']:g}) and "
            "watch the loss. It first barely moves, then falls, then explodes; a good rate "
            "sits where it falls fastest.")
        st.caption(("The Playground's network: " if source == "playground" else
                    "No Playground setup in this session yet, so a default: ")
                   + labs.describe_config(config) + ".")
        cols = st.columns([1, 1, 1, 1.2])
        from_state(cols[0].select_slider, "Start rate", [1e-7, 1e-6, 1e-5, 1e-4, 1e-3],
                   key="lr:start_lr", format_func=lambda v: f"{v:g}")
        from_state(cols[1].select_slider, "End rate", [0.1, 1.0, 10.0, 100.0], key="lr:end_lr",
                   format_func=lambda v: f"{v:g}")
        from_state(cols[2].select_slider, "Steps", [100, 150, 200, 250, 300, 400, 500],
                   key="lr:sweep_steps")
        with cols[3]:
            st.write("")
            run = st.button("Run the range test", icon=":material/play_arrow:",
                            type="primary", key="lr:run_range", width="stretch")
        if run:
            bar = st.progress(0.0, text="sweeping the learning rate…")
            try:
                result = lr_range_test(
                    config, start_lr=st.session_state["lr:start_lr"],
                    end_lr=st.session_state["lr:end_lr"],
                    steps=st.session_state["lr:sweep_steps"],
                    progress=lambda d, t: bar.progress(d / t, text=f"step {d} of {t}"))
                st.session_state["lab:range"] = {"result": result,
                                                 "config": labs.describe_config(config)}
            except ConfigError as exc:
                st.error(str(exc), icon=":material/block:")
            bar.empty()
        stored = st.session_state.get("lab:range")
        if stored is not None:
            result = stored["result"]
            st.plotly_chart(lab_charts.range_test_figure(
                result.lrs, result.losses, result.smoothed, suggestion=result.suggestion,
                best_lr=result.best_lr), key="lr_range_chart", config={"displaylogo": False})
            if result.suggestion is not None:
                rate = labs.nice_rate(result.suggestion)
                st.success(f"Suggested learning rate: **{rate:g}** (the smoothed loss falls "
                           f"fastest there; it was lowest at {result.best_lr:.2g}). The sweep "
                           f"{'stopped' if result.stopped != 'finished' else 'ended'}: "
                           f"{result.message}.", icon=":material/recommend:")
                st.button(f"Apply {rate:g} to the Playground", icon=":material/send:",
                          key="lr:apply", on_click=labs.apply_lr_to_playground, args=(rate,))
            else:
                st.warning("The sweep was too short to suggest a rate (" + result.message
                           + "); try a lower start rate or more steps.")
            st.caption(f"Measured on: {stored['config']}.")
            applied = st.session_state.get("lab:applied_lr")
            if applied is not None:
                st.info(f"The Playground's learning rate is now {applied:g}.",
                        icon=":material/check:")
                st.page_link(labs.PLAYGROUND_PAGE, label="Open the Playground",
                             icon=":material/science:")

# ----- 3. side by side -------------------------------------------------------------------------
if side_tab.open:
    with side_tab:
        stored = st.session_state.get("lab:range")
        middle = (labs.nice_rate(stored["result"].suggestion)
                  if stored is not None and stored["result"].suggestion is not None
                  else config.training.lr)
        st.markdown(
            "The same network from the **same initial weights** and the same batches, trained "
            "three times at once; only the learning rate differs. The middle rate is "
            + ("the range test's suggestion." if stored is not None else
               "the Playground's (run the range test for a suggestion).")
            + " Watch one crawl, one learn, and one bounce or blow up.")
        defaults = (labs.nice_rate(middle / 10), middle, labs.nice_rate(middle * 10))
        if st.session_state.get("lr:side_middle") != middle:
            st.session_state["lr:side_middle"] = middle
            for i, value in enumerate(defaults):
                st.session_state[f"lr:side_lr{i}"] = value
        cols = st.columns([1, 1, 1, 1, 1.3])
        rates = tuple(from_state(cols[i].number_input, f"lr, {label}", min_value=1e-7,
                                 max_value=99.0, key=f"lr:side_lr{i}", format="%g")
                      for i, label in enumerate(labs.SIDE_LABELS))
        epochs = from_state(cols[3].number_input, "Epochs", min_value=1, max_value=2000,
                            step=10, key="lr:epochs")
        with cols[4]:
            st.write("")
            if any(job.state in ("running", "stepping") for job in labs.side_jobs()):
                st.button("Stop", icon=":material/stop:", key="lr:side_stop", width="stretch",
                          on_click=labs.stop_side_by_side)
            else:
                st.button("Train all three", icon=":material/play_arrow:", type="primary",
                          key="lr:side_train", width="stretch",
                          on_click=labs.start_side_by_side, args=(config, rates, epochs))
        if st.session_state.get("lab:side_error"):
            st.error(st.session_state["lab:side_error"], icon=":material/block:")
        st.caption("Network: " + labs.describe_config(config) + ".")
        if labs.side_jobs():
            labs.side_by_side_view()
        else:
            st.plotly_chart(lab_charts.side_by_side_figure([]), key="lr_side_empty",
                            config={"displayModeBar": False})
