"""Rule centring_table: SEP and the heads nearest the realistic set's noise on its first
stamps, centred (the realistic set itself) and drawn off centre by each radius."""

import logging

import pandas as pd

from blendhunter.evaluation import metrics, offcentre, plots
from blendhunter.logs import run
from blendhunter.simulation.stamps import read_meta


def scored(truth, path, what):
    """A label file's rows for the stamps of `truth` (the realistic set's: its first ones)."""
    labels = metrics.read_labels(path)
    return metrics.align(truth, labels[labels["index"].isin(truth.index)], what)


def main(smk):
    inp, params = smk.input, smk.params
    n = len(read_meta(inp.offcentre_sets[0]))
    sets = {0.0: (inp.realistic_set, inp.sep_realistic, inp.bh_realistic)}
    per_radius = len(params.realisations)
    for k, radius in enumerate(params.radii):
        heads = inp.bh_offcentre[k * per_radius : (k + 1) * per_radius]
        sets[float(radius)] = (inp.offcentre_sets[k], inp.sep_offcentre[k], heads)
    rows = []
    for radius, (stamps, sep, heads) in sets.items():
        truth = metrics.truth_frame(read_meta(stamps), range(n))
        predictions = {("sep", None): scored(truth, sep, sep)}
        for realisation, path in zip(params.realisations, heads, strict=True):
            predictions["blendhunter", realisation] = scored(truth, path, path)
        rows.append(offcentre.offset_rows(truth, predictions, radius, params.close_separation))
    table = offcentre.centring_table(pd.concat(rows, ignore_index=True))
    metrics.write_csv(table, smk.output.table)
    for radius in sets:
        kept, se = offcentre.isolated_kept(table, radius)
        logging.getLogger(__name__).info("%g px off: isolated kept %.3f ± %.3f", radius, kept, se)
    plots.save(plots.centring(table, float(params.sigma)), [smk.output.png, smk.output.pdf])


run(main, snakemake)  # noqa: F821
