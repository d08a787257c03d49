"""Rules centring_table, psf_shift_table: SEP and the models nearest the realistic set's
noise on its first stamps, unshifted (the realistic set itself) and in each shifted set."""

import logging

import pandas as pd

from blendhunter.evaluation import metrics, plots, shifted
from blendhunter.logs import run
from blendhunter.simulation.stamps import read_meta


def main(smk):
    inp, params = smk.input, smk.params
    key, reference = shifted.AXES[params.axis]
    n = len(read_meta(inp.shifted_sets[0]))
    sets = {reference: (inp.realistic_set, inp.sep_realistic, inp.bh_realistic)}
    per_shift = len(params.realisations)
    for k, shift in enumerate(params.shifts):
        models = inp.bh_shifted[k * per_shift : (k + 1) * per_shift]
        sets[shifted.shift_value(params.axis, shift)] = (inp.shifted_sets[k], inp.sep_shifted[k], models)
    rows = []
    for value, (stamps, sep, models) in sets.items():
        truth = metrics.truth_frame(read_meta(stamps), range(n))
        files = {("sep", None): sep}
        files |= {("blendhunter", r): path for r, path in zip(params.realisations, models, strict=True)}
        rows.append(shifted.shift_rows(truth, files, params.close_separation, **{key: value}))
    table = shifted.shift_table(pd.concat(rows, ignore_index=True), key)
    metrics.write_csv(table, smk.output.table)
    for value in sets:
        kept, se = shifted.isolated_kept(table, value, key=key)
        logging.getLogger(__name__).info("%s %s: isolated kept %.3f ± %.3f", key, value, kept, se)
    figure = plots.centring if params.axis == "centring" else plots.psf_shift
    drawn = figure(table, float(params.sigma), params.network, params.recipe)
    plots.save(drawn, [smk.output.png, smk.output.pdf])


run(main, snakemake)  # noqa: F821
