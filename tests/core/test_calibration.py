"""Temperature scaling, the expected calibration error and the unsure threshold, on numbers
worked out by hand and on synthetic models whose true calibration is known."""

from __future__ import annotations

import numpy as np
import pytest

from core.galaxies import calibration as cal


def _sampled(logits: np.ndarray, seed: int = 0) -> np.ndarray:
    """Labels drawn from softmax(logits): a model calibrated by construction."""
    rng = np.random.default_rng(seed)
    p = cal.softmax(logits)
    return (rng.random(len(p))[:, None] > np.cumsum(p, axis=1)).sum(axis=1)


def test_ece_of_three_calls_worked_by_hand() -> None:
    p = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])
    labels = np.array([0, 0, 0])
    rel = cal.reliability(p, labels)
    # bins of 0.05 from 0.5: 0.9, 0.8 and 0.6 fall alone in bins 8, 6 and 2
    assert rel.counts.tolist() == [0, 0, 1, 0, 0, 0, 1, 0, 1, 0]
    # right, wrong, right: |1 − 0.9|, |0 − 0.8|, |1 − 0.6| averaged
    assert rel.ece == pytest.approx((0.1 + 0.8 + 0.4) / 3)
    assert cal.expected_calibration_error(p, labels) == pytest.approx(rel.ece)


def test_temperature_scaling_undoes_overconfidence() -> None:
    rng = np.random.default_rng(1)
    logits = rng.normal(0, 2.0, (20_000, 4))
    labels = _sampled(logits)
    assert cal.expected_calibration_error(cal.softmax(logits), labels) < 0.02
    overconfident = 2.5 * logits
    assert cal.expected_calibration_error(cal.softmax(overconfident), labels) > 0.08
    t = cal.fit_temperature(overconfident, labels)
    assert t == pytest.approx(2.5, rel=0.05)
    assert cal.expected_calibration_error(cal.softmax(overconfident, t), labels) < 0.02
    # one number: the calls themselves never change
    assert (cal.softmax(overconfident, t).argmax(1) == overconfident.argmax(1)).all()


def test_unsure_threshold_is_where_the_calls_become_right_often_enough() -> None:
    # 100 calls at 0.5 confidence right half the time, 100 at 0.8 right 95 % of the time
    p = np.array([[0.5, 0.3, 0.2]] * 100 + [[0.8, 0.1, 0.1]] * 100)
    labels = np.array([0, 1] * 50 + [0] * 95 + [1] * 5)
    # from 0.55 up only the 0.8 calls count: 95 % right ≥ 90 %
    assert cal.unsure_threshold(p, labels, target=0.9) == pytest.approx(0.55)
    # everything counted from 0.30: 72.5 % right ≥ 70 %
    assert cal.unsure_threshold(p, labels, target=0.7) == pytest.approx(0.3)
    assert cal.unsure_threshold(p, labels, target=0.99) == 0.95  # never reached: the top


def test_recall_and_precision_from_the_confusion_matrix() -> None:
    m = cal.confusion_matrix(np.array([0, 0, 1, 1, 1]), np.array([0, 1, 1, 1, 0]), 2)
    assert m.tolist() == [[1, 1], [1, 2]]
    assert cal.recalls(m) == pytest.approx([0.5, 2 / 3])
    assert cal.precisions(m) == pytest.approx([0.5, 2 / 3])
