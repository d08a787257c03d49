"""Rule learning_curve: the points in one table and one figure."""

import pandas as pd

from blendhunter.evaluation import learning_curve, metrics, plots
from blendhunter.logs import run


def main(smk):
    points = [pd.read_csv(path, dtype={"realisation": "Int64"}) for path in smk.input]
    table = learning_curve.table(points)
    metrics.write_csv(table, smk.output.table)
    plots.save(plots.learning_curve(table), [smk.output.figure, smk.output.pdf])


run(main, snakemake)  # noqa: F821
