"""blendhunter.evaluation.combination: BlendHunter and SEP together, on hand-made predictions with
known answers."""

import math

import numpy as np
import pandas as pd

from blendhunter.evaluation import combination


def test_either_is_blended_when_one_of_the_two_says_so():
    p = np.array([0.9, 0.2, 0.2, 0.6])
    sep = np.array([0, 1, 0, np.nan])  # a SEP failure says nothing
    assert combination.either(p, sep, 0.5).tolist() == [1, 1, 0, 1]


def test_either_threshold_is_the_most_accurate_and_the_lowest_of_ties():
    truth = np.array([1, 1, 0, 0])
    sep = np.array([1, 0, 0, 0])
    # the second blend needs t <= 0.40, the isolated ones need t > 0.35
    p = np.array([0.10, 0.40, 0.35, 0.05])
    assert combination.either_threshold(truth, p, sep) == 0.36
    # SEP already finds every blend: any t above the isolated ones' p is perfect; the lowest wins
    assert combination.either_threshold(truth, np.array([0.1, 0.1, 0.2, 0.3]), np.array([1, 1, 0, 0])) == 0.31


def test_combiner_inputs_cap_detections_and_clip_probabilities():
    sep = pd.DataFrame(
        {"failed": [0, 1, 0], "label": ["blended", None, "isolated"], "n_detections": [2, 5, 1]}
    )
    x = combination.combiner_inputs(np.array([0.5, 1.0, 0.0]), sep)
    assert x[:, 0].tolist() == [1, 1, 1]
    assert x[0, 1] == 0 and x[1, 1] > 13 and x[2, 1] < -13  # logit, finite at p = 0 and 1
    assert x[:, 2].tolist() == [1, 0, 0] and x[:, 3].tolist() == [0, 1, 0]
    assert x[:, 4].tolist() == [2 / 3, 1, 1 / 3]


def test_logistic_fit_recovers_known_weights():
    rng = np.random.default_rng(0)
    x = np.column_stack([np.ones(20000), rng.normal(size=20000)])
    y = (rng.random(20000) < 1 / (1 + np.exp(-(-0.5 + 2.0 * x[:, 1])))).astype(float)
    w = combination.fit_logistic(x, y, l2=0.0)
    assert np.allclose(w, [-0.5, 2.0], atol=0.1)
    assert np.allclose(combination.predict_logistic(w, x[:1]), 1 / (1 + np.exp(-(x[0] @ w))))


def test_logistic_fit_stays_finite_on_a_separable_split():
    x = np.column_stack([np.ones(6), [-3.0, -2.0, -1.0, 1.0, 2.0, 3.0]])
    w = combination.fit_logistic(x, np.array([0, 0, 0, 1, 1, 1.0]))
    assert np.isfinite(w).all() and w[1] > 0


def test_rows_give_accuracy_and_binomial_se_per_subset_leaving_failures_out():
    truth = pd.DataFrame({"truth": [1, 1, 0, 0], "separation": [5.0, 20.0, np.nan, np.nan]})
    labels = {"sep": np.array([1, np.nan, 0, 1]), "either": np.array([1, 1, 0, 0])}
    rows = pd.DataFrame(combination.rows(truth, labels, {"either": 0.4}, 10.0, dataset="realistic"))
    sep = rows[rows["method"] == "sep"].set_index("subset")
    assert sep.loc["all", "n"] == 3 and math.isclose(sep.loc["all", "accuracy"], 2 / 3)
    assert math.isclose(sep.loc["all", "se"], math.sqrt(2 / 3 * 1 / 3 / 3))
    assert sep.loc["distant", "n"] == 0 and math.isnan(sep.loc["distant", "accuracy"])
    either = rows[rows["method"] == "either"].set_index("subset")
    assert (either["accuracy"] == 1).all() and (either["threshold"] == 0.4).all()
    assert math.isnan(sep.loc["all", "threshold"]) and set(rows["dataset"]) == {"realistic"}


def test_summary_averages_realisations_and_gives_their_spread():
    table = pd.DataFrame(
        {
            "method": ["either"] * 2,
            "dataset": ["realistic"] * 2,
            "train_sigma": [15.0] * 2,
            "realisation": [0, 1],
            "subset": ["all"] * 2,
            "n": [100, 100],
            "accuracy": [0.90, 0.94],
            "se": [0.03, 0.04],
            "threshold": [0.4, 0.6],
        }
    )
    row = combination.summarise(table).iloc[0]
    assert row["n_realisations"] == 2 and math.isclose(row["accuracy"], 0.92)
    assert math.isclose(row["spread"], 0.02 * math.sqrt(2))
    assert math.isclose(row["se"], math.sqrt((0.03**2 + 0.04**2) / 2)) and math.isclose(row["threshold"], 0.5)
