"""Pure pieces of the galaxy page: boxes drawn on previews, slimmed results, table rows and the
model's one-line card."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from core.galaxies.galaxy import GalaxyResult, Prediction
from core.galaxies.galaxy_prep import PreparedGalaxy
from playground.galaxies import galaxy_views as gv


def test_draw_box_outlines_the_square_and_clips_to_the_picture() -> None:
    image = np.zeros((20, 30, 3), np.float32)
    out = gv.draw_box(image, (9.5, 14.5, 10.0), (1.0, 0.0, 0.0), width=1)
    assert gv.square_edges((9.5, 14.5, 10.0)) == (5, 10, 14, 19)
    red = out[..., 0] == 1
    assert red[5, 10:20].all() and red[14, 10:20].all() and red[5:15, 10].all()
    assert red.sum() == 36 and not red[7:13, 12:18].any()  # the outline only
    assert image.max() == 0  # a copy
    big = gv.draw_box(image, (9.5, 14.5, 100.0), (1.0, 1.0, 1.0))
    assert big.max() == 0  # a frame wider than the picture has no edge inside it


def test_slim_shrinks_big_previews_to_8_bit_and_scales_the_box() -> None:
    display = np.random.default_rng(0).random((1000, 1500, 3)).astype(np.float32)
    prepared = PreparedGalaxy(np.zeros((69, 69, 3), np.float32), display, (499.5, 749.5, 300.0),
                              "auto")
    result = gv.slim(GalaxyResult("x.png", prepared))
    assert prepared.display.dtype == np.uint8
    assert prepared.display.shape == (250, 375, 3)  # 4× block means: 1500 → 375 ≤ 480
    assert prepared.box == (124.5, 187.0, 75.0)
    assert gv.slim(GalaxyResult("bad.png", error="no")).error == "no"
    assert result.prepared is prepared


def test_preview_enlarges_small_pictures_and_draws_both_boxes() -> None:
    prepared = PreparedGalaxy(np.zeros((69, 69, 3), np.float32),
                              np.zeros((69, 69, 3), np.uint8), (34.0, 34.0, 60.0), "auto")
    image = gv.preview(prepared, seen_share=0.5)
    assert image.shape == (414, 414, 3)  # 6× (480 // 69)
    frame = np.all(image == np.float32(gv.FRAME_COLOUR), axis=-1)
    seen = np.all(image == np.float32(gv.SEEN_COLOUR), axis=-1)
    assert frame.any() and seen.any()
    ys, xs = np.nonzero(seen)
    assert 0.45 < (xs.max() - xs.min() + 1) / (image.shape[1] * 60 / 69) < 0.55


def test_result_rows_and_card_line() -> None:
    p = Prediction(np.array([0.1, 0.7, 0.2]), ["elliptical", "spiral", "edge-on"],
                   np.full((8, 8, 3), 0.2, np.float32))
    rows = gv.result_rows([GalaxyResult("a.png", prediction=p),
                           GalaxyResult("b.jpg", error="the file is empty (0 bytes)")])
    assert rows[0]["class"] == "spiral" and rows[0]["confidence"] == 0.7
    assert rows[0]["runner-up"] == "edge-on 20%"
    assert rows[0]["picture"].startswith("data:image/png;base64,")
    assert rows[0]["note"] == "elliptical 10%, spiral 70%, edge-on 20%"
    assert rows[1] == {"picture": "", "file": "b.jpg", "class": "—", "confidence": None,
                       "note": "the file is empty (0 bytes)"}
    model = SimpleNamespace(name="galaxy_cnn", class_names=["elliptical", "spiral"],
                            input_shape=(3, 48, 48),
                            metrics={"test_confusion": [[9, 1], [2, 6]]})
    assert gv.card_line(model) == ("**Galaxy CNN** — recall on 18 held-out test galaxies: "
                                   "elliptical 90% of 10 · spiral 75% of 8; balanced accuracy "
                                   "82%. It sees 48×48 pixels.")
    model.metrics = {}
    assert gv.card_line(model) is None


def test_card_line_names_the_survey_shift_test_and_the_calibration() -> None:
    model = SimpleNamespace(name="galaxy_cnn", class_names=["elliptical", "merger"],
                            input_shape=(3, 48, 48), unsure_below=0.6,
                            metrics={"test_confusion": [[90, 10], [4, 6]],
                                     "shift_confusion": [[500, 100], [30, 30]],
                                     "test_ece": 0.021})
    line = gv.card_line(model)
    assert "recall on 110 held-out test galaxies: elliptical 90% of 100 · merger 60% of 10" in line
    assert ("survey-shift test (the same galaxies redrawn as other surveys and cameras show "
            "them, 660 pictures): elliptical 83% of 600 · merger 50% of 60") in line
    assert "calibration error 2.1% on the test split); below 60% it says unsure." in line
    # mergers: recall 0.5 on the shift test and 6 of 16 calls right: unreliable, with numbers
    notes = gv.unreliable_notes(model)
    assert list(notes) == ["merger"]
    assert notes["merger"] == ("**Merger calls are unreliable.** The model found 6 of 10 "
                               "held-out test mergers and 30 of 60 on the survey-shift test; 10 "
                               "of its 16 merger calls on the test split were wrong.")
    model.metrics = {"test_confusion": [[95, 5], [2, 8]], "shift_confusion": [[95, 5], [3, 7]]}
    assert gv.unreliable_notes(model) == {}


def test_an_unsure_call_names_the_runner_up() -> None:
    p = Prediction(np.array([0.45, 0.35, 0.2]), ["elliptical", "spiral", "edge-on"],
                   np.zeros((8, 8, 3), np.float32), unsure_below=0.6)
    assert p.unsure and p.runner_up_label == "spiral"
    assert p.verdict == "unsure: elliptical or spiral"
    sure = Prediction(np.array([0.05, 0.9, 0.05]), ["elliptical", "spiral", "edge-on"],
                      np.zeros((8, 8, 3), np.float32), unsure_below=0.6)
    assert not sure.unsure and sure.verdict == "spiral"
    assert gv.result_rows([GalaxyResult("a.png", prediction=p)])[0]["class"] == (
        "unsure: elliptical or spiral")
