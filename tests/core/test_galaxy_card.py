"""The shipped galaxy CNN's survey-shift test and calibration, re-measured against its card
(tools/model_card.py wrote both from the same core.galaxies.galaxy_eval): the temperature is what
the
validation split gives, the expected calibration error on the test split is the card's and at
most 0.05, the survey-shift recalls are the card's, and the shift set comes from held-out test
galaxies only. Needs galaxy_zoo1_sdss.npz in PLAYGROUND_DATA_DIR."""

from __future__ import annotations

import numpy as np
import pytest

from core.data.download import find_local
from core.models.assets import assets_dir
from tests.core.test_shipped_models import CARD_TOLERANCE, card_rows

NAME = "galaxy_cnn"
MODEL = assets_dir() / f"{NAME}.safetensors"
MAX_ECE = 0.05
pytestmark = pytest.mark.skipif(find_local("galaxy_zoo1_sdss.npz") is None,
                                reason="galaxy_zoo1_sdss.npz is not in PLAYGROUND_DATA_DIR")
# the model itself is required (tests/core/test_shipped_models.py): no skip when it is missing


@pytest.fixture(scope="module")
def model():
    from core.galaxies.galaxy import load_galaxy_model

    return load_galaxy_model(str(MODEL))


def test_the_calibration_comes_from_the_validation_split_and_holds_on_the_test_split(model):
    from core.galaxies.galaxy_eval import calibrate, evaluate
    from core.models.model_io import read_metadata

    stored = read_metadata(MODEL)["extra"]["calibration"]
    card = card_rows(NAME)
    assert float(card["Temperature"][0]) == pytest.approx(stored["temperature"], abs=1e-4)
    assert float(card["Unsure below"][0]) == pytest.approx(stored["unsure_below"])
    assert int(card["Test-time views"][0]) == stored["views"] == model.views
    refit = calibrate(model)  # fitted again on the validation split: the same numbers
    assert refit["temperature"] == pytest.approx(stored["temperature"], rel=1e-3)
    assert refit["unsure_below"] == pytest.approx(stored["unsure_below"])
    test = evaluate(model, shift=False).test
    assert abs(test.ece - float(card["ECE, test split"][0])) <= 0.002
    assert test.ece <= MAX_ECE


def test_survey_shift_recall_is_what_the_card_says(model):
    from core.galaxies.galaxy_eval import evaluate

    report = evaluate(model)
    card = card_rows(NAME)
    pooled = report.shift_pooled
    for name, recall, n in zip(report.class_names, pooled.recalls(),
                               np.bincount(pooled.labels), strict=True):
        row = card[f"{name} (survey shift)"]
        assert int(row[1].replace(",", "")) == n
        assert abs(float(row[-1]) - recall) <= CARD_TOLERANCE, (name, recall, row)
    assert abs(float(card["ECE, survey shift"][0]) - pooled.ece) <= 0.002
    for transform, split in report.shift.items():  # one row each: recalls, then balanced
        cells = [float(v) for v in card[transform]]
        assert cells[:-1] == pytest.approx(split.recalls(), abs=CARD_TOLERANCE), transform


def test_the_survey_shift_set_holds_no_training_or_validation_galaxy():
    from core.config import DatasetConfig
    from core.data import load_dataset
    from core.galaxies.galaxy_shift import test_frames

    config = DatasetConfig(name="galaxy_zoo", task="morphology", seed=0, val_fraction=0.1,
                           test_fraction=0.2)
    x, y, _ = test_frames(config)
    data = load_dataset(config)

    def keys(a):
        return {(np.asarray(a[i]) * 255).round().astype(np.uint8).tobytes() for i in range(len(a))}

    seen = keys(data.x_train.permute(0, 2, 3, 1).numpy()) | keys(
        data.x_val.permute(0, 2, 3, 1).numpy())
    assert len(x) == len(data.x_test) and not keys(x) & seen
