"""Lesson 2: backpropagation by hand — a tiny graph, one sigmoid neuron, a 2-2-1 network."""

from __future__ import annotations

import streamlit as st

from core.lessons.backprop import AddMultiplyGraph, NeuronPass, TinyNet, TinyNetPass
from playground.charts import lesson_charts as charts
from playground.lessons.lesson_widgets import notice, stepper, try_in_playground

LIMIT = 1000.0
"""Inputs stay within ±1000: enough for every lesson, and no overflow to inf or NaN."""



def number(where, label: str, value: float, step: float, key: str) -> float:
    return where.number_input(label, value=value, step=step, min_value=-LIMIT, max_value=LIMIT,
                              key=key)


st.title("Backpropagation by hand")
st.markdown(
    "Training needs the derivative of the loss with respect to every weight. "
    "Backpropagation gets all of them in one sweep from the output back to the inputs: each "
    "node multiplies the gradient arriving from above by its own *local* derivative (the "
    "chain rule) and passes the product on.")
st.latex(r"\frac{\partial f}{\partial x} = \frac{\partial f}{\partial q}\cdot"
         r"\frac{\partial q}{\partial x}")

# ----- 1. f = (x + y) z ------------------------------------------------------------------------
st.header("1. The smallest example: f = (x + y) · z")
cols = st.columns(3)
x = number(cols[0], "x", -2.0, 1.0, "bp:x")
y = number(cols[1], "y", 5.0, 1.0, "bp:y")
z = number(cols[2], "z", -4.0, 1.0, "bp:z")
graph = AddMultiplyGraph(x, y, z)
steps = graph.backward_steps()
if st.session_state.get("bp:graph_sig") != (x, y, z):
    st.session_state["bp:graph_sig"] = (x, y, z)
    st.session_state["bp:graph_step"] = 0
left, right = st.columns([3, 2])
with left:
    now = stepper("bp:graph_step", len(steps), label="gradient")
    st.plotly_chart(charts.graph_figure(graph, now), key="bp:graph")
with right:
    st.markdown("**Forward pass** (green in the graph)")
    st.latex(rf"q = x + y = {x:g} + ({y:g}) = {graph.q:g}")
    st.latex(rf"f = q\,z = {graph.q:g}\cdot({z:g}) = {graph.f:g}")
    st.markdown("**Local gradients**: what each node knows about itself")
    loc = graph.local_gradients()
    st.latex(r"\frac{\partial q}{\partial x} = 1,\quad \frac{\partial q}{\partial y} = 1")
    st.latex(rf"\frac{{\partial f}}{{\partial q}} = z = {loc['df/dq']:g},\quad"
             rf"\frac{{\partial f}}{{\partial z}} = q = {loc['df/dz']:g}")
    st.markdown("**Backward pass** (red), one step at a time")
    for s in steps[:now]:
        st.markdown(f"* {s.rule}")
    if now == len(steps):
        g = graph.gradients()
        st.success(f"All done: ∂f/∂x = {g['x']:g}, ∂f/∂y = {g['y']:g}, ∂f/∂z = {g['z']:g}.")
notice([
    "An addition node hands the incoming gradient unchanged to both inputs (local gradient 1).",
    "A product node hands each input the incoming gradient times the *other* input: z goes "
    "to q and q goes to z.",
    "Raising x by a little ε changes f by about ∂f/∂x · ε: with the defaults, −4ε.",
])

# ----- 2. one sigmoid neuron -------------------------------------------------------------------
st.header("2. One sigmoid neuron with a squared error")
st.latex(r"z = w_1x_1 + w_2x_2 + b,\quad a = \sigma(z),\quad C = (a - y)^2")
st.latex(r"\frac{\partial C}{\partial w_i} = \underbrace{2(a-y)}_{\partial C/\partial a}\cdot"
         r"\underbrace{a(1-a)}_{\partial a/\partial z}\cdot\underbrace{x_i}_{\partial z/"
         r"\partial w_i}")
cols = st.columns(6)
nx1 = number(cols[0], "x₁", 1.0, 0.5, "bp:nx1")
nx2 = number(cols[1], "x₂", -0.5, 0.5, "bp:nx2")
nw1 = number(cols[2], "w₁", 0.8, 0.1, "bp:nw1")
nw2 = number(cols[3], "w₂", 0.4, 0.1, "bp:nw2")
nb = number(cols[4], "b", -0.2, 0.1, "bp:nb")
ny = number(cols[5], "target y", 1.0, 1.0, "bp:ny")
n = NeuronPass((nx1, nx2), (nw1, nw2), nb, ny)
gw = n.grad_w()
st.latex(rf"z = {n.z:.4f},\quad a = \sigma(z) = {n.a:.4f},\quad C = {n.loss:.4f}")
st.latex(rf"\frac{{\partial C}}{{\partial a}} = {n.dC_da:.4f},\quad \frac{{\partial a}}"
         rf"{{\partial z}} = {n.da_dz:.4f},\quad \frac{{\partial C}}{{\partial z}} = "
         rf"{n.dC_dz:.4f}")
st.latex(rf"\frac{{\partial C}}{{\partial w_1}} = {n.dC_dz:.4f}\cdot{nx1:g} = {gw[0]:.4f},"
         rf"\quad\frac{{\partial C}}{{\partial w_2}} = {n.dC_dz:.4f}\cdot({nx2:g}) = "
         rf"{gw[1]:.4f},\quad\frac{{\partial C}}{{\partial b}} = {n.grad_b:.4f}")
notice([
    "σ′ = a(1 − a) is at most 0.25 (at a = 0.5): every sigmoid a gradient passes through "
    "shrinks it at least four-fold. Set w₁ to 8 and watch ∂a/∂z collapse — a saturated neuron.",
    "The gradient for a weight is proportional to its input: a weight on an input of 0 gets "
    "no update at all.",
])

# ----- 3. a 2-2-1 network ----------------------------------------------------------------------
st.header("3. A 2-2-1 network on one example, and one SGD step")
st.latex(r"h = \sigma(W_1 x + b_1),\quad \hat y = \sigma(W_2 h + b_2),\quad L = (\hat y - y)^2")
st.latex(r"\delta_2 = \frac{\partial L}{\partial z_2} = 2(\hat y - y)\,\hat y(1-\hat y),\qquad "
         r"\delta_{1,j} = \delta_2\, w_{2,j}\, h_j(1-h_j)")
st.latex(r"\frac{\partial L}{\partial w_{2,j}} = \delta_2 h_j,\quad \frac{\partial L}"
         r"{\partial w_{1,ji}} = \delta_{1,j} x_i,\quad w \leftarrow w - \eta\,"
         r"\frac{\partial L}{\partial w}")
cols = st.columns(5)
tx1 = number(cols[0], "x₁", 0.5, 0.5, "bp:tx1")
tx2 = number(cols[1], "x₂", -1.0, 0.5, "bp:tx2")
ty = number(cols[2], "target y", 0.5, 0.25, "bp:ty")
lr = cols[3].number_input("learning rate η", value=1.0, min_value=0.0, max_value=100.0,
                          step=0.5, key="bp:lr")
seed = cols[4].number_input("weights from seed", value=3, min_value=0, step=1, key="bp:seed")
net = TinyNet.random(int(seed))
p = TinyNetPass(net, (tx1, tx2), ty)
after = TinyNetPass(p.sgd_update(lr), (tx1, tx2), ty)
fwd, bwd = st.columns(2)
with fwd:
    st.markdown("**Forward**")
    st.latex(rf"z_1 = ({p.z1[0]:.4f},\ {p.z1[1]:.4f}),\quad h = ({p.h[0]:.4f},\ {p.h[1]:.4f})")
    st.latex(rf"z_2 = {p.z2:.4f},\quad \hat y = {p.y_hat:.4f},\quad L = {p.loss:.5f}")
    st.markdown("**Backward**")
    st.latex(rf"\delta_2 = {p.delta2:.5f},\quad \delta_1 = ({p.delta1[0]:.5f},\ "
             rf"{p.delta1[1]:.5f})")
with bwd:
    grads = p.gradients()
    new = after.net.parameters()
    st.dataframe([{"parameter": k, "before": v, "∂L/∂(parameter)": grads[k],
                   "after one step": new[k]} for k, v in net.parameters().items()],
                 hide_index=True, column_config={
                     c: st.column_config.NumberColumn(format="%.5f")
                     for c in ("before", "∂L/∂(parameter)", "after one step")})
c1, c2, c3 = st.columns(3)
c1.metric("Loss before", f"{p.loss:.5f}")
c2.metric("Loss after one SGD step", f"{after.loss:.5f}", delta=f"{after.loss - p.loss:.5f}",
          delta_color="inverse")
c3.metric("Prediction ŷ", f"{after.y_hat:.4f}", delta=f"{after.y_hat - p.y_hat:+.4f}")
if after.loss > p.loss:
    st.warning("The loss went **up**: this learning rate overshoots. A gradient only promises "
               "that a *small enough* step downhill lowers the loss.")
notice([
    "δ₁ reuses δ₂: the output layer's error is computed once and passed back, which is why "
    "backpropagation costs about as much as one forward pass.",
    "Every number here is also computed by torch.autograd in the tests, and they agree.",
    "Raise η to 20 and the step jumps past the target: ŷ goes from 0.31 to 0.80 and the loss "
    "after the update is larger. (With a target of 0 or 1 no step can overshoot: the sigmoid "
    "only approaches it.)",
])
try_in_playground("start", "bp:start")
