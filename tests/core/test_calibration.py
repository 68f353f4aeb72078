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


def test_offsets_lift_the_worst_recalled_class_worked_by_hand() -> None:
    # two classes; d = z1 − z0, and class 1 is called when d + b1 > 0
    d = np.array([-1.0] * 30 + [0.15] * 10 + [0.5] * 25 + [-0.15] * 15)
    labels = np.array([0] * 40 + [1] * 40)
    logits = np.stack([np.zeros_like(d), d], axis=1)
    # b1 = 0: recalls 30/40 and 25/40. Any b1 in (0.15, 1] calls all of class 1 right and keeps
    # 30/40 of class 0 (min 0.75, the best there is); the smallest such grid value is 0.2
    assert cal.fit_offsets(logits, labels).tolist() == pytest.approx([0.0, 0.2])
    calls = (logits + [0.0, 0.2]).argmax(1)
    assert cal.recalls(cal.confusion_matrix(labels, calls, 2)).tolist() == [0.75, 1.0]
    # classes with too few examples to judge keep their calls as they are
    assert cal.fit_offsets(logits, labels, min_count=41).tolist() == [0.0, 0.0]


def test_offsets_leave_a_rare_class_alone() -> None:
    rng = np.random.default_rng(2)
    logits = rng.normal(0, 1.0, (400, 3))
    labels = np.concatenate([np.full(200, 0), np.full(190, 1), np.full(10, 2)])
    offsets = cal.fit_offsets(logits, labels)
    assert offsets[0] == 0.0 and offsets[2] == 0.0


def test_temperature_is_fitted_around_fixed_offsets() -> None:
    rng = np.random.default_rng(3)
    logits = rng.normal(0, 2.0, (20_000, 3))
    offsets = np.array([0.0, 0.8, -0.5])
    labels = _sampled(logits + offsets)
    t = cal.fit_temperature(2.5 * logits, labels, offsets)
    assert t == pytest.approx(2.5, rel=0.05)
    # without the offsets it fits a worse T for these labels
    assert abs(cal.fit_temperature(2.5 * logits, labels) - 2.5) > abs(t - 2.5)
