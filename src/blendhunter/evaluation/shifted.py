"""Shifted test sets (rules centring_table, psf_shift_table): SEP and the models at the
realistic set's nearest noise level on the same galaxies with one thing changed -- the
centring (the central galaxy `radius` px off the centre pixel) or the PSF (a named
`variant`). The unshifted reference is the realistic set's own first stamps (radius 0,
variant "recipe").

One row per shift, method and reported subset: accuracy (isolated: the share kept
isolated; close and distant: the share found) as the mean over the models' realisations
with their spread, the binomial standard error on the stamps scored, and (subset "all",
models only) the AUC's mean and spread; SEP's failures are left out of its accuracy and
counted (n_failed), as everywhere else.
"""

from __future__ import annotations

import pandas as pd

from blendhunter.evaluation.comparison import binomial_se
from blendhunter.evaluation.metrics import subset_rows

# Each axis: the column naming a shift, and the unshifted reference's value in it
AXES = {"centring": ("radius", 0.0), "psf_shift": ("variant", "recipe")}
STATS = ["n_heads", "n", "n_failed", "accuracy_mean", "accuracy_std", "se", "auc_mean", "auc_std"]


def shift_value(axis: str, shift: str):
    """A {shift} label's value in its axis' column: r2 -> 2.0, psf-kolmogorov -> 'kolmogorov'."""
    from blendhunter.workflow.layout import CENTRING_SHIFT, PSF_SHIFT

    if axis == "centring":
        return float(shift.removeprefix(CENTRING_SHIFT))
    return shift.removeprefix(PSF_SHIFT)


def shift_rows(truth: pd.DataFrame, files: dict, close_separation: float, **ids) -> pd.DataFrame:
    """Every reported subset of one shift's stamps: `files` maps (method, realisation) to a
    predictions file (SEP's labels: realisation None, no AUC)."""
    rows = [
        subset_rows(truth, path, close_separation, method != "sep", method=method, realisation=r, **ids)
        for (method, r), path in files.items()
    ]
    return pd.concat(rows, ignore_index=True)


def shift_table(rows: pd.DataFrame, key: str) -> pd.DataFrame:
    """Mean, spread over models and binomial s.e. per shift (`key`), method and subset."""
    grouped = rows.groupby([key, "method", "subset"], sort=False)
    table = grouped.agg(
        n_heads=("accuracy", "size"),
        n=("n", "mean"),
        n_failed=("n_failed", "mean"),
        accuracy_mean=("accuracy", "mean"),
        accuracy_std=("accuracy", "std"),
        auc_mean=("auc", "mean"),
        auc_std=("auc", "std"),
    ).reset_index()
    scored = table["n"] - table["n_failed"]
    table["se"] = [binomial_se(a, s) for a, s in zip(table["accuracy_mean"], scored, strict=True)]
    table["accuracy_std"] = table["accuracy_std"].fillna(0.0)
    table.loc[table["auc_mean"].notna(), "auc_std"] = table["auc_std"].fillna(0.0)
    return table[[key, "method", "subset", *STATS]].reset_index(drop=True)


def isolated_kept(table: pd.DataFrame, value, method: str = "blendhunter", key: str = "radius"):
    """(share of isolated galaxies kept isolated, its s.e.) at one shift."""
    row = table[(table[key] == value) & (table["method"] == method) & (table["subset"] == "isolated")]
    if row.empty:
        return float("nan"), float("nan")
    return float(row["accuracy_mean"].iloc[0]), float(row["se"].iloc[0])


def worst_shift(table: pd.DataFrame, method: str = "blendhunter") -> dict:
    """Across the shifted sets (the reference left out): the lowest mean AUC and the highest
    isolated false-positive rate (1 - isolated kept), each with its variant and the larger
    of spread and binomial s.e.; and the reference's rate on the same galaxies."""
    key, reference = AXES["psf_shift"]
    rows = table[(table["method"] == method) & (table[key] != reference)]
    auc = rows[rows["subset"] == "all"].sort_values("auc_mean").iloc[0]
    isolated = rows[rows["subset"] == "isolated"].sort_values("accuracy_mean").iloc[0]
    kept, _ = isolated_kept(table, reference, method, key)
    return {
        "reference_fpr": 1 - kept,
        "auc": float(auc["auc_mean"]),
        "auc_std": float(auc["auc_std"]),
        "auc_variant": auc[key],
        "fpr": 1 - float(isolated["accuracy_mean"]),
        "fpr_se": max(float(isolated["accuracy_std"]), float(isolated["se"])),
        "fpr_variant": isolated[key],
    }
