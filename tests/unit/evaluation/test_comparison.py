"""blendhunter.evaluation.comparison: SEP both ways, matched operating points, galaxy bootstrap,
combined uncertainties."""

import math

import numpy as np
import pandas as pd
import pytest

from blendhunter.evaluation import comparison


def truth_frame(labels, separations):
    return pd.DataFrame(
        {"truth": labels, "separation": separations}, index=pd.Index(range(len(labels)), name="index")
    )


@pytest.fixture
def hand_made():
    # 4 close blends (sep 5), 4 distant (sep 20), 8 isolated
    labels = [1] * 8 + [0] * 8
    separations = [5.0] * 4 + [20.0] * 4 + [np.nan] * 8
    truth = truth_frame(labels, separations)
    # BlendHunter: finds 3 of 4 close, 4 of 4 distant, 1 false positive (p 0.6)
    p = np.array([0.9, 0.8, 0.7, 0.2, 0.9, 0.9, 0.9, 0.9, 0.6, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1])
    # SEP: 2 close right, 1 close wrong, 1 close failed; distant 3 right + 1 failed;
    # isolated: 7 right, 1 failed
    nan = np.nan
    sep = np.array([1, 1, 0, nan, 1, 1, 1, nan, 0, 0, 0, 0, 0, 0, 0, nan], dtype=float)
    return truth, p, sep


def test_sep_accuracy_with_failures_left_out_and_counted(hand_made):
    truth, p, sep = hand_made
    table = comparison.compare(truth, p, sep, 0.5, 10.0).set_index("subset")
    close = table.loc["close"]
    assert close.sep_failed == 1
    assert close.sep_accuracy == pytest.approx(2 / 3)  # failures left out
    assert close.sep_se == pytest.approx(math.sqrt(2 / 3 * 1 / 3 / 3))  # on the 3 scored
    assert close.sep_accuracy_failures_counted == pytest.approx(2 / 4)
    assert close.sep_se_failures_counted == pytest.approx(math.sqrt(0.25 / 4))
    assert close.bh_accuracy == pytest.approx(3 / 4)
    assert close.difference == pytest.approx(3 / 4 - 2 / 3)
    assert table.loc["all"].sep_failed == 3
    assert table.loc["all"].sep_accuracy == pytest.approx(12 / 13)


def test_matched_operating_point_uses_seps_false_positive_rate(hand_made):
    truth, p, sep = hand_made
    table = comparison.compare(truth, p, sep, 0.5, 10.0).set_index("subset")
    # SEP calls none of its 7 scored isolated stamps blended: FPR 0, so BlendHunter's
    # threshold rises above its false positive (0.6) and loses the 0.7 close blend
    assert table.loc["all"].sep_fpr == 0
    assert 0.6 < table.loc["all"].matched_threshold <= 0.7 + 1e-12
    assert table.loc["close"].bh_matched_accuracy == pytest.approx(3 / 4)
    assert table.loc["isolated"].bh_matched_accuracy == 1.0


def test_the_matched_operating_point_ranks_logits_where_p_blend_ties_at_one(hand_made):
    truth, p, sep = hand_made  # SEP's false-positive rate: 0
    saturated = np.where(p >= 0.6, 1.0, p)  # a float32 sigmoid: every confident stamp 1.0
    logit = np.log(p / (1 - p)) + np.where(p >= 0.6, 30.0, 0.0)
    tied = comparison.compare(truth, saturated, sep, 0.5, 10.0).set_index("subset")
    ranked = comparison.compare(truth, saturated, sep, 0.5, 10.0, logit=logit).set_index("subset")
    # the false positive ties with the blends at 1.0: no threshold keeps any of them
    assert tied.loc["close"].bh_matched_accuracy == 0
    # the logits rank them: the threshold passes just above the false positive's
    assert ranked.loc["isolated"].bh_matched_accuracy == 1.0
    assert ranked.loc["close"].bh_matched_accuracy == pytest.approx(3 / 4)
    assert ranked.loc["all"].bh_accuracy == tied.loc["all"].bh_accuracy  # p_blend decides there


def test_threshold_at_fpr():
    p = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.0])
    t = comparison.threshold_at_fpr(p, 0.2)
    assert np.mean(p >= t) == pytest.approx(0.2) and t > 0.7
    assert np.mean(p >= comparison.threshold_at_fpr(p, 0.0)) == 0


def test_galaxy_bootstrap_sees_that_stamps_of_one_galaxy_are_not_independent():
    # 200 stamps from 4 galaxies: BlendHunter is right on every stamp of 2 galaxies and
    # wrong on every stamp of the other 2. The binomial s.e. (as if 200 independent
    # stamps) is 0.035; resampling 4 galaxies gives ~0.25 (sqrt(0.25/4)).
    n = 200
    groups = np.repeat([10, 11, 12, 13], n // 4)
    truth = truth_frame([1] * n, [20.0] * n)
    p = np.where(np.isin(groups, [10, 11]), 0.9, 0.1)
    sep = np.ones(n)
    row = comparison.compare(truth, p, sep, 0.5, 10.0, groups=groups, seed=1).set_index("subset").loc["all"]
    assert row.bh_se == pytest.approx(math.sqrt(0.25 / n))
    assert 0.18 < row.bh_se_galaxies < 0.32
    assert row.sep_se_galaxies == 0  # SEP right on every stamp whatever is drawn
    assert row.difference_se_galaxies == pytest.approx(row.bh_se_galaxies)


def test_summary_gives_the_means_uncertainty_and_one_heads_beside_it():
    rows = []
    for r, bh in enumerate([0.70, 0.80]):
        rows.append(
            {"dataset": "parametric", "train_sigma": 15.0, "realisation": r, "subset": "close", "n": 100,
             "bh_accuracy": bh, "bh_se": 0.04, "sep_failed": 0, "sep_accuracy": 0.6, "sep_se": 0.03,
             "sep_accuracy_failures_counted": 0.5, "sep_se_failures_counted": 0.05, "sep_fpr": 0.01,
             "bh_matched_accuracy": bh - 0.1, "difference_se_galaxies": np.nan}
        )  # fmt: skip
    summary = comparison.summarise(pd.DataFrame(rows)).iloc[0]
    spread = np.std([0.7, 0.8], ddof=1)
    assert summary.difference == pytest.approx(0.15)
    # the mean of two heads: the spread / sqrt(2); the heads' shared stamps keep 0.04 whole
    assert summary.difference_se == pytest.approx(math.sqrt(0.04**2 + spread**2 / 2 + 0.03**2))
    assert summary.difference_se_one_model == pytest.approx(math.sqrt(0.04**2 + spread**2 + 0.03**2))
    assert summary.difference_failures_counted == pytest.approx(0.25)
    assert summary.difference_failures_counted_se == pytest.approx(
        math.sqrt(0.04**2 + spread**2 / 2 + 0.05**2)
    )
    assert summary.matched_difference == pytest.approx(0.05)
    assert summary.matched_difference_se == pytest.approx(math.sqrt(0.04**2 + spread**2 / 2 + 0.03**2))
    assert summary.matched_difference_se_one_model == pytest.approx(summary.difference_se_one_model)


def test_paired_accuracy_difference_adds_binomial_and_realisation_spread():
    def rows(accuracies):
        return pd.DataFrame(
            {"dataset": "realistic", "train_sigma": 15.0, "realisation": [0, 1], "subset": "all"}
            | {"accuracy": accuracies, "n": 10000}
        )

    table = comparison.paired_accuracy_difference(rows([0.90, 0.92]), rows([0.91, 0.91]))
    row = table.iloc[0]
    assert (row["reference"], row["variant"], row["difference"]) == pytest.approx((0.91, 0.91, 0.0))
    spread = np.std([0.01, -0.01], ddof=1) / np.sqrt(2)
    binomial = comparison.binomial_se(0.91, 10000)
    assert row["difference_se"] == pytest.approx(np.sqrt(2 * binomial**2 + spread**2))
