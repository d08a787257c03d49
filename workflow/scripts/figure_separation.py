"""Rule figure_separation: Fig. 3, accuracy on blends vs separation, per sigma."""

import pandas as pd

from blendhunter.evaluation import plots
from blendhunter.logs import run


def main(smk):
    table = pd.read_csv(smk.input[0], dtype={"realisation": "Int64"})
    fig = plots.accuracy_vs_separation(table, smk.params.close_separation)
    plots.save(fig, [smk.output.png, smk.output.pdf])


run(main, snakemake)  # noqa: F821
