"""Rule separation_table: accuracy on blends per separation bin (Fig. 3).

Every (sigma, realisation) parametric test split and every BlendHunter head on
the realistic set, with SEP on the same stamps.
"""

import math

import pandas as pd

from blendhunter.evaluation import metrics
from blendhunter.logs import run
from blendhunter.simulation.splits import members
from blendhunter.simulation.stamps import read_meta
from blendhunter.workflow import layout


def rows_for(truth, path, edges, **ids):
    predicted = metrics.align(truth, metrics.read_labels(path), path)
    return metrics.accuracy_vs_separation(truth, predicted, edges, **ids)


def main(smk):
    inp = smk.input
    half = (smk.params.stamp_size - 1) / 2
    edges = metrics.separation_bins(smk.params.bin_width, math.hypot(half, half))
    realistic = metrics.truth_frame(read_meta(inp.realistic_set))
    frames = []
    names = ("parametric_sets", "bh_parametric", "sep_parametric", "bh_realistic")
    for (sigma, r), paths in layout.by_set(inp, names).items():
        meta = read_meta(paths["parametric_sets"])
        truth = metrics.truth_frame(meta, members(meta, "test"))
        ids = {"dataset": "parametric", "train_sigma": float(sigma), "realisation": int(r)}
        frames.append(rows_for(truth, paths["bh_parametric"], edges, method="blendhunter", **ids))
        frames.append(rows_for(truth, paths["sep_parametric"], edges, method="sep", **ids))
        ids = {"dataset": "realistic", "train_sigma": float(sigma), "realisation": int(r)}
        frames.append(rows_for(realistic, paths["bh_realistic"], edges, method="blendhunter", **ids))
    ids = {"dataset": "realistic", "train_sigma": math.nan, "realisation": pd.NA}
    frames.append(rows_for(realistic, inp.sep_realistic, edges, method="sep", **ids))
    table = pd.concat(frames, ignore_index=True)
    table["realisation"] = pd.array(table["realisation"], dtype="Int64")
    metrics.write_csv(table[list(metrics.SEPARATION_COLUMNS)], smk.output[0])


run(main, snakemake)  # noqa: F821
