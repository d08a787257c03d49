"""Rule summarise_sigma: mean and std over realisations for one noise level."""

from blendhunter.evaluation import metrics
from blendhunter.logs import run


def main(smk):
    table = metrics.read_metrics(list(smk.input))
    metrics.write_csv(metrics.sigma_summary(table, float(smk.wildcards.sigma)), smk.output[0])


run(main, snakemake)  # noqa: F821
