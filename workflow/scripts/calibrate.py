"""Rule calibrate: temperature scaling and F1-best thresholds of one head, fitted on
its validation split (the head's predictions there, from the cached features)."""

import logging

from blendhunter import features, scores, training
from blendhunter.io import write_json
from blendhunter.logs import run


def main(smk):
    features.configure_threads(smk.threads)
    model = training.load_head(smk.input.head.rsplit("/", 1)[0])
    x, truth, _ = features.read_features(smk.input.features, "validation")
    calibration = scores.calibration_summary(truth, training.predict(model, x))
    logging.getLogger(__name__).info("calibration: %s", calibration)
    write_json(smk.output[0], calibration)


run(main, snakemake)  # noqa: F821
