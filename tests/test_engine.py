"""Feature engines: ONNX Runtime against the TensorFlow reference, with the real weights.

Real VGG-16 ImageNet weights from ../shared, real GalSim stamps, real Snakemake runs.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import h5py
import numpy as np
import pandas as pd
import pytest
from astropy.io import fits

from blendhunter import engine, features, layout, simulate, stamps, training
from blendhunter.io import md5sum, write_json

from .conftest import make_config, run_snakemake, write_config

N_STAMPS = 96
AGREEMENT = 1e-5  # max |d| / max |f|, the criterion for a default engine
INT8_RMS_TOLERANCE = 0.1  # int8 moves features by a few per cent (RMS, relative)


def max_relative(found: np.ndarray, reference: np.ndarray) -> float:
    return float(np.abs(found - reference).max() / np.abs(reference).max())


@pytest.fixture(scope="module")
def cfg():
    return make_config()


@pytest.fixture(scope="module")
def weights(tmp_path_factory, cfg):
    """A private copy: the exported models are written beside the weights."""
    path = tmp_path_factory.mktemp("weights") / "vgg16_notop.h5"
    shutil.copy(cfg["resources"]["vgg16_weights"], path)
    return path


@pytest.fixture(scope="module")
def network_input(cfg):
    """Real parametric stamps at sigma 15, through the paper's preprocessing."""
    res = cfg["resources"]["cosmos_parametric"]
    source = simulate.GalaxySource(res["path"], res["file_name"], "parametric", seed=cfg["seed"])
    labels, _ = simulate.labels_and_split(N_STAMPS, 0.5, None, cfg["seed"], "parametric")
    images, _ = simulate.draw_chunk(0, N_STAMPS, labels, source, "parametric", cfg)
    images += stamps.noise(cfg["seed"], 15.0, 0, np.arange(N_STAMPS), images.shape[1:])
    return features.preprocess(images, "png")


@pytest.fixture(scope="module")
def exported(weights):
    path = engine.model_paths(weights)["float32"]
    engine.export_onnx(weights, path)
    return path


@pytest.fixture(scope="module")
def reference(weights, network_input):
    return engine.load("tensorflow", weights, "float32", 2)(network_input)


def test_onnxruntime_agrees_with_tensorflow(exported, weights, network_input, reference):
    found = engine.load("onnxruntime", weights, "float32", 2)(network_input)
    assert found.shape == (N_STAMPS, *features.FEATURE_SHAPE) and found.dtype == np.float32
    assert max_relative(found, reference) <= AGREEMENT


@pytest.mark.parametrize("layer", ["block5_pool", "block3_pool"])
def test_jax_agrees_with_tensorflow(weights, network_input, reference, layer):
    """The JAX conv base (the GPU path without TensorFlow) is the same network, on the CPU."""
    expected = reference
    if layer != features.DEFAULT_LAYER:
        expected = engine.load("tensorflow", weights, "float32", 2, layer=layer)(network_input)
    found = engine.load("jax", weights, "float32", 2, layer=layer)(network_input)
    assert found.shape == (N_STAMPS, *features.LAYERS[layer]) and found.dtype == np.float32
    assert max_relative(found, expected) <= AGREEMENT


def test_jax_bfloat16_and_packed_weights_are_close(weights, network_input, reference, tmp_path):
    from blendhunter import jax_engine

    bf16 = engine.load("jax", weights, "bfloat16")(network_input)
    assert 0 < np.linalg.norm(bf16 - reference) / np.linalg.norm(reference) < 0.02
    packed = tmp_path / "vgg16_notop.float16.npz"
    jax_engine.pack(weights, packed)
    assert packed.stat().st_size < 0.6 * weights.stat().st_size
    found = jax_engine.conv_base(packed)(network_input)
    assert 0 < max_relative(found, reference) < 1e-2


def jax_gpus() -> list:
    import jax

    try:
        return jax.devices("gpu")
    except RuntimeError:  # no GPU backend
        return []


@pytest.mark.skipif(not jax_gpus(), reason="no GPU visible to JAX")
def test_jax_features_on_a_visible_gpu(weights, network_input, reference):
    """On a GPU machine with JAX's CUDA build: the same features as on the CPU (float32
    at the highest matmul precision, no TF32)."""
    from blendhunter import jax_engine

    found = jax_engine.conv_base(weights, device=jax_gpus()[0])(network_input)
    assert max_relative(found, reference) <= AGREEMENT


def test_gpu_check_script_runs(weights, tmp_path):
    """benchmarks/gpu_check.py (make gpu-check), on the CPU here: it runs and writes its JSON."""
    from .conftest import REPO

    out = tmp_path / "gpu_check.json"
    cmd = [sys.executable, str(REPO / "benchmarks" / "gpu_check.py"), "--weights", str(weights)]
    cmd += ["--out", str(out), "--allow-cpu", "--batches", "8", "--stamps", "8", "--seconds", "0.1"]
    subprocess.run(cmd, check=True, capture_output=True, timeout=600)
    result = json.loads(out.read_text())
    assert result["passed"] and set(result["layers"]) == {"block5_pool", "block3_pool"}
    assert result["layers"]["block5_pool"]["agreement"]["float32"] <= AGREEMENT


def test_export_records_the_weights_and_refuses_other_weights(exported, weights, tmp_path):
    assert engine.recorded_weights_md5(exported) == md5sum(weights)
    other = tmp_path / "vgg16_notop.h5"
    shutil.copy(weights, other)
    with h5py.File(other, "r+") as handle:
        handle["block5_conv3"]["block5_conv3/bias:0"][0] += 1.0
    with pytest.raises(engine.EngineError, match="other weights"):
        engine.load("onnxruntime", other, "float32", model_path=exported)
    with pytest.raises(engine.EngineError, match="no exported VGG-16 model"):
        engine.load("onnxruntime", other, "float32")


def test_int8_is_close_but_not_exact(exported, weights, network_input, reference, tmp_path):
    int8 = engine.model_paths(weights)["int8"]
    engine.quantize_int8(exported, network_input[:64], int8)
    found = engine.load("onnxruntime", weights, "int8", 2)(network_input)
    rms = np.linalg.norm(found - reference) / np.linalg.norm(reference)
    assert 0 < rms < INT8_RMS_TOLERANCE, rms
    assert engine.recorded_weights_md5(int8) == md5sum(weights)


@pytest.mark.parametrize(
    ("name", "precision", "message"),
    [("tensorflow", "int8", "engine onnxruntime"), ("onnxruntime", "bfloat16", "engine tensorflow")],
)
def test_unsupported_precision_is_named(name, precision, message):
    with pytest.raises(engine.EngineError, match=message):
        engine.check_supported(name, precision)


def test_config_rejects_an_engine_without_the_precision():
    from blendhunter import config as bh_config

    with pytest.raises(bh_config.ConfigError, match="not available with engine"):
        make_config({"features": {"engine": "tensorflow", "precision": "int8"}})


@pytest.mark.skipif(not __import__("tensorflow").config.list_physical_devices("GPU"), reason="no GPU visible")
def test_features_run_on_a_visible_gpu(weights, network_input, reference, exported):
    """On a GPU machine with `make setup GPU=1`: both engines use the GPU and agree."""
    import onnxruntime as ort

    assert "CUDAExecutionProvider" in ort.get_available_providers()
    session = engine.onnx_session(exported)
    assert session.get_providers()[0] == "CUDAExecutionProvider"
    found = engine.load("onnxruntime", weights, "float32")(network_input)
    assert max_relative(found, reference) <= 1e-3  # GPU convolutions (TF32) round differently


# --- classify with each engine -------------------------------------------------------------


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


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory, weights):
    return tiny_head(tmp_path_factory.mktemp("model"), weights)


def classify(*args):
    cmd = [sys.executable, "-m", "blendhunter.cli", "classify", "--quiet", *map(str, args)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def cube(tmp_path_factory):
    """A FITS cube of 51x51 stamps: more than one batch of 16."""
    rng = np.random.default_rng(5)
    data = rng.normal(0, 10, (40, 51, 51)).astype(np.float32)
    data[:, 20:31, 20:31] += 200 * rng.random((40, 1, 1)).astype(np.float32)
    path = tmp_path_factory.mktemp("cube") / "stamps.fits"
    fits.PrimaryHDU(data).writeto(path)
    return path


def test_classify_gives_the_same_labels_with_each_engine(model_dir, weights, exported, cube, tmp_path):
    tables = {}
    for name in engine.ENGINES:
        out = tmp_path / f"{name}.csv"
        args = ("--model", model_dir, "--vgg16-weights", weights, "--output", out, "--batch-size", 16)
        result = classify(*args, "--engine", name, "--allow-mismatch", cube)
        assert result.returncode == 0, result.stderr
        tables[name] = pd.read_csv(out)
    assert len(tables["tensorflow"]) == 40
    for name in ("onnxruntime", "jax"):
        assert (tables["tensorflow"]["label"] == tables[name]["label"]).all()
        assert np.allclose(tables["tensorflow"]["p_blend"], tables[name]["p_blend"], atol=1e-5)


def test_classify_streams_batches_independent_of_batch_size(model_dir, weights, exported, cube, tmp_path):
    """Memory-mapped input read in batches: the batch size changes nothing."""
    found = []
    for batch in (7, 40):
        out = tmp_path / f"b{batch}.csv"
        args = ("--model", model_dir, "--vgg16-weights", weights, "--output", out, "--batch-size", batch)
        assert classify(*args, cube).returncode == 0
        found.append(pd.read_csv(out))
    pd.testing.assert_frame_equal(found[0], found[1], atol=1e-6)


def test_classify_bad_stamp_in_a_later_batch_writes_nothing(model_dir, weights, exported, tmp_path):
    data = np.ones((30, 65, 65), np.float32)
    data[25, 3, 3] = np.nan
    path = tmp_path / "bad.fits"
    fits.PrimaryHDU(data).writeto(path)
    out = tmp_path / "out.csv"
    args = ("--model", model_dir, "--vgg16-weights", weights, "--output", out, "--batch-size", 8)
    result = classify(*args, path)
    assert result.returncode == 2 and "stamp 25" in result.stderr, result.stderr
    assert not out.exists() and not list(tmp_path.glob(".out.partial*"))


def test_classify_exports_into_the_cache_for_weights_without_a_model(model_dir, weights, cube, tmp_path):
    bare = tmp_path / "w" / "vgg16_notop.h5"
    bare.parent.mkdir()
    shutil.copy(weights, bare)
    out = tmp_path / "out.csv"
    env_cache = tmp_path / "cache"
    cmd = [sys.executable, "-m", "blendhunter.cli", "classify", "--quiet"]
    cmd += ["--model", str(model_dir), "--vgg16-weights", str(bare), "--output", str(out), str(cube)]
    env = {**__import__("os").environ, "XDG_CACHE_HOME": str(env_cache)}
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env)
    assert result.returncode == 0, result.stderr
    assert list((env_cache / "blendhunter").glob("vgg16_notop_*.onnx"))
    assert not engine.model_paths(bare)["float32"].exists()


# --- ensembles of a noise level's heads, calibrated probabilities --------------------------------


@pytest.fixture(scope="module")
def noise_level(tmp_path_factory, weights):
    """A noise-level directory holding two heads (real0, real1) of different seeds."""
    top = tmp_path_factory.mktemp("sigma15")
    for r in (0, 1):
        tiny_head(top / f"real{r}", weights, seed=10 + r)
    return top


def classified(model, weights, cube, out, *extra):
    args = ("--model", model, "--vgg16-weights", weights, "--output", out, "--batch-size", 16, *extra)
    result = classify(*args, cube)
    assert result.returncode == 0, result.stderr
    return pd.read_csv(out)


def test_classify_averages_the_heads_of_a_noise_level(noise_level, weights, exported, cube, tmp_path):
    single = [classified(noise_level / f"real{r}", weights, cube, tmp_path / f"r{r}.csv") for r in (0, 1)]
    both = classified(noise_level, weights, cube, tmp_path / "both.csv")
    assert "p_blend_std" not in single[0]
    assert list(both.columns) == ["index", "p_blend", "p_blend_std", "label"]
    p = np.stack([t["p_blend"].to_numpy() for t in single])
    assert not np.allclose(p[0], p[1])  # two different heads, so the mean is a real average
    assert np.allclose(both["p_blend"], p.mean(axis=0), atol=1e-6)
    assert np.allclose(both["p_blend_std"], np.abs(p[0] - p[1]) / 2, atol=1e-6)
    assert (both["label"] == np.where(p.mean(axis=0) >= 0.5, "blended", "isolated")).all()


def test_classify_calibrated_applies_each_heads_temperature(noise_level, weights, exported, cube, tmp_path):
    from blendhunter.scores import apply_temperature

    raw = [classified(noise_level / f"real{r}", weights, cube, tmp_path / f"r{r}.csv") for r in (0, 1)]
    for r, temperature in ((0, 2.0), (1, 0.5)):
        write_json(noise_level / f"real{r}" / training.CALIBRATION_FILE, {"temperature": temperature})
    calibrated = classified(noise_level, weights, cube, tmp_path / "cal.csv", "--calibrated")
    expected = (apply_temperature(raw[0]["p_blend"], 2.0) + apply_temperature(raw[1]["p_blend"], 0.5)) / 2
    assert np.allclose(calibrated["p_blend"], expected, atol=1e-6)
    (noise_level / "real1" / training.CALIBRATION_FILE).unlink()
    result = classify("--model", noise_level, "--vgg16-weights", weights, "--output", tmp_path / "x.csv",
                      "--calibrated", cube)  # fmt: skip
    assert result.returncode == 2 and "no calibration.json in" in result.stderr and "real1" in result.stderr


def test_classify_rejects_a_directory_without_heads(weights, cube, tmp_path):
    (tmp_path / "empty" / "real0").mkdir(parents=True)
    out = tmp_path / "out.csv"
    result = classify("--model", tmp_path / "empty", "--vgg16-weights", weights, "--output", out, cube)
    assert result.returncode == 2 and "no head.keras in it or in its subdirectories" in result.stderr
    assert not out.exists()


# --- the engines inside a real Snakemake run ---------------------------------------------------


@pytest.mark.slow
def test_features_jobs_with_each_engine_agree(tmp_path):
    """One workdir: features with tensorflow, then with onnxruntime (a params change reruns
    only the features); a changed weights file rebuilds the exported model, nothing else does."""
    cfg = make_config({"features": {"engine": "tensorflow"}})
    target = layout.PARAMETRIC_FEATURES.format(sigma="5", realisation=0)
    configfile = write_config(tmp_path / "tf.yaml", cfg)
    run_snakemake(tmp_path, configfile, target)
    with h5py.File(tmp_path / target) as handle:
        tf_features = handle["features"][()]
        tf_labels, tf_split = handle["label"][()], handle["split"][()]
        assert handle.attrs["engine"] == "tensorflow"

    configfile = write_config(tmp_path / "ort.yaml", make_config({"features": {"engine": "onnxruntime"}}))
    result = run_snakemake(tmp_path, configfile, target)
    assert "rule vgg16_onnx" in result.stdout + result.stderr
    assert "rule simulate_parametric_chunk" not in result.stdout + result.stderr
    with h5py.File(tmp_path / target) as handle:
        assert handle.attrs["engine"] == "onnxruntime"
        assert np.array_equal(handle["label"][()], tf_labels)
        assert np.array_equal(handle["split"][()], tf_split)
        assert max_relative(handle["features"][()], tf_features) <= AGREEMENT

    onnx = layout.exported_models(layout.VGG16_WEIGHTS)["float32"]
    assert "Nothing to be done" in run_snakemake(tmp_path, configfile, "-n", onnx).stdout
    with h5py.File(tmp_path / layout.VGG16_WEIGHTS, "r+") as handle:  # the weights change
        handle["block5_conv3"]["block5_conv3/bias:0"][0] += 1.0
    planned = run_snakemake(tmp_path, configfile, "-n", onnx)
    assert "rule vgg16_onnx" in planned.stdout, planned.stdout


# --- classify never writes a wrong answer -----------------------------------------------------
# Each test fails on the code before these checks: --batch-size -1 wrote uninitialised
# probabilities with exit 0; --output overwrote any file, the input included; other
# weights, engine or precision only warned; a damaged head or JSON ended in a traceback.


def base_args(model_dir, weights, out):
    return ("--model", model_dir, "--vgg16-weights", weights, "--output", out)


@pytest.mark.parametrize("size", ["0", "-1"])
def test_classify_refuses_a_batch_size_below_one(model_dir, weights, cube, tmp_path, size):
    out = tmp_path / "out.csv"
    result = classify(*base_args(model_dir, weights, out), "--batch-size", size, cube)
    assert result.returncode == 2 and "must be at least 1" in result.stderr
    assert not out.exists()


def test_classify_never_overwrites_without_asking_and_never_the_input(model_dir, weights, cube, tmp_path):
    out = tmp_path / "out.csv"
    out.write_text("keep me\n")
    result = classify(*base_args(model_dir, weights, out), cube)
    assert result.returncode == 2 and "exists; give another path or --overwrite" in result.stderr
    assert out.read_text() == "keep me\n"
    assert classify(*base_args(model_dir, weights, out), "--overwrite", cube).returncode == 0
    assert out.read_text().startswith("index,p_blend,label")
    before = cube.read_bytes()
    result = classify(*base_args(model_dir, weights, cube), "--overwrite", cube)
    assert result.returncode == 2 and "is the input file" in result.stderr
    assert cube.read_bytes() == before


def test_classify_refuses_features_unlike_the_heads_training(model_dir, weights, exported, cube, tmp_path):
    out = tmp_path / "out.csv"
    result = classify(*base_args(model_dir, weights, out), "--engine", "tensorflow", cube)
    assert result.returncode == 2 and "--engine tensorflow (the head's: onnxruntime)" in result.stderr
    result = classify(*base_args(model_dir, weights, out), "--precision", "int8", cube)
    assert result.returncode == 2 and "--precision int8 (the head's: float32)" in result.stderr
    other = tmp_path / "other.h5"
    shutil.copy(weights, other)
    with h5py.File(other, "r+") as handle:
        handle["block5_conv3"]["block5_conv3/bias:0"][0] += 1.0
    result = classify(*base_args(model_dir, other, out), cube)
    assert result.returncode == 2 and "--vgg16-weights (md5)" in result.stderr
    assert not out.exists()
    result = classify(*base_args(model_dir, weights, out), "--engine", "tensorflow", "--allow-mismatch", cube)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    "damage, named",
    [
        (lambda d: (d / training.HEAD_FILE).write_bytes(b"not a keras file"), "head.keras cannot be loaded"),
        (lambda d: (d / training.METADATA_FILE).write_text("{ truncated"), "unreadable head metadata"),
        (lambda d: (d / training.CALIBRATION_FILE).write_text("[]"), "unreadable calibration"),
    ],
    ids=["head", "metadata", "calibration"],
)
def test_classify_damaged_model_files_exit_2_with_one_line(weights, cube, tmp_path, damage, named):
    model = tiny_head(tmp_path / "model", weights)
    write_json(model / training.CALIBRATION_FILE, {"temperature": 1.0})
    damage(model)
    out = tmp_path / "out.csv"
    result = classify(*base_args(model, weights, out), "--calibrated", cube)
    assert result.returncode == 2 and named in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and not out.exists()


def test_classify_unwritable_output_exits_2(model_dir, weights, cube, tmp_path):
    (tmp_path / "a_file").write_text("not a folder\n")
    out = tmp_path / "a_file" / "out.csv"  # its folder cannot exist (root ignores permissions)
    result = classify(*base_args(model_dir, weights, out), cube)
    assert result.returncode == 2 and "cannot be written" in result.stderr, result.stderr


def test_classify_streams_gzipped_and_scaled_integer_cubes(model_dir, weights, exported, tmp_path):
    data = np.round(np.random.default_rng(2).normal(0, 10, (20, 51, 51)) * 2).astype(np.int16)
    data[:, 20:31, 20:31] += 400
    plain, gzipped, scaled = tmp_path / "p.fits", tmp_path / "g.fits.gz", tmp_path / "s.fits"
    fits.PrimaryHDU(data.astype(np.float32)).writeto(plain)
    fits.PrimaryHDU(data.astype(np.float32)).writeto(gzipped)
    hdu = fits.PrimaryHDU(data)
    hdu.scale("int16", bzero=100, bscale=1.0)  # stored integers, BZERO applied on read
    hdu.writeto(scaled)
    tables = {}
    for path in (plain, gzipped, scaled):
        out = tmp_path / f"{path.name}.csv"
        result = classify(*base_args(model_dir, weights, out), "--batch-size", 6, path)
        assert result.returncode == 0, result.stderr
        tables[path] = pd.read_csv(out)
    pd.testing.assert_frame_equal(tables[plain], tables[gzipped])
    pd.testing.assert_frame_equal(tables[plain], tables[scaled], atol=1e-6)


def test_classify_names_values_beyond_float32(model_dir, weights, tmp_path):
    data = np.ones((4, 51, 51))
    data[2, 5, 5] = 1e300  # finite in float64, infinite once cast to float32
    path = tmp_path / "big.fits"
    fits.PrimaryHDU(data).writeto(path)
    out = tmp_path / "out.csv"
    result = classify(*base_args(model_dir, weights, out), path)
    assert result.returncode == 2 and "stamp 2" in result.stderr and "beyond-float32" in result.stderr
    assert not out.exists()
