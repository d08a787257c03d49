"""Rules sep_parametric, sep_validation, sep_realistic: SEP label of every stamp of one split."""

import logging

from blendhunter.evaluation import metrics, sep_baseline
from blendhunter.logs import run
from blendhunter.simulation.stamps import StampSet


def main(smk):
    params = sep_baseline.SepParams.from_config(smk.params.sep)
    stamp_set = StampSet(smk.input.stamps)
    split = smk.params.split
    indices = stamp_set.indices(split)
    if not len(indices):
        raise ValueError(f"{smk.input.stamps} has no {split} stamps")
    log = logging.getLogger(__name__)
    log.info("SEP on %d stamps of %s, sigma %g, %s", len(indices), smk.input.stamps, stamp_set.sigma, params)
    labels = sep_baseline.label_set(stamp_set, indices, params)
    summary = sep_baseline.describe(labels)
    log.info("SEP labels: %s", summary)
    if summary["failed"]:
        log.warning(
            "%d SEP failures (%.2f%%): no label, left out of SEP's accuracy and counted as n_failed",
            summary["failed"],
            100 * summary["failed_fraction"],
        )
    metrics.write_csv(labels, smk.output[0])


run(main, snakemake)  # noqa: F821
