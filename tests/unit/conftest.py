"""Fixtures shared by the unit tests of features, engines, training and classify: real
VGG-16 ImageNet weights from ../shared, real GalSim stamps, real trained heads. Session
scoped: each is built once however many files use it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from astropy.io import fits

from blendhunter import cli
from blendhunter.io import md5sum, write_json
from blendhunter.network import engine, features, training
from blendhunter.simulation import seeds, simulate, splits, stamps
from tests.conftest import make_config

# --- the engines' reference input ------------------------------------------------------------

N_INPUT = 96  # stamps in `network_input`


@pytest.fixture(scope="session")
def weights(tmp_path_factory):
    """A private copy: the exported models are written beside the weights."""
    path = tmp_path_factory.mktemp("weights") / "vgg16_notop.h5"
    shutil.copy(make_config()["resources"]["vgg16_weights"], path)
    return path


@pytest.fixture(scope="session")
def network_input():
    """Real parametric stamps at sigma 15, through the paper's preprocessing."""
    cfg = make_config()
    res = cfg["resources"]["cosmos_parametric"]
    source = simulate.GalaxySource(res["path"], res["file_name"], "parametric", seed=cfg["seed"])
    labels, _ = splits.labels_and_split(N_INPUT, 0.5, None, cfg["seed"], "parametric")
    images, _ = simulate.draw_chunk(0, N_INPUT, labels, source, "parametric", cfg)
    images += stamps.noise(cfg["seed"], 15.0, 0, np.arange(N_INPUT), images.shape[1:])
    return features.preprocess(images, "png")


@pytest.fixture(scope="session")
def exported(weights):
    path = engine.model_paths(weights)["float32"]
    engine.export_onnx(weights, path)
    return path


@pytest.fixture(scope="session")
def reference(weights, network_input):
    return engine.load("tensorflow", weights, "float32", 2)(network_input)


# --- tiny heads and `blendhunter classify` ---------------------------------------------------


def tiny_head(directory, weights, seed: int = 1):
    """A tiny trained head (random features, real Keras model) with workflow metadata."""
    rng = np.random.default_rng(0)
    x = rng.random((64, *features.FEATURE_SHAPE), dtype=np.float32)
    y = (x[:, 0, 0, 0] > 0.5).astype(int)
    settings = {k: v for k, v in make_config()["training"].items() if k != "overrides"}
    settings["max_epochs"] = 2
    result = training.train_head(x, y, x, y, settings, seed=seed)
    directory.mkdir(parents=True, exist_ok=True)
    result.model.save(directory / training.HEAD_FILE)
    metadata = {"preprocessing": "png", "precision": "float32", "engine": "onnxruntime"}
    write_json(directory / training.METADATA_FILE, {**metadata, "vgg16_weights_md5": md5sum(weights)})
    return directory


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory, weights):
    return tiny_head(tmp_path_factory.mktemp("model"), weights)


def classify(*args):
    cmd = [sys.executable, "-m", "blendhunter.cli", "classify", "--quiet", *map(str, args)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="session")
def cube(tmp_path_factory):
    """A FITS cube of 51x51 stamps: more than one batch of 16."""
    rng = np.random.default_rng(5)
    data = rng.normal(0, 10, (40, 51, 51)).astype(np.float32)
    data[:, 20:31, 20:31] += 200 * rng.random((40, 1, 1)).astype(np.float32)
    path = tmp_path_factory.mktemp("cube") / "stamps.fits"
    fits.PrimaryHDU(data).writeto(path)
    return path


# --- a low-noise set, its features and a head trained on them ----------------------------------

SIGMA5_STAMPS = 1600
SIGMA5 = 5.0


@pytest.fixture(scope="session")
def sigma5_cfg():
    return make_config({"parametric": {"n_stamps": SIGMA5_STAMPS}})


@pytest.fixture(scope="session")
def vgg16_weights(sigma5_cfg):
    """The shared weights themselves (no exported model beside them)."""
    return sigma5_cfg["resources"]["vgg16_weights"]


@pytest.fixture(scope="session")
def sigma5_set(sigma5_cfg, tmp_path_factory):
    """A low-noise parametric set drawn with the real simulation."""
    cfg = sigma5_cfg
    root = tmp_path_factory.mktemp("sigma5")
    res = cfg["resources"]["cosmos_parametric"]
    source = simulate.GalaxySource(res["path"], res["file_name"], "parametric", seed=cfg["seed"])
    section = cfg["parametric"]
    labels, split = splits.labels_and_split(
        SIGMA5_STAMPS, section["blend_fraction"], section["split"], cfg["seed"], "parametric"
    )
    images, columns = simulate.draw_chunk(0, SIGMA5_STAMPS, labels, source, "parametric", cfg)
    columns["split"] = split
    master = root / "noiseless.h5"
    stamps.write_images(master, images, columns, {"config_sha256": "test"})
    noisy = root / "sigma5.h5"
    stamps.write_noisy_set(noisy, master, SIGMA5, 0, cfg["seed"], {})
    return stamps.StampSet(noisy)


@pytest.fixture(scope="session")
def sigma5_features(sigma5_set, vgg16_weights, tmp_path_factory):
    path = tmp_path_factory.mktemp("features") / "features.h5"
    attrs = {
        "stamps_file": str(sigma5_set.path),
        "sigma": SIGMA5,
        "realisation": 0,
        "vgg16_weights_md5": "x",
        "engine": "tensorflow",
        "precision": "float32",
    }
    features.write_features(sigma5_set, path, engine.load("tensorflow", vgg16_weights), "png", 256, attrs)
    return path


def train_sigma5_head(feature_file, cfg, shuffle_labels=False):
    x_train, y_train, _ = features.read_features(feature_file, "train")
    x_val, y_val, _ = features.read_features(feature_file, "validation")
    if shuffle_labels:
        rng = np.random.default_rng(1)
        y_train, y_val = rng.permutation(y_train), rng.permutation(y_val)
    settings = {k: v for k, v in cfg["training"].items() if k != "overrides"}
    settings["max_epochs"] = 60
    return training.train_head(x_train, y_train, x_val, y_val, settings, seed=seeds.integer_seed(1, 2))


@pytest.fixture(scope="session")
def sigma5_head(sigma5_features, sigma5_cfg):
    return train_sigma5_head(sigma5_features, sigma5_cfg)


@pytest.fixture(scope="session")
def sigma5_model_dir(sigma5_head, vgg16_weights, tmp_path_factory):
    directory = tmp_path_factory.mktemp("sigma5_model")
    sigma5_head.model.save(directory / training.HEAD_FILE)
    write_json(
        directory / training.METADATA_FILE,
        {
            "preprocessing": "png",
            "precision": "float32",
            "vgg16_weights_md5": md5sum(vgg16_weights),
            "threshold": 0.5,
        },
    )
    return directory


# --- hostile input: a head at sigma 15, a cube, an image and its catalogue -------------------

SIGMA = 15.0
N = 6  # stamps per cube


def galaxies(n: int = N, sigma: float = SIGMA, seed: int = 0) -> np.ndarray:
    """Background-free stamps: a PSF-like Gaussian galaxy (peak 20 sigma) in noise sigma."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:51, :51] - 25
    blob = 20 * sigma * np.exp(-(xx**2 + yy**2) / (2 * 1.8**2))
    return (rng.normal(0, sigma, (n, 51, 51)) + blob).astype(np.float32)


def image_with_sources(sky: float = 100.0, sigma: float = SIGMA, seed: int = 1):
    """A 240x240 image: flat sky, noise, 9 Gaussian galaxies on a grid; their x, y."""
    rng = np.random.default_rng(seed)
    data = rng.normal(sky, sigma, (240, 240)).astype(np.float32)
    yy, xx = np.mgrid[:240, :240]
    xs, ys = np.meshgrid([60, 120, 180], [60, 120, 180])
    for x, y in zip(xs.ravel(), ys.ravel(), strict=True):
        data += (20 * sigma * np.exp(-((xx - x) ** 2 + (yy - y) ** 2) / (2 * 1.8**2))).astype(np.float32)
    return data, xs.ravel().astype(float), ys.ravel().astype(float)


@dataclass
class Kit:
    root: Path
    weights: Path
    model: Path
    cube: Path
    image: Path
    catalogue: Path


def fits_cube(path: Path, data) -> Path:
    fits.PrimaryHDU(data).writeto(path, overwrite=True)
    return path


@pytest.fixture(scope="session")
def kit(tmp_path_factory, weights, exported):
    root = tmp_path_factory.mktemp("hostile")
    model = tiny_head(root / "model", weights)
    metadata = json.loads((model / training.METADATA_FILE).read_text())
    write_json(model / training.METADATA_FILE, {**metadata, "train_sigma": SIGMA, "threshold": 0.5})
    write_json(model / training.CALIBRATION_FILE, {"temperature": 1.0})
    data, x, y = image_with_sources()
    fits.PrimaryHDU(data).writeto(root / "image.fits")
    pd.DataFrame({"x": x, "y": y}).to_csv(root / "cat.csv", index=False)
    return Kit(
        root, weights, model, fits_cube(root / "cube.fits", galaxies()), root / "image.fits", root / "cat.csv"
    )


def kit_argv(kit: Kit, command: str, out: Path) -> list:
    """`blendhunter COMMAND` with the kit's weights and head, writing `out`."""
    return [command, "--quiet", "--vgg16-weights", kit.weights, "--model", kit.model, "--output", out]


def image_argv(kit: Kit, out: Path) -> list:
    """`blendhunter classify-image` with the kit's weights and head, writing `out`."""
    return kit_argv(kit, "classify-image", out)


def run(argv, capsys) -> tuple[int, str]:
    try:
        status = cli.main([str(a) for a in argv])
    except SystemExit as stop:  # argparse
        status = stop.code
    return status, capsys.readouterr().err
