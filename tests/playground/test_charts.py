"""Chart builders: exact expectations on the figures' data, and a schema check on each.

The builders skip Plotly's per-property validation for speed, so `_valid` re-validates every
figure a test builds: a misspelt property or an out-of-range value fails here, not in class.
"""

from __future__ import annotations

import base64
import io

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import pytest
from PIL import Image

from playground.charts.boundary import decision_boundary_figure
from playground.charts.curves import TEST_LINE, TRAIN_LINE, curve_figure, loss_figure
from playground.charts.network import network_figure
from playground.charts.neuron_grid import neuron_grid_figure
from playground.charts.thumbnails import heatmap_png
from playground.colors import (
    BLUE,
    CLASS_COLORS,
    ORANGE,
    TEST_OUTLINE,
    WHITE,
    blend_to_white,
    class_color,
    diverging_rgb,
    hex_to_rgb,
)

ORANGE_RGB = hex_to_rgb(ORANGE)
BLUE_RGB = hex_to_rgb(BLUE)
WHITE_RGB = (255, 255, 255)


def _valid(fig: go.Figure) -> go.Figure:
    """Full Plotly validation of a builder's output (raises ValueError on any bad property)."""
    assert isinstance(fig, go.Figure)
    checked = go.Figure(fig.to_dict())
    pio.to_json(checked)  # and it serialises
    assert fig.layout.uirevision, "uirevision keeps zoom across live redraws"
    return fig


def _decode(uri: str) -> np.ndarray:
    prefix = "data:image/png;base64,"
    assert uri.startswith(prefix)
    with Image.open(io.BytesIO(base64.b64decode(uri[len(prefix) :]))) as im:
        assert im.format == "PNG"
        return np.asarray(im.convert("RGB"))


def _traces(fig: go.Figure, kind: str) -> list:
    return [t for t in fig.data if t.type == kind]


def _point_traces(fig: go.Figure) -> list:
    """Scatter traces that carry data points (legend-only dummies have x = [None])."""
    return [
        t
        for t in fig.data
        if t.type == "scatter" and t.mode == "markers" and t.x is not None and t.x[0] is not None
    ]


# ------------------------------------------------------------------------ colours


class TestDivergingRgb:
    def test_middle_is_white_and_ends_are_orange_and_blue(self):
        out = diverging_rgb(np.array([-1.0, 0.0, 1.0]), -1.0, 1.0)
        assert out.dtype == np.uint8
        assert out.shape == (3, 3)
        assert tuple(out[0]) == ORANGE_RGB
        assert tuple(out[1]) == WHITE_RGB
        assert tuple(out[2]) == BLUE_RGB

    def test_asymmetric_range_midpoint_is_white(self):
        out = diverging_rgb(np.array([0.0, 0.5, 1.0]), 0.0, 1.0)
        assert [tuple(c) for c in out] == [ORANGE_RGB, WHITE_RGB, BLUE_RGB]

    def test_halfway_is_the_linear_blend(self):
        out = diverging_rgb(np.array([-0.5, 0.5]), -1.0, 1.0).astype(int)
        expected_orange = (np.array(ORANGE_RGB) + 255) / 2
        expected_blue = (np.array(BLUE_RGB) + 255) / 2
        assert np.abs(out[0] - expected_orange).max() <= 1
        assert np.abs(out[1] - expected_blue).max() <= 1

    def test_clips_out_of_range_and_nan_is_white(self):
        out = diverging_rgb(np.array([-7.0, 9.0, np.nan, np.inf]), -1.0, 1.0)
        assert [tuple(c) for c in out] == [ORANGE_RGB, BLUE_RGB, WHITE_RGB, BLUE_RGB]

    def test_keeps_shape_and_handles_degenerate_range(self):
        assert diverging_rgb(np.zeros((4, 5)), -1, 1).shape == (4, 5, 3)
        flat = diverging_rgb(np.ones((2, 2)), 1.0, 1.0)
        assert (flat == 255).all()

    def test_class_palette(self):
        assert class_color(0) == ORANGE and class_color(1) == BLUE
        assert len(set(CLASS_COLORS)) == len(CLASS_COLORS)
        assert class_color(len(CLASS_COLORS)) == ORANGE  # cycles instead of failing


class TestHeatmapPng:
    def test_decodes_to_the_right_size_and_corner_colours(self):
        values = np.zeros((5, 7))  # 5 rows (y) x 7 columns (x)
        values[0, 0] = -1.0  # lowest y, lowest x → bottom-left pixel
        values[-1, -1] = 1.0  # highest y, highest x → top-right pixel
        img = _decode(heatmap_png(values, -1.0, 1.0))
        assert img.shape == (5, 7, 3)
        assert tuple(img[-1, 0]) == ORANGE_RGB
        assert tuple(img[0, -1]) == BLUE_RGB
        assert tuple(img[2, 3]) == WHITE_RGB

    def test_pixels_follow_the_colour_map(self):
        values = np.random.default_rng(1).uniform(-2, 2, (9, 13))
        img = _decode(heatmap_png(values, -2.0, 2.0, origin="upper")).astype(int)
        # a 255-colour palette: within 2 levels of the exact map everywhere
        assert np.abs(img - diverging_rgb(values, -2.0, 2.0)).max() <= 2
        assert len({tuple(c) for c in img.reshape(-1, 3)}) > 50  # not collapsed to few colours

    def test_nan_and_flat_input_are_white(self):
        img = _decode(heatmap_png(np.array([[np.nan, 3.0]]), 3.0, 3.0))
        assert (img == 255).all()

    def test_rejects_non_2d(self):
        with pytest.raises(ValueError):
            heatmap_png(np.zeros(4), -1, 1)


# --------------------------------------------------------------- decision boundary

XS = np.linspace(-6, 6, 30)
YS = np.linspace(-6, 6, 20)
GX, GY = np.meshgrid(XS, YS)
TRAIN_X = np.array([[-5.0, -5.0], [5.0, 5.0], [4.0, -1.0], [-3.0, 2.0]])
TRAIN_Y = np.array([0, 1, 1, 0])
TEST_X = np.array([[1.0, 1.0], [-1.0, -2.0], [2.0, 3.0]])
TEST_Y = np.array([1, 0, 1])


def _binary(**kw) -> go.Figure:
    p = 1.0 / (1.0 + np.exp(-GX))
    args = dict(train_x=TRAIN_X, train_y=TRAIN_Y, test_x=TEST_X, test_y=TEST_Y)
    args.update(kw)
    return _valid(decision_boundary_figure(XS, YS, p, task="binary", **args))


class TestDecisionBoundaryBinary:
    def test_heatmap_matches_grid_and_scale(self):
        fig = _binary()
        (heat,) = _traces(fig, "heatmap")
        assert np.asarray(heat.z).shape == (len(YS), len(XS))
        np.testing.assert_allclose(heat.x, XS)
        np.testing.assert_allclose(heat.y, YS)
        assert (heat.zmin, heat.zmax) == (0.0, 1.0)
        scale = [tuple(s) for s in heat.colorscale]
        assert scale[0] == (0.0, ORANGE) and scale[-1] == (1.0, BLUE)
        assert scale[1] == (0.5, WHITE)

    def test_discretize_keeps_only_the_decision(self):
        fig = _binary(discretize=True)
        z = np.asarray(_traces(fig, "heatmap")[0].z)
        assert set(np.unique(z).tolist()) == {0.0, 1.0}
        np.testing.assert_array_equal(z, (GX >= 0).astype(float))  # P ≥ 0.5 ⇔ x1 ≥ 0
        assert _traces(fig, "heatmap")[0].zsmooth is False  # hard edges

    def test_axes_fixed_equal_and_clean(self):
        fig = _binary(height=333)
        assert tuple(fig.layout.xaxis.range) == (-6.0, 6.0)
        assert tuple(fig.layout.yaxis.range) == (-6.0, 6.0)
        assert fig.layout.yaxis.scaleanchor == "x" and fig.layout.yaxis.scaleratio == 1
        assert fig.layout.xaxis.showgrid is False and fig.layout.yaxis.showgrid is False
        assert fig.layout.height == 333

    def test_points_coloured_by_class_and_outlined_by_split(self):
        fig = _binary()
        points = _point_traces(fig)
        train = [t for t in points if t.legendgroup == "train"]
        test = [t for t in points if t.legendgroup == "test"]
        assert sum(len(t.x) for t in train) == len(TRAIN_X)
        assert sum(len(t.x) for t in test) == len(TEST_X)
        assert {t.marker.line.color for t in train} == {WHITE}
        assert {t.marker.line.color for t in test} == {TEST_OUTLINE}
        blue_train = next(t for t in train if t.marker.color == BLUE)
        assert sorted(zip(blue_train.x, blue_train.y, strict=True)) == [(4.0, -1.0), (5.0, 5.0)]
        legend = [t.name for t in fig.data if t.showlegend is not False and t.x[0] is None]
        assert legend[:2] == ["train", "test"]
        assert {"class 0", "class 1"} <= set(legend)

    def test_show_test_false_hides_test_points(self):
        fig = _binary(show_test=False)
        assert all(t.legendgroup != "test" for t in fig.data)

    def test_plus_minus_one_labels_and_class_names(self):
        fig = _binary(train_y=np.array([-1, 1, 1, -1]), class_names=["red", "green"])
        colours = {t.name: t.marker.color for t in _point_traces(fig) if t.legendgroup == "train"}
        assert colours == {"train · red": ORANGE, "train · green": BLUE}

    def test_rejects_wrong_shapes_and_tasks(self):
        with pytest.raises(ValueError):
            decision_boundary_figure(XS, YS, np.zeros((len(XS), len(YS))), task="binary")
        with pytest.raises(ValueError):
            decision_boundary_figure(XS, YS, np.zeros((len(YS), len(XS))), task="clustering")
        with pytest.raises(ValueError):
            decision_boundary_figure(
                XS,
                YS,
                np.zeros((len(YS), len(XS))),
                task="binary",
                train_x=np.zeros(4),
                train_y=np.zeros(4),
            )


class TestDecisionBoundaryMulticlass:
    def _probs(self) -> np.ndarray:
        p = np.full((len(YS), len(XS), 3), 1.0 / 3.0)  # uniform: undecided everywhere
        p[2, 3] = [0.05, 0.05, 0.90]
        p[7, 11] = [0.0, 1.0, 0.0]
        return p

    def test_argmax_colour_faded_by_confidence(self):
        fig = _valid(decision_boundary_figure(XS, YS, self._probs(), task="multiclass"))
        (img,) = _traces(fig, "image")
        z = np.asarray(img.z)
        assert z.shape == (len(YS), len(XS), 3) and z.dtype == np.uint8
        strength = (0.9 - 1 / 3) / (1 - 1 / 3)
        expected = blend_to_white(np.array(hex_to_rgb(class_color(2))), np.array(strength))
        assert tuple(z[2, 3]) == tuple(expected)
        assert tuple(z[7, 11]) == BLUE_RGB  # certain → full colour
        assert tuple(z[0, 0]) == WHITE_RGB  # uniform → white
        assert tuple(np.asarray(img.customdata)[2, 3]) == (2, 90)  # class, p in %
        # row 0 of the image is the lowest y: anchored at ys[0], stepping upwards
        assert img.y0 == YS[0] and img.dy > 0 and img.x0 == XS[0]

    def test_discretize_is_full_argmax_colour(self):
        fig = decision_boundary_figure(XS, YS, self._probs(), task="multiclass", discretize=True)
        z = np.asarray(_traces(fig, "image")[0].z)
        assert tuple(z[2, 3]) == hex_to_rgb(class_color(2))
        colours = {tuple(c) for c in z.reshape(-1, 3)}
        assert colours == {ORANGE_RGB, BLUE_RGB, hex_to_rgb(class_color(2))}

    def test_two_classes_look_like_binary(self):
        p1 = 1.0 / (1.0 + np.exp(-GX / 2))
        probs = np.stack([1 - p1, p1], axis=-1)
        fig = decision_boundary_figure(XS, YS, probs, task="multiclass")
        z = np.asarray(_traces(fig, "image")[0].z).astype(int)
        assert np.abs(z - diverging_rgb(p1, 0.0, 1.0)).max() <= 1

    def test_nan_probabilities_render_white(self):
        probs = self._probs()
        probs[4, 4] = np.nan
        fig = decision_boundary_figure(XS, YS, probs, task="multiclass")
        assert tuple(np.asarray(_traces(fig, "image")[0].z)[4, 4]) == WHITE_RGB

    def test_points_use_class_colours_and_names(self):
        fig = _valid(
            decision_boundary_figure(
                XS,
                YS,
                self._probs(),
                task="multiclass",
                train_x=TRAIN_X,
                train_y=np.array([0, 1, 2, 2]),
                class_names=["a", "b", "c"],
            )
        )
        colours = {t.name: t.marker.color for t in _point_traces(fig)}
        assert colours == {"train · a": ORANGE, "train · b": BLUE, "train · c": class_color(2)}
        swatches = [t.name for t in fig.data if t.type == "scatter" and t.marker.symbol == "square"]
        assert swatches == ["a (0)", "b (1)", "c (2)"]  # the map's hover says "class 2"


class TestDecisionBoundaryRegression:
    def test_symmetric_default_range_and_discretize(self):
        values = GX / 2.0  # in [-3, 3]
        fig = _valid(
            decision_boundary_figure(
                XS,
                YS,
                values,
                task="regression",
                train_x=TRAIN_X,
                train_y=np.array([0.5, -1.0, 2.0, 1.0]),
            )
        )
        heat = _traces(fig, "heatmap")[0]
        assert (heat.zmin, heat.zmax) == (-3.0, 3.0)
        points = _point_traces(fig)[0]
        assert (points.marker.cmin, points.marker.cmax) == (-3.0, 3.0)
        np.testing.assert_allclose(points.marker.color, [0.5, -1.0, 2.0, 1.0])

        fig = decision_boundary_figure(XS, YS, values, task="regression", discretize=True)
        z = np.asarray(_traces(fig, "heatmap")[0].z)
        assert set(np.unique(z).tolist()) == {-3.0, 3.0}
        np.testing.assert_array_equal(z > 0, values >= 0)

    def test_value_range_is_honoured(self):
        fig = decision_boundary_figure(XS, YS, GX, task="regression", value_range=(-10, 10))
        heat = _traces(fig, "heatmap")[0]
        assert (heat.zmin, heat.zmax) == (-10.0, 10.0)


# ---------------------------------------------------------------------------- curve


def test_curve_figure_line_and_points():
    xg = np.array([3.0, -1.0, 0.0, 1.0])  # unsorted on purpose
    fig = _valid(
        curve_figure(xg, xg**2, train_x=[0.0, 1.0], train_y=[0.1, 0.9], test_x=[2.0], test_y=[4.2])
    )
    line = next(t for t in fig.data if t.mode == "lines")
    np.testing.assert_array_equal(line.x, [-1.0, 0.0, 1.0, 3.0])
    np.testing.assert_array_equal(line.y, [1.0, 0.0, 1.0, 9.0])
    names = [t.name for t in fig.data if t.mode == "markers"]
    assert names == ["train", "test"]
    hidden = curve_figure(
        xg, xg, train_x=[0.0], train_y=[0.0], test_x=[1.0], test_y=[1.0], show_test=False
    )
    assert [t.name for t in hidden.data] == ["train", "prediction"]
    with pytest.raises(ValueError):
        curve_figure(xg, xg[:2])


# -------------------------------------------------------------------------- network


def _hover_trace(fig: go.Figure):
    return next(t for t in fig.data if t.name == "weights")


def _link_traces(fig: go.Figure) -> list:
    return [t for t in fig.data if t.mode == "lines"]


def _weights(sizes: list[int], seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.uniform(-1, 1, (sizes[i + 1], sizes[i])) for i in range(len(sizes) - 1)]


class TestNetworkFigure:
    def test_one_hover_point_per_link_and_few_traces(self):
        sizes = [4, 8, 8, 1]
        fig = _valid(network_figure(sizes, _weights(sizes), input_names=["x1", "x2", "a", "b"]))
        assert len(_hover_trace(fig).x) == 4 * 8 + 8 * 8 + 8 * 1
        links = _link_traces(fig)
        assert 1 <= len(links) <= 10  # bucketed by (sign, width bin), not one per link
        # every link is one NaN-separated segment of 2 points in exactly one bucket
        assert sum(len(t.x) for t in links) == 3 * (4 * 8 + 8 * 8 + 8 * 1)

    def test_strongest_link_is_widest_and_hover_names_it(self):
        sizes = [2, 3, 1]
        weights = [np.full((3, 2), 0.1), np.full((1, 3), -0.1)]
        weights[0][2, 1] = -4.0  # x2 → h1.3, the strongest, negative
        fig = network_figure(sizes, weights, input_names=["x1", "x2"])
        links = _link_traces(fig)
        widest = max(links, key=lambda t: t.line.width)
        assert len(widest.x) == 3  # it alone is in the top bin
        assert "245,147,34" in widest.line.color  # orange: negative
        texts = list(_hover_trace(fig).hovertext)
        assert "w = -4.00 (x2 → h1.3)" in texts
        assert "w = -0.10 (h1.1 → output)" in texts
        positive = [t for t in links if "8,119,189" in t.line.color]  # blue
        assert sum(len(t.x) for t in positive) == 3 * 5

    def test_width_and_opacity_grow_with_abs_weight(self):
        sizes = [1, 5, 1]
        w0 = np.array([[0.1], [-0.3], [0.5], [-0.7], [1.0]])  # x1 → h1.j, |w| rising with j
        fig = network_figure(sizes, [w0, np.zeros((1, 5))], input_names=["x1"])
        style = {}  # hidden node y → (width, alpha) of the link x1 → that node
        for t in _link_traces(fig):
            alpha = float(t.line.color.rsplit(",", 1)[1].rstrip(")"))
            x, y = np.asarray(t.x, dtype=float), np.asarray(t.y, dtype=float)
            for k in range(0, len(x), 3):
                if x[k] == 0:
                    style[y[k + 1]] = (t.line.width, alpha)
        ordered = [style[y] for y in (2.0, 1.0, 0.0, -1.0, -2.0)]  # h1.1 (top) … h1.5
        widths, alphas = zip(*ordered, strict=True)
        assert list(widths) == sorted(widths) and widths[0] < widths[-1]
        assert list(alphas) == sorted(alphas) and alphas[0] < alphas[-1]

    def test_wide_layer_is_truncated_with_more_label(self):
        sizes = [2, 20, 3]
        fig = _valid(
            network_figure(sizes, _weights(sizes), input_names=["x1", "x2"], max_nodes_per_layer=12)
        )
        assert len(_hover_trace(fig).x) == 2 * 12 + 12 * 3
        texts = [a.text for a in fig.layout.annotations]
        assert "+8 more" in texts
        nodes = next(t for t in fig.data if t.name == "neurons")
        assert len(nodes.x) == 2 + 12 + 3
        assert list(nodes.hovertext[:3]) == ["x1", "x2", "h1.1"]
        assert list(nodes.hovertext[-3:]) == ["output 0", "output 1", "output 2"]

    def test_layer_titles_and_plain_nodes(self):
        sizes = [2, 4, 1]
        titles = ["input", "hidden 1 (4, tanh)", "output"]
        fig = network_figure(sizes, _weights(sizes), input_names=["x1", "x2"], layer_titles=titles)
        assert [a.text for a in fig.layout.annotations] == titles
        assert not fig.layout.images

    def test_node_heatmaps_as_images(self):
        sizes = [2, 3, 1]
        g = np.linspace(0.0, 10.0, 6)
        ramp = np.tile(g, (6, 1))  # input in [0, 10]: normalised to its own max |value|
        hidden = [np.full((6, 6), -1.0), None, np.full((6, 6), 1.0)]
        node_values = [[ramp, ramp], hidden, None]
        fig = _valid(
            network_figure(
                sizes, _weights(sizes), input_names=["x1", "x2"], node_values=node_values
            )
        )
        images = fig.layout.images
        assert len(images) == 2 + 2  # None node and None layer are skipped
        first = _decode(images[0].source)
        assert first.shape == (6, 6, 3)
        assert tuple(first[0, -1]) == BLUE_RGB  # max value → full blue
        assert tuple(first[0, 0]) == WHITE_RGB  # 0 is the middle of [-10, 10]
        assert tuple(_decode(images[2].source)[0, 0]) == ORANGE_RGB
        assert images[2].x == 1 and images[3].x == 1
        # the batched encoding is byte-identical to one heatmap_png per node
        assert images[0].source == heatmap_png(ramp, -10.0, 10.0)
        assert images[3].source == heatmap_png(hidden[2], -1.0, 1.0)

    def test_node_heatmaps_of_mixed_shapes(self):
        sizes = [1, 2, 1]
        node_values = [[np.ones((4, 4))], [np.zeros((3, 5)), -np.ones((8, 2))], [np.ones((2, 2))]]
        fig = network_figure(sizes, _weights(sizes), input_names=["x1"], node_values=node_values)
        shapes = [_decode(im.source).shape[:2] for im in fig.layout.images]
        assert shapes == [(4, 4), (3, 5), (8, 2), (2, 2)]

    def test_diverged_weights_still_draw(self):
        sizes = [2, 2, 1]
        weights = [np.array([[np.nan, 1.0], [np.inf, -2.0]]), np.array([[0.5, -0.5]])]
        fig = _valid(network_figure(sizes, weights, input_names=["x1", "x2"]))
        assert sum(len(t.x) for t in _link_traces(fig)) == 3 * 6
        assert "w = nan (x1 → h1.1)" in list(_hover_trace(fig).hovertext)

    def test_rejects_mismatched_weights(self):
        with pytest.raises(ValueError):
            network_figure([2, 3], [np.zeros((2, 3))], input_names=["x1", "x2"])


# ----------------------------------------------------------------------------- loss


def _history(n: int) -> list[dict]:
    return [
        {
            "epoch": e,
            "step": 25 * e,
            "train_loss": 1.0 / (e + 1),
            "test_loss": 1.2 / (e + 1),
            "train_accuracy": 0.5 + e / (2 * n),
            "test_accuracy": None if e % 2 else 0.5,
        }
        for e in range(n)
    ]


class TestLossFigure:
    def test_empty_history_is_a_valid_figure(self):
        fig = _valid(loss_figure([]))
        assert len(fig.data) == 0
        assert fig.layout.xaxis.title.text == "epoch"
        assert fig.layout.yaxis.title.text == "loss"
        _valid(loss_figure([], metric="accuracy"))

    def test_loss_curves(self):
        fig = _valid(loss_figure(_history(10)))
        train, test = fig.data
        assert (train.name, test.name) == ("train", "test")
        np.testing.assert_array_equal(train.x, np.arange(10))
        np.testing.assert_allclose(test.y, 1.2 / (np.arange(10) + 1))
        assert train.line.color == TRAIN_LINE and test.line.color != train.line.color
        assert fig.layout.hovermode == "x unified"

    def test_long_history_downsampled_keeping_last(self):
        fig = loss_figure(_history(7_001))
        for trace in fig.data:
            assert len(trace.x) <= 2_000
            assert trace.x[-1] == 7_000 and trace.x[0] == 0
        assert fig.data[0].y[-1] == pytest.approx(1.0 / 7_001)

    def test_accuracy_range_gaps_and_missing_keys(self):
        fig = _valid(loss_figure(_history(6), metric="accuracy"))
        assert tuple(fig.layout.yaxis.range) == (0.0, 1.0)
        test = fig.data[1]
        assert np.isnan(test.y[1]) and test.y[0] == 0.5
        no_acc = [{"epoch": 1, "train_loss": 0.3, "test_loss": 0.4}]
        assert len(loss_figure(no_acc, metric="accuracy").data) == 0

    def test_custom_splits_read_their_own_keys(self):
        history = [{"epoch": e, "train_loss": 1.0, "val_loss": 2.0 + e} for e in range(4)]
        fig = loss_figure(history, splits=(("train", "train"), ("val", "validation")))
        assert [t.name for t in fig.data] == ["train", "validation"]
        np.testing.assert_array_equal(fig.data[1].y, [2.0, 3.0, 4.0, 5.0])
        assert fig.data[1].line.color == TEST_LINE

    def test_log_scale_and_bad_metric(self):
        assert loss_figure(_history(3), log_y=True).layout.yaxis.type == "log"
        with pytest.raises(ValueError):
            loss_figure([], metric="f1")


# ---------------------------------------------------------------------- neuron grid


def test_neuron_grid_one_tile_per_neuron():
    g = np.linspace(-1, 1, 8)
    images = [np.tile(g, (8, 1)) * s for s in (1, -1, 0.5, 1, 1)]
    titles = [f"h1.{i + 1}" for i in range(5)]
    fig = _valid(neuron_grid_figure(images, titles=titles, cols=2))
    assert len(fig.layout.images) == 5
    labels = next(t for t in fig.data if t.mode == "text")
    assert list(labels.text) == titles
    assert tuple(fig.layout.xaxis.range) == (0, 2) and tuple(fig.layout.yaxis.range) == (-3, 0)
    assert fig.layout.xaxis.visible is False
    second = _decode(fig.layout.images[1].source)
    assert tuple(second[0, 0]) == BLUE_RGB and tuple(second[0, -1]) == ORANGE_RGB
    assert fig.layout.height > 0
    empty = _valid(neuron_grid_figure([]))
    assert len(empty.layout.images) == 0


def test_neuron_grid_normalize_for_unbounded_activations():
    relu = np.tile(np.linspace(0.0, 0.5, 6), (6, 1))  # small positive activations
    fig = neuron_grid_figure([relu, np.full((6, 6), np.nan)], normalize=True)
    tile = _decode(fig.layout.images[0].source)
    assert tuple(tile[0, -1]) == BLUE_RGB and tuple(tile[0, 0]) == WHITE_RGB
    assert tuple(_decode(fig.layout.images[1].source)[0, 0]) == WHITE_RGB  # NaN → white
    hover = list(next(t for t in fig.data if t.mode == "markers").hovertext)
    assert hover == ["#1: min 0.00, max 0.50", "#2: no finite values"]
    plain = neuron_grid_figure([relu])
    assert tuple(_decode(plain.layout.images[0].source)[0, -1]) != BLUE_RGB  # 0.5 of [-1, 1]


def test_pages_can_still_edit_figures_with_validation():
    """Builders skip validation for speed; later edits by a page must be validated again."""
    fig = loss_figure(_history(3))
    fig.update_layout(title="Loss")
    assert fig.layout.title.text == "Loss"  # coerced to a Title, not a raw string
    with pytest.raises(ValueError):
        fig.update_layout(not_a_property=1)
    with pytest.raises(ValueError):
        fig.data[0].update(line_width="thick")
