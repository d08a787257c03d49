"""Learning curve: heads trained on nested subsets of one set's training split.

Every point reuses the set's cached features (no new extraction: training cost only).
The subsets are nested by construction: one seeded permutation of the training split,
and each size takes its first n stamps. The validation split is kept whole, so early
stopping and the best-weights choice see the same data at every size.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from blendhunter.evaluation.metrics import REPORTED_SUBSETS
from blendhunter.simulation import seeds

COLUMNS = ("method", "dataset", "n_train", "subset", "accuracy", "tpr", "tnr", "n")


NEAR_FULL = 0.8  # a subset this close to the whole split is replaced by the split


def sizes(requested, n_train: int) -> list[int]:
    """The configured sizes, capped at the training split's size, without repeats.

    A size above NEAR_FULL x n_train becomes n_train: a point that close to the whole
    split costs a training and says nothing new (1,000 of 1,125 stamps).
    """
    return sorted({n_train if int(n) > NEAR_FULL * n_train else int(n) for n in requested})


def nested_subset(n_train: int, n: int, seed: int, sigma: float, realisation: int) -> np.ndarray:
    """Positions (into the training split) of the first n stamps of one fixed permutation."""
    rng = seeds.generator(seed, seeds.LEARNING_CURVE, seeds.sigma_key(sigma), realisation)
    return np.sort(rng.permutation(n_train)[:n])


def point_rows(metrics: pd.DataFrame, n_train: int) -> pd.DataFrame:
    """One learning-curve point from a metrics table (metrics.set_metrics's layout)."""
    rows = metrics[metrics["subset"].isin(REPORTED_SUBSETS)].copy()
    rows["n_train"] = n_train
    return rows


def table(points: list[pd.DataFrame]) -> pd.DataFrame:
    """BlendHunter's rows per size; SEP's once per dataset (n_train empty), as reference."""
    frame = pd.concat(points, ignore_index=True)
    bh = frame[frame["method"] == "blendhunter"]
    sep = frame[frame["method"] == "sep"].drop_duplicates(["dataset", "subset"]).assign(n_train=pd.NA)
    out = pd.concat([bh, sep], ignore_index=True)
    keep = [c for c in COLUMNS if c in out] + ["train_sigma", "realisation"]
    return out[keep].sort_values(["method", "dataset", "n_train", "subset"], kind="stable")
