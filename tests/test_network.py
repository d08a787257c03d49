"""VGG-16 features, the dense head, predictions and `blendhunter classify`.

Real VGG-16 with the ImageNet weights from ../shared, real GalSim stamps.
"""

from __future__ import annotations

import subprocess
import sys

import h5py
import numpy as np
import pandas as pd
import pytest
from astropy.io import fits

from blendhunter import cli, engine, features, seeds, simulate, stamps, training
from blendhunter.io import md5sum, write_json

from .conftest import make_config

N_STAMPS = 1600
SIGMA = 5.0
# bfloat16 keeps 8 bits of mantissa: features move by ~0.4% (RMS, relative).
BF16_RMS_TOLERANCE = 0.02


@pytest.fixture(scope="module")
def cfg():
    return make_config({"parametric": {"n_stamps": N_STAMPS}})


@pytest.fixture(scope="module")
def weights(cfg):
    return cfg["resources"]["vgg16_weights"]


@pytest.fixture(scope="module")
def sigma5_set(cfg, tmp_path_factory):
    """A low-noise parametric set drawn with the real simulation."""
    root = tmp_path_factory.mktemp("sigma5")
    res = cfg["resources"]["cosmos_parametric"]
    source = simulate.GalaxySource(res["path"], res["file_name"], "parametric", seed=cfg["seed"])
    section = cfg["parametric"]
    labels, split = simulate.labels_and_split(
        N_STAMPS, section["blend_fraction"], section["split"], cfg["seed"], "parametric"
    )
    images, columns = simulate.draw_chunk(0, N_STAMPS, labels, source, "parametric", cfg)
    columns["split"] = split
    master = root / "noiseless.h5"
    stamps.write_images(master, images, columns, {"config_sha256": "test"})
    noisy = root / "sigma5.h5"
    stamps.write_noisy_set(noisy, master, SIGMA, 0, cfg["seed"], {})
    return stamps.StampSet(noisy)


@pytest.fixture(scope="module")
def feature_file(sigma5_set, weights, tmp_path_factory):
    path = tmp_path_factory.mktemp("features") / "features.h5"
    attrs = {
        "stamps_file": str(sigma5_set.path),
        "sigma": SIGMA,
        "realisation": 0,
        "vgg16_weights_md5": "x",
        "engine": "tensorflow",
        "precision": "float32",
    }
    features.write_features(sigma5_set, path, engine.load("tensorflow", weights), "png", 256, attrs)
    return path


def _train(feature_file, cfg, shuffle_labels=False):
    x_train, y_train, _ = features.read_features(feature_file, "train")
    x_val, y_val, _ = features.read_features(feature_file, "validation")
    if shuffle_labels:
        rng = np.random.default_rng(1)
        y_train, y_val = rng.permutation(y_train), rng.permutation(y_val)
    settings = {k: v for k, v in cfg["training"].items() if k != "overrides"}
    settings["max_epochs"] = 60
    return training.train_head(x_train, y_train, x_val, y_val, settings, seed=seeds.integer_seed(1, 2))


@pytest.fixture(scope="module")
def trained(feature_file, cfg):
    return _train(feature_file, cfg)


def test_preprocessing_is_the_papers_png_scaling():
    stamp = np.array([[[-2.0, 0.0], [1.0, 4.0]]])
    levels = features.to_png_levels(stamp)
    assert levels.dtype == np.uint8
    assert levels.tolist() == [[[127, 0], [63, 255]]]
    x = features.preprocess(stamp, "png")
    assert x.shape == (1, 2, 2, 3)
    assert np.allclose(x[..., 0], levels / 255) and np.all(x[..., 0] == x[..., 2])


def test_float_preprocessing_is_the_png_scaling_without_the_8_bit_cut():
    stamp = np.array([[[-2.0, 0.0], [1.0, 4.0]]])
    x = features.preprocess(stamp, "float")
    assert np.allclose(x[0, ..., 1], [[0.5, 0.0], [0.25, 1.0]])  # 127/255 and 63/255 in png
    assert np.abs(x - features.preprocess(stamp, "png")).max() <= 1 / 255


def test_feature_file_shape_dtype_labels_and_split(feature_file, sigma5_set):
    with h5py.File(feature_file) as handle:
        assert handle["features"].shape == (N_STAMPS, 2, 2, 512)
        assert handle["features"].dtype == np.float32
        assert np.array_equal(handle["label"][()], sigma5_set.labels)
        assert np.array_equal(handle["split"][()], sigma5_set.meta["split"].to_numpy())
        assert handle.attrs["preprocessing"] == "png" and handle.attrs["precision"] == "float32"
        assert np.isfinite(handle["features"][:64]).all()


def test_streamed_features_equal_one_batch(feature_file, sigma5_set, weights):
    """Batching must not change features: stamps 0..9 extracted alone agree."""
    base = features.conv_base(weights)
    alone = features.extract(base, sigma5_set.images(np.arange(10)), "png")
    with h5py.File(feature_file) as handle:
        assert np.allclose(handle["features"][:10], alone, rtol=1e-4, atol=1e-4)


def test_head_reaches_90_percent_at_low_noise(trained, feature_file):
    x_test, y_test, _ = features.read_features(feature_file, "test")
    accuracy = np.mean((training.predict(trained.model, x_test) >= 0.5) == y_test)
    assert accuracy >= 0.90, accuracy
    assert trained.best_epoch >= 1
    assert trained.best.val_loss == trained.history["val_loss"].min()


def test_head_on_shuffled_labels_stays_near_chance(feature_file, cfg):
    result = _train(feature_file, cfg, shuffle_labels=True)
    x_test, y_test, _ = features.read_features(feature_file, "test")
    accuracy = np.mean((training.predict(result.model, x_test) >= 0.5) == y_test)
    # 160 test stamps: chance is 0.5 +- 0.04 (1 sigma)
    assert 0.35 <= accuracy <= 0.65, accuracy


def test_conv_base_is_frozen_and_keeps_imagenet_weights(weights, trained):
    base = features.conv_base(weights)
    assert not base.trainable and not base.trainable_weights
    with h5py.File(weights) as handle:
        kernel = handle["block1_conv1"]["block1_conv1/kernel:0"][()]
        last = handle["block5_conv3"]["block5_conv3/bias:0"][()]
    assert np.array_equal(base.get_layer("block1_conv1").get_weights()[0], kernel)
    assert np.array_equal(base.get_layer("block5_conv3").get_weights()[1], last)
    # the head holds no convolutional weights: training cannot touch the base
    assert all(len(w.shape) <= 2 for w in trained.model.get_weights())


def test_bfloat16_features_agree_with_float32(sigma5_set, weights):
    images = sigma5_set.images(np.arange(64))
    f32 = features.extract(features.conv_base(weights, "float32"), images, "png")
    bf16 = features.extract(features.conv_base(weights, "bfloat16"), images, "png")
    assert bf16.dtype == np.float32
    rms = np.linalg.norm(bf16 - f32) / np.linalg.norm(f32)
    assert rms < BF16_RMS_TOLERANCE, rms


@pytest.fixture(scope="module")
def model_dir(trained, weights, tmp_path_factory):
    directory = tmp_path_factory.mktemp("model")
    trained.model.save(directory / training.HEAD_FILE)
    write_json(
        directory / training.METADATA_FILE,
        {
            "preprocessing": "png",
            "precision": "float32",
            "vgg16_weights_md5": md5sum(weights),
            "threshold": 0.5,
        },
    )
    return directory


def _classify(*args):
    cmd = [sys.executable, "-m", "blendhunter.cli", "classify", "--quiet", *map(str, args)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600)


def test_classify_fits_round_trip(model_dir, weights, sigma5_set, feature_file, trained, tmp_path):
    test = sigma5_set.indices("test")
    cube = sigma5_set.images(test)
    fits.writeto(tmp_path / "stamps65.fits", cube)
    fits.writeto(tmp_path / "stamps51.fits", cube[:, 7:-7, 7:-7])
    x_test, _, _ = features.read_features(feature_file, "test")
    expected = training.predict(trained.model, x_test)
    for name in ("stamps65", "stamps51"):
        out = tmp_path / f"{name}.csv"
        result = _classify(
            "--model", model_dir, "--vgg16-weights", weights, "--output", out, tmp_path / f"{name}.fits"
        )
        assert result.returncode == 0, result.stderr
        table = pd.read_csv(out)
        assert list(table.columns) == ["index", "p_blend", "label"]
        assert table["index"].tolist() == list(range(len(test)))
        assert set(table["label"]) <= {"blended", "isolated"}
        assert np.array_equal(table["label"] == "blended", table["p_blend"] >= 0.5)
        accuracy = np.mean((table["label"] == "blended") == sigma5_set.labels[test])
        assert accuracy >= 0.85, (name, accuracy)
    # 65x65 input is exactly the workflow's path
    table = pd.read_csv(tmp_path / "stamps65.csv")
    assert np.allclose(table["p_blend"], expected, atol=1e-5)


def test_classify_reads_workflow_hdf5(model_dir, weights, sigma5_set, tmp_path):
    out = tmp_path / "out.csv"
    result = _classify("--model", model_dir, "--vgg16-weights", weights, "--output", out, sigma5_set.path)
    assert result.returncode == 0, result.stderr
    assert len(pd.read_csv(out)) == len(sigma5_set)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: np.zeros((3, 40, 40), np.float32), "N x 51 x 51 or N x 65 x 65"),
        (lambda: np.zeros((3, 51, 60), np.float32), "N x 51 x 51 or N x 65 x 65"),
        (lambda: np.where(np.arange(3 * 51 * 51).reshape(3, 51, 51) == 4000, np.nan, 1.0), "NaN"),
        (lambda: None, "no stamps"),
    ],
    ids=["small", "not-square", "nan", "empty"],
)
def test_classify_bad_fits_fails_clearly_and_writes_nothing(model_dir, weights, tmp_path, make, message):
    data = make()
    fits.PrimaryHDU(data).writeto(tmp_path / "bad.fits")
    out = tmp_path / "out.csv"
    result = _classify(
        "--model", model_dir, "--vgg16-weights", weights, "--output", out, tmp_path / "bad.fits"
    )
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert not out.exists() and not list(tmp_path.glob(".out*"))


def test_classify_bad_model_and_weights(model_dir, weights, tmp_path):
    fits.writeto(tmp_path / "s.fits", np.ones((2, 51, 51), np.float32))
    out = tmp_path / "out.csv"
    result = _classify("--model", tmp_path, "--vgg16-weights", weights, "--output", out, tmp_path / "s.fits")
    assert result.returncode == 2 and "--model" in result.stderr
    result = _classify(
        "--model", model_dir, "--vgg16-weights", tmp_path / "none.h5", "--output", out, tmp_path / "s.fits"
    )
    assert result.returncode == 2 and "--vgg16-weights" in result.stderr
    assert not out.exists()


def test_pad_like_training_noise_matches_stamp_sigma():
    rng = np.random.default_rng(3)
    stamps51 = rng.normal(0, 7.0, (20, 51, 51)).astype(np.float32)
    padded = cli.pad_like_training(stamps51, "noise")
    assert padded.shape == (20, 65, 65)
    assert np.array_equal(padded[:, 7:-7, 7:-7], stamps51)
    assert abs(padded[:, :7, :].std() - 7.0) < 0.3
    assert np.all(cli.pad_like_training(stamps51, "zeros")[:, :7, :] == 0)
