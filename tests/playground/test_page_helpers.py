"""The helpers the Feature maps and Draw a digit pages call, tested without a page."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from playground.digits import draw_views as dv
from playground.digits import feature_maps_views as fmv


def test_class_pool_picks_one_class_or_all():
    y = np.array([3, 1, 3, 0])
    assert fmv.class_pool(y, -1).tolist() == [0, 1, 2, 3]
    assert fmv.class_pool(y, 3).tolist() == [0, 2]
    assert fmv.class_pool(y, 7).tolist() == []


def test_block_captions_say_what_each_kind_of_block_does():
    maps = np.zeros((4, 6, 5))
    assert fmv.block_caption("1 · Conv2D (4, 3×3, relu)", maps).startswith("4 maps of 5×6. Each")
    assert "Max-pooling" in fmv.block_caption("2 · MaxPool (2×2)", maps)
    assert fmv.block_caption("3 · Something", maps) == "4 maps of 5×6."


def test_collection_titles_show_misreadings_only():
    items = [{"label": 7, "predicted": 1}, {"label": 3, "predicted": 3},
             {"label": 2, "predicted": None}]
    assert dv.collection_titles(items) == ["7 (read 1)", "3", "2"]


def test_other_readings_skip_the_current_model_and_broken_ones():
    def reader(key: str, p: list[float] | None) -> SimpleNamespace:
        def probabilities(_image):
            if p is None:
                raise RuntimeError("damaged")
            return np.array(p)
        return SimpleNamespace(key=key, probabilities=probabilities)

    readers = {"a": reader("a", [0.9, 0.1]), "b": reader("b", [0.2, 0.8]),
               "c": reader("c", None)}
    choices = [dv.Choice("a", "Model A (99%)"), dv.Choice("b", "Model B (97%)"),
               dv.Choice("c", "Broken")]
    out = dv.other_readings(choices, readers["a"], np.zeros((28, 28)),
                            lambda choice: readers[choice.key])
    assert out == ["Model B: **1** (80%)"]
