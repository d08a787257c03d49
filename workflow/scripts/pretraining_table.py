"""Rule pretraining_table: heads on ImageNet vs randomly initialised VGG-16 features.

The same stamps, splits and head seeds at the noise level nearest the realistic one:
accuracy per subset and AUC on the parametric test splits and the realistic set, SEP
on the same stamps as a reference.
"""

import math

import pandas as pd

from blendhunter import metrics, plots, scores
from blendhunter.logs import run

SUBSETS = ("all", "close", "distant", "isolated")
COLUMNS = ("weights", "dataset", "train_sigma", "realisation", "subset", "accuracy", "tpr", "tnr", "n", "auc")


def rows(stamps, predictions, split, close, **ids):
    """Accuracy per subset (and AUC on 'all', for scored predictions) of one file."""
    truth_values, p, truth = scores.read_scores(stamps, predictions, split)
    labels = metrics.align(truth, metrics.read_labels(predictions), str(predictions))
    table = metrics.evaluate(truth, labels, close, **ids)
    table = table[table["subset"].isin(SUBSETS)].copy()
    table["auc"] = [scores.auc(truth_values, p) if s == "all" else math.nan for s in table["subset"]]
    return table


def sep_rows(stamps, labels_path, split, close, **ids):
    from blendhunter.simulate import SPLIT_CODES
    from blendhunter.stamps import read_meta

    meta = read_meta(stamps)
    indices = None if split is None else meta.index[meta["split"] == SPLIT_CODES[split]]
    truth = metrics.truth_frame(meta, indices)
    labels = metrics.align(truth, metrics.read_labels(labels_path), str(labels_path))
    table = metrics.evaluate(truth, labels, close, **ids)
    return table[table["subset"].isin(SUBSETS)].assign(auc=math.nan)


def main(smk):
    inp, close, sigma = smk.input, float(smk.params.close_separation), float(smk.params.sigma)
    frames = []
    for i, r in enumerate(smk.params.realisations):
        for weights, test, realistic in (
            ("imagenet", inp.imagenet_test[i], inp.imagenet_realistic[i]),
            ("random", inp.random_test[i], inp.random_realistic[i]),
        ):
            ids = {"weights": weights, "train_sigma": sigma, "realisation": r}
            frames.append(rows(inp.parametric_sets[i], test, "test", close, dataset="parametric", **ids))
            frames.append(rows(inp.realistic_set, realistic, None, close, dataset="realistic", **ids))
        ids = {"weights": "sep", "train_sigma": sigma, "realisation": r}
        frames.append(
            sep_rows(inp.parametric_sets[i], inp.sep_test[i], "test", close, dataset="parametric", **ids)
        )
    ids = {"weights": "sep", "train_sigma": math.nan, "realisation": pd.NA, "dataset": "realistic"}
    frames.append(sep_rows(inp.realistic_set, inp.sep_realistic, None, close, **ids))
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
