"""Rule predict_offcentre: one head's blend probabilities on an off-centre set."""

from blendhunter.logs import run
from blendhunter.network import features, training


def main(smk):
    features.configure_threads(smk.threads)
    model = training.load_head(smk.input.head.rsplit("/", 1)[0])
    training.write_predictions(model, smk.input.features, None, smk.params.threshold, smk.output[0])


run(main, snakemake)  # noqa: F821
