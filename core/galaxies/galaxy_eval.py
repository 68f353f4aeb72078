"""How far a galaxy model can be trusted, measured through the same GalaxyModel the page uses
(its crop, test-time views and calibration): per-class recall on the held-out test split and
on the survey-shift test (core.galaxies.galaxy_shift), the calibration fitted on the validation
split,
its expected calibration error and reliability bins, and the "unsure" threshold.
tools/model_card.py writes these into the model file and its card; tests/core re-measure them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from core.galaxies import calibration as cal
from core.galaxies.galaxy import GalaxyModel
from core.galaxies.galaxy_shift import TRANSFORMS, survey_shift_set, test_frames, val_frames

UNSURE_TARGET = 0.9
"""Calls at or above the unsure threshold are right at least this often (on validation)."""
RELIABLE_RECALL = 0.6
"""A class whose recall falls below this on either test is flagged unreliable on the page..."""
RELIABLE_PRECISION = 0.5
"""... and so is one whose calls on the test split are wrong more often than right."""


@dataclass
class Split:
    """One evaluation set: true classes and the model's calibrated probabilities."""

    labels: np.ndarray
    probabilities: np.ndarray

    @property
    def predicted(self) -> np.ndarray:
        return self.probabilities.argmax(axis=1)

    def confusion(self) -> np.ndarray:
        return cal.confusion_matrix(self.labels, self.predicted, self.probabilities.shape[1])

    def recalls(self) -> np.ndarray:
        return cal.recalls(self.confusion())

    def reliability(self) -> cal.Reliability:
        return cal.reliability(self.probabilities, self.labels)

    @property
    def ece(self) -> float:
        return self.reliability().ece


@dataclass
class GalaxyReport:
    class_names: list[str]
    test: Split
    shift: dict[str, Split] = field(default_factory=dict)

    @property
    def shift_pooled(self) -> Split:
        parts = list(self.shift.values())
        return Split(np.concatenate([s.labels for s in parts]),
                     np.concatenate([s.probabilities for s in parts]))

    def unreliable(self) -> list[str]:
        return unreliable_classes(self.class_names, self.test.confusion(),
                                  self.shift_pooled.confusion() if self.shift else None)


def unreliable_classes(names: list[str], test_confusion, shift_confusion=None) -> list[str]:
    """Classes with recall under RELIABLE_RECALL on the test split or the survey-shift test, or
    precision under RELIABLE_PRECISION on the test split."""
    test = np.asarray(test_confusion)
    bad = (cal.recalls(test) < RELIABLE_RECALL) | (cal.precisions(test) < RELIABLE_PRECISION)
    if shift_confusion is not None:
        bad |= cal.recalls(np.asarray(shift_confusion)) < RELIABLE_RECALL
    return [n for n, b in zip(names, bad, strict=True) if b]


def calibrate(model: GalaxyModel, views: int | None = None) -> dict[str, Any]:
    """Fit the temperature on the validation split (never the test split) and read the unsure
    threshold off the calibrated validation calls; sets them on `model` and returns them as
    the model file's `calibration` record."""
    if views is not None:
        model.views = views
    x, y = val_frames(model.config.dataset)
    logits = model.logits(x)
    temperature = cal.fit_temperature(logits, y)
    p = cal.softmax(logits, temperature)
    threshold = cal.unsure_threshold(p, y, UNSURE_TARGET)
    model.temperature, model.unsure_below = temperature, threshold
    return {"temperature": round(temperature, 4), "views": model.views,
            "unsure_below": threshold, "fitted_on": f"validation split ({len(y)} galaxies)",
            "val_ece_before": round(cal.expected_calibration_error(cal.softmax(logits), y), 4),
            "val_ece_after": round(cal.expected_calibration_error(p, y), 4)}


def evaluate(model: GalaxyModel, shift: bool = True) -> GalaxyReport:
    """The model on its held-out test split and (shift=True) on every survey-shift transform."""
    x, y, names = test_frames(model.config.dataset)
    report = GalaxyReport(names, Split(y, model.probabilities(x)))
    if shift:
        for name, frames in survey_shift_set(x).items():
            report.shift[name] = Split(y, model.probabilities(frames))
    return report


def shift_transforms() -> list[str]:
    return list(TRANSFORMS)
