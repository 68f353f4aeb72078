"""The shared pieces the chart modules were split into, and paths the builders' own tests
do not reach: stacked vs per-array thumbnail encoding, ranges over arrays with nothing
finite, history columns with gaps, curve thinning, and the trajectory's minima markers."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest

from playground.charts.base import float_vector, history_column
from playground.charts.curves import downsample_indices
from playground.charts.lab_charts import trajectory_figure
from playground.charts.neuron_grid import neuron_grid_figure
from playground.charts.thumbnails import (
    finite_min_max,
    heatmap_png,
    heatmap_pngs,
    max_abs_range,
    thumbnail,
)


def test_stacked_thumbnails_match_one_png_each() -> None:
    rng = np.random.default_rng(0)
    same = [rng.normal(size=(5, 7)) for _ in range(3)]
    lo, hi = [-1.0, -2.0, 0.0], [1.0, 2.0, 3.0]
    assert heatmap_pngs(same, lo, hi) == [heatmap_png(a, a_lo, a_hi)
                                          for a, a_lo, a_hi in zip(same, lo, hi, strict=True)]
    mixed = [same[0], rng.normal(size=(3, 3))]
    assert heatmap_pngs(mixed, lo[:2], hi[:2]) == [heatmap_png(mixed[0], -1.0, 1.0),
                                                    heatmap_png(mixed[1], -2.0, 2.0)]
    assert heatmap_pngs([], [], []) == []


def test_thumbnail_ranges_skip_non_finite_values() -> None:
    a = np.array([[np.nan, -3.0], [np.inf, 2.0]])
    b = np.full((1, 3), np.nan)
    low, high = finite_min_max([a, b])  # different shapes: one array at a time
    assert low.tolist() == [-3.0, np.inf] and high.tolist() == [2.0, -np.inf]
    low, high = finite_min_max([a, np.zeros((2, 2))])  # same shapes: one stacked pass
    assert low.tolist() == [-3.0, 0.0] and high.tolist() == [2.0, 0.0]
    assert finite_min_max([])[0].size == 0
    assert max_abs_range(a) == (-3.0, 3.0)
    assert max_abs_range(b) == (-1.0, 1.0)
    assert max_abs_range(np.zeros((2, 2))) == (-1.0, 1.0)
    with pytest.raises(ValueError, match="2-D"):
        thumbnail(np.zeros((2, 2, 2)))


def test_neuron_grid_with_tiles_of_different_shapes() -> None:
    fig = neuron_grid_figure([np.ones((4, 4)), np.full((2, 6), -2.0)], normalize=True)
    go.Figure(fig.to_dict())
    assert len(fig.layout.images) == 2
    assert list(fig.data[1].hovertext) == ["#1: min 1.00, max 1.00", "#2: min -2.00, max -2.00"]


def test_history_column_turns_gaps_into_nan() -> None:
    rows = [{"loss": 1.0}, {"loss": None}, {}, {"loss": float("inf")}, {"loss": 2}]
    col = history_column(rows, "loss")
    assert col.dtype == np.float64
    assert np.array_equal(np.isnan(col), [False, True, True, True, False])
    with pytest.raises(ValueError, match="xs is empty"):
        float_vector([], "xs")


@pytest.mark.parametrize("n", [0, 1, 5, 2001, 10_000])
def test_downsample_keeps_the_ends_and_the_limit(n: int) -> None:
    keep = downsample_indices(n, 2000)
    assert len(keep) == min(n, 2000) and np.all(np.diff(keep) > 0)
    if n:
        assert keep[0] == 0 and keep[-1] == n - 1


def test_trajectory_local_minima_only_on_a_surface_and_a_linear_loss_axis() -> None:
    xs = ys = np.linspace(-2, 2, 9)
    gx, gy = np.meshgrid(xs, ys)
    path = {"label": "sgd", "color": "#d62728", "positions": np.array([[1.0, 1.0], [0.5, 0.2]]),
            "losses": np.array([2.0, 0.29])}
    fig = trajectory_figure([path], xs=xs, ys=ys, values=gx**2 + gy**2, minima=[(0, 0)],
                            local_minima=[(1, -1)], animate=False)
    go.Figure(fig.to_dict())
    stars = {t.name: t.marker.symbol for t in fig.data if t.name in ("minimum", "local minimum")}
    assert stars == {"minimum": "star", "local minimum": "star-open"}
    assert fig.layout.yaxis2.type != "log" and fig.layout.yaxis2.range[0] < 0.29
    one_d = trajectory_figure([], xs=xs, values=xs**2, minima=[(0.0,)], local_minima=[(1.0,)])
    assert [t.name for t in one_d.data if "minimum" in (t.name or "")] == ["minimum"]
    assert list(one_d.data[1].y) == [0.0]  # on the curve's floor when f* is unknown
