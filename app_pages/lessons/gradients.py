"""Lesson 5: vanishing and exploding gradients in a deep narrow network, trained live."""

from __future__ import annotations

import math

import streamlit as st

from core.lessons import gradient_flow as gf
from playground.charts import lesson_charts as charts
from playground.lessons.lesson_widgets import lesson_threads, notice, try_in_playground

MAX_STEPS = 1000
STEPS_PER_TICK = 25
lesson_threads()


@st.cache_data(show_spinner="Measuring every combination at initialisation…", max_entries=8)
def ratio_table(depth: int, width: int, batchnorm: bool) -> list[dict[str, str]]:
    """First layer's gradient norm over the output layer's, at step 0, for each combination."""
    rows = []
    for act in ("sigmoid", "tanh", "relu"):
        row = {"activation": act}
        for init in gf.INITS:
            probe = gf.GradientProbe(gf.ProbeSetup(depth, width, act, init, batchnorm))
            norms = probe.history[0].grad_norms
            ratio = norms[0] / norms[-1] if norms[-1] > 0 else math.nan
            row[init] = "exploded" if not math.isfinite(ratio) else f"{ratio:.1e}"
        rows.append(row)
    return rows


st.title("Vanishing and exploding gradients")
st.markdown(
    "Backpropagation multiplies one factor per layer: the layer's weights times its "
    "activation's slope. Deep networks multiply many of them, so a factor a little below 1 "
    "makes the first layers' gradient vanish, and one a little above 1 makes it explode.")
st.latex(r"\frac{\partial L}{\partial W_1} \propto \prod_{l=2}^{L} W_l^{\top}\,"
         r"\mathrm{diag}\big(g'(z_l)\big)\qquad g' \le 0.25 \text{ for the sigmoid}")

c = st.columns(3)
depth = c[0].slider("Depth (hidden layers)", 2, 20, 10, key="gf:depth")
width = c[1].select_slider("Width", [4, 8, 16, 32], value=8, key="gf:width")
lr = c[2].select_slider("Learning rate (SGD)", [0.01, 0.03, 0.1, 0.3, 1.0], value=0.1,
                        key="gf:lr")
c = st.columns([1, 2.4, 1])
act = c[0].radio("Activation", ["sigmoid", "tanh", "relu"], key="gf:act", horizontal=True)
init = c[1].radio("Initialisation", list(gf.INITS), index=1, key="gf:init", horizontal=True)
batchnorm = c[2].toggle("Batch norm after each layer", key="gf:bn")
setup = gf.ProbeSetup(depth, width, act, init, batchnorm, lr)
if st.session_state.get("gf:setup") != setup:
    st.session_state["gf:setup"] = setup
    st.session_state["gf:probe"] = gf.GradientProbe(setup)


def probe() -> gf.GradientProbe:
    return st.session_state["gf:probe"]


def exploded() -> bool:
    return not math.isfinite(probe().history[-1].loss)


def advance(steps: int) -> None:
    if not exploded() and probe().step < MAX_STEPS:
        probe().advance(min(steps, MAX_STEPS - probe().step))


def reset() -> None:
    st.session_state["gf:probe"] = gf.GradientProbe(setup)


b = st.columns([1, 1, 1, 3])
b[0].button(f"Train {STEPS_PER_TICK * 2} steps", on_click=advance, args=(STEPS_PER_TICK * 2,),
            icon=":material/skip_next:", key="gf:train", width="stretch")
b[1].button("Reset weights", on_click=reset, icon=":material/restart_alt:", key="gf:reset",
            width="stretch")
live = b[2].toggle("Live", key="gf:live", help=f"{STEPS_PER_TICK} steps every second, up to "
                                               f"{MAX_STEPS}")


@st.fragment(run_every=1.0 if live else None)
def live_view() -> None:
    if live:
        advance(STEPS_PER_TICK)
    p = probe()
    snap = p.history[-1]
    m = st.columns(4)
    m[0].metric("Step", f"{p.step:,}")
    m[1].metric("Training loss", f"{snap.loss:.4f}" if math.isfinite(snap.loss) else "∞ / NaN")
    m[2].metric("Accuracy", f"{snap.accuracy:.0%}")
    first, last = snap.grad_norms[0], snap.grad_norms[-1]
    m[3].metric("‖∇W₁‖ / ‖∇W_out‖", f"{first / last:.1e}" if last > 0 and math.isfinite(first)
                else "—")
    if exploded():
        st.error("The gradients exploded: the loss became infinite or NaN, and training "
                 "stopped. Weights this large amplify the signal at every layer.")
    elif live and p.step >= MAX_STEPS:
        st.info(f"Reached {MAX_STEPS} steps; press Reset weights to start again.")
    left, right = st.columns(2)
    left.plotly_chart(charts.grad_norm_figure(p.layer_names, snap.grad_norms),
                      key="gf:norms")
    right.plotly_chart(charts.activation_hist_figure(p.layer_names, gf.HIST_BINS,
                                                     snap.act_hists), key="gf:hists")
    left, right = st.columns(2)
    left.plotly_chart(charts.grad_history_figure(
        p.layer_names, [s.step for s in p.history], [s.grad_norms for s in p.history]),
        key="gf:history")
    right.plotly_chart(charts.loss_history_figure([s.step for s in p.history],
                                                  [s.loss for s in p.history]),
                       key="gf:loss")


live_view()
notice([
    "Sigmoid, 10 layers, Xavier: the first layer's gradient is about 10⁻⁶ of the output "
    "layer's — the first layers barely move and the loss sits at 0.69.",
    "ReLU with He initialisation keeps every layer's gradient about the same size: the "
    "network learns the circle within a few hundred steps.",
    "Too small: every activation collapses onto one value (one bright column in the "
    "histograms) and the gradient dies. Too big: sigmoid saturates at 0 and 1; ReLU explodes.",
    "Batch norm rescales each layer's outputs to mean 0 and spread 1, which rescues even the "
    "sigmoid stack: switch it on and compare.",
])
st.subheader("Every combination at initialisation")
st.caption(f"First layer's gradient norm divided by the output layer's, at step 0, for depth "
           f"{depth}, width {width}{', with batch norm' if batchnorm else ''}: near 1 is "
           "healthy, 1e-6 is vanished.")
st.dataframe(ratio_table(depth, width, batchnorm), hide_index=True)
try_in_playground("deep-relu-vs-sigmoid", "gf:deep")
