"""BlendHunter and SEP together: their errors are complementary (SEP misses close pairs,
BlendHunter faint companions), and both predictions already exist, so combining costs
no features. Everything is fitted on the head's validation split, never on a test set.

- ``either``: blended if SEP says so or p_blend >= t; t maximises the rule's accuracy
  on the validation split. A SEP failure says nothing: BlendHunter alone decides.
- ``combiner``: a logistic regression on (logit p_blend, SEP said blended, SEP failed,
  SEP's detections capped at 3), fitted on the validation split; blended at p >= 0.5.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from blendhunter.evaluation.comparison import binomial_se
from blendhunter.evaluation.metrics import REPORTED_SUBSETS, subset_masks

THRESHOLD_GRID = np.round(np.arange(0.05, 1.0, 0.01), 2)
MAX_DETECTIONS = 3
EPS = 1e-6
METHODS = ("blendhunter", "sep", "either", "combiner")
COLUMNS = ("method", "dataset", "train_sigma", "realisation", "subset", "n", "accuracy", "se", "threshold")


def either(p_blend: np.ndarray, sep_blended: np.ndarray, threshold: float) -> np.ndarray:
    """1 where SEP says blended or p_blend >= threshold."""
    return ((np.asarray(p_blend) >= threshold) | (np.asarray(sep_blended) == 1)).astype(int)


def either_threshold(truth: np.ndarray, p_blend: np.ndarray, sep_blended: np.ndarray) -> float:
    """The grid threshold of the highest accuracy of `either` (ties: the lowest)."""
    accuracy = [np.mean(either(p_blend, sep_blended, t) == truth) for t in THRESHOLD_GRID]
    return float(THRESHOLD_GRID[int(np.argmax(accuracy))])


def combiner_inputs(p_blend: np.ndarray, sep: pd.DataFrame) -> np.ndarray:
    """Columns: 1, logit p_blend, SEP blended, SEP failed, SEP detections / 3 (capped)."""
    p = np.clip(np.asarray(p_blend, dtype=float), EPS, 1 - EPS)
    failed = sep["failed"].to_numpy(dtype=float)
    blended = (sep["label"].fillna("") == "blended").to_numpy(dtype=float)
    detections = np.minimum(sep["n_detections"].to_numpy(dtype=float), MAX_DETECTIONS) / MAX_DETECTIONS
    return np.column_stack([np.ones_like(p), np.log(p / (1 - p)), blended, failed, detections])


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1e-3, iterations: int = 50) -> np.ndarray:
    """Weights of a logistic regression by Newton's method (a small L2 keeps it finite
    when the validation split is separable)."""
    w = np.zeros(x.shape[1])
    ridge = l2 * len(y) * np.eye(x.shape[1])
    ridge[0, 0] = 0.0  # the intercept is not shrunk
    for _ in range(iterations):
        p = 1 / (1 + np.exp(-(x @ w)))
        gradient = x.T @ (p - y) + ridge @ w
        hessian = (x * (p * (1 - p))[:, None]).T @ x + ridge
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.max(np.abs(step)) < 1e-8:
            break
    return w


def predict_logistic(w: np.ndarray, x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-(x @ w)))


def rows(truth: pd.DataFrame, labels: dict, thresholds: dict, close_separation: float, **ids) -> list:
    """Accuracy and binomial s.e. per method and reported subset (SEP: failures left out)."""
    masks = subset_masks(truth, close_separation)
    label = truth["truth"].to_numpy().astype(int)
    out = []
    for method, predicted in labels.items():
        predicted = np.asarray(predicted, dtype=float)
        for subset in REPORTED_SUBSETS:
            m = masks[subset] & np.isfinite(predicted)
            n = int(m.sum())
            accuracy = float(np.mean(predicted[m] == label[m])) if n else math.nan
            out.append(
                {
                    "method": method,
                    **ids,
                    "subset": subset,
                    "n": n,
                    "accuracy": accuracy,
                    "se": binomial_se(accuracy, n),
                    "threshold": thresholds.get(method, math.nan),
                }
            )
    return out


def summarise(table: pd.DataFrame) -> pd.DataFrame:
    """Mean and spread (sample std) over realisations per method, dataset, sigma, subset."""
    keys = ["method", "dataset", "train_sigma", "subset"]
    grouped = table.groupby(keys, sort=False)
    out = grouped.agg(
        n_realisations=("accuracy", "size"),
        n=("n", "mean"),
        accuracy=("accuracy", "mean"),
        spread=("accuracy", lambda a: float(a.std(ddof=1)) if len(a) > 1 else 0.0),
        se=("se", lambda s: float(np.sqrt(np.mean(s**2)))),
        threshold=("threshold", "mean"),
    )
    return out.reset_index()
