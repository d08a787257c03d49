"""Rule train_head: one dense head on one set's cached features."""

import logging

import h5py

from blendhunter import features, seeds, training
from blendhunter.io import atomic_path, versions, write_json
from blendhunter.logs import run


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
    write_json(
        smk.output.metadata,
        {
            "training_set": feature_attrs["stamps_file"],
            "features_file": str(smk.input.features),
            "train_sigma": sigma,
            "realisation": realisation,
            "preprocessing": feature_attrs["preprocessing"],
            "layer": feature_attrs.get("layer", features.DEFAULT_LAYER),
            "precision": feature_attrs["precision"],
            "engine": feature_attrs.get("engine", "tensorflow"),
            "weights": feature_attrs.get("weights", "imagenet"),
            "vgg16_weights_md5": feature_attrs["vgg16_weights_md5"],
            "n_train": int(len(y_train)),
            "n_validation": int(len(y_val)),
            "epochs_run": int(len(result.history)),
            "best_epoch": int(result.best_epoch),
            "best_val_loss": float(best.val_loss),
            "best_val_accuracy": float(best.val_accuracy),
            "training_seconds": round(result.seconds, 2),
            "seed": seed,
            "hyperparameters": settings,
            "threshold": smk.params.threshold,
            "versions": versions(),
        },
    )


run(main, snakemake)
