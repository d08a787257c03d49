"""Rule per_sigma_table: the per-noise-level summaries in one table."""

import pandas as pd

from blendhunter.evaluation import metrics
from blendhunter.logs import run


def main(smk):
    table = pd.concat([pd.read_csv(path) for path in smk.input], ignore_index=True)
    metrics.write_csv(table, smk.output[0])


run(main, snakemake)  # noqa: F821
