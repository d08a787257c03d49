"""blendhunter.network.training: the paper's schedule, early stopping, restored weights, metadata;
heads trained on real VGG-16 features of real GalSim stamps.
"""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from blendhunter.network import features, training
from tests.conftest import make_config
from tests.unit.conftest import train_sigma5_head


def test_head_reaches_90_percent_at_low_noise(sigma5_head, sigma5_features):
    x_test, y_test, _ = features.read_features(sigma5_features, "test")
    accuracy = np.mean((training.predict(sigma5_head.model, x_test) >= 0.5) == y_test)
    assert accuracy >= 0.90, accuracy
    assert sigma5_head.best_epoch >= 1
    assert sigma5_head.best.val_loss == sigma5_head.history["val_loss"].min()


def test_head_on_shuffled_labels_stays_near_chance(sigma5_features, sigma5_cfg):
    result = train_sigma5_head(sigma5_features, sigma5_cfg, shuffle_labels=True)
    x_test, y_test, _ = features.read_features(sigma5_features, "test")
    accuracy = np.mean((training.predict(result.model, x_test) >= 0.5) == y_test)
    # 160 test stamps: chance is 0.5 +- 0.04 (1 sigma)
    assert 0.35 <= accuracy <= 0.65, accuracy


def test_conv_base_is_frozen_and_keeps_imagenet_weights(vgg16_weights, sigma5_head):
    base = features.conv_base(vgg16_weights)
    assert not base.trainable and not base.trainable_weights
    with h5py.File(vgg16_weights) as handle:
        kernel = handle["block1_conv1"]["block1_conv1/kernel:0"][()]
        last = handle["block5_conv3"]["block5_conv3/bias:0"][()]
    assert np.array_equal(base.get_layer("block1_conv1").get_weights()[0], kernel)
    assert np.array_equal(base.get_layer("block5_conv3").get_weights()[1], last)
    # the head holds no convolutional vgg16_weights: training cannot touch the base
    assert all(len(w.shape) <= 2 for w in sigma5_head.model.get_weights())


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


def test_scores_come_from_float64_logits_so_confident_stamps_do_not_tie(sigma5_head):
    import keras

    model = keras.models.clone_model(sigma5_head.model)
    model.set_weights(sigma5_head.model.get_weights())
    weights, bias = model.layers[-1].get_weights()
    model.layers[-1].set_weights([weights * 1e-3, bias + 25])  # logits near 25: float32 gives 1.0
    x = np.random.default_rng(0).normal(size=(64, *features.FEATURE_SHAPE)).astype(np.float32)
    keras_p = np.asarray(model.predict(x, verbose=0))[:, 0]
    z = training.logits(model, x)
    p = training.predict(model, x)
    np.testing.assert_allclose(p, 1 / (1 + np.exp(-z)), rtol=1e-15)
    assert (keras_p == 1.0).all() and (p < 1).all()
    assert len(np.unique(z)) == len(z)
    frame = training.predictions_frame(np.arange(len(z)), z)
    assert list(frame.columns) == ["index", "p_blend", "label", "logit"]
