"""Rules predict_test, predict_realistic: blend probabilities of one head."""

import logging

from blendhunter import features, training
from blendhunter.io import atomic_path
from blendhunter.logs import run


def main(smk):
    features.configure_threads(smk.threads)
    model = training.load_head(smk.input.head.rsplit("/", 1)[0])
    x, y, indices = features.read_features(smk.input.features, smk.params.split)
    p_blend = training.predict(model, x)
    table = training.predictions_frame(indices, p_blend, smk.params.threshold)
    accuracy = float(((p_blend >= smk.params.threshold) == y).mean())
    logging.getLogger(__name__).info("%d stamps, accuracy %.4f", len(y), accuracy)
    with atomic_path(smk.output[0]) as tmp:
        table.to_csv(tmp, index=False)


run(main, snakemake)
