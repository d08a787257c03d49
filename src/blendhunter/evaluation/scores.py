"""Beyond accuracy at one threshold: ROC and AUC, calibration, purity at survey blend fractions.

`truth` is 1 (blended) / 0 (isolated); `score` is BlendHunter's p_blend. SEP gives
labels, not scores: one operating point (TPR, FPR) on the ROC plane.

- AUC is the Mann-Whitney probability that a random blend scores above a random
  isolated stamp (ties count one half): 1 for perfectly separated scores, 0.5 for a
  constant one.
- ECE (expected calibration error): over equal-width bins of p, the stamp-weighted
  mean of |fraction of blends - mean p|.
- Temperature scaling divides the logit of p by T, fitted by minimising the negative
  log-likelihood on a split the head did not train on (its validation split); T > 1
  softens an over-confident head. It never changes the ranking, so AUC is unchanged.
- Purity (precision) and completeness (recall) at a blend fraction f: the test sets
  are balanced, so blends are reweighted by f / n_blends and isolated stamps by
  (1 - f) / n_isolated, as if a survey held a fraction f of blends. Completeness does
  not depend on f; purity falls as f does. SEP failures are left out, as in accuracy.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

FRACTIONS = (0.15, 0.30, 0.50)
N_BINS = 10
EPS = 1e-7  # p is clipped to [EPS, 1 - EPS] before a logit (float32 sigmoids saturate)


def _arrays(truth, score) -> tuple[np.ndarray, np.ndarray]:
    truth = np.asarray(truth, dtype=float)
    score = np.asarray(score, dtype=float)
    keep = np.isfinite(truth) & np.isfinite(score)
    return truth[keep].astype(int), score[keep]


def auc(truth, score) -> float:
    """Area under the ROC curve (NaN without both classes)."""
    truth, score = _arrays(truth, score)
    n_pos, n_neg = int(truth.sum()), int((1 - truth).sum())
    if not n_pos or not n_neg:
        return math.nan
    ranks = pd.Series(score).rank(method="average").to_numpy()  # ties share their mean rank
    return float((ranks[truth == 1].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def roc_curve(truth, score) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(fpr, tpr, thresholds), from (0, 0) to (1, 1): one point per distinct score."""
    truth, score = _arrays(truth, score)
    order = np.argsort(-score, kind="stable")
    score, truth = score[order], truth[order]
    last_of_each = np.r_[np.flatnonzero(np.diff(score)), len(score) - 1]
    tp = np.cumsum(truth)[last_of_each]
    fp = np.cumsum(1 - truth)[last_of_each]
    tpr = np.r_[0.0, tp / max(tp[-1], 1)]
    fpr = np.r_[0.0, fp / max(fp[-1], 1)]
    return fpr, tpr, np.r_[np.inf, score[last_of_each]]


def mean_roc(curves, grid=None) -> tuple[np.ndarray, np.ndarray]:
    """Vertical average of several ROC curves (fpr, tpr, ...) on a common FPR grid."""
    grid = np.linspace(0, 1, 201) if grid is None else grid
    return grid, np.mean([np.interp(grid, fpr, tpr) for fpr, tpr, *_ in curves], axis=0)


def operating_point(truth, predicted) -> tuple[float, float]:
    """(tpr, fpr) of hard labels (1/0, NaN = failure, left out)."""
    truth, predicted = _arrays(truth, predicted)
    blends, isolated = truth == 1, truth == 0
    tpr = predicted[blends].mean() if blends.any() else math.nan
    fpr = predicted[isolated].mean() if isolated.any() else math.nan
    return float(tpr), float(fpr)


def reliability(truth, p, n_bins: int = N_BINS) -> pd.DataFrame:
    """Per bin of p: its edges, n, mean p and the fraction of blends (empty bins: n 0)."""
    truth, p = _arrays(truth, p)
    edges = np.linspace(0, 1, n_bins + 1)
    which = np.clip(np.digitize(p, edges[1:-1]), 0, n_bins - 1)
    rows = []
    for b in range(n_bins):
        inside = which == b
        n = int(inside.sum())
        rows.append(
            {
                "bin_lo": edges[b],
                "bin_hi": edges[b + 1],
                "n": n,
                "mean_p": float(p[inside].mean()) if n else math.nan,
                "fraction_blended": float(truth[inside].mean()) if n else math.nan,
            }
        )
    return pd.DataFrame(rows)


def ece(truth, p, n_bins: int = N_BINS) -> float:
    table = reliability(truth, p, n_bins)
    used = table[table["n"] > 0]
    gaps = (used["fraction_blended"] - used["mean_p"]).abs()
    return float((gaps * used["n"]).sum() / used["n"].sum()) if len(used) else math.nan


def logit(p) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=float), EPS, 1 - EPS)
    return np.log(p) - np.log1p(-p)


def apply_temperature(p, temperature: float) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-logit(p) / float(temperature)))


def nll(truth, p) -> float:
    """Mean negative log-likelihood (binary cross-entropy) of p."""
    truth, p = _arrays(truth, p)
    p = np.clip(p, EPS, 1 - EPS)
    return float(-np.mean(truth * np.log(p) + (1 - truth) * np.log1p(-p)))


def fit_temperature(truth, p, lo: float = 0.05, hi: float = 20.0, iterations: int = 80) -> float:
    """The T that minimises the NLL of apply_temperature(p, T): a golden-section search
    over 1/T, in which the NLL is convex (a logistic loss of a scaled logit)."""
    truth, p = _arrays(truth, p)
    z = logit(p)

    def loss(inverse_t: float) -> float:
        q = np.clip(1.0 / (1.0 + np.exp(-z * inverse_t)), EPS, 1 - EPS)
        return float(-np.mean(truth * np.log(q) + (1 - truth) * np.log1p(-q)))

    a, b = 1.0 / hi, 1.0 / lo
    golden = (math.sqrt(5) - 1) / 2
    c, d = b - golden * (b - a), a + golden * (b - a)
    for _ in range(iterations):
        if loss(c) < loss(d):
            b, d = d, c
            c = b - golden * (b - a)
        else:
            a, c = c, d
            d = a + golden * (b - a)
    return float(2.0 / (a + b))


def purity_completeness(truth, predicted, fraction: float) -> dict:
    """Precision, recall and F1 of hard labels at blend fraction `fraction`."""
    truth, predicted = _arrays(truth, predicted)
    blends, isolated = truth == 1, truth == 0
    if not blends.any() or not isolated.any():
        return {"precision": math.nan, "recall": math.nan, "f1": math.nan}
    recall = float(predicted[blends].mean())
    false_positive_rate = float(predicted[isolated].mean())
    flagged = fraction * recall + (1 - fraction) * false_positive_rate
    precision = fraction * recall / flagged if flagged else math.nan
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def best_f1_threshold(truth, p, fraction: float, grid=None) -> float:
    """The threshold on p that maximises F1 at blend fraction `fraction` (ties: nearest 0.5)."""
    grid = np.round(np.linspace(0.01, 0.99, 99), 2) if grid is None else np.asarray(grid)
    truth, p = _arrays(truth, p)
    f1 = np.array([purity_completeness(truth, p >= t, fraction)["f1"] for t in grid])
    f1 = np.nan_to_num(f1, nan=-1.0)
    best = np.flatnonzero(f1 == f1.max())
    return float(grid[best[np.argmin(np.abs(grid[best] - 0.5))]])


def calibration_summary(truth, p) -> dict:
    """What rule predict stores beside a head: T, the NLL and ECE it moves (on the split it
    was fitted on) and the F1-best thresholds on the raw p at each blend fraction."""
    truth, p = _arrays(truth, p)
    temperature = fit_temperature(truth, p)
    calibrated = apply_temperature(p, temperature)
    return {
        "temperature": temperature,
        "fitted_on": "validation split",
        "n": int(len(truth)),
        "nll_raw": nll(truth, p),
        "nll_calibrated": nll(truth, calibrated),
        "ece_raw": ece(truth, p),
        "ece_calibrated": ece(truth, calibrated),
        "f1_thresholds": {f"{f:g}": best_f1_threshold(truth, p, f) for f in FRACTIONS},
    }


def ranking(table: pd.DataFrame) -> np.ndarray:
    """What orders a predictions table's stamps: its logit where written (p_blend ties at
    1.0 for a confident model), else p_blend (tables made before the logit was kept)."""
    return table["logit" if "logit" in table else "p_blend"].to_numpy(dtype=float)


def read_scores(stamp_path, predictions_path, split: str | None = None):
    """(truth, p_blend, truth frame) of one predictions file on `split` of its stamp set
    (None: every stamp, as for the realistic set)."""
    truth, p, _, frame = read_ranked_scores(stamp_path, predictions_path, split)
    return truth, p, frame


def read_ranked_scores(stamp_path, predictions_path, split: str | None = None):
    """read_scores with the file's `ranking` as well, from one read: (truth, p_blend,
    ranking, truth frame)."""
    from blendhunter.evaluation.metrics import aligned_rows, read_labels, truth_frame
    from blendhunter.simulation.splits import SPLIT_CODES
    from blendhunter.simulation.stamps import read_meta

    meta = read_meta(stamp_path)
    indices = None if split is None else meta.index[meta["split"] == SPLIT_CODES[split]]
    truth = truth_frame(meta, indices)
    table = read_labels(predictions_path)
    rows = aligned_rows(truth, table, str(predictions_path))
    return truth["truth"].to_numpy(), rows["p_blend"].to_numpy(dtype=float), ranking(rows), truth


ROC_COLUMNS = ("method", "dataset", "train_sigma", "test_sigma", "realisation", "auc", "tpr", "fpr", "n")
CALIBRATION_COLUMNS = (
    "method", "dataset", "train_sigma", "realisation", "temperature",
    "ece_raw", "ece_calibrated", "nll_raw", "nll_calibrated", "n",
)  # fmt: skip
PURITY_COLUMNS = (
    "method", "dataset", "train_sigma", "realisation", "threshold_rule", "threshold",
    "blend_fraction", "precision", "recall", "f1",
)  # fmt: skip


def head_rows(
    truth, p, calibrated, temperature: float, f1_thresholds: dict, threshold: float, rank=None, **ids
) -> tuple[dict, dict, list[dict]]:
    """One head (or ensemble) on one test set, given its raw and calibrated p: its ROC row,
    calibration row and purity rows (at `threshold` and at the F1-best thresholds). `rank`
    (the logits, where kept) orders the stamps for the AUC; p otherwise."""
    tpr, fpr = operating_point(truth, p >= threshold)
    roc = {**ids, "auc": auc(truth, p if rank is None else rank), "tpr": tpr, "fpr": fpr, "n": len(truth)}
    cal = {
        **{k: v for k, v in ids.items() if k != "test_sigma"},
        "temperature": temperature,
        "ece_raw": ece(truth, p),
        "ece_calibrated": ece(truth, calibrated),
        "nll_raw": nll(truth, p),
        "nll_calibrated": nll(truth, calibrated),
        "n": len(truth),
    }
    purity = []
    for fraction in FRACTIONS:
        rules = {"fixed": threshold, "f1_validation": f1_thresholds[f"{fraction:g}"]}
        for rule, value in rules.items():
            row = {"threshold_rule": rule, "threshold": value, "blend_fraction": fraction}
            purity.append({**ids, **row, **purity_completeness(truth, p >= value, fraction)})
    return roc, cal, purity


def sep_rows(truth, labels, **ids) -> tuple[dict, list[dict]]:
    """SEP on one test set: its ROC operating point and purity rows (no scores, no AUC)."""
    tpr, fpr = operating_point(truth, labels)
    n = int(np.isfinite(np.asarray(labels, dtype=float)).sum())
    roc = {**ids, "method": "sep", "auc": math.nan, "tpr": tpr, "fpr": fpr, "n": n}
    purity = [
        {**ids, "method": "sep", "threshold_rule": "-", "threshold": math.nan, "blend_fraction": f}
        | purity_completeness(truth, labels, f)
        for f in FRACTIONS
    ]
    return roc, purity


def frame(rows: list[dict], columns) -> pd.DataFrame:
    out = pd.DataFrame(rows)
    out["realisation"] = pd.array(out["realisation"], dtype="Int64")
    return out[list(columns)]


def ensemble(heads: list[tuple[np.ndarray, float, dict]]) -> tuple[np.ndarray, np.ndarray, dict]:
    """The ensemble of one noise level's heads, each (p_blend, temperature, F1 thresholds)
    on the same stamps: mean p_blend, mean calibrated p_blend, mean thresholds."""
    p = np.mean([h[0] for h in heads], axis=0)
    calibrated = np.mean([apply_temperature(h[0], h[1]) for h in heads], axis=0)
    thresholds = {k: float(np.mean([h[2][k] for h in heads])) for k in heads[0][2]}
    return p, calibrated, thresholds
