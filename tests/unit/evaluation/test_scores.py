"""ROC/AUC, calibration and reweighted purity on hand-made scores with known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from blendhunter.evaluation import scores


def test_auc_of_separated_constant_and_inverted_scores():
    truth = np.array([0, 0, 0, 1, 1, 1])
    assert scores.auc(truth, [0.1, 0.2, 0.3, 0.7, 0.8, 0.9]) == 1.0
    assert scores.auc(truth, np.full(6, 0.4)) == 0.5
    assert scores.auc(truth, [0.9, 0.8, 0.7, 0.3, 0.2, 0.1]) == 0.0
    # one tie between a blend and an isolated stamp counts one half: (8 + 0.5) / 9
    assert scores.auc(truth, [0.1, 0.2, 0.5, 0.5, 0.8, 0.9]) == pytest.approx(8.5 / 9)
    assert math.isnan(scores.auc([1, 1], [0.2, 0.3]))


def test_roc_curve_runs_corner_to_corner_and_its_area_is_the_auc():
    rng = np.random.default_rng(1)
    truth = rng.integers(0, 2, 500)
    score = np.round(rng.random(500) * 0.6 + 0.4 * truth, 2)  # overlapping, with ties
    fpr, tpr, _ = scores.roc_curve(truth, score)
    assert (fpr[0], tpr[0], fpr[-1], tpr[-1]) == (0, 0, 1, 1)
    assert np.all(np.diff(fpr) >= 0) and np.all(np.diff(tpr) >= 0)
    assert np.trapezoid(tpr, fpr) == pytest.approx(scores.auc(truth, score), abs=1e-12)


def test_operating_point_leaves_failures_out():
    truth = np.array([1, 1, 1, 1, 0, 0, 0, 0])
    labels = np.array([1, 1, 0, np.nan, 0, 0, 1, np.nan])
    tpr, fpr = scores.operating_point(truth, labels)
    assert tpr == pytest.approx(2 / 3) and fpr == pytest.approx(1 / 3)


def test_ece_of_a_known_two_bin_table():
    # bin [0.2, 0.3): 4 stamps at p 0.25, 1 blend -> gap 0; bin [0.8, 0.9): 6 at 0.8, 3 blends -> 0.3
    p = np.r_[np.full(4, 0.25), np.full(6, 0.8)]
    truth = np.r_[1, 0, 0, 0, 1, 1, 1, 0, 0, 0]
    table = scores.reliability(truth, p)
    assert table["n"].sum() == 10 and (table["n"] > 0).sum() == 2
    assert scores.ece(truth, p) == pytest.approx(0.6 * 0.3)


def test_temperature_scaling_softens_an_overconfident_head_and_keeps_its_ranking():
    rng = np.random.default_rng(2)
    truth = rng.integers(0, 2, 4000)
    calibrated_logit = rng.normal(np.where(truth == 1, 1.0, -1.0), 1.0)
    p_true = 1 / (1 + np.exp(-calibrated_logit))
    truth = (rng.random(4000) < p_true).astype(int)  # labels drawn from the calibrated p
    overconfident = 1 / (1 + np.exp(-4 * calibrated_logit))
    temperature = scores.fit_temperature(truth, overconfident)
    assert temperature == pytest.approx(4.0, rel=0.15)
    softened = scores.apply_temperature(overconfident, temperature)
    assert scores.nll(truth, softened) < scores.nll(truth, overconfident)
    assert scores.ece(truth, softened) < scores.ece(truth, overconfident)
    assert scores.auc(truth, softened) == pytest.approx(scores.auc(truth, overconfident), abs=1e-12)


def test_reweighted_purity_and_completeness():
    # 100 blends, 100 isolated: 80 blends flagged, 10 isolated flagged
    truth = np.r_[np.ones(100), np.zeros(100)]
    flagged = np.r_[np.ones(80), np.zeros(20), np.ones(10), np.zeros(90)]
    at_half = scores.purity_completeness(truth, flagged, 0.5)
    assert at_half["precision"] == pytest.approx(80 / 90) and at_half["recall"] == 0.8
    at_15 = scores.purity_completeness(truth, flagged, 0.15)
    assert at_15["recall"] == 0.8
    assert at_15["precision"] == pytest.approx(0.15 * 0.8 / (0.15 * 0.8 + 0.85 * 0.1))
    assert at_15["f1"] == pytest.approx(2 * at_15["precision"] * 0.8 / (at_15["precision"] + 0.8))


def test_best_f1_threshold_rises_as_blends_get_rarer():
    rng = np.random.default_rng(3)
    truth = np.r_[np.ones(2000), np.zeros(2000)]
    p = np.clip(rng.normal(np.where(truth == 1, 0.7, 0.3), 0.15), 0, 1)
    t50 = scores.best_f1_threshold(truth, p, 0.5)
    t15 = scores.best_f1_threshold(truth, p, 0.15)
    assert t15 > t50
    assert scores.best_f1_threshold(truth, (truth == 1).astype(float), 0.3) == 0.5  # all ties: nearest 0.5


def test_ensemble_averages_heads_raw_and_calibrated():
    p1, p2 = np.array([0.2, 0.9]), np.array([0.4, 0.7])
    p, calibrated, thresholds = scores.ensemble([(p1, 1.0, {"f1": 0.4}), (p2, 2.0, {"f1": 0.6})])
    assert p == pytest.approx([0.3, 0.8])
    expected = (p1 + scores.apply_temperature(p2, 2.0)) / 2
    assert calibrated == pytest.approx(expected) and thresholds == {"f1": pytest.approx(0.5)}


def test_head_rows_rank_the_auc_by_the_logits_where_p_ties():
    truth = np.array([1, 1, 0, 0])
    p = np.array([1.0, 1.0, 1.0, 0.1])  # float32-saturated: a blend and an isolated tie
    logit = np.array([40.0, 39.0, 38.0, -2.0])
    thresholds = {f"{f:g}": 0.5 for f in scores.FRACTIONS}
    tied, _, _ = scores.head_rows(truth, p, p, 1.0, thresholds, 0.5)
    ranked, _, _ = scores.head_rows(truth, p, p, 1.0, thresholds, 0.5, logit)
    assert tied["auc"] == pytest.approx(0.75) and ranked["auc"] == 1.0
