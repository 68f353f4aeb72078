"""Image chart builders: exact pixels, colours, numbers and layout, plus a schema check.

The builders skip Plotly's per-property validation for speed, so `_valid` re-validates every
figure; Altair charts are checked through `to_dict()` (which validates against Vega-Lite).
"""

from __future__ import annotations

import base64
import io
import math

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import pytest
from PIL import Image

from playground.charts import image_charts as ic
from playground.colors import BLUE, ORANGE, hex_to_rgb

ORANGE_RGB = hex_to_rgb(ORANGE)
BLUE_RGB = hex_to_rgb(BLUE)
VIRIDIS_LOW = (0x44, 0x01, 0x54)
VIRIDIS_HIGH = (0xFD, 0xE7, 0x25)


def _valid(fig: go.Figure) -> go.Figure:
    assert isinstance(fig, go.Figure)
    pio.to_json(go.Figure(fig.to_dict()))
    assert fig.layout.uirevision
    return fig


def _decode(uri: str) -> np.ndarray:
    prefix = "data:image/png;base64,"
    assert uri.startswith(prefix)
    with Image.open(io.BytesIO(base64.b64decode(uri[len(prefix):]))) as im:
        assert im.format == "PNG"
        return np.asarray(im.convert("RGB"))


def _tiles(fig: go.Figure) -> list[np.ndarray]:
    return [_decode(im.source) for im in fig.layout.images]


def _pixel(tile: np.ndarray, row: int, col: int, size: int) -> tuple[int, ...]:
    """The colour of source pixel (row, col) of a tile upscaled from `size` rows."""
    f = tile.shape[0] // size
    return tuple(int(v) for v in tile[row * f + f // 2, col * f + f // 2])


# --------------------------------------------------------------------------- image grid


class TestImageGrid:
    def test_one_png_per_image_in_rows_with_titles_above(self):
        images = [np.zeros((4, 4)) for _ in range(5)]
        fig = _valid(ic.image_grid_figure(images, titles=list("abcde"), cols=3, tile_px=72))
        assert len(fig.layout.images) == 5
        xs = [im.x for im in fig.layout.images]
        ys = [im.y for im in fig.layout.images]
        assert xs == [0.5, 1.5, 2.5, 0.5, 1.5]
        row_h = 1.0 + ic._TITLE_ROW
        assert ys == pytest.approx([-ic._TITLE_ROW - 0.5] * 3 + [-row_h - ic._TITLE_ROW - 0.5] * 2)
        text = fig.data[0]
        assert text.mode == "text" and list(text.text) == list("abcde")
        assert all(t > y for t, y in zip(text.y, ys, strict=True))  # titles above their tiles
        assert fig.layout.xaxis.range == (0, 3)
        assert fig.layout.yaxis.range == pytest.approx((-2 * row_h, 0))
        assert fig.layout.yaxis.scaleanchor == "x"
        # height: two rows of (tile / 0.86) px cells plus the title lines, plus the margins
        assert fig.layout.height == round(2 * row_h * 72 / ic._TILE) + 8

    def test_titles_below_and_no_titles(self):
        fig = ic.image_grid_figure([np.zeros((3, 3))], titles=["x"], title_side="bottom")
        assert fig.data[0].y[0] < fig.layout.images[0].y
        plain = _valid(ic.image_grid_figure([np.zeros((3, 3))] * 2))
        assert len(plain.data) == 1  # only the hover markers
        assert plain.layout.images[0].y == -0.5
        assert list(plain.data[0].hovertext) == ["#1: min 0, max 0 (3×3)", "#2: min 0, max 0 (3×3)"]

    def test_small_images_are_upscaled_to_the_tile_with_sharp_pixels(self):
        image = np.arange(16, dtype=float).reshape(4, 4)
        (tile,) = _tiles(ic.image_grid_figure([image], tile_px=72))
        assert tile.shape == (72, 72, 3)  # 4 px × 18
        assert (tile[:18, :18] == tile[0, 0]).all()
        big = _tiles(ic.image_grid_figure([np.zeros((100, 100))], tile_px=72))[0]
        assert big.shape == (100, 100, 3)  # never shrunk

    def test_grey_uses_each_images_own_range_unless_given(self):
        a = np.array([[0.0, 0.5], [1.0, 0.25]])
        b = a * 10 + 3  # same picture, other range
        ta, tb = _tiles(ic.image_grid_figure([a, b]))
        np.testing.assert_array_equal(ta, tb)
        assert _pixel(ta, 0, 0, 2) == (0, 0, 0)
        assert _pixel(ta, 1, 0, 2) == (255, 255, 255)
        assert _pixel(ta, 0, 1, 2) == (128,) * 3  # index 127 of 255 → round(127·255/254)
        shared = _tiles(ic.image_grid_figure([a], vmin=0.0, vmax=2.0))[0]
        assert _pixel(shared, 1, 0, 2) == (128,) * 3
        assert _pixel(shared, 0, 0, 2) == (0, 0, 0)

    def test_viridis_ends_match_plotly_stops(self):
        tile = _tiles(ic.image_grid_figure([np.array([[1.0, 5.0]])], cmap="viridis"))[0]
        assert _pixel(tile, 0, 0, 1) == VIRIDIS_LOW
        assert _pixel(tile, 0, 1, 1) == VIRIDIS_HIGH
        scale = ic.colorscale("viridis")
        assert scale[0] == [0.0, "#440154"] and scale[-1] == [1.0, "#fde725"]

    def test_diverging_is_symmetric_per_image_or_shared(self):
        w = np.array([[-2.0, 0.0, 1.0]])
        tile = _tiles(ic.image_grid_figure([w], cmap="diverging"))[0]
        assert _pixel(tile, 0, 0, 1) == ORANGE_RGB
        assert _pixel(tile, 0, 1, 1) == (255, 255, 255)
        half_blue = tuple(int(round(255 + 0.5 * (c - 255))) for c in BLUE_RGB)
        assert np.allclose(_pixel(tile, 0, 2, 1), half_blue, atol=1)
        shared = _tiles(ic.image_grid_figure([w], cmap="diverging", vmin=-1, vmax=1))[0]
        assert _pixel(shared, 0, 2, 1) == BLUE_RGB
        assert _pixel(shared, 0, 0, 1) == ORANGE_RGB  # clipped

    def test_nan_and_flat_maps(self):
        nan = np.array([[np.nan, 1.0], [2.0, 3.0]])
        tile = _tiles(ic.image_grid_figure([nan]))[0]
        assert _pixel(tile, 0, 0, 2) == (0, 0, 0)
        dead = _tiles(ic.image_grid_figure([np.zeros((2, 2))], cmap="viridis"))[0]
        assert _pixel(dead, 1, 1, 2) == VIRIDIS_LOW  # a dead ReLU map is dark
        flat = _tiles(ic.image_grid_figure([np.zeros((2, 2)), nan], cmap="diverging"))
        assert _pixel(flat[0], 0, 0, 2) == (255, 255, 255)
        assert _pixel(flat[1], 0, 0, 2) == (255, 255, 255)
        fig = ic.image_grid_figure([np.full((2, 2), np.nan)])
        assert "no finite values" in fig.data[0].hovertext[0]

    def test_colour_images_float_uint8_and_signed(self):
        rgb = np.zeros((2, 2, 3))
        rgb[0, 0] = (1.0, 0.5, 0.0)
        rgb[1, 1] = (2.0, -1.0, 0.25)  # clipped to 0-1
        tile = _tiles(ic.image_grid_figure([rgb]))[0]
        assert _pixel(tile, 0, 0, 2) == (255, 128, 0)
        assert _pixel(tile, 1, 1, 2) == (255, 0, 64)
        u8 = (rgb.clip(0, 1) * 255).round().astype(np.uint8)
        np.testing.assert_array_equal(_tiles(ic.image_grid_figure([u8]))[0], tile)
        signed = _tiles(ic.image_grid_figure([np.full((1, 1, 3), -1.0)], vmin=-2, vmax=2))[0]
        assert _pixel(signed, 0, 0, 1) == (64, 64, 64)

    def test_channel_first_and_singleton_channels_are_accepted(self):
        chw = np.zeros((3, 5, 5))
        chw[0] = 1.0
        tile = _tiles(ic.image_grid_figure([chw]))[0]
        assert _pixel(tile, 2, 2, 5) == (255, 0, 0)
        one = _tiles(ic.image_grid_figure([np.eye(3)[None], np.eye(3)[..., None]]))
        np.testing.assert_array_equal(one[0], one[1])

    def test_empty_and_bad_input(self):
        empty = _valid(ic.image_grid_figure([]))
        assert empty.layout.annotations[0].text == "no images"
        with pytest.raises(ValueError, match="titles"):
            ic.image_grid_figure([np.zeros((2, 2))], titles=["a", "b"])
        with pytest.raises(ValueError, match="cmap"):
            ic.image_grid_figure([np.zeros((2, 2))], cmap="jet")
        with pytest.raises(ValueError, match="H×W"):
            ic.image_grid_figure([np.zeros(5)])
        with pytest.raises(ValueError, match="cols"):
            ic.image_grid_figure([np.zeros((2, 2))], cols=0)

    def test_long_titles_get_a_smaller_font(self):
        short = ic.image_grid_figure([np.zeros((2, 2))], titles=["7"])
        long = ic.image_grid_figure([np.zeros((2, 2))], titles=["true 4 → 9 (87%)"])
        assert short.data[0].textfont.size == 11
        assert 8 <= long.data[0].textfont.size < 11

    def test_sixty_four_feature_maps_in_one_figure(self):
        maps = np.random.default_rng(0).random((64, 28, 28))
        fig = _valid(ic.image_grid_figure(list(maps), cmap="viridis", cols=8, tile_px=44))
        assert len(fig.layout.images) == 64
        assert len(fig.data) == 1 and len(fig.data[0].x) == 64


# ----------------------------------------------------------------------------- heatmap


class TestHeatmapFigure:
    def test_one_channel_heatmap_rows_top_down_with_own_range(self):
        a = np.array([[0.0, 1.0], [2.0, 4.0]])
        fig = _valid(ic.heatmap_figure(a, title="map #3"))
        (trace,) = fig.data
        assert trace.type == "heatmap"
        assert (trace.zmin, trace.zmax) == (0.0, 4.0)
        assert [list(s) for s in trace.colorscale] == ic.colorscale("viridis")
        assert fig.layout.yaxis.range == (1.5, -0.5)  # row 0 on top, as an image
        assert fig.layout.title.text == "map #3"
        div = ic.heatmap_figure(np.array([[-1.0, 3.0]]), cmap="diverging")
        assert (div.data[0].zmin, div.data[0].zmax) == (-3.0, 3.0)
        flat = _valid(ic.heatmap_figure(np.zeros((2, 2)), vmin=0, vmax=0))
        assert flat.data[0].zmax > flat.data[0].zmin

    def test_colour_image(self):
        fig = _valid(ic.heatmap_figure(np.ones((3, 3, 3)) * 0.5))
        assert fig.data[0].type == "image"
        assert np.asarray(fig.data[0].z)[0, 0].tolist() == [128, 128, 128]


# -------------------------------------------------------------------- confusion matrix


class TestConfusionMatrix:
    M = np.array([[8, 2], [1, 9]])

    def test_diagonal_blue_mistakes_orange_by_sqrt_share(self):
        fig = _valid(ic.confusion_matrix_figure(self.M, ["smooth", "disk"]))
        (trace,) = fig.data
        z = np.asarray(trace.z)
        np.testing.assert_allclose(z, [[math.sqrt(0.8), -math.sqrt(0.2)],
                                       [-math.sqrt(0.1), math.sqrt(0.9)]])
        assert (trace.zmin, trace.zmax) == (-1.0, 1.0)
        assert trace.colorscale[0][1] == ORANGE and trace.colorscale[-1][1] == BLUE
        assert [list(r) for r in trace.text] == [["8<br>80%", "2<br>20%"], ["1<br>10%", "9<br>90%"]]
        assert list(trace.x) == ["smooth", "disk"] and list(trace.y) == ["smooth", "disk"]
        assert fig.layout.yaxis.autorange == "reversed"  # first true class on top
        assert np.asarray(trace.customdata)[0, 1].tolist() == [2, 20.0]

    def test_counts_only_and_empty_rows(self):
        m = np.array([[4, 0, 0], [0, 0, 0], [1, 0, 3]])
        fig = _valid(ic.confusion_matrix_figure(m, None, normalize=False))
        trace = fig.data[0]
        assert [list(r) for r in trace.text][0] == ["4", "0", "0"]
        assert list(trace.x) == ["class 0", "class 1", "class 2"]
        z = np.asarray(trace.z)
        assert z[0, 0] == 1.0 and z[2, 0] == pytest.approx(-0.5) and z[1, 1] == 0.0
        np.testing.assert_array_equal(ic.row_fractions(m)[1], [0, 0, 0])

    def test_ten_classes_fit(self):
        m = np.random.default_rng(1).integers(0, 50, (10, 10))
        fig = _valid(ic.confusion_matrix_figure(m, [f"c{i}" for i in range(10)]))
        assert fig.layout.height == 110 + 48 * 10
        assert fig.data[0].textfont.size == 10

    def test_rejects_bad_matrices(self):
        with pytest.raises(ValueError, match="square"):
            ic.confusion_matrix_figure(np.zeros((2, 3)), None)
        with pytest.raises(ValueError, match="counts"):
            ic.confusion_matrix_figure([[1, -1], [0, 1]], None)
        with pytest.raises(ValueError, match="names"):
            ic.confusion_matrix_figure(self.M, ["a", "b", "c"])


class TestScores:
    M = np.array([[5, 1, 0, 0], [2, 3, 0, 1], [0, 0, 0, 0], [0, 0, 0, 0]])

    def test_per_class_table(self):
        rows = ic.per_class_table(self.M, ["a", "b", "c", "d"])
        assert [r["class"] for r in rows] == ["a", "b", "c", "d"]
        assert [r["support"] for r in rows] == [6, 6, 0, 0]
        a, b, c, d = rows
        assert a["precision"] == pytest.approx(5 / 7) and a["recall"] == pytest.approx(5 / 6)
        assert a["F1"] == pytest.approx(2 * (5 / 7) * (5 / 6) / (5 / 7 + 5 / 6))
        assert b["precision"] == pytest.approx(3 / 4) and b["recall"] == pytest.approx(0.5)
        assert math.isnan(c["precision"]) and math.isnan(c["recall"]) and math.isnan(c["F1"])
        # predicted once, never right, no support: precision 0, recall undefined
        assert d["precision"] == 0.0 and math.isnan(d["recall"]) and math.isnan(d["F1"])
        zero = ic.per_class_table([[0, 1], [1, 0]], None)
        assert zero[0]["F1"] == 0.0 and zero[0]["class"] == "class 0"

    def test_balanced_accuracy_and_accuracy(self):
        assert ic.balanced_accuracy(self.M) == pytest.approx((5 / 6 + 3 / 6) / 2)
        assert ic.accuracy(self.M) == pytest.approx(8 / 12)
        imbalanced = np.array([[90, 0], [10, 0]])  # always "elliptical"
        assert ic.accuracy(imbalanced) == 0.9
        assert ic.balanced_accuracy(imbalanced) == 0.5
        assert math.isnan(ic.balanced_accuracy(np.zeros((2, 2))))
        assert math.isnan(ic.accuracy(np.zeros((2, 2))))


# --------------------------------------------------------------------------- Altair charts


def _dataset(spec: dict) -> list[dict]:
    (values,) = spec["datasets"].values()
    return values


class TestClassCounts:
    def test_sorted_bars_with_count_and_share_labels(self):
        chart = ic.class_counts_chart({"spiral": 250, "elliptical": 700, "merger": 50})
        spec = chart.to_dict()
        rows = _dataset(spec)
        assert [r["class"] for r in rows] == ["elliptical", "spiral", "merger"]
        assert [r["label"] for r in rows] == ["700 (70%)", "250 (25%)", "50 (5%)"]
        layers = spec["layer"]
        assert [layer["mark"]["type"] for layer in layers] == ["bar", "text"]
        assert layers[0]["encoding"]["y"]["sort"] == ["elliptical", "spiral", "merger"]
        assert layers[1]["encoding"]["text"]["field"] == "label"

    def test_empty_and_negative(self):
        assert _dataset(ic.class_counts_chart({"a": 0}).to_dict())[0]["label"] == "0"
        with pytest.raises(ValueError):
            ic.class_counts_chart({"a": -1})


class TestProbabilityChart:
    def test_predicted_class_highlighted_and_true_class_named(self):
        spec = ic.probability_chart([0.1, 0.895, 0.005], ["0", "1", "2"],
                                    true_class=2).to_dict()
        rows = _dataset(spec)
        assert [r["predicted"] for r in rows] == [False, True, False]
        assert [r["label"] for r in rows] == ["10.0%", "89.5%", "<1%  ← true class"]
        assert spec["layer"][0]["encoding"]["y"]["sort"] == ["0", "1", "2"]

    def test_rejects_empty(self):
        with pytest.raises(ValueError):
            ic.probability_chart([], None)


class TestHistograms:
    STATS = [
        {"layer": "1 · Conv", "kind": "activation", "values": np.array([0.0, 0.0, 1.0, 3.0])},
        {"layer": "1 · Conv", "kind": "gradient", "values": np.zeros(4)},
        {"layer": "2 · Pool", "kind": "activation", "values": np.array([1.0, 2.0]), "std": 9.0},
        {"layer": "2 · Pool", "kind": "gradient", "values": np.zeros(3)},
    ]

    def test_rows_share_bins_per_kind(self):
        rows = ic.histogram_rows(self.STATS, bins=3, clip_quantile=0.0)
        act = [r for r in rows if r["kind"] == "activation"]
        assert [(r["x0"], r["x1"]) for r in act[:3]] == [(0.0, 1.0), (1.0, 2.0), (2.0, 3.0)]
        assert [(r["x0"], r["x1"]) for r in act[3:]] == [(0.0, 1.0), (1.0, 2.0), (2.0, 3.0)]
        assert [r["count"] for r in act] == [2, 1, 1, 0, 1, 1]
        assert [r["share"] for r in act[:3]] == [0.5, 0.25, 0.25]
        assert act[0]["std"] == pytest.approx(np.std([0, 0, 1, 3]))
        assert act[3]["std"] == 9.0
        grad = [r for r in rows if r["kind"] == "gradient"]
        assert grad[0]["x0"] == -1.0 and grad[-1]["x1"] == 1.0  # all zero: widened around 0
        assert sum(r["count"] for r in grad) == 7

    def test_outliers_land_in_the_end_bins_and_nan_is_dropped(self):
        values = np.concatenate([np.linspace(-1, 1, 1000), [1e6, np.nan]])
        rows = ic.histogram_rows([{"layer": "a", "kind": "activation", "values": values}],
                                 bins=10)
        assert rows[-1]["x1"] < 2.0  # the range is not stretched to 1e6
        assert sum(r["count"] for r in rows) == 1001
        with pytest.raises(ValueError, match="kind"):
            ic.histogram_rows([{"layer": "a", "kind": "weights", "values": [1.0]}])

    def test_chart_panels_layer_by_layer_with_std_in_titles(self):
        chart = ic.histograms_chart(self.STATS, bins=3, clip_quantile=0.0)
        spec = chart.to_dict()
        assert spec["columns"] == 2
        order = spec["facet"]["sort"]
        assert order == ["1 · Conv · activations · std 1.22", "1 · Conv · gradients · std 0",
                         "2 · Pool · activations · std 9", "2 · Pool · gradients · std 0"]
        assert spec["resolve"]["scale"] == {"x": "independent", "y": "independent"}
        assert spec["spec"]["mark"]["type"] == "rect"

    def test_only_activations_is_one_column(self):
        spec = ic.histograms_chart(self.STATS[:1]).to_dict()
        assert spec["columns"] == 1
        assert ic.histograms_chart([]).to_dict()["facet"]["sort"] == ["no layers to show"]
