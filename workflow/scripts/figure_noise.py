"""Rule figure_noise: Fig. 4, accuracy on the parametric test sets vs sigma."""

import pandas as pd

from blendhunter.evaluation import plots
from blendhunter.logs import run


def main(smk):
    table = pd.read_csv(smk.input[0], dtype={"realisation": "Int64"})
    plots.save(plots.accuracy_vs_noise(table), [smk.output.png, smk.output.pdf])


run(main, snakemake)  # noqa: F821
