"""Accuracy, true-positive and true-negative rates per subset (paper Sect. 4).

Labels are encoded 1 (blended), 0 (isolated), NaN (SEP failure). For a set
of stamps with truth t and prediction p:

- accuracy = correct / (stamps with a label): failures are left out of the
  denominator and counted in `n_failed` (BlendHunter never fails);
- tpr = blends called blends / blends with a label (NaN without blends);
- tnr = isolated called isolated / isolated with a label (NaN without any).

Subsets (ALL_SUBSETS; summaries report REPORTED_SUBSETS), for one test set:

- all; close (blends with separation < close_separation); distant (>=);
  isolated;
- close_paired, distant_paired: the two samples of the paper's Fig. 6. The
  close blends with as many isolated stamps, namely the *first* N isolated
  stamps by stamp index (N = number of close blends; labels are assigned to
  indices by a seeded random permutation, so this is a random sample that
  every method shares); the distant blends with the remaining isolated.

`n` counts every stamp of the subset, failures included; `n_failed` the SEP
failures among them; tp, fn, tn, fp the confusion counts over labelled stamps.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from blendhunter.evaluation import scores
from blendhunter.io import atomic_path, reading

REPORTED_SUBSETS = ("all", "close", "distant", "isolated")  # the subsets every summary reports
ALL_SUBSETS = (*REPORTED_SUBSETS, "close_paired", "distant_paired")
METHODS = ("blendhunter", "sep")
DATASETS = ("parametric", "realistic")
RATE_COLUMNS = ("accuracy", "tpr", "tnr", "n", "n_failed", "tp", "fn", "tn", "fp")
ID_COLUMNS = ("method", "dataset", "train_sigma", "test_sigma", "realisation", "subset")
METRIC_COLUMNS = (*ID_COLUMNS, *RATE_COLUMNS, "gain_vs_sep")
SEPARATION_COLUMNS = (
    "method", "dataset", "train_sigma", "realisation",
    "bin_lo", "bin_hi", "bin_centre", "n", "n_failed", "n_correct", "accuracy",
)  # fmt: skip
COMPANION_COLUMNS = ("quantity", *SEPARATION_COLUMNS)
LABEL_CODES = {"blended": 1.0, "isolated": 0.0}


def encode(labels) -> np.ndarray:
    """'blended' -> 1, 'isolated' -> 0, empty / NaN (a SEP failure) -> NaN."""
    series = pd.Series(labels, dtype="object").fillna("")
    unknown = set(series.unique()) - set(LABEL_CODES) - {""}
    if unknown:
        raise ValueError(f"unknown labels {sorted(map(str, unknown))}; expected blended, isolated or empty")
    return series.map(LABEL_CODES).astype(float).to_numpy()


def truth_frame(meta: pd.DataFrame, indices=None) -> pd.DataFrame:
    """Truth of stamps `indices` (all if None), sorted by index: truth (0/1), separation."""
    if indices is None:
        indices = np.arange(len(meta))
    indices = np.sort(np.asarray(indices, dtype=int))
    rows = meta.iloc[indices]
    return pd.DataFrame(
        {"truth": rows["label"].to_numpy().astype(int), "separation": rows["separation"].to_numpy()},
        index=pd.Index(indices, name="index"),
    )


def aligned_rows(truth: pd.DataFrame, table: pd.DataFrame, what: str) -> pd.DataFrame:
    """The rows of `table` (a column index) in the order of `truth`.

    The two must cover exactly the same stamps: a prediction file for the wrong
    split or set is an error, not something to average over.
    """
    frame = table.set_index("index")
    if frame.index.has_duplicates:
        raise ValueError(f"{what}: duplicate stamp indices")
    expected, got = set(truth.index), set(frame.index)
    if expected != got:
        missing, extra = sorted(expected - got)[:5], sorted(got - expected)[:5]
        raise ValueError(
            f"{what}: covers {len(got)} stamps, the set {len(expected)}; "
            f"missing e.g. {missing}, unexpected e.g. {extra}"
        )
    return frame.loc[truth.index]


def align(truth: pd.DataFrame, labels: pd.DataFrame, what: str) -> np.ndarray:
    """Encoded labels of `labels` (columns index, label) in the order of `truth`."""
    return encode(aligned_rows(truth, labels, what)["label"].to_numpy())


def subset_masks(truth: pd.DataFrame, close_separation: float) -> dict[str, np.ndarray]:
    """Boolean masks (in the order of `truth`, sorted by index) of every subset."""
    label = truth["truth"].to_numpy()
    separation = truth["separation"].to_numpy()
    blends = label == 1
    close = blends & (separation < close_separation)
    distant = blends & (separation >= close_separation)
    isolated = ~blends
    paired = np.zeros_like(isolated)
    iso_positions = np.flatnonzero(isolated)  # sorted by stamp index
    paired[iso_positions[: int(close.sum())]] = True
    return {
        "all": np.ones_like(blends),
        "close": close,
        "distant": distant,
        "isolated": isolated,
        "close_paired": close | paired,
        "distant_paired": distant | (isolated & ~paired),
    }


def _ratio(num: int, den: int) -> float:
    return num / den if den else math.nan


def rates(truth, predicted) -> dict:
    """accuracy, tpr, tnr, n, n_failed and confusion counts of one set of stamps."""
    truth = np.asarray(truth, dtype=int)
    predicted = np.asarray(predicted, dtype=float)
    valid = ~np.isnan(predicted)
    t, p = truth[valid], predicted[valid]
    tp = int(np.sum((t == 1) & (p == 1)))
    fn = int(np.sum((t == 1) & (p == 0)))
    tn = int(np.sum((t == 0) & (p == 0)))
    fp = int(np.sum((t == 0) & (p == 1)))
    return {
        "accuracy": _ratio(tp + tn, int(valid.sum())),
        "tpr": _ratio(tp, tp + fn),
        "tnr": _ratio(tn, tn + fp),
        "n": int(len(truth)),
        "n_failed": int((~valid).sum()),
        "tp": tp,
        "fn": fn,
        "tn": tn,
        "fp": fp,
    }


def evaluate(truth: pd.DataFrame, predicted: np.ndarray, close_separation: float, **ids) -> pd.DataFrame:
    """One row per subset: `ids` (method, dataset, ...) then the rates."""
    masks = subset_masks(truth, close_separation)
    label = truth["truth"].to_numpy()
    rows = [{**ids, "subset": name, **rates(label[mask], predicted[mask])} for name, mask in masks.items()]
    return pd.DataFrame(rows)


def add_gain(metrics: pd.DataFrame) -> pd.DataFrame:
    """gain_vs_sep: BlendHunter accuracy minus SEP's on the same dataset and subset.

    Parametric rows are compared with SEP on the same (sigma, realisation)
    set; realistic rows with the single SEP run on the realistic set. A
    difference of fractions (x100: percentage points); NaN on SEP rows.
    """
    out = metrics.copy()
    sep_rows = out[out["method"] == "sep"]
    keys = {
        "parametric": ["dataset", "train_sigma", "realisation", "subset"],
        "realistic": ["dataset", "subset"],
    }
    gain = pd.Series(np.nan, index=out.index)
    for dataset, on in keys.items():
        bh = out[(out["method"] == "blendhunter") & (out["dataset"] == dataset)]
        ref = sep_rows[sep_rows["dataset"] == dataset].drop_duplicates(on)
        if bh.empty or ref.empty:
            continue
        merged = bh[on].reset_index().merge(ref[[*on, "accuracy"]], on=on, how="left").set_index("index")
        gain.loc[merged.index] = bh["accuracy"] - merged["accuracy"]
    out["gain_vs_sep"] = gain
    return out


def set_metrics(
    *,
    parametric_truth: pd.DataFrame,
    realistic_truth: pd.DataFrame,
    predictions: dict,
    sigma: float,
    realisation: int,
    realistic_sigma: float,
    close_separation: float,
) -> pd.DataFrame:
    """The metrics file of one (sigma, realisation) training set.

    `predictions` maps (method, dataset) to encoded labels aligned on the
    truth frames. Rows of SEP on the realistic set (the same in every file)
    have train_sigma and realisation empty.
    """
    truths = {"parametric": parametric_truth, "realistic": realistic_truth}
    frames = []
    for (method, dataset), predicted in predictions.items():
        trained = not (method == "sep" and dataset == "realistic")
        ids = {
            "method": method,
            "dataset": dataset,
            "train_sigma": float(sigma) if trained else math.nan,
            "test_sigma": float(sigma) if dataset == "parametric" else float(realistic_sigma),
            "realisation": realisation if trained else pd.NA,
        }
        frames.append(evaluate(truths[dataset], predicted, close_separation, **ids))
    metrics = add_gain(pd.concat(frames, ignore_index=True))
    return tidy(metrics)


def tidy(metrics: pd.DataFrame) -> pd.DataFrame:
    """Column order, dtypes (realisation nullable int) and a stable row order."""
    out = metrics.copy()
    out["realisation"] = pd.array(out["realisation"], dtype="Int64")
    out["train_sigma"] = out["train_sigma"].astype(float)
    order = {
        "method": {m: i for i, m in enumerate(METHODS)},
        "dataset": {d: i for i, d in enumerate(DATASETS)},
        "subset": {s: i for i, s in enumerate(ALL_SUBSETS)},
    }
    sort_keys = ["dataset", "method", "train_sigma", "realisation", "subset"]
    out = out.sort_values(
        sort_keys,
        key=lambda col: col.map(order[col.name]) if col.name in order else col,
        na_position="first",
        kind="stable",
    )
    columns = [c for c in METRIC_COLUMNS if c in out] + [c for c in out if c not in METRIC_COLUMNS]
    return out[columns].reset_index(drop=True)


def write_csv(frame: pd.DataFrame, path) -> None:
    """A CSV table, written atomically; floats to 6 significant digits."""
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False, float_format="%.6g")


def read_labels(path) -> pd.DataFrame:
    """A predictions or SEP file (columns index, label, ...); empty labels are NaN."""
    with reading(path, "a predictions or SEP labels table"):
        table = pd.read_csv(path, dtype={"label": "object"})
        missing = {"index", "label"} - set(table.columns)
        if missing or not pd.api.types.is_integer_dtype(table["index"]):
            raise ValueError(f"columns index (integers) and label expected, got {list(table.columns)}")
    return table


def read_metrics(paths) -> pd.DataFrame:
    frames = [pd.read_csv(p, dtype={"realisation": "Int64"}) for p in paths]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(METRIC_COLUMNS))


def accuracy_table(metrics: pd.DataFrame, dataset: str) -> pd.DataFrame:
    """Rows of one dataset from every metrics file; SEP on the realistic set once."""
    rows = metrics[metrics["dataset"] == dataset]
    if dataset == "realistic":
        sep_rows = rows[rows["method"] == "sep"]
        unique = sep_rows.drop_duplicates(["subset"])
        check = sep_rows.drop_duplicates(["subset", "accuracy", "tpr", "tnr", "n", "n_failed"])
        if len(check) != len(unique):
            raise ValueError("the metrics files disagree on SEP's realistic results: rerun them")
        rows = pd.concat([rows[rows["method"] != "sep"], unique])
    return tidy(rows)


def summarise(metrics: pd.DataFrame, keys=("method", "dataset", "subset")) -> pd.DataFrame:
    """Mean and sample std (ddof=1) over realisations of accuracy, tpr, tnr, gain_vs_sep."""
    values = ["accuracy", "tpr", "tnr", "gain_vs_sep"]
    grouped = metrics.groupby(list(keys), dropna=False, sort=False)
    out = grouped[values].agg(["mean", "std"])
    out.columns = [f"{name}_{stat}" for name, stat in out.columns]
    out.insert(0, "n_realisations", grouped.size())
    out["n_mean"] = grouped["n"].mean()
    out["n_failed_mean"] = grouped["n_failed"].mean()
    return out.reset_index()


def sigma_summary(metrics: pd.DataFrame, sigma: float) -> pd.DataFrame:
    """Per noise level: mean, std over realisations per method x dataset x subset."""
    out = summarise(metrics)
    out.insert(0, "sigma", float(sigma))
    return out


def separation_bins(bin_width: float, max_separation: float) -> np.ndarray:
    """Bin edges 0, w, 2w, ... covering max_separation."""
    n = max(1, math.ceil(max_separation / bin_width))
    return np.arange(n + 1) * float(bin_width)


def accuracy_vs_separation(
    truth: pd.DataFrame, predicted: np.ndarray, edges: np.ndarray, **ids
) -> pd.DataFrame:
    """Accuracy on blends per separation bin [lo, hi) (failures left out, counted)."""
    return accuracy_in_bins(truth, predicted, truth["separation"].to_numpy(), edges, **ids)


def accuracy_in_bins(
    truth: pd.DataFrame, predicted: np.ndarray, values: np.ndarray, edges: np.ndarray, **ids
) -> pd.DataFrame:
    """Accuracy on blends per bin [lo, hi) of `values` (one per truth row; failures left out, counted)."""
    blends = truth["truth"].to_numpy() == 1
    values = np.asarray(values, dtype=float)[blends]
    predicted = np.asarray(predicted, dtype=float)[blends]
    which = np.digitize(values, edges) - 1
    rows = []
    for b in range(len(edges) - 1):
        in_bin = which == b
        p = predicted[in_bin]
        valid = ~np.isnan(p)
        correct = int(np.sum(p[valid] == 1))
        rows.append(
            {
                **ids,
                "bin_lo": edges[b],
                "bin_hi": edges[b + 1],
                "bin_centre": 0.5 * (edges[b] + edges[b + 1]),
                "n": int(in_bin.sum()),
                "n_failed": int((~valid).sum()),
                "n_correct": correct,
                "accuracy": _ratio(correct, int(valid.sum())),
            }
        )
    return pd.DataFrame(rows)


# Companion brightness bins: its noiseless peak over the test noise sigma, and over
# the central galaxy's peak (what the per-stamp PNG scaling sees).
COMPANION_BINS = {
    "companion_snr": np.array([0, 3, 5, 10, 20, np.inf]),
    "peak_ratio": np.array([0, 0.03, 0.1, 0.3, 1, np.inf]),
}


def companion_values(meta: pd.DataFrame, truth: pd.DataFrame, test_sigma: float) -> dict[str, np.ndarray]:
    """Per truth row: the companion's peak S/N and its peak relative to the central galaxy's."""
    rows = meta.iloc[truth.index.to_numpy()]
    peak1, peak2 = rows["peak1"].to_numpy(float), rows["peak2"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return {"companion_snr": peak2 / float(test_sigma), "peak_ratio": peak2 / peak1}


def accuracy_vs_companion(meta, truth, predicted, test_sigma: float, **ids) -> pd.DataFrame:
    """accuracy_in_bins for each companion quantity (column `quantity`)."""
    values = companion_values(meta, truth, test_sigma)
    frames = [
        accuracy_in_bins(truth, predicted, values[q], edges, quantity=q, **ids)
        for q, edges in COMPANION_BINS.items()
    ]
    return pd.concat(frames, ignore_index=True)


def nearest_sigma(sigmas, target: float) -> str:
    """The sigma label closest to `target` (ties: the smaller)."""
    return min(sigmas, key=lambda s: (abs(float(s) - float(target)), float(s)))


def predicted_rows(truth: pd.DataFrame, path) -> pd.DataFrame:
    """The rows of a predictions (or SEP labels) file for the stamps of `truth`, in its order."""
    table = read_labels(path)
    return aligned_rows(truth, table[table["index"].isin(truth.index)], str(path))


def subset_rows(truth: pd.DataFrame, path, close: float, scored: bool = True, **ids) -> pd.DataFrame:
    """Accuracy per reported subset (and AUC on 'all', for scored predictions) of one file."""
    frame = predicted_rows(truth, path)
    table = evaluate(truth, encode(frame["label"].to_numpy()), close, **ids)
    table = table[table["subset"].isin(REPORTED_SUBSETS)].copy()
    auc = math.nan
    if scored:
        auc = scores.auc(truth["truth"].to_numpy(), scores.ranking(frame))
    table["auc"] = [auc if s == "all" else math.nan for s in table["subset"]]
    return table
