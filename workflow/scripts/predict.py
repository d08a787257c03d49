"""Rule predict: one model's blend probabilities on its test and validation splits and on
the realistic set (streamed block by block), and its calibration (temperature, F1-best
thresholds) fitted on its validation split."""

import logging

from blendhunter.evaluation import scores
from blendhunter.io import atomic_path, write_json
from blendhunter.logs import run
from blendhunter.network import features, models, training

log = logging.getLogger(__name__)


def main(smk):
    features.configure_threads(smk.threads)
    model = models.load(smk.input.head.rsplit("/", 1)[0])
    parametric, realistic = models.source(smk.input), models.source(smk.input, "realistic_")
    logit, truth, indices = model.score(parametric, "validation")
    calibration = scores.calibration_summary(truth, training.sigmoid(logit))
    log.info("calibration: %s", calibration)
    with atomic_path(smk.output.validation) as tmp:
        training.predictions_frame(indices, logit, smk.params.threshold).to_csv(tmp, index=False)
    threshold = smk.params.threshold
    model.write_predictions(parametric, "test", threshold, smk.output.test)
    model.write_predictions(realistic, None, threshold, smk.output.realistic)
    write_json(smk.output.calibration, calibration)


run(main, snakemake)  # noqa: F821
