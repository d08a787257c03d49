"""Rule train_head: one dense head on one set's cached features."""

import logging

import h5py

from blendhunter.io import atomic_path, write_json
from blendhunter.logs import run
from blendhunter.network import features, training
from blendhunter.simulation import seeds


def main(smk):
    log = logging.getLogger(__name__)
    features.configure_threads(smk.threads)
    settings = smk.params.training
    sigma, realisation = float(smk.wildcards.sigma), int(smk.wildcards.realisation)
    seed = seeds.integer_seed(smk.config["seed"], seeds.TRAINING, seeds.sigma_key(sigma), realisation)
    x_train, y_train, _ = features.read_features(smk.input.features, "train", augmented=True)
    x_val, y_val, _ = features.read_features(smk.input.features, "validation")
    log.info("training on %d stamps, validating on %d", len(y_train), len(y_val))
    result = training.train_head(x_train, y_train, x_val, y_val, settings, seed)
    best = result.best
    log.info(
        "best epoch %d of %d: val_loss %.4f val_accuracy %.4f",
        result.best_epoch,
        len(result.history),
        best.val_loss,
        best.val_accuracy,
    )

    with atomic_path(smk.output.head) as tmp:
        result.model.save(tmp)
    with atomic_path(smk.output.history) as tmp:
        result.history.to_csv(tmp, index=False)
    title = f"head sigma {smk.wildcards.sigma}, realisation {realisation}"
    with atomic_path(smk.output.history_plot) as tmp:
        training.plot_history(result.history, result.best_epoch, title, tmp)
    with h5py.File(smk.input.features, "r") as handle:
        feature_attrs = dict(handle.attrs)
    metadata = training.head_metadata(
        feature_attrs,
        str(smk.input.features),
        sigma,
        realisation,
        result,
        seed,
        settings,
        smk.params.threshold,
    )
    write_json(
        smk.output.metadata, {**metadata, "n_train": int(len(y_train)), "n_validation": int(len(y_val))}
    )
    if "int8_calibration" in smk.output.keys():  # the int8 model's recipe travels with the head
        recipe = smk.params.int8_calibration
        stamps = features.calibration_stamps(
            smk.input.master, recipe["sigmas"], smk.config["seed"], recipe["n"]
        )
        attrs = {"sigmas": list(map(float, recipe["sigmas"])), "preprocessing": metadata["preprocessing"]}
        features.write_int8_calibration(smk.output.int8_calibration, stamps, attrs)


run(main, snakemake)
