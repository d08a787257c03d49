"""Hostile input to `classify`, `classify-image`, `models`, `test-image` and config files: every case
gives exit 2 with one line that names the problem (and no traceback, no output file),
or an answer whose rows are flagged. Run in-process (`cli.main`), so the cases cost
milliseconds each, except those that classify."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest
from astropy.io import fits

from blendhunter import shipped
from blendhunter.errors import ConfigError
from blendhunter.network import training
from blendhunter.workflow import config as bh_config
from tests.conftest import REPO
from tests.unit.conftest import (
    SIGMA,
    Kit,
    N,
    fits_cube,
    galaxies,
    image_argv,
    image_with_sources,
    kit_argv,
    run,
)


def assert_one_line_error(status: int, err: str, named: str) -> None:
    assert status == 2, err
    assert "Traceback" not in err and "internal error" not in err, err
    assert named in err, err
    errors = [line for line in err.splitlines() if "error:" in line]
    assert len(errors) == 1, err


# --- classify: cases built from the kit -> (argv, the words the message must hold) ----------


def write(path: Path, content) -> Path:
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path


def model_copy(kit: Kit, tmp: Path, metadata=None, calibration=None, head: bytes | None = None) -> Path:
    model = tmp / "model"
    shutil.copytree(kit.model, model)
    if metadata is not None:
        current = json.loads((model / training.METADATA_FILE).read_text())
        text = json.dumps(metadata(current)) if callable(metadata) else metadata
        (model / training.METADATA_FILE).write_text(text)
    if calibration is not None:
        (model / training.CALIBRATION_FILE).write_text(calibration)
    if head is not None:
        (model / training.HEAD_FILE).write_bytes(head)
    return model


def bare(kit: Kit, tmp: Path) -> Path:
    """A copy of the weights with nothing exported beside it."""
    (tmp / "bare").mkdir()
    return Path(shutil.copy(kit.weights, tmp / "bare" / "vgg16_notop.h5"))


def stamps_case(make):
    """A classify case whose stamps file is made by make(tmp)."""
    return lambda kit, tmp: (make(tmp), ["--model", kit.model])


def model_case(**damage):
    return lambda kit, tmp: (kit.cube, ["--model", model_copy(kit, tmp, **damage), "--calibrated"])


def option_case(*options):
    return lambda kit, tmp: (kit.cube, ["--model", kit.model, *options])


def meta(**changes):
    return lambda m: {**{k: v for k, v in m.items() if k not in changes or changes[k] is not None}, **{
        k: v for k, v in changes.items() if v is not None and v != "DROP"}}  # fmt: skip


def drop(key):
    return lambda m: {k: v for k, v in m.items() if k != key}


CLASSIFY_CASES = {
    # the stamps file
    "missing-file": (stamps_case(lambda t: t / "none.fits"), "no such file"),
    "unknown-format": (stamps_case(lambda t: write(t / "s.txt", "1 2 3")), "unknown format"),
    "empty-fits": (stamps_case(lambda t: write(t / "s.fits", b"")), "not a readable FITS"),
    "text-as-fits": (stamps_case(lambda t: write(t / "s.fits", "hello\n" * 100)), "not a readable FITS"),
    "cut-header": (
        stamps_case(lambda t: write(t / "s.fits", (REPO / "README.md").read_bytes()[:1000])),
        "not a readable FITS",
    ),
    "one-d": (stamps_case(lambda t: fits_cube(t / "s.fits", np.ones(51, np.float32))), "N x 51 x 51"),
    "small-stamps": (stamps_case(lambda t: fits_cube(t / "s.fits", np.ones((3, 40, 40)))), "N x 51 x 51"),
    "not-square": (stamps_case(lambda t: fits_cube(t / "s.fits", np.ones((3, 51, 60)))), "N x 51 x 51"),
    "four-d": (stamps_case(lambda t: fits_cube(t / "s.fits", np.ones((2, 3, 51, 51)))), "N x 51 x 51"),
    "nan": (
        stamps_case(lambda t: fits_cube(t / "s.fits", np.where(galaxies() > 200, np.nan, galaxies()))),
        "NaN",
    ),
    "inf": (stamps_case(lambda t: fits_cube(t / "s.fits", np.where(galaxies() > 200, np.inf, 0))), "NaN"),
    "beyond-float32": (
        stamps_case(lambda t: fits_cube(t / "s.fits", galaxies().astype(np.float64) * 1e300)),
        "beyond-float32",
    ),
    "empty-primary": (stamps_case(lambda t: fits_cube(t / "s.fits", None)), "no stamps"),
    "weights-as-stamps": (
        lambda kit, tmp: (kit.weights, ["--model", kit.model]),
        "not a BlendHunter stamp file",
    ),
    "empty-h5": (
        stamps_case(lambda t: (h5py.File(t / "s.h5", "w").close(), t / "s.h5")[1]),
        "not a BlendHunter stamp file",
    ),
    "text-as-h5": (stamps_case(lambda t: write(t / "s.h5", "not hdf5")), "not a BlendHunter stamp file"),
    "fake-gzip": (stamps_case(lambda t: write(t / "s.fits.gz", "not gzip")), "not a readable FITS"),
    "folder": (stamps_case(lambda t: (t / "d.fits").mkdir() or t / "d.fits"), "no such file"),
    # the output
    "output-is-input": (lambda kit, tmp: (kit.cube, ["--model", kit.model, "--output!", kit.cube]), "input"),
    "output-exists": (
        lambda kit, tmp: (kit.cube, ["--model", kit.model, "--output!", write(tmp / "o.csv", "keep")]),
        "exists",
    ),
    "output-folder": (
        lambda kit, tmp: (kit.cube, ["--model", kit.model, "--output!", tmp, "--overwrite"]),
        "extension names the format",
    ),
    "output-dir-named-csv": (
        lambda kit, tmp: (
            kit.cube,
            ["--model", kit.model, "--output!", (tmp / "d.csv").mkdir() or tmp / "d.csv"],
        ),
        "is a folder",
    ),
    "output-under-a-file": (
        lambda kit, tmp: (kit.cube, ["--model", kit.model, "--output!", write(tmp / "f", "x") / "o.csv"]),
        "cannot be written",
    ),
    "output-png": (lambda kit, tmp: (kit.cube, ["--model", kit.model, "--output!", tmp / "o.png"]), ".csv"),
    "output-no-suffix": (lambda kit, tmp: (kit.cube, ["--model", kit.model, "--output!", tmp / "o"]), ".csv"),
    # options
    "threshold-0": (option_case("--threshold", "0"), "--threshold"),
    "threshold-1.5": (option_case("--threshold", "1.5"), "--threshold"),
    "threshold-nan": (option_case("--threshold", "nan"), "--threshold"),
    "batch-0": (option_case("--batch-size", "0"), "at least 1"),
    "batch-negative": (option_case("--batch-size", "-5"), "at least 1"),
    "batch-huge": (option_case("--batch-size", "1000000000"), "at most"),
    "batch-text": (option_case("--batch-size", "many"), "--batch-size"),
    "threads-negative": (option_case("--threads", "-1"), "the cores this process may use"),
    "threads-huge": (option_case("--threads", "100000"), "the cores this process may use"),
    "threads-text": (option_case("--threads", "all"), "--threads"),
    "engine-unknown": (option_case("--engine", "torch"), "--engine"),
    "precision-fp16": (option_case("--precision", "fp16"), "--precision"),
    "pad-unknown": (option_case("--pad", "mirror"), "--pad"),
    "engine-mismatch": (
        option_case("--engine", "tensorflow"),
        "--engine tensorflow (the head's: onnxruntime)",
    ),
    "precision-mismatch": (option_case("--precision", "int8"), "--precision int8 (the head's: float32)"),
    # the model
    "model-unknown-name": (option_case("--model", "cfis-sigma99"), "cfis-sigma15"),
    "model-empty-folder": (
        lambda kit, tmp: (kit.cube, ["--model", (tmp / "m").mkdir() or tmp / "m"]),
        "no head.keras",
    ),
    "head-damaged": (model_case(head=b"not keras"), "head.keras cannot be loaded"),
    "head-empty": (model_case(head=b""), "head.keras cannot be loaded"),
    "metadata-truncated": (model_case(metadata="{ trunc"), "unreadable head metadata"),
    "metadata-empty-object": (model_case(metadata="{}"), "preprocessing is missing"),
    "metadata-list": (model_case(metadata="[]"), "not a JSON object"),
    "metadata-preprocessing": (model_case(metadata=meta(preprocessing="log")), "preprocessing is 'log'"),
    "metadata-layer": (model_case(metadata=meta(layer="block9_pool")), "layer is 'block9_pool'"),
    "metadata-layer-mismatch": (model_case(metadata=meta(layer="block3_pool")), "takes features of shape"),
    "metadata-precision": (model_case(metadata=meta(precision="fp16")), "precision is 'fp16'"),
    "metadata-engine": (model_case(metadata=meta(engine="torch")), "engine is 'torch'"),
    "metadata-no-md5": (model_case(metadata=drop("vgg16_weights_md5")), "vgg16_weights_md5"),
    "calibration-missing": (
        lambda kit, tmp: (kit.cube, ["--model", model_copy(kit, tmp, calibration="{}"), "--calibrated"]),
        "temperature None",
    ),
    "temperature-negative": (model_case(calibration='{"temperature": -1}'), "temperature -1"),
    "temperature-nan": (model_case(calibration='{"temperature": NaN}'), "temperature nan"),
    "temperature-zero": (model_case(calibration='{"temperature": 0}'), "temperature 0"),
    "temperature-text": (model_case(calibration='{"temperature": "1.0"}'), "temperature '1.0'"),
    "temperature-bool": (model_case(calibration='{"temperature": true}'), "temperature True"),
    "calibration-list": (model_case(calibration="[]"), "unreadable calibration"),
    "int8-away-from-campaign": (  # weights of their own: no int8 model beside them
        lambda kit, tmp: (
            kit.cube,
            [
                "--model",
                model_copy(kit, tmp, metadata=meta(precision="int8")),
                "--vgg16-weights",
                bare(kit, tmp),
            ],
        ),
        "calibrated on its campaign's training stamps",
    ),
    # the weights
    "weights-missing": (option_case("--vgg16-weights", "none.h5"), "--vgg16-weights"),
    "weights-imagenet-word": (option_case("--vgg16-weights", "imagenet"), "imagenet does not exist"),
    "weights-text": (
        lambda kit, tmp: (kit.cube, ["--model", kit.model, "--vgg16-weights", write(tmp / "w.h5", "x")]),
        "is not HDF5",
    ),
    "weights-not-vgg": (
        lambda kit, tmp: (kit.cube, ["--model", kit.model, "--vgg16-weights", kit.model / "head.keras"]),
        "--vgg16-weights",
    ),
}


@pytest.mark.parametrize("case", list(CLASSIFY_CASES))
def test_classify_hostile_input_gives_one_line_and_no_output(case, kit, tmp_path, capsys):
    build, named = CLASSIFY_CASES[case]
    stamps, extra = build(kit, tmp_path)
    out = tmp_path / "out.csv"
    if "--output!" in extra:  # the case chooses the output
        at = extra.index("--output!")
        out = Path(extra[at + 1])
        extra = extra[:at] + extra[at + 2 :]
    before = out.read_bytes() if out.is_file() else None
    argv = ["classify", "--quiet", "--vgg16-weights", kit.weights, "--output", out, *extra, stamps]
    status, err = run(argv, capsys)
    assert_one_line_error(status, err, named)
    if before is None:
        assert not out.is_file() and not list(out.parent.glob(f".{out.stem}.partial*"))
    else:
        assert out.read_bytes() == before
    if "weights-imagenet" in case:
        assert "or to imagenet" not in err


# --- the domain check: answers, but every row flagged (and --strict: exit 2) --------------------

DOMAIN_CASES = {
    "all-zero": (lambda: np.zeros((N, 51, 51), np.float32), "no_signal"),
    "constant": (lambda: np.full((N, 51, 51), 7.0, np.float32), "no_signal"),
    "sky-not-subtracted": (lambda: galaxies() + 1000, "background"),
    "eight-bit-offset": (lambda: np.clip(galaxies() / 4 + 100, 0, 255).astype(np.uint8), "background"),
    "hot-pixel": (lambda: _hot(galaxies()), "hot_pixel"),
    "saturated": (lambda: np.minimum(galaxies(), 150), "saturated"),
    "noise-3x": (lambda: galaxies(sigma=3 * SIGMA), "noise"),
    "noise-third": (lambda: galaxies(sigma=SIGMA / 3), "noise"),
    "only-noise": (lambda: np.random.default_rng(3).normal(0, SIGMA, (N, 51, 51)), "no_signal"),
    "negative-galaxy": (lambda: -galaxies(), "no_signal"),
}


def _hot(stamps: np.ndarray) -> np.ndarray:
    stamps = stamps.copy()
    stamps[:, 10, 12] = 60 * SIGMA
    return stamps


@pytest.mark.parametrize("case", list(DOMAIN_CASES))
def test_stamps_outside_the_training_domain_are_flagged(case, kit, tmp_path, capsys):
    make, flag = DOMAIN_CASES[case]
    stamps = fits_cube(tmp_path / "s.fits", make())
    out = tmp_path / "out.csv"
    argv = [*kit_argv(kit, "classify", out), stamps]
    status, err = run(argv, capsys)
    assert status == 0, err
    table = pd.read_csv(out, keep_default_na=False)
    assert table["flags"].str.contains(flag).all(), table["flags"]
    assert (table["label"] == "out_of_domain").all()
    assert "flagged outside the model's training domain" in err
    strict = run([*argv[:-1], "--overwrite", "--strict", stamps], capsys)
    assert strict[0] == 2 and "--strict" in strict[1]


def test_stamps_like_training_are_not_flagged(kit, tmp_path, capsys):
    out = tmp_path / "out.fits"
    argv = ["classify", "--quiet", "--vgg16-weights", kit.weights, "--model", kit.model, "--output", out]
    status, err = run([*argv, "--strict", kit.cube], capsys)
    assert status == 0, err
    table = fits.getdata(out)  # the format the extension names
    assert len(table) == N and set(table["label"]) <= {"blended", "isolated"}
    assert np.allclose(table["sigma_border"], SIGMA, rtol=0.2)


# --- shipped models, damaged; the cache --------------------------------------------------------


@pytest.fixture
def shipped_copy(tmp_path, monkeypatch):
    root = tmp_path / "models"
    shutil.copytree(shipped.folder(), root)
    monkeypatch.setattr(shipped, "folder", lambda: root)
    return root / shipped.recommended()


SHIPPED_DAMAGE = {
    "card-truncated": (lambda m: write(m / "card.json", '{"name": '), "card is damaged"),
    "card-no-metadata": (lambda m: write(m / "card.json", '{"recommended": true}'), "card is damaged"),
    "weights-missing": (lambda m: (m / "weights.npz").unlink(), "weights are damaged"),
    "weights-cut": (lambda m: write(m / "weights.npz", (m / "weights.npz").read_bytes()[:5000]), "damaged"),
    "weights-flipped": (
        lambda m: write(
            m / "weights.npz",
            bytes(b ^ 0xFF for b in (m / "weights.npz").read_bytes()[:64])
            + (m / "weights.npz").read_bytes()[64:],
        ),
        "weights are damaged",
    ),  # fmt: skip
    "temperature-negative": (
        lambda m: write(
            m / "card.json", json.dumps({**json.loads((m / "card.json").read_text()), "temperature": -1})
        ),
        "temperature -1",
    ),
}


@pytest.mark.parametrize("case", list(SHIPPED_DAMAGE))
def test_damaged_shipped_models_say_reinstall(case, kit, shipped_copy, tmp_path, capsys):
    damage, named = SHIPPED_DAMAGE[case]
    damage(shipped_copy)
    out = tmp_path / "out.csv"
    argv = ["classify", "--quiet", "--vgg16-weights", kit.weights, "--output", out, "--calibrated"]
    status, err = run([*argv, "--model", shipped_copy.name, kit.cube], capsys)
    assert_one_line_error(status, err, named)
    assert not out.exists()


def test_models_lists_a_damaged_card_without_a_traceback(shipped_copy, capsys):
    write(shipped_copy / "card.json", "{")
    status, err = run(["models"], capsys)
    assert status == 0 and "Traceback" not in err


def test_a_cache_folder_that_is_a_file_is_named(kit, tmp_path, monkeypatch, capsys):
    weights = tmp_path / "w" / "vgg16.h5"  # no exported model beside it: the cache is used
    weights.parent.mkdir()
    shutil.copy(kit.weights, weights)
    write(tmp_path / "blendhunter", "a file")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    argv = [
        "classify",
        "--quiet",
        "--vgg16-weights",
        weights,
        "--model",
        kit.model,
        "--output",
        tmp_path / "o.csv",
    ]
    status, err = run([*argv, "--allow-mismatch", kit.cube], capsys)
    assert_one_line_error(status, err, "is a file, not the cache folder")


def test_ctrl_c_exits_130_with_one_line_and_no_output(kit, tmp_path, monkeypatch, capsys):
    from blendhunter import classify

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(classify.Classifier, "p_blend", interrupted)
    out = tmp_path / "out.csv"
    argv = ["classify", "--quiet", "--vgg16-weights", kit.weights, "--model", kit.model, "--output", out]
    status, err = run([*argv, kit.cube], capsys)
    assert status == 130 and "interrupted" in err and "Traceback" not in err
    assert not out.exists() and not list(tmp_path.glob(".out*"))


# --- classify-image -----------------------------------------------------------------------


def image_file(tmp: Path, data, name: str = "i.fits") -> Path:
    fits.PrimaryHDU(data).writeto(tmp / name, overwrite=True)
    return tmp / name


def catalogue(tmp: Path, text: str) -> Path:
    return write(tmp / "c.csv", text)


def with_wcs(tmp: Path, cd) -> Path:
    """The image with a TAN WCS of matrix cd (2x2, degrees per pixel)."""
    header = fits.Header()
    header.update(CTYPE1="RA---TAN", CTYPE2="DEC--TAN", CRVAL1=150.0, CRVAL2=2.0, CRPIX1=120, CRPIX2=120)
    header.update(CD1_1=cd[0][0], CD1_2=cd[0][1], CD2_1=cd[1][0], CD2_2=cd[1][1])
    fits.PrimaryHDU(image_with_sources()[0], header=header).writeto(tmp / "w.fits")
    return tmp / "w.fits"


def img(image=None, *extra):
    return lambda kit, tmp: [image(kit, tmp) if image else kit.image, "--catalogue", kit.catalogue, *extra]


IMAGE_CASES = {
    "image-missing": (lambda kit, tmp: [tmp / "none.fits"], "no such file"),
    "image-text": (lambda kit, tmp: [write(tmp / "i.fits", "text")], "not a readable FITS"),
    "hdu-5": (lambda kit, tmp: [kit.image, "--hdu", "5"], "no HDU 5"),
    "hdu-negative": (lambda kit, tmp: [kit.image, "--hdu", "-9"], "no HDU -9"),
    "hdu-text": (lambda kit, tmp: [kit.image, "--hdu", "SCI"], "--hdu"),
    "table-hdu": (
        lambda kit, tmp: [
            (
                fits.HDUList(
                    [fits.PrimaryHDU(), fits.BinTableHDU.from_columns([fits.Column("a", "E", array=[1.0])])]
                ).writeto(tmp / "t.fits")
                or tmp / "t.fits"
            ),
            "--hdu",
            "1",
        ],
        "no 2-D image",
    ),  # fmt: skip
    "blank-image": (lambda kit, tmp: [image_file(tmp, np.zeros((240, 240), np.float32))], "no noise"),
    "constant-image": (lambda kit, tmp: [image_file(tmp, np.full((240, 240), 5.0, np.float32))], "no noise"),
    "all-nan": (
        lambda kit, tmp: [image_file(tmp, np.full((240, 240), np.nan, np.float32))],
        "no finite pixels",
    ),
    "cube": (lambda kit, tmp: [image_file(tmp, np.ones((2, 60, 60), np.float32))], "no 2-D image"),
    "pure-noise": (
        lambda kit, tmp: [
            image_file(tmp, np.random.default_rng(0).normal(0, 1, (240, 240)).astype(np.float32))
        ],
        "found no source",
    ),
    "weight-negative": (
        lambda kit, tmp: [kit.image, "--weight", image_file(tmp, -np.ones((240, 240), np.float32), "w.fits")],
        "negative pixels",
    ),
    "rms-negative": (
        lambda kit, tmp: [
            kit.image,
            "--rms",
            image_file(tmp, np.full((240, 240), -15, np.float32), "r.fits"),
        ],
        "negative pixels",
    ),
    "rms-zero": (
        lambda kit, tmp: [kit.image, "--rms", image_file(tmp, np.zeros((240, 240), np.float32), "r.fits")],
        "zero everywhere",
    ),
    "weight-zero": (
        lambda kit, tmp: [kit.image, "--weight", image_file(tmp, np.zeros((240, 240), np.float32), "w.fits")],
        "zero everywhere",
    ),
    "weight-shape": (
        lambda kit, tmp: [kit.image, "--weight", image_file(tmp, np.ones((100, 100), np.float32), "w.fits")],
        "differs from the image's",
    ),
    "weight-and-rms": (
        lambda kit, tmp: [kit.image, "--weight", kit.image, "--rms", kit.image],
        "not allowed",
    ),
    "detect-negative": (lambda kit, tmp: [kit.image, "--detect-threshold", "-1"], "positive number"),
    "detect-zero": (lambda kit, tmp: [kit.image, "--detect-threshold", "0"], "positive number"),
    "detect-nan": (lambda kit, tmp: [kit.image, "--detect-threshold", "nan"], "positive number"),
    "minarea-zero": (lambda kit, tmp: [kit.image, "--minarea", "0"], "at least 1"),
    "catalogue-missing": (lambda kit, tmp: [kit.image, "--catalogue", tmp / "none.csv"], "no such catalogue"),
    "catalogue-header-only": (
        lambda kit, tmp: [kit.image, "--catalogue", catalogue(tmp, "x,y\n")],
        "no rows",
    ),
    "catalogue-empty": (lambda kit, tmp: [kit.image, "--catalogue", catalogue(tmp, "")], "not a readable"),
    "catalogue-text-x": (
        lambda kit, tmp: [kit.image, "--catalogue", catalogue(tmp, "x,y\n60,60\nabc,120\n")],
        "not a number",
    ),
    "catalogue-sexagesimal": (
        lambda kit, tmp: [
            with_wcs(tmp, ((-5e-5, 0), (0, 5e-5))),
            "--catalogue",
            catalogue(tmp, "ra,dec\n10:00:00,+02:00:00\n"),
        ],
        "sexagesimal",
    ),
    "catalogue-no-positions": (
        lambda kit, tmp: [kit.image, "--catalogue", catalogue(tmp, "a,b\n1,2\n")],
        "no position",
    ),
    "catalogue-off-image": (
        lambda kit, tmp: [kit.image, "--catalogue", catalogue(tmp, "x,y\n60,60\n900,5\n")],
        "off the 240x240 image",
    ),
    "catalogue-nan": (
        lambda kit, tmp: [kit.image, "--catalogue", catalogue(tmp, "x,y\n60,60\n,5\n")],
        "not a number",
    ),
    "catalogue-binary": (
        lambda kit, tmp: [kit.image, "--catalogue", write(tmp / "c.csv", bytes(range(256)) * 4)],
        "not a readable CSV",
    ),
    "catalogue-fits-damaged": (
        lambda kit, tmp: [kit.image, "--catalogue", write(tmp / "c.fits", b"SIMPLE  =" + b"\0" * 100)],
        "not a readable",
    ),
    "radec-without-wcs": (
        lambda kit, tmp: [kit.image, "--catalogue", catalogue(tmp, "ra,dec\n150,2\n")],
        "no celestial WCS",
    ),
    "singular-wcs": (
        lambda kit, tmp: [
            with_wcs(tmp, ((5e-5, 5e-5), (5e-5, 5e-5))),
            "--catalogue",
            catalogue(tmp, "ra,dec\n150,2\n"),
        ],
        "WCS is singular",
    ),
    "output-is-image": (lambda kit, tmp: [kit.image, "--output!", kit.image], "input"),
    "output-is-catalogue": (
        lambda kit, tmp: [kit.image, "--catalogue", kit.catalogue, "--output!", kit.catalogue],
        "input",
    ),
    "output-png": (lambda kit, tmp: [kit.image, "--output!", tmp / "o.png"], ".csv"),
    "plot-is-output": (lambda kit, tmp: [kit.image, "--plot", tmp / "out.csv"], "--plot"),
    "plot-over-output-png": (
        lambda kit, tmp: [kit.image, "--output!", tmp / "f.png", "--plot", tmp / "f.png"],
        "--output",
    ),
    "plot-exists": (lambda kit, tmp: [kit.image, "--plot", write(tmp / "p.png", "keep")], "exists"),
    "plot-txt": (lambda kit, tmp: [kit.image, "--plot", tmp / "p.txt"], ".png"),
    "plot-under-a-file": (
        lambda kit, tmp: [kit.image, "--plot", write(tmp / "f", "x") / "p.png"],
        "cannot be written",
    ),
    "plot-is-image": (lambda kit, tmp: [kit.image, "--plot", kit.image, "--overwrite"], ".png"),
    "threads-huge": (lambda kit, tmp: [kit.image, "--threads", "100000"], "the cores"),
}


@pytest.mark.parametrize("case", list(IMAGE_CASES))
def test_classify_image_hostile_input_gives_one_line_and_no_output(case, kit, tmp_path, capsys):
    build, named = IMAGE_CASES[case]
    extra = build(kit, tmp_path)
    out = tmp_path / "out.csv"
    if "--output!" in extra:
        at = extra.index("--output!")
        out = Path(extra[at + 1])
        extra = extra[:at] + extra[at + 2 :]
    before = {p: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    argv = image_argv(kit, out)
    status, err = run([*argv, *extra], capsys)
    assert_one_line_error(status, err, named)
    after = {p: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    assert after == before  # nothing written, nothing overwritten
    assert kit.image.is_file() and kit.catalogue.is_file()


def test_a_weight_map_given_as_the_image_is_flagged(kit, tmp_path, capsys):
    weight = image_file(
        tmp_path, np.full((240, 240), 1 / SIGMA**2, np.float32) + image_with_sources()[0] * 1e-6
    )
    out = tmp_path / "out.csv"
    argv = image_argv(kit, out)
    status, err = run([*argv, "--catalogue", kit.catalogue, weight], capsys)
    assert status == 0, err
    table = pd.read_csv(out, keep_default_na=False)
    assert (table["flags"] != "").all() and (table["blended"] == "").all()
    status, err = run([*argv, "--overwrite", "--strict", "--catalogue", kit.catalogue, weight], capsys)
    assert status == 2


# --- config files ------------------------------------------------------------------------------

CONFIG_CASES = {
    "n-stamps-huge": ({"parametric": {"n_stamps": 10**12}}, "parametric.n_stamps"),
    "n-stamps-float": ({"parametric": {"n_stamps": 1.5}}, "parametric.n_stamps"),
    "realistic-huge": ({"realistic": {"n_stamps": 10**9}}, "realistic.n_stamps"),
    "chunk-huge": ({"parametric": {"chunk_size": 10**7}}, "parametric.chunk_size"),
    "chunk-zero": ({"realistic": {"chunk_size": 0}}, "realistic.chunk_size"),
    "realisations-huge": ({"parametric": {"realisations": 5000}}, "parametric.realisations"),
    "sigmas-many": ({"parametric": {"sigmas": list(range(1, 40))}}, "parametric.sigmas"),
    "sigma-negative": ({"parametric": {"sigmas": [-5]}}, "parametric.sigmas"),
    "sigma-huge": ({"realistic": {"sigma": 1e9}}, "realistic.sigma"),
    "batch-huge": ({"features": {"batch_size": 10**7}}, "features.batch_size"),
    "calibration-huge": ({"features": {"calibration_stamps": 10**7}}, "features.calibration_stamps"),
    "unknown-key": ({"parametric": {"n_stamp": 5}}, "unknown key"),
    "precision-fp16": ({"features": {"precision": "fp16"}}, "features.precision"),
}


@pytest.mark.parametrize("case", list(CONFIG_CASES))
def test_bad_config_values_are_named_with_their_key(case):
    change, named = CONFIG_CASES[case]
    cfg = bh_config.merge(bh_config.load(REPO / "config" / "config.yaml"), change)
    with pytest.raises(ConfigError, match=named.replace(".", r"\.")):
        bh_config.validate(cfg)


def test_the_hostile_suite_has_at_least_100_cases():
    cases = CLASSIFY_CASES | DOMAIN_CASES | SHIPPED_DAMAGE | IMAGE_CASES | CONFIG_CASES | TEST_IMAGE_CASES
    assert len(cases) >= 100


TEST_IMAGE_CASES = {  # argv after `test-image` (in tmp_path), and what the one line names
    "outside the repository": (
        ["image.fits", "truth.csv"],
        "run from the repository's root, or give --configfile",
    ),
    "image is not FITS": (["image.png", "truth.csv", "--configfile", "{config}"], "write one of .fits"),
    "truth is not CSV": (["image.fits", "truth.fits", "--configfile", "{config}"], "write one of .csv"),
    "image over the config": (
        ["config.fits", "truth.csv", "--configfile", "config.fits"],
        "is an input file",
    ),
    "existing image": (
        ["old.fits", "truth.csv", "--configfile", "{config}"],
        "exists; give another path or --overwrite",
    ),
    "config not YAML": (
        ["image.fits", "truth.csv", "--configfile", "notes.txt"],
        "--configfile: not a YAML config",
    ),
    "unknown survey": (
        ["image.fits", "truth.csv", "--survey", "nope", "--configfile", "{config}"],
        "--survey nope: no preset config/surveys/nope.yaml",
    ),
    "survey image too small": (
        ["image.fits", "truth.csv", "--survey", "hsc-i", "--side", "10", "--configfile", "{config}"],
        "--side 10: give a value from 200",
    ),
    "negative star density": (
        ["image.fits", "truth.csv", "--survey", "hsc-i", "--stars", "-1", "--configfile", "{config}"],
        "--stars -1: give a value from 0",
    ),
    "absurd galaxy density": (
        ["image.fits", "truth.csv", "--survey", "hsc-i", "--density", "1e9", "--configfile", "{config}"],
        "--density 1e+09: give a value from 0.1 to 500",
    ),
}


@pytest.mark.parametrize("case", TEST_IMAGE_CASES)
def test_test_image_hostile_input_gives_one_line_and_no_output(case, tmp_path, monkeypatch, capsys):
    """`blendhunter test-image`: every problem before any drawing, one line, nothing written."""
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "old.fits", "an earlier image")
    write(tmp_path / "config.fits", "seed: 1")
    write(tmp_path / "notes.txt", "a: b: c: [")
    argv, named = TEST_IMAGE_CASES[case]
    config = REPO / "config" / "config.yaml"
    status, err = run(["test-image", *(a.format(config=config) for a in argv)], capsys)
    assert_one_line_error(status, err, named)
    assert not (tmp_path / "truth.csv").exists() and not (tmp_path / "image.fits").exists()
