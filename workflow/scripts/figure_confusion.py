"""Rule figure_confusion: Fig. 6, TPR and TNR on the realistic set vs training sigma."""

import pandas as pd

from blendhunter.evaluation import plots
from blendhunter.logs import run


def main(smk):
    table = pd.read_csv(smk.input[0], dtype={"realisation": "Int64"})
    fig = plots.confusion(table, float(smk.params.realistic_sigma))
    plots.save(fig, [smk.output.png, smk.output.pdf])


run(main, snakemake)  # noqa: F821
