"""Rule train_cnn: one CNN on one set's stamps (network.kind: cnn)."""

import logging

from blendhunter.io import atomic_path, write_json
from blendhunter.logs import run
from blendhunter.network import cnn, features, training
from blendhunter.simulation import seeds
from blendhunter.simulation.stamps import StampSet


def main(smk):
    log = logging.getLogger(__name__)
    features.configure_threads(smk.threads)
    settings, size = smk.params.settings, smk.params.size
    sigma, realisation = float(smk.wildcards.sigma), int(smk.wildcards.realisation)
    seed = seeds.integer_seed(smk.config["seed"], seeds.TRAINING, seeds.sigma_key(sigma), realisation)
    stamp_set = StampSet(smk.input.stamps)
    x_train, y_train, _ = cnn.read_split(stamp_set, "train", size)
    x_val, y_val, _ = cnn.read_split(stamp_set, "validation", size)
    log.info("training on %d stamps, validating on %d", len(y_train), len(y_val))
    result = cnn.train_cnn(x_train, y_train, x_val, y_val, settings, seed)
    log.info("best epoch %d of %d: %s", result.best_epoch, len(result.history), result.best.to_dict())

    with atomic_path(smk.output.head) as tmp:
        result.model.save(tmp)
    with atomic_path(smk.output.history) as tmp:
        result.history.to_csv(tmp, index=False)
    title = f"CNN sigma {smk.wildcards.sigma}, realisation {realisation}"
    with atomic_path(smk.output.history_plot) as tmp:
        training.plot_history(result.history, result.best_epoch, title, tmp)
    metadata = cnn.metadata(stamp_set, sigma, realisation, result, seed, settings, smk.params.threshold, size)
    write_json(smk.output.metadata, {**metadata, "n_train": len(y_train), "n_validation": len(y_val)})


run(main, snakemake)  # noqa: F821
