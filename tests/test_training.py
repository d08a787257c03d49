"""The head's training schedule, with and without whole-epoch steps (real Keras, tiny sets).

A forced plateau: validation labels are the opposite of the training labels, so the
validation loss is best after the first epoch and only rises after it. Early stopping,
learning-rate halving and the restoring of the best weights must then fire exactly as
configured, whatever the number of steps per compiled call.
"""

from __future__ import annotations

import numpy as np
import pytest

from blendhunter import features, training

from .conftest import make_config

PATIENCE_STOP, PATIENCE_LR = 4, 2


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(600, *features.FEATURE_SHAPE)).astype(np.float32)
    y = (x[:, 0, 0, :8].sum(axis=1) > 0).astype(int)  # learnable
    return x, y


@pytest.fixture(scope="module")
def settings():
    cfg = {k: v for k, v in make_config()["training"].items() if k != "overrides"}
    cfg.update(
        max_epochs=50,
        batch_size=100,
        early_stopping_patience=PATIENCE_STOP,
        reduce_lr_patience=PATIENCE_LR,
        learning_rate=1e-3,
    )
    return cfg


@pytest.fixture(scope="module", params=[True, False], ids=["whole-epoch", "step-by-step"])
def plateau(request, data, settings):
    x, y = data
    return training.train_head(x, y, x, 1 - y, settings, seed=3, fast=request.param)


def test_whole_epoch_steps_cover_the_training_set():
    assert training.steps_per_execution(600, 100) == 6
    assert training.steps_per_execution(601, 100) == 7
    assert training.steps_per_execution(10, 250) == 1


def test_early_stopping_fires_after_patience(plateau):
    history = plateau.history
    assert plateau.best_epoch == 1, history
    assert len(history) == 1 + PATIENCE_STOP, history


def test_learning_rate_halves_after_its_patience(plateau, settings):
    rates = plateau.history["learning_rate"].to_numpy()
    lr = settings["learning_rate"]
    # epochs 2 and 3 do not improve: the rate is halved from epoch 4 on
    expected = [lr] * (1 + PATIENCE_LR) + [lr * settings["reduce_lr_factor"]] * (PATIENCE_STOP - PATIENCE_LR)
    assert np.allclose(rates, expected, rtol=1e-6), rates


def test_best_validation_weights_are_restored(plateau, data):
    x, y = data
    p = training.predict(plateau.model, x)
    eps = 1e-7
    target = 1 - y
    loss = -np.mean(target * np.log(np.clip(p, eps, 1)) + (1 - target) * np.log(np.clip(1 - p, eps, 1)))
    assert loss == pytest.approx(plateau.history["val_loss"].min(), rel=1e-3)
    assert loss < plateau.history["val_loss"].iloc[-1]


def test_metadata_records_the_features_recipe_classify_follows(data, settings):
    """The layer and preprocessing of the head's features go to metadata.json (classify
    reads them); features made before features.layer existed are the paper's layer."""
    x, y = data
    result = training.train_head(x, y, x, y, {**settings, "max_epochs": 1}, seed=1)
    attrs = {"stamps_file": "s.h5", "preprocessing": "snr", "precision": "float32", "vgg16_weights_md5": "m"}
    metadata = training.head_metadata(
        {**attrs, "layer": "block3_pool"}, "f.h5", 15.0, 0, result, 1, settings, 0.6
    )
    assert (metadata["layer"], metadata["preprocessing"], metadata["threshold"]) == (
        "block3_pool",
        "snr",
        0.6,
    )
    assert training.head_metadata(attrs, "f.h5", 15.0, 0, result, 1, settings, 0.5)["layer"] == "block5_pool"
    assert metadata["epochs_run"] == 1 and metadata["hyperparameters"] == settings


def test_feature_blocks_stream_a_split_as_read_features_reads_it(tmp_path):
    """Predictions at paper scale stream their features: the blocks, joined, are the split."""
    import h5py

    from blendhunter import features
    from blendhunter.splits import SPLIT_CODES

    rng = np.random.default_rng(3)
    n = 50
    path = tmp_path / "features.h5"
    with h5py.File(path, "w") as handle:
        handle["features"] = rng.random((n, 2, 2, 3), dtype=np.float32)
        handle["label"] = rng.integers(0, 2, n).astype(np.int8)
        handle["index"] = np.arange(n) * 3
        handle["split"] = rng.choice(list(SPLIT_CODES.values()), n).astype(np.int8)
    for split in ("test", "validation", None):
        blocks = list(features.feature_blocks(path, split, block=7))
        assert len(blocks) > 1
        joined = [np.concatenate(column) for column in zip(*blocks, strict=True)]
        for got, expected in zip(joined, features.read_features(path, split), strict=True):
            np.testing.assert_array_equal(got, expected)
