"""Rule predict_shifted: one model's blend probabilities on a shifted set."""

from blendhunter.logs import run
from blendhunter.network import features, models


def main(smk):
    features.configure_threads(smk.threads)
    model = models.load(smk.input.head.rsplit("/", 1)[0])
    model.write_predictions(models.source(smk.input), None, smk.params.threshold, smk.output[0])


run(main, snakemake)  # noqa: F821
