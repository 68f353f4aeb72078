"""Lesson 1: the perceptron — one neuron by hand, the learning rule step by step, XOR."""

from __future__ import annotations

import streamlit as st

from core.lessons import perceptron as pc
from playground.charts import lesson_charts as charts
from playground.lessons.lesson_widgets import notice, stepper, try_in_playground

st.title("The perceptron")
st.markdown(
    "The building block of every network in this playground: multiply each input by a "
    "weight, add them up with a bias, and pass the sum through an activation function.")
st.latex(r"\hat y = g(z), \qquad z = w_1 x_1 + w_2 x_2 + b")
st.latex(r"g_{\text{step}}(z) = \begin{cases}1 & z > 0\\ 0 & z \le 0\end{cases} \qquad "
         r"g_{\text{sigmoid}}(z) = \frac{1}{1 + e^{-z}}")

# ----- 1. by hand ------------------------------------------------------------------------------
st.header("1. Set the weights yourself")
left, right = st.columns([1, 2])
with left:
    gate = st.radio("Logic gate to separate", list(pc.GATES), horizontal=True, key="pc:gate")
    w1 = st.slider("w₁", -3.0, 3.0, 1.0, 0.1, key="pc:w1")
    w2 = st.slider("w₂", -3.0, 3.0, 1.0, 0.1, key="pc:w2")
    b = st.slider("b (bias)", -3.0, 3.0, -1.5, 0.1, key="pc:b")
    activation = st.radio("Activation g", pc.ACTIVATIONS, horizontal=True, key="pc:act")
    acc = pc.accuracy(gate, (w1, w2), b)
    st.metric(f"Corners right ({gate})", f"{round(acc * 4)} of 4")
    st.latex(rf"z = {w1:g}\,x_1 {w2:+g}\,x_2 {b:+g}")
with right:
    st.plotly_chart(charts.perceptron_figure(
        pc.GATES[gate], [((w1, w2), b, "decision line z = 0")],
        output=pc.output_grid((w1, w2), b, activation)), key="pc:hand_chart")
notice([
    "The decision line is where z = 0; the weights turn it and the bias slides it.",
    "Sigmoid draws the same line: it only softens the step into a probability.",
    f"Try XOR: no setting of w₁, w₂, b gets all four corners right. The best any line can do "
    f"is {pc.best_single_line_accuracy('XOR'):.0%} (checked by searching over lines).",
])

# ----- 2. the learning rule --------------------------------------------------------------------
st.header("2. The perceptron learning rule, one corner at a time")
st.latex(r"w_i \leftarrow w_i + \eta\,(t - \hat y)\,x_i, \qquad "
         r"b \leftarrow b + \eta\,(t - \hat y)")
st.caption("t is the target, ŷ the prediction, η the learning rate. Nothing changes when the "
           "prediction is right; a mistake tilts the line towards the corner it got wrong.")
c1, c2, c3 = st.columns(3)
rule_gate = c1.radio("Gate to learn", list(pc.GATES), horizontal=True, key="pc:rule_gate")
lr = c2.select_slider("Learning rate η", [0.1, 0.25, 0.5, 1.0], value=0.5, key="pc:lr")
rule_act = c3.radio("Activation", pc.ACTIVATIONS, horizontal=True, key="pc:rule_act")
run = pc.learn(rule_gate, lr=lr, activation=rule_act,
               max_epochs=20 if rule_act == "step" else 60)
signature = (rule_gate, lr, rule_act)
if st.session_state.get("pc:rule_sig") != signature:  # new setup: start from step 0
    st.session_state["pc:rule_sig"] = signature
    st.session_state["pc:step"] = 0
    st.session_state["pc:play"] = False
st.toggle("Play: one corner every 0.6 s", key="pc:play")


@st.fragment(run_every=0.6 if st.session_state.get("pc:play") else None)
def rule_player() -> None:
    total = len(run.steps)
    if st.session_state.get("pc:play") and st.session_state["pc:step"] < total:
        st.session_state["pc:step"] += 1
    now = stepper("pc:step", total, label="corner")
    if now == 0:
        w, bias, highlight = (0.0, 0.0), 0.0, None
        st.info("Start: w₁ = w₂ = b = 0. Press **Next corner** (or Play) to apply the rule.")
    else:
        s = run.steps[now - 1]
        w, bias, highlight = s.w_after, s.b_after, s.index
        verdict = "right, nothing changes" if abs(s.error) < 1e-12 else "a mistake"
        st.markdown(
            f"**Epoch {s.epoch}, corner {s.x}** (target {s.target}): "
            f"z = {s.w_before[0]:.3g}·{s.x[0]:g} + {s.w_before[1]:.3g}·{s.x[1]:g} + "
            f"({s.b_before:.3g}) = {s.z:.3g}, prediction ŷ = {s.prediction:.3g} — {verdict}.")
        st.latex(rf"w \leftarrow ({s.w_before[0]:.3g}, {s.w_before[1]:.3g}) + {lr:g}\cdot"
                 rf"({s.error:.3g})\cdot({s.x[0]:g}, {s.x[1]:g}) = "
                 rf"({s.w_after[0]:.3g}, {s.w_after[1]:.3g}),\quad b \leftarrow "
                 rf"{s.b_after:.3g}")
    chart, errors = st.columns([3, 2])
    chart.plotly_chart(charts.perceptron_figure(
        pc.GATES[rule_gate], [(w, bias, "current line")],
        output=pc.output_grid(w, bias, rule_act), highlight=highlight, height=380),
        key="pc:rule_chart")
    errors.plotly_chart(charts.mistakes_figure(run.mistakes_per_epoch()), key="pc:mistakes")
    if run.converged_epoch is not None:
        errors.success(f"Learned: epoch {run.converged_epoch} had every corner right, so "
                       f"the rule stopped ({len(run.steps)} updates in all).")
    else:
        errors.error(f"Not learned after {run.steps[-1].epoch} epochs: there is always a "
                     "corner on the wrong side, so the line keeps moving. For XOR no line "
                     "exists; it would go on for ever.")


rule_player()
notice([
    "AND and OR are learned in a few epochs: the rule is guaranteed to stop when a line "
    "separating the classes exists (the perceptron convergence theorem).",
    "XOR never stops: the mistakes per epoch never reach zero, whatever η you pick.",
])

# ----- 3. one hidden layer ---------------------------------------------------------------------
st.header("3. One hidden layer solves XOR")
st.markdown(
    "Two perceptrons in a hidden layer draw two lines; an output perceptron combines them. "
    "With the weights below, hidden unit 1 fires when *at least one* input is 1 (OR), "
    "hidden unit 2 only when *both* are (AND), and the output says *OR but not AND*: XOR.")
st.latex(r"h_1 = \text{step}(x_1 + x_2 - 0.5),\quad h_2 = \text{step}(x_1 + x_2 - 1.5),\quad "
         r"\hat y = \text{step}(h_1 - 2h_2 - 0.5)")
p = pc.XOR_HIDDEN
left, right = st.columns([1, 2])
with left:
    rows = []
    for x in pc.CORNERS:
        h, out = pc.xor_network(x)
        rows.append({"x₁": x[0], "x₂": x[1], "h₁ (OR)": h[0], "h₂ (AND)": h[1], "ŷ": out,
                     "XOR": pc.GATES["XOR"][pc.CORNERS.index(x)]})
    st.table(rows)
with right:
    st.plotly_chart(charts.perceptron_figure(
        pc.GATES["XOR"], [(p["W1"][0], p["b1"][0], "hidden unit 1 (OR)"),
                          (p["W1"][1], p["b1"][1], "hidden unit 2 (AND)")],
        output=pc.xor_network_grid()),
        key="pc:xor_chart")
notice([
    "The band between the two lines is where XOR is 1: no single line can cut it out, two "
    "lines and one more neuron can.",
    "In the Playground the same happens with learned weights: the XOR preset with no hidden "
    "layer stalls near 50 % accuracy; add one hidden layer and it learns.",
])
cols = st.columns(2)
with cols[0]:
    try_in_playground("perceptron-xor", "pc:xor")
with cols[1]:
    try_in_playground("xor-hidden-layer", "pc:xor_hidden")
