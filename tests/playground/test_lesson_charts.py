"""Lesson chart builders (pure: numbers in, figure out) and the curriculum map's links."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from core.lessons import galleries as gal
from core.lessons.backprop import AddMultiplyGraph
from core.lessons.perceptron import GATES, output_grid
from playground.charts import lesson_charts as charts
from playground.colors import BLUE, ORANGE
from playground.lessons.curriculum import CURRICULUM, markdown_table
from playground.presets import PRESETS

REPO = Path(__file__).resolve().parents[2]


def test_perceptron_figure_draws_corners_lines_heatmap_and_ring() -> None:
    fig = charts.perceptron_figure(GATES["AND"], [((1.0, 1.0), -1.5, "line")],
                                   output=output_grid((1.0, 1.0), -1.5, "step", n=11),
                                   highlight=3)
    kinds = [t.type for t in fig.data]
    assert kinds == ["heatmap", "scatter", "scatter", "scatter"]
    line, corners, ring = fig.data[1], fig.data[2], fig.data[3]
    assert list(line.x) == [-0.5, 1.5] and list(line.y) == [2.0, 0.0]  # x1 + x2 = 1.5
    assert list(corners.marker.color) == [ORANGE, ORANGE, ORANGE, BLUE]
    assert (ring.x[0], ring.y[0]) == (1.0, 1.0)


def test_graph_figure_reveals_gradients_step_by_step() -> None:
    graph = AddMultiplyGraph(-2.0, 5.0, -4.0)
    texts = [a.text for a in charts.graph_figure(graph, 0).layout.annotations if a.text]
    assert "<b>f = -12</b>" in texts and not any("∂" in t for t in texts)
    texts = [a.text for a in charts.graph_figure(graph, 5).layout.annotations if a.text]
    assert {"<b>∂f/∂x = -4</b>", "<b>∂f/∂z = 3</b>", "<b>∂f/∂f = 1</b>"} <= set(texts)


def test_activation_and_loss_figures() -> None:
    curve = gal.activation_curve("sigmoid")
    fig = charts.activation_figure(curve, gal.saturated_tails(curve), "Sigmoid")
    assert len(fig.layout.shapes) == 2 and [t.name for t in fig.data] == ["f(x)", "f′(x)"]
    loss = gal.loss_curve("mse", 1.0)
    fig = charts.loss_figure(loss, gal.LOSS_VIEWS["mse"], 1.0, at=3.0)
    assert fig.data[2].x[0] == 3.0 and fig.data[2].y[0] == 4.0 and fig.data[1].yaxis == "y2"


def test_image_kernel_and_gradient_figures() -> None:
    fig = charts.image_figure(np.zeros((30, 30)), "padded", box=(4, 6, 3))
    rect = fig.layout.shapes[0]
    assert (rect.x0, rect.x1, rect.y0, rect.y1) == (5.5, 8.5, 3.5, 6.5)
    kernel = charts.kernel_figure(np.array([[-1.0, 0.0], [2.0, 1.0]]), "k")
    assert kernel.data[0].zmin == -2.0 and kernel.data[0].text[1][0] == "2"
    norms = charts.grad_norm_figure(["layer 1", "output"], [1e-8, float("nan")])
    assert list(norms.data[0].y) == [1e-8, None] and norms.layout.yaxis.type == "log"
    history = charts.grad_history_figure(["a", "b"], [0, 50], [[1e-2, 1.0], [1e-4, 1.0]])
    assert np.allclose(history.data[0].z, [[-2, -4], [0, 0]])
    shares = charts.dead_relu_figure([gal.DeadShare("ReLU layer 1", 8, 2)])
    assert list(shares.data[0].y) == [25.0] and list(shares.data[0].text) == ["2 of 8"]


def test_curriculum_links_point_at_real_pages_and_presets() -> None:
    app = (REPO / "app.py").read_text()
    pages = dict(re.findall(r'st\.Page\("([^"]+)"[^)]*?url_path="([^"]+)"', app))
    for topic in CURRICULUM:
        for link in topic.links:
            if link.kind == "page":
                assert pages.get(link.target) == link.url, (topic.topic, link)
            else:
                assert link.target in PRESETS, (topic.topic, link)
    table = markdown_table()
    assert table.count("\n") == len(CURRICULUM) + 1
    assert "[Lesson 6](lesson-code)" in table
