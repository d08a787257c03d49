"""Centring as a measured axis (rule centring_table): SEP and the heads at the realistic
set's nearest noise level on the same galaxies drawn 0, r1, r2, ... px off the centre
pixel (0: the realistic set's own first stamps).

One row per offset, method and reported subset: accuracy (isolated: the share kept
isolated; close and distant: the share found) as the mean over the heads' realisations
with their spread, and the binomial standard error on the stamps scored; SEP's failures
are left out of its accuracy and counted (n_failed), as everywhere else.
"""

from __future__ import annotations

import pandas as pd

from blendhunter.evaluation import metrics
from blendhunter.evaluation.comparison import binomial_se

COLUMNS = ["radius", "method", "subset", "n_heads", "n", "n_failed", "accuracy_mean", "accuracy_std", "se"]


def offset_rows(
    truth: pd.DataFrame, predictions: dict, radius: float, close_separation: float
) -> pd.DataFrame:
    """Every subset of one offset's stamps: `predictions` maps (method, realisation) to
    labels aligned with `truth` (SEP: realisation None)."""
    rows = [
        metrics.evaluate(truth, predicted, close_separation, radius=radius, method=method, realisation=r)
        for (method, r), predicted in predictions.items()
    ]
    return pd.concat(rows, ignore_index=True)


def centring_table(rows: pd.DataFrame) -> pd.DataFrame:
    """Mean, spread over heads and binomial s.e. per offset, method and reported subset."""
    rows = rows[rows["subset"].isin(metrics.REPORTED_SUBSETS)]
    grouped = rows.groupby(["radius", "method", "subset"], sort=False)
    table = grouped.agg(
        n_heads=("accuracy", "size"),
        n=("n", "mean"),
        n_failed=("n_failed", "mean"),
        accuracy_mean=("accuracy", "mean"),
        accuracy_std=("accuracy", "std"),
    ).reset_index()
    scored = table["n"] - table["n_failed"]
    table["se"] = [binomial_se(a, s) for a, s in zip(table["accuracy_mean"], scored, strict=True)]
    table["accuracy_std"] = table["accuracy_std"].fillna(0.0)
    return table.sort_values(["method", "radius"], kind="stable")[COLUMNS].reset_index(drop=True)


def isolated_kept(table: pd.DataFrame, radius: float, method: str = "blendhunter") -> tuple[float, float]:
    """(share of isolated galaxies kept isolated, its s.e.) at one offset."""
    row = table[(table["radius"] == radius) & (table["method"] == method) & (table["subset"] == "isolated")]
    if row.empty:
        return float("nan"), float("nan")
    return float(row["accuracy_mean"].iloc[0]), float(row["se"].iloc[0])
