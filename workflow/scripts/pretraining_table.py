"""Rule pretraining_table: heads on ImageNet vs randomly initialised VGG-16 features.

The same stamps, splits and head seeds at the noise level nearest the realistic one:
accuracy per subset and AUC on the parametric test splits and on the first
pretraining.realistic_stamps stamps of the realistic set, SEP on the same stamps.
"""

import math

import numpy as np
import pandas as pd

from blendhunter import metrics, plots, scores
from blendhunter.logs import run
from blendhunter.splits import SPLIT_CODES
from blendhunter.stamps import read_meta

SUBSETS = metrics.REPORTED_SUBSETS


def truth_of(stamps, split=None, first=None):
    """Truth of a set's `split`, or of its first `first` stamps (the realistic subset)."""
    meta = read_meta(stamps)
    if split is not None:
        return metrics.truth_frame(meta, meta.index[meta["split"] == SPLIT_CODES[split]])
    return metrics.truth_frame(meta, np.arange(min(first or len(meta), len(meta))))


def predicted(truth, path):
    """The rows of a predictions (or SEP labels) file for the stamps of `truth`, in its order."""
    table = metrics.read_labels(path)
    return metrics.aligned_rows(truth, table[table["index"].isin(truth.index)], str(path))


def rows(truth, path, close, scored=True, **ids):
    """Accuracy per subset (and AUC on 'all', for scored predictions) of one file."""
    frame = predicted(truth, path)
    table = metrics.evaluate(truth, metrics.encode(frame["label"].to_numpy()), close, **ids)
    table = table[table["subset"].isin(SUBSETS)].copy()
    auc = math.nan
    if scored:
        auc = scores.auc(truth["truth"].to_numpy(), frame["p_blend"].to_numpy(dtype=float))
    table["auc"] = [auc if s == "all" else math.nan for s in table["subset"]]
    return table


def main(smk):
    inp, close, sigma = smk.input, float(smk.params.close_separation), float(smk.params.sigma)
    realistic = truth_of(inp.realistic_set, first=smk.params.realistic_stamps)
    frames = []
    for i, r in enumerate(smk.params.realisations):
        test = truth_of(inp.parametric_sets[i], "test")
        for weights, test_path, realistic_path in (
            ("imagenet", inp.imagenet_test[i], inp.imagenet_realistic[i]),
            ("random", inp.random_test[i], inp.random_realistic[i]),
        ):
            ids = {"weights": weights, "train_sigma": sigma, "realisation": r}
            frames.append(rows(test, test_path, close, dataset="parametric", **ids))
            frames.append(rows(realistic, realistic_path, close, dataset="realistic", **ids))
        ids = {"weights": "sep", "train_sigma": sigma, "realisation": r}
        frames.append(rows(test, inp.sep_test[i], close, scored=False, dataset="parametric", **ids))
    ids = {"weights": "sep", "train_sigma": math.nan, "realisation": pd.NA, "dataset": "realistic"}
    frames.append(rows(realistic, inp.sep_realistic, close, scored=False, **ids))
    table = pd.concat(frames, ignore_index=True)
    table["realisation"] = pd.array(table["realisation"], dtype="Int64")
    columns = [
        "weights",
        "dataset",
        "train_sigma",
        "realisation",
        "subset",
        "accuracy",
        "tpr",
        "tnr",
        "n",
        "auc",
    ]
    metrics.write_csv(table[columns], smk.output.table)
    plots.save(plots.pretraining(table, sigma), [smk.output.png, smk.output.pdf])


run(main, snakemake)  # noqa: F821
