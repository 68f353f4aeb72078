"""A larger view of every hidden neuron's output over the input plane."""

from __future__ import annotations

import streamlit as st

from core.inspection import grid_view
from playground.charts.neuron_grid import neuron_grid_figure
from playground.live.playground_view import view_model


def neuron_panel(job) -> None:
    model = view_model(job)
    job.copy_weights_into(model)
    view = grid_view(model, job.head, job.dataset, resolution=40)
    if view.grid.ys.size == 0:
        st.caption("For 1-D data each neuron is a curve; the output chart shows their sum.")
        return
    if not view.neurons:
        st.caption("No hidden layers: the network is a single perceptron.")
        return
    for i, layer in enumerate(view.neurons, start=1):
        titles = [f"h{i}.{j + 1}" for j in range(len(layer))]
        st.markdown(f"**Hidden layer {i}** — {job.built.summary[i - 1].label}")
        st.plotly_chart(neuron_grid_figure(list(layer[:64]), titles=titles[:64], normalize=True),
                        key=f"pg_neurons_{i}", config={"displayModeBar": False})
