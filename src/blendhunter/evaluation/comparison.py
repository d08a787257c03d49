"""BlendHunter against SEP, compared as a referee would accept (paper Sect. 4).

- SEP fails on some stamps (no detection, or more than two). Its accuracy is given
  both ways: failures left out (the paper's rule), with the binomial s.e. on the
  stamps it scored (n - failed), and failures counted as errors (s.e. on n).
- Each BlendHunter - SEP difference is the mean over R heads (one per realisation)
  minus SEP, and carries the uncertainty of that mean: BlendHunter's binomial s.e. (the
  heads score the same stamps, so it does not shrink with R), the spread between
  realisations / sqrt(R), and SEP's binomial s.e., in quadrature (`summarise`). Beside
  it, `*_one_model` is the uncertainty of one head against SEP (the spread itself): what
  a user of one trained model should expect.
- The realistic set reuses a few real galaxies many times, so its stamps are not
  independent: beside the binomial s.e., a bootstrap over real galaxies resamples the
  central galaxies' ids (each draw brings every stamp of that galaxy), for
  BlendHunter, SEP and their paired difference.
- A matched operating point: BlendHunter's accuracy per subset at the threshold where
  its false-positive rate on the set's isolated stamps is SEP's (read off its ROC
  curve), beside the p >= threshold numbers.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from blendhunter.evaluation.metrics import REPORTED_SUBSETS, subset_masks

BOOTSTRAP_DRAWS = 300
COLUMNS = (
    "dataset", "train_sigma", "realisation", "subset", "n",
    "bh_accuracy", "bh_se", "sep_failed", "sep_accuracy", "sep_se",
    "sep_accuracy_failures_counted", "sep_se_failures_counted", "difference", "difference_se",
    "sep_fpr", "matched_threshold", "bh_matched_accuracy",
    "bh_se_galaxies", "sep_se_galaxies", "difference_se_galaxies",
)  # fmt: skip


def binomial_se(p: float, n: float) -> float:
    """sqrt(p (1 - p) / n); NaN without stamps or without a rate."""
    return math.sqrt(p * (1 - p) / n) if n and not math.isnan(p) else math.nan


def threshold_at_fpr(p_isolated: np.ndarray, fpr: float) -> float:
    """The lowest threshold t with mean(p_isolated >= t) <= fpr (p: any score that ranks)."""
    p = np.sort(np.asarray(p_isolated, dtype=float))[::-1]
    allowed = int(math.floor(fpr * len(p) + 1e-9))  # isolated stamps that may be called blended
    if allowed >= len(p):
        return float(p[-1])
    return float(np.nextafter(p[allowed], np.inf))


def _accuracy(correct: np.ndarray, scored: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weighted accuracy per row of `weights` (draws x stamps); NaN where nothing is scored."""
    den = weights @ scored.astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (weights @ (correct & scored).astype(float)) / den


def _draw_std(values: np.ndarray) -> float:
    """Sample std of bootstrap draws (NaN draws, with no stamp of the subset, left out)."""
    values = values[np.isfinite(values)]
    return float(values.std(ddof=1)) if len(values) > 1 else math.nan


def galaxy_draws(groups: np.ndarray, draws: int, seed: int) -> np.ndarray:
    """Stamp weights (draws x stamps): how often each stamp's galaxy was drawn."""
    ids, index = np.unique(np.asarray(groups), return_inverse=True)
    rng = np.random.default_rng(seed)
    counts = rng.multinomial(len(ids), np.full(len(ids), 1 / len(ids)), size=draws)
    return counts[:, index].astype(float)


def compare(
    truth: pd.DataFrame,
    p_blend: np.ndarray,
    sep: np.ndarray,
    threshold: float,
    close_separation: float,
    groups: np.ndarray | None = None,
    seed: int = 0,
    logit: np.ndarray | None = None,
    **ids,
) -> pd.DataFrame:
    """One row per reported subset: BlendHunter (p_blend >= threshold) against SEP's labels
    (1, 0, NaN = failure) on the same stamps (aligned on `truth`). `groups`: each stamp's
    real galaxy, for the bootstrap (realistic set). `logit` (where the predictions have
    it) ranks the stamps for the matched operating point, as p_blend ties at 1.0 for a
    confident model; matched_threshold is then a logit."""
    label = truth["truth"].to_numpy().astype(int)
    p_blend = np.asarray(p_blend, dtype=float)
    rank = p_blend if logit is None else np.asarray(logit, dtype=float)
    sep = np.asarray(sep, dtype=float)
    masks = subset_masks(truth, close_separation)
    isolated = masks["isolated"]
    sep_scored = ~np.isnan(sep)
    sep_fpr = float(np.mean(sep[isolated & sep_scored] == 1)) if (isolated & sep_scored).any() else math.nan
    matched = threshold_at_fpr(rank[isolated], sep_fpr) if math.isfinite(sep_fpr) else math.nan
    bh_correct = (p_blend >= threshold).astype(int) == label
    matched_correct = (rank >= matched).astype(int) == label
    sep_correct = sep_scored & (np.nan_to_num(sep, nan=-1) == label)
    weights = galaxy_draws(groups, BOOTSTRAP_DRAWS, seed) if groups is not None else None
    rows = []
    for name in REPORTED_SUBSETS:
        m = masks[name]
        n, scored = int(m.sum()), int((m & sep_scored).sum())
        bh = float(bh_correct[m].mean()) if n else math.nan
        sep_acc = float(sep_correct[m].sum() / scored) if scored else math.nan
        row = {
            **ids,
            "subset": name,
            "n": n,
            "bh_accuracy": bh,
            "bh_se": binomial_se(bh, n),
            "sep_failed": n - scored,
            "sep_accuracy": sep_acc,
            "sep_se": binomial_se(sep_acc, scored),
            "sep_accuracy_failures_counted": float(sep_correct[m].mean()) if n else math.nan,
            "sep_se_failures_counted": binomial_se(float(sep_correct[m].mean()), n) if n else math.nan,
            "difference": bh - sep_acc,
            "difference_se": math.hypot(binomial_se(bh, n), binomial_se(sep_acc, scored)),
            "sep_fpr": sep_fpr,
            "matched_threshold": matched,
            "bh_matched_accuracy": float(matched_correct[m].mean()) if n else math.nan,
        }
        if weights is not None:
            w = weights * m
            bh_draws = _accuracy(bh_correct, np.ones_like(m), w)
            sep_draws = _accuracy(sep_correct, sep_scored, w)
            row.update(
                bh_se_galaxies=_draw_std(bh_draws),
                sep_se_galaxies=_draw_std(sep_draws),
                difference_se_galaxies=_draw_std(bh_draws - sep_draws),
            )
        rows.append(row)
    return pd.DataFrame(rows).reindex(columns=list(COLUMNS))


SUMMARY_COLUMNS = (
    "dataset", "train_sigma", "subset", "n_realisations", "n", "bh_accuracy", "bh_spread",
    "sep_failed", "sep_accuracy", "sep_se", "sep_accuracy_failures_counted",
    "difference", "difference_se", "difference_failures_counted", "difference_failures_counted_se",
    "sep_fpr", "bh_matched_accuracy", "matched_difference", "matched_difference_se",
    "difference_se_galaxies", "difference_se_one_model", "matched_difference_se_one_model",
)  # fmt: skip


def _spread(values: pd.Series) -> float:
    return float(values.std(ddof=1)) if len(values) > 1 else 0.0


def combined_se(variance: float, spread: float, models: int, other_se: float = 0.0) -> float:
    """The s.e. of a mean over `models` heads minus another method: the heads' binomial
    variance on the shared stamps, their spread between realisations / sqrt(models), the
    other method's s.e.; in quadrature. models=1: one head's."""
    return math.sqrt(variance + spread**2 / models + other_se**2)


def summarise(table: pd.DataFrame) -> pd.DataFrame:
    """Per dataset x training noise level x subset: means over realisations, each
    difference's uncertainty for that mean (`combined_se`; the galaxy-bootstrap one for
    the realistic set: its bootstrap s.e. of the paired difference with spread / sqrt(R)),
    and one head's beside it (`*_one_model`)."""
    rows = []
    for (dataset, sigma, subset), g in table.groupby(["dataset", "train_sigma", "subset"], sort=False):
        models = len(g)
        bh_var = float(np.mean(g["bh_se"] ** 2))
        spread, matched_spread = _spread(g["bh_accuracy"]), _spread(g["bh_matched_accuracy"])
        sep_se = float(g["sep_se"].mean())
        sep_counted = float(g["sep_accuracy_failures_counted"].mean())
        counted_se = float(g["sep_se_failures_counted"].mean())
        bh = float(g["bh_accuracy"].mean())
        matched = float(g["bh_matched_accuracy"].mean())
        sep = float(g["sep_accuracy"].mean())
        boot = g["difference_se_galaxies"].dropna()
        rows.append(
            {
                "dataset": dataset,
                "train_sigma": sigma,
                "subset": subset,
                "n_realisations": models,
                "n": int(g["n"].mean()),
                "bh_accuracy": bh,
                "bh_spread": spread,
                "sep_failed": float(g["sep_failed"].mean()),
                "sep_accuracy": sep,
                "sep_se": sep_se,
                "sep_accuracy_failures_counted": sep_counted,
                "difference": bh - sep,
                "difference_se": combined_se(bh_var, spread, models, sep_se),
                "difference_failures_counted": bh - sep_counted,
                "difference_failures_counted_se": combined_se(bh_var, spread, models, counted_se),
                "sep_fpr": float(g["sep_fpr"].mean()),
                "bh_matched_accuracy": matched,
                "matched_difference": matched - sep,
                "matched_difference_se": combined_se(bh_var, matched_spread, models, sep_se),
                "difference_se_galaxies": (
                    combined_se(float(np.mean(boot**2)), spread, models) if len(boot) else math.nan
                ),
                "difference_se_one_model": combined_se(bh_var, spread, 1, sep_se),
                "matched_difference_se_one_model": combined_se(bh_var, matched_spread, 1, sep_se),
            }
        )
    return pd.DataFrame(rows).reindex(columns=list(SUMMARY_COLUMNS))


def paired_accuracy_difference(reference: pd.DataFrame, variant: pd.DataFrame) -> pd.DataFrame:
    """A feature variant (e.g. a reduced precision) against the reference on the same
    stamps: per (dataset, train_sigma, subset), mean accuracies over realisations, their
    difference, and its combined s.e. -- both binomial s.e.s (on n stamps per head) and
    the spread between realisations of the per-realisation difference (std / sqrt(R)),
    in quadrature. `reference` and `variant`: BlendHunter rows of the accuracy tables
    (dataset, train_sigma, realisation, subset, accuracy, n)."""
    keys = ["dataset", "train_sigma", "subset"]
    both = reference.merge(variant, on=[*keys, "realisation"], suffixes=("_ref", "_var"))
    rows = []
    for key, group in both.groupby(keys, sort=True):
        ref, var = group["accuracy_ref"].mean(), group["accuracy_var"].mean()
        n = group["n_ref"].mean()
        difference = group["accuracy_var"] - group["accuracy_ref"]
        variance = binomial_se(ref, n) ** 2 + binomial_se(var, n) ** 2
        se = combined_se(variance, _spread(difference), len(group))
        rows.append(
            dict(zip(keys, key, strict=True))
            | {"realisations": len(group), "n": n, "reference": ref, "variant": var}
            | {"difference": var - ref, "difference_se": se}
        )
    return pd.DataFrame(rows)
