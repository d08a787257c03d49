"""Rule companion_table: accuracy on blends against the companion's brightness.

Bins of the companion's noiseless peak over the test sigma (its S/N) and over the
central galaxy's peak, for every head and SEP, on the parametric test splits and
the realistic set.
"""

import math

import pandas as pd

from blendhunter.evaluation import metrics, plots
from blendhunter.logs import run
from blendhunter.simulation.splits import members
from blendhunter.simulation.stamps import read_meta
from blendhunter.workflow import layout


def rows_for(meta, truth, path, test_sigma, **ids):
    predicted = metrics.align(truth, metrics.read_labels(path), path)
    return metrics.accuracy_vs_companion(meta, truth, predicted, test_sigma, **ids)


def main(smk):
    inp = smk.input
    realistic_meta = read_meta(inp.realistic_set)
    realistic = metrics.truth_frame(realistic_meta)
    real_sigma = float(smk.params.realistic_sigma)
    frames = []
    names = ("parametric_sets", "bh_parametric", "sep_parametric", "bh_realistic")
    for (sigma, r), paths in layout.by_set(inp, names).items():
        meta = read_meta(paths["parametric_sets"])
        truth = metrics.truth_frame(meta, members(meta, "test"))
        ids = {"dataset": "parametric", "train_sigma": float(sigma), "realisation": int(r)}
        for method, path in (("blendhunter", paths["bh_parametric"]), ("sep", paths["sep_parametric"])):
            frames.append(rows_for(meta, truth, path, float(sigma), method=method, **ids))
        ids = {"dataset": "realistic", "train_sigma": float(sigma), "realisation": int(r)}
        frames.append(
            rows_for(
                realistic_meta, realistic, paths["bh_realistic"], real_sigma, method="blendhunter", **ids
            )
        )
    ids = {"dataset": "realistic", "train_sigma": math.nan, "realisation": pd.NA}
    frames.append(rows_for(realistic_meta, realistic, inp.sep_realistic, real_sigma, method="sep", **ids))
    table = pd.concat(frames, ignore_index=True)
    table["realisation"] = pd.array(table["realisation"], dtype="Int64")
    metrics.write_csv(table[list(metrics.COMPANION_COLUMNS)], smk.output.table)
    fig = plots.accuracy_vs_companion(table, float(smk.params.figure_sigma))
    plots.save(fig, [smk.output.png, smk.output.pdf])


run(main, snakemake)  # noqa: F821
