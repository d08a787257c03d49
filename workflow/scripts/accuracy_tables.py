"""Rule accuracy_tables: every metrics file into one table per dataset."""

import logging

from blendhunter.evaluation import metrics
from blendhunter.logs import run


def main(smk):
    table = metrics.read_metrics(list(smk.input))
    log = logging.getLogger(__name__)
    for dataset in ("parametric", "realistic"):
        rows = metrics.accuracy_table(table, dataset)
        failed = rows[(rows["method"] == "sep") & (rows["subset"] == "all")]
        log.info(
            "%s: %d rows; SEP failures %d of %d stamps",
            dataset, len(rows), failed["n_failed"].sum(), failed["n"].sum(),
        )  # fmt: skip
        metrics.write_csv(rows, smk.output[dataset])


run(main, snakemake)  # noqa: F821
