"""Rule calibrate: temperature scaling and F1-best thresholds of one head (validation split)."""

import logging

from blendhunter import scores
from blendhunter.io import write_json
from blendhunter.logs import run


def main(smk):
    truth, p, _ = scores.read_scores(smk.input.parametric_set, smk.input.predictions, "validation")
    calibration = scores.calibration_summary(truth, p)
    logging.getLogger(__name__).info("calibration: %s", calibration)
    write_json(smk.output[0], calibration)


run(main, snakemake)  # noqa: F821
