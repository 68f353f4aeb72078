"""Lab chart builders: every figure validates against Plotly's schema, animation frames grow
the paths to the finished ones, and the marks (2/L, suggestion, α = 0/1, path ends) sit where
the numbers say."""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import pytest

from playground.charts import lab_charts as lc


def validated(fig: go.Figure) -> go.Figure:
    """Full Plotly validation (frames included) and JSON; returns the builder's own figure,
    whose arrays are still NumPy (a validated copy holds them base64-encoded)."""
    pio.to_json(go.Figure(fig.to_dict()))
    assert fig.layout.uirevision
    return fig


def _paths(n: int = 3, steps: int = 100) -> list[dict]:
    t = np.linspace(0, 1, steps + 1)
    return [{"label": f"opt {i}", "color": lc.OPTIMIZER_COLORS["adam"],
             "positions": np.stack([np.cos(t * (i + 1)), np.sin(t)], axis=1),
             "losses": np.exp(-5 * t) + 1e-3 * i} for i in range(n)]


def _grid():
    xs = ys = np.linspace(-2, 2, 30)
    gx, gy = np.meshgrid(xs, ys)
    return xs, ys, gx ** 2 + gy ** 2


def test_trajectory_figure_animates_paths_up_to_the_finished_ones() -> None:
    xs, ys, values = _grid()
    paths = _paths()
    fig = lc.trajectory_figure(paths, xs=xs, ys=ys, values=values, minima=[(0, 0)],
                               minimum_value=0.0, click_grid=10)
    full = validated(fig)
    frames = fig.to_dict()["frames"]
    assert 2 <= len(frames) <= lc.MAX_FRAMES
    assert frames[0]["name"] == "step 0" and frames[-1]["name"] == "step 100"
    traces = list(frames[-1]["traces"])
    assert len(traces) == 3 * len(paths)  # path, its head, its loss curve
    for i, (index, path) in enumerate(zip(traces[0:6:2], paths, strict=True)):
        np.testing.assert_allclose(full.data[index].x, path["positions"][:, 0], rtol=1e-6)
        np.testing.assert_allclose(frames[-1]["data"][2 * i]["x"], path["positions"][:, 0],
                                   rtol=1e-6)
    assert len(frames[0]["data"][0]["x"]) == 1
    picker = [t for t in full.data if t.name == "pick start"]
    assert len(picker) == 1 and len(picker[0].x) == 100
    legend = [t.name for t in full.data if t.showlegend is not False and t.type == "scatter"
              and t.name not in ("pick start",)]
    assert legend[:1] == ["minimum"] and {"opt 0", "opt 1", "opt 2", "start"} <= set(legend)
    assert full.layout.yaxis2.type == "log"
    assert full.layout.sliders[0].active == len(frames) - 1
    assert [b.label for b in full.layout.updatemenus[0].buttons] == ["▶ Play", "❚❚ Pause",
                                                                     "Resume"]


def test_trajectory_figure_in_one_dimension_and_without_paths() -> None:
    xs = np.linspace(-3, 3, 50)
    path = {"label": "SGD", "color": "#d62728", "positions": np.array([[-2.5], [3.0], [-3.6]]),
            "losses": np.array([3.125, 4.5, 6.48])}
    fig = validated(lc.trajectory_figure([path], xs=xs, values=0.5 * xs ** 2, minima=[(0.0,)],
                                         minimum_value=0.0))
    iterates = next(t for t in fig.data if t.name == "SGD" and t.mode == "lines+markers")
    np.testing.assert_allclose(iterates.y, [3.125, 4.5, 6.48])  # drawn on the curve
    assert fig.layout.yaxis.range[1] < 5  # the plot keeps the curve's range, not the blow-up
    empty = validated(lc.trajectory_figure([], xs=xs, values=0.5 * xs ** 2))
    assert "frames" not in empty.to_dict() or not empty.to_dict()["frames"]
    assert not empty.layout.sliders


def test_lr_scale_marks_1_over_l_and_2_over_l() -> None:
    fig = validated(lc.lr_scale_figure(0.3, 2.0))
    lines = [s.x0 for s in fig.layout.shapes if s.type == "line"]
    assert lines == [0.5, 1.0]
    names = [a.text for a in fig.layout.annotations]
    assert {"crawling", "fastest", "oscillating", "diverging", "1/L = 0.5", "2/L = 1"} <= set(
        names)
    assert fig.data[0].x == (0.3,)


def test_range_test_figure_marks_the_suggestion() -> None:
    lrs = np.geomspace(1e-5, 1, 50)
    smoothed = 1 - 0.5 * np.tanh(np.log10(lrs) + 2)
    fig = validated(lc.range_test_figure(lrs, smoothed + 0.01, smoothed, suggestion=1e-2,
                                         best_lr=0.5))
    assert fig.layout.xaxis.type == "log"
    assert [a.text for a in fig.layout.annotations] == ["lowest 0.5", "suggested 0.01"]
    assert fig.data[-1].x == (1e-2,)
    empty = validated(lc.range_test_figure([], [], []))
    assert "no sweep yet" in empty.layout.annotations[0].text


def test_side_by_side_line_and_plane_figures() -> None:
    history = [{"epoch": e, "train_loss": 1 / e, "test_loss": 1.1 / e} for e in range(1, 6)]
    runs = [{"label": lab, "color": c, "history": history}
            for lab, c in zip(("a", "b", "c"), lc.SIDE_BY_SIDE_COLORS, strict=True)]
    fig = validated(lc.side_by_side_figure(runs))
    assert len(fig.data) == 6 and fig.layout.yaxis.type == "log"
    assert validated(lc.side_by_side_figure([])).layout.annotations

    line = validated(lc.line_slice_figure([-0.5, 0, 0.5, 1, 1.5], [2, 1, 0.5, 0.1, 0.4],
                                          [2, 1, 0.6, 0.2, None]))
    assert [s.x0 for s in line.layout.shapes] == [0.0, 1.0]
    assert math.isnan(line.data[1].y[-1])

    xs = ys = np.linspace(-1, 1, 5)
    plane = validated(lc.plane_slice_figure(xs, ys, np.ones((5, 5)) * 0.3,
                                            path=[[0.5, 0.5], [0.1, 0.0], [0, 0]],
                                            path_epochs=[0, 5, 10]))
    assert [t.name for t in plane.data] == ["loss", "training path", "epoch 0", "epoch 10"]
    assert plane.data[3].x == (0.0,)

    surface = validated(lc.surface3d_figure(_paths(1), xs=xs, ys=ys, values=np.ones((5, 5)),
                                            log_values=True))
    assert [t.type for t in surface.data] == ["surface", "scatter3d"]


@pytest.mark.parametrize("n", [1, 2, 500])
def test_frame_steps_are_few_sorted_and_end_at_the_last(n: int) -> None:
    steps = lc._frame_steps(n, lc.MAX_FRAMES)
    assert steps[0] == 0 and steps[-1] == max(0, n - 1)
    assert len(steps) <= lc.MAX_FRAMES and np.all(np.diff(steps) > 0)
