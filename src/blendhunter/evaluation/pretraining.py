"""The pre-training ablation's table (rule pretraining_table): heads on ImageNet vs
randomly initialised VGG-16 features, on the same stamps, splits and head seeds at
the noise level nearest the realistic one -- accuracy per subset and AUC on the
parametric test splits and on the first pretraining.realistic_stamps stamps of the
realistic set, SEP on the same stamps.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from blendhunter.evaluation import metrics
from blendhunter.evaluation.metrics import subset_rows
from blendhunter.simulation.splits import members
from blendhunter.simulation.stamps import read_meta

# Per set (sigma, realisation): the inputs the table reads
SET_INPUTS = (
    "parametric_sets",
    "imagenet_test",
    "imagenet_realistic",
    "random_test",
    "random_realistic",
    "sep_test",
)
COLUMNS = ["weights", "dataset", "train_sigma", "realisation", "subset", "accuracy", "tpr", "tnr", "n", "auc"]


def truth_of(stamps, split: str | None = None, first: int | None = None) -> pd.DataFrame:
    """Truth of a set's `split`, or of its first `first` stamps (the realistic subset)."""
    meta = read_meta(stamps)
    if split is not None:
        return metrics.truth_frame(meta, members(meta, split))
    return metrics.truth_frame(meta, np.arange(min(first or len(meta), len(meta))))


def ablation_table(
    sets: Mapping[tuple[str, int], Mapping[str, str]],
    realistic_set,
    sep_realistic,
    realistic_stamps: int | None,
    close: float,
) -> pd.DataFrame:
    """The table: `sets` maps (sigma label, realisation) to its SET_INPUTS paths."""
    realistic = truth_of(realistic_set, first=realistic_stamps)
    frames = []
    for (sigma, r), paths in sets.items():
        test = truth_of(paths["parametric_sets"], "test")
        for weights in ("imagenet", "random"):
            ids = {"weights": weights, "train_sigma": float(sigma), "realisation": r}
            frames.append(subset_rows(test, paths[f"{weights}_test"], close, dataset="parametric", **ids))
            frames.append(
                subset_rows(realistic, paths[f"{weights}_realistic"], close, dataset="realistic", **ids)
            )
        ids = {"weights": "sep", "train_sigma": float(sigma), "realisation": r}
        frames.append(subset_rows(test, paths["sep_test"], close, scored=False, dataset="parametric", **ids))
    ids = {"weights": "sep", "train_sigma": math.nan, "realisation": pd.NA, "dataset": "realistic"}
    frames.append(subset_rows(realistic, sep_realistic, close, scored=False, **ids))
    table = pd.concat(frames, ignore_index=True)
    table["realisation"] = pd.array(table["realisation"], dtype="Int64")
    return table[COLUMNS]
