"""Lesson 3: activation and loss galleries, and dead ReLUs counted in a real network."""

from __future__ import annotations

import streamlit as st

from core.activations import ACTIVATIONS
from core.lessons import galleries as gal
from core.losses import LOSSES
from playground.charts import lesson_charts as charts
from playground.lessons.lesson_widgets import lesson_threads, notice, try_in_playground

LATEX = {
    "sigmoid": r"\sigma(x) = \frac{1}{1+e^{-x}},\quad \sigma' = \sigma(1-\sigma)",
    "tanh": r"\tanh(x),\quad \tanh'(x) = 1 - \tanh^2(x)",
    "relu": r"\max(0, x),\quad \text{slope } 0 \text{ or } 1",
    "leaky_relu": r"\max(0.1x,\ x),\quad \text{slope } 0.1 \text{ or } 1",
    "elu": r"\begin{cases}x & x \ge 0\\ e^x - 1 & x < 0\end{cases}",
    "gelu": r"x\,\Phi(x)\ \ (\Phi: \text{standard normal CDF})",
    "softplus": r"\log(1+e^x),\quad \text{slope } \sigma(x)",
    "gaussian": r"e^{-x^2},\quad \text{slope } -2x\,e^{-x^2}",
    "maxout": r"\max(w_1x+b_1,\ w_2x+b_2) = \max(x,\ -0.5x-1)",
}


lesson_threads()


@st.cache_data(show_spinner="Training a small ReLU network…", max_entries=20)
def small_net_shares(lr: float, epochs: int) -> list[gal.DeadShare]:
    model, x = gal.train_relu_net(lr, epochs)
    return gal.dead_relu_shares(model, x)


st.title("Activation and loss functions")
tab_act, tab_dead, tab_loss = st.tabs(["Activations", "Dead ReLUs", "Losses"])

with tab_act:
    st.markdown(
        "Without an activation a stack of layers collapses into one linear map. Each function "
        "below is the engine's own module; the red dashed curve is its derivative from "
        "`torch.autograd` — the factor a gradient is multiplied by on its way back. "
        f"Grey bands: saturated, where the slope stays below {gal.SATURATION_SLOPE} for good.")
    chosen = st.multiselect("Activations", gal.GALLERY_ACTIVATIONS,
                            default=list(gal.GALLERY_ACTIVATIONS), key="fn:acts",
                            format_func=lambda n: ACTIVATIONS[n].label)
    cols = st.columns(3)
    for i, name in enumerate(chosen):
        curve = gal.activation_curve(name)
        with cols[i % 3]:
            st.plotly_chart(charts.activation_figure(curve, gal.saturated_tails(curve),
                                                     ACTIVATIONS[name].label),
                            key=f"fn:act:{name}")
            st.latex(LATEX[name])
    notice([
        "Sigmoid's slope is at most 0.25 and tanh's at most 1, and both flatten out on the "
        "tails: a neuron pushed far into a tail learns almost nothing.",
        "ReLU never saturates for positive inputs, but its whole negative side is flat: a unit "
        "whose input is always negative is dead (next tab). Leaky ReLU, ELU and GELU keep a "
        "little slope there.",
        "The decks' rule of thumb: ReLU in hidden layers, sigmoid (or softmax) at the output.",
    ])
    try_in_playground("sigmoid-vanishing", "fn:sigmoid")

with tab_dead:
    st.markdown(
        "A ReLU unit is **dead** when its weighted sum is negative for every input: its output "
        "and its gradient are then zero everywhere, so no update can revive it. Too large a "
        "learning rate is the usual cause.")
    job = st.session_state.get("_session_jobs")
    job = job.get("playground") if job is not None else None
    live_shares = None
    if job is not None:
        model = job.clone_model()
        live_shares = gal.dead_relu_shares(model, job.dataset.x_train.to("cpu"))
    if live_shares:
        st.subheader(f"Your Playground run (epoch {job.epoch})")
        st.button("Count again", key="fn:recount", icon=":material/refresh:",
                  help="Counts on a fresh copy of the run's current weights")
        st.plotly_chart(charts.dead_relu_figure(live_shares), key="fn:dead_live")
        dead = sum(s.dead for s in live_shares)
        units = sum(s.units for s in live_shares)
        st.caption(f"{dead} of {units} ReLU units output 0 for every training point.")
    else:
        st.info("Your Playground run has no ReLU layers yet (or there is no run): here is a "
                "small network of four ReLU layers trained on the circle instead.",
                icon=":material/info:")
    st.subheader("Train a small ReLU network here")
    c1, c2 = st.columns(2)
    lr = c1.select_slider("Learning rate (plain SGD)", [0.01, 0.1, 0.3, 1.0, 3.0], value=1.0,
                          key="fn:dead_lr")
    epochs = c2.select_slider("Epochs", [5, 10, 20, 40], value=20, key="fn:dead_epochs")
    shares = small_net_shares(float(lr), int(epochs))
    st.plotly_chart(charts.dead_relu_figure(shares), key="fn:dead_small")
    total = sum(s.dead for s in shares)
    st.caption(f"Learning rate {lr:g}, {epochs} epochs: {total} of "
               f"{sum(s.units for s in shares)} units dead.")
    notice([
        "At 0.01–0.3 (almost) every unit stays alive; at 1 and 3 most of the deeper layers die "
        "in the first few big steps, and the network loses most of its capacity.",
        "Dead units show in the Playground as flat white neuron squares.",
    ])

with tab_loss:
    st.markdown(
        "A loss turns a prediction and its label into one number to minimise. Its *gradient* "
        "(red) is what backpropagation starts from: its size says how hard the prediction is "
        "pushed.")
    c1, c2, c3 = st.columns(3)
    loss_name = c1.selectbox("Loss", list(gal.LOSS_VIEWS), key="fn:loss",
                             format_func=lambda n: LOSSES[n])
    view = gal.LOSS_VIEWS[loss_name]
    label = c2.radio("Label", view.labels, horizontal=True, key=f"fn:label:{loss_name}",
                     format_func=lambda v: f"{v:g}")
    at = c3.slider(view.x_label, view.lo, view.hi, (view.lo + view.hi) / 2,
                   key=f"fn:at:{loss_name}")
    curve = gal.loss_curve(loss_name, float(label))
    st.latex(view.formula)
    st.plotly_chart(charts.loss_figure(curve, view, float(label), at=at), key="fn:loss_chart")
    i = int(abs(curve.x - at).argmin())
    st.markdown(f"At {view.x_label} = {curve.x[i]:.3g}: loss **{curve.y[i]:.4g}**, "
                f"gradient **{curve.dy[i]:.4g}**.")
    notice([
        "MSE's gradient grows with the error; MAE's is always ±1; Huber is MSE near the "
        "label and MAE far from it, so one outlier cannot dominate.",
        "Cross-entropy explodes as the probability of the true class goes to 0: a confident "
        "wrong answer is punished hardest.",
        "Hinge is exactly zero once the true class wins by a margin of 1: those examples stop "
        "contributing.",
    ])
    st.subheader("Which output layer goes with which loss")
    st.table([{"Predicting": p, "Last-layer activation": a, "Loss": loss, "Engine name": n}
              for p, a, loss, n in gal.LOSS_TABLE])
    st.caption("The playground adds the output layer itself from the loss you choose, so an "
               "incompatible pair cannot be built.")
    try_in_playground("multiclass", "fn:multiclass")
