"""blendhunter.cli: `blendhunter classify` with real heads, real VGG-16 weights and real stamps;
every bad input exits 2 with one line and writes nothing.
"""

from __future__ import annotations

import shutil
import subprocess
import sys

import h5py
import numpy as np
import pandas as pd
import pytest
from astropy.io import fits

from blendhunter import classify as bh_classify
from blendhunter.io import write_json
from blendhunter.network import engine, features, training
from tests.unit.conftest import classify, tiny_head


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
    (cached,) = (env_cache / "blendhunter").glob("vgg16_notop_*.onnx")
    assert not engine.model_paths(bare)["float32"].exists()
    exported = cached.read_bytes()
    cached.write_bytes(exported[: len(exported) // 2])  # a damaged cache entry is exported again
    (tmp_path / "out.csv").unlink()
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env)
    assert result.returncode == 0, result.stderr
    assert "damaged; exporting it again" in result.stderr
    assert cached.read_bytes() == exported


COLUMNS = ["index", "p_blend", "label", "background", "sigma_border", "flags"]


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
    assert list(both.columns) == [*COLUMNS[:2], "p_blend_std", *COLUMNS[2:]]
    p = np.stack([t["p_blend"].to_numpy() for t in single])
    assert not np.allclose(p[0], p[1])  # two different heads, so the mean is a real average
    assert np.allclose(both["p_blend"], p.mean(axis=0), atol=1e-6)
    assert np.allclose(both["p_blend_std"], np.abs(p[0] - p[1]) / 2, atol=1e-6)
    expected = np.where(p.mean(axis=0) >= 0.5, "blended", "isolated")
    assert (both["label"] == np.where(both["flags"].isna(), expected, "out_of_domain")).all()


def test_classify_calibrated_applies_each_heads_temperature(noise_level, weights, exported, cube, tmp_path):
    from blendhunter.evaluation.scores import apply_temperature

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
    assert result.returncode == 2 and "is an input file" in result.stderr
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


def test_classify_fits_round_trip(
    sigma5_model_dir, vgg16_weights, sigma5_set, sigma5_features, sigma5_head, tmp_path
):
    test = sigma5_set.indices("test")
    cube = sigma5_set.images(test)
    fits.writeto(tmp_path / "stamps65.fits", cube)
    fits.writeto(tmp_path / "stamps51.fits", cube[:, 7:-7, 7:-7])
    x_test, _, _ = features.read_features(sigma5_features, "test")
    expected = training.predict(sigma5_head.model, x_test)
    for name in ("stamps65", "stamps51"):
        out = tmp_path / f"{name}.csv"
        result = classify(
            "--model",
            sigma5_model_dir,
            "--vgg16-weights",
            vgg16_weights,
            "--output",
            out,
            tmp_path / f"{name}.fits",
        )
        assert result.returncode == 0, result.stderr
        table = pd.read_csv(out)
        assert list(table.columns) == COLUMNS
        assert table["flags"].isna().all()  # real training-like stamps: none out of domain
        assert table["index"].tolist() == list(range(len(test)))
        assert set(table["label"]) <= {"blended", "isolated"}
        assert np.array_equal(table["label"] == "blended", table["p_blend"] >= 0.5)
        accuracy = np.mean((table["label"] == "blended") == sigma5_set.labels[test])
        assert accuracy >= 0.85, (name, accuracy)
    # 65x65 input is exactly the workflow's path
    table = pd.read_csv(tmp_path / "stamps65.csv")
    assert np.allclose(table["p_blend"], expected, atol=1e-5)


def test_classify_reads_workflow_hdf5(sigma5_model_dir, vgg16_weights, sigma5_set, tmp_path):
    out = tmp_path / "out.csv"
    result = classify(
        "--model", sigma5_model_dir, "--vgg16-weights", vgg16_weights, "--output", out, sigma5_set.path
    )
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
def test_classify_bad_fits_fails_clearly_and_writes_nothing(
    sigma5_model_dir, vgg16_weights, tmp_path, make, message
):
    data = make()
    fits.PrimaryHDU(data).writeto(tmp_path / "bad.fits")
    out = tmp_path / "out.csv"
    result = classify(
        "--model", sigma5_model_dir, "--vgg16-weights", vgg16_weights, "--output", out, tmp_path / "bad.fits"
    )
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert not out.exists() and not list(tmp_path.glob(".out*"))


def test_classify_bad_model_and_weights(sigma5_model_dir, vgg16_weights, tmp_path):
    fits.writeto(tmp_path / "s.fits", np.ones((2, 51, 51), np.float32))
    out = tmp_path / "out.csv"
    result = classify(
        "--model", tmp_path, "--vgg16-weights", vgg16_weights, "--output", out, tmp_path / "s.fits"
    )
    assert result.returncode == 2 and "--model" in result.stderr
    result = classify(
        "--model",
        sigma5_model_dir,
        "--vgg16-weights",
        tmp_path / "none.h5",
        "--output",
        out,
        tmp_path / "s.fits",
    )
    assert result.returncode == 2 and "--vgg16-weights" in result.stderr
    assert not out.exists()


def test_pad_like_training_noise_matches_stamp_sigma():
    rng = np.random.default_rng(3)
    stamps51 = rng.normal(0, 7.0, (20, 51, 51)).astype(np.float32)
    padded = bh_classify.pad_like_training(stamps51, "noise")
    assert padded.shape == (20, 65, 65)
    assert np.array_equal(padded[:, 7:-7, 7:-7], stamps51)
    assert abs(padded[:, :7, :].std() - 7.0) < 0.3
    assert np.all(bh_classify.pad_like_training(stamps51, "zeros")[:, :7, :] == 0)
