"""Rule separation_table: accuracy on blends per separation bin (Fig. 3).

Every (sigma, realisation) parametric test split and every BlendHunter head on
the realistic set, with SEP on the same stamps.
"""

import math

import pandas as pd

from blendhunter import metrics
from blendhunter.logs import run
from blendhunter.splits import SPLIT_CODES
from blendhunter.stamps import read_meta


def rows_for(truth, path, edges, **ids):
    predicted = metrics.align(truth, metrics.read_labels(path), path)
    return metrics.accuracy_vs_separation(truth, predicted, edges, **ids)


def main(smk):
    inp, sets = smk.input, smk.params.sets
    for files in (inp.parametric_sets, inp.bh_parametric, inp.sep_parametric, inp.bh_realistic):
        ordered = len(files) == len(sets) and all(
            f"sigma{s}/real{r}." in path for (s, r), path in zip(sets, files, strict=True)
        )
        if not ordered:
            raise ValueError(f"inputs out of order with the sets {sets}: {list(files)}")
    half = (smk.params.stamp_size - 1) / 2
    edges = metrics.separation_bins(smk.params.bin_width, math.hypot(half, half))
    realistic = metrics.truth_frame(read_meta(inp.realistic_set))
    frames = []
    for i, (sigma, r) in enumerate(sets):
        meta = read_meta(inp.parametric_sets[i])
        truth = metrics.truth_frame(meta, meta.index[meta["split"] == SPLIT_CODES["test"]])
        ids = {"dataset": "parametric", "train_sigma": float(sigma), "realisation": int(r)}
        frames.append(rows_for(truth, inp.bh_parametric[i], edges, method="blendhunter", **ids))
        frames.append(rows_for(truth, inp.sep_parametric[i], edges, method="sep", **ids))
        ids = {"dataset": "realistic", "train_sigma": float(sigma), "realisation": int(r)}
        frames.append(rows_for(realistic, inp.bh_realistic[i], edges, method="blendhunter", **ids))
    ids = {"dataset": "realistic", "train_sigma": math.nan, "realisation": pd.NA}
    frames.append(rows_for(realistic, inp.sep_realistic, edges, method="sep", **ids))
    table = pd.concat(frames, ignore_index=True)
    table["realisation"] = pd.array(table["realisation"], dtype="Int64")
    metrics.write_csv(table[list(metrics.SEPARATION_COLUMNS)], smk.output[0])


run(main, snakemake)  # noqa: F821
