"""Rule evaluate: accuracy, TPR, TNR per subset of one (sigma, realisation) set.

BlendHunter and SEP on the set's parametric test split, and on the realistic
set (SEP's realistic rows, the same in every file, have no train_sigma).
"""

import logging

from blendhunter.evaluation import metrics
from blendhunter.logs import run
from blendhunter.simulation.splits import members
from blendhunter.simulation.stamps import read_meta


def main(smk):
    inp = smk.input
    parametric_meta = read_meta(inp.parametric_set)
    test = members(parametric_meta, "test")
    parametric = metrics.truth_frame(parametric_meta, test)
    realistic = metrics.truth_frame(read_meta(inp.realistic_set))
    predictions = {}
    for (method, dataset), path in {
        ("blendhunter", "parametric"): inp.bh_parametric,
        ("sep", "parametric"): inp.sep_parametric,
        ("blendhunter", "realistic"): inp.bh_realistic,
        ("sep", "realistic"): inp.sep_realistic,
    }.items():
        truth = parametric if dataset == "parametric" else realistic
        predictions[method, dataset] = metrics.align(truth, metrics.read_labels(path), path)
    table = metrics.set_metrics(
        parametric_truth=parametric,
        realistic_truth=realistic,
        predictions=predictions,
        sigma=float(smk.wildcards.sigma),
        realisation=int(smk.wildcards.realisation),
        realistic_sigma=float(smk.params.realistic_sigma),
        close_separation=float(smk.params.close_separation),
    )
    log = logging.getLogger(__name__)
    for row in table[table["subset"] == "all"].itertuples():
        log.info(
            "%s on %s: accuracy %.3f (tpr %.3f, tnr %.3f), n %d, failed %d",
            row.method, row.dataset, row.accuracy, row.tpr, row.tnr, row.n, row.n_failed,
        )  # fmt: skip
    metrics.write_csv(table, smk.output[0])


run(main, snakemake)  # noqa: F821
