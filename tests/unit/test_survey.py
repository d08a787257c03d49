"""blendhunter.survey: `blendhunter classify-image` on a GalSim survey image."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from astropy.io import fits
from astropy.table import Table
from astropy.wcs import WCS

from blendhunter import shipped, survey
from blendhunter.evaluation.scores import auc
from tests.conftest import make_config

AUC_CATALOGUE = 0.95  # measured 0.9999 on this image (169 sources, half of them blends)


AUC_DETECTED = 0.90  # measured 0.996 on the detections matched to a central galaxy


MATCH_PX = 3.0


@pytest.fixture(scope="module")
def cfg():
    return make_config()


@pytest.fixture(scope="module")
def scene(tmp_path_factory, cfg):
    """A 1000x1000 image at 0.187"/px: parametric galaxies (isolated and blended, the
    project's PSF) on a grid, sky 100, noise sigma 15; its truth table."""
    root = tmp_path_factory.mktemp("survey")
    truth = survey.simulate_image(cfg, root / "image.fits", root / "truth.csv")
    return root, truth


def run(image, out, *args):
    weights = make_config()["resources"]["vgg16_weights"]
    cmd = [sys.executable, "-m", "blendhunter.cli", "classify-image", str(image), "--output", str(out)]
    cmd += ["--vgg16-weights", weights, "--quiet", *map(str, args)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=900)


def test_a_catalogue_in_pixels_gives_one_row_per_source_and_ranks_blends_first(scene, tmp_path):
    root, truth = scene
    out = tmp_path / "flags.csv"
    result = run(root / "image.fits", out, "--catalogue", root / "truth.csv", "--plot", tmp_path / "p.png")
    assert result.returncode == 0, result.stderr
    table = pd.read_csv(out)
    assert len(table) == len(truth)
    assert {"p_blend", "blended", "sigma_local", "edge", "masked", "model"} <= set(table.columns)
    assert list(table["x"]) == list(truth["x"])  # the input's columns, in its order
    assert auc(truth["label"], table["p_blend"]) >= AUC_CATALOGUE
    assert np.allclose(table["sigma_local"], 15, rtol=0.1)  # SEP's RMS of the sky-subtracted image
    assert (table["model"] == shipped.recommended()).all()
    assert (tmp_path / "p.png").stat().st_size > 10_000


def test_sky_coordinates_through_the_wcs_give_the_same_flags(scene, tmp_path):
    root, truth = scene
    wcs = WCS(naxis=2)
    wcs.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    wcs.wcs.crpix, wcs.wcs.crval = [500, 500], [150.1, 2.2]
    wcs.wcs.cdelt = [-0.187 / 3600, 0.187 / 3600]
    image = tmp_path / "wcs.fits"
    fits.PrimaryHDU(fits.getdata(root / "image.fits"), header=wcs.to_header()).writeto(image)
    ra, dec = wcs.all_pix2world(truth["x"], truth["y"], 0)
    Table({"ra": ra, "dec": dec, "id": np.arange(len(truth))}).write(tmp_path / "sky.fits")
    out = tmp_path / "flags.fits"
    result = run(image, out, "--catalogue", tmp_path / "sky.fits")
    assert result.returncode == 0, result.stderr
    found = Table.read(out).to_pandas()
    assert list(found["id"]) == list(range(len(truth)))
    assert auc(truth["label"], found["p_blend"]) >= AUC_CATALOGUE


def test_sep_detection_without_a_catalogue(scene, tmp_path):
    root, truth = scene
    out = tmp_path / "detected.csv"
    result = run(root / "image.fits", out)
    assert result.returncode == 0, result.stderr
    table = pd.read_csv(out)
    image = survey.read_image(root / "image.fits")
    back, sigma = survey.noise_maps(image)
    assert len(table) == len(survey.detect(image, back, sigma, 3.0, 5))  # one row per detection
    distance = np.hypot(
        table["x"].to_numpy()[:, None] - truth["x"].to_numpy(),
        table["y"].to_numpy()[:, None] - truth["y"].to_numpy(),
    )
    central = distance.min(axis=1) < MATCH_PX
    assert central.sum() >= 0.9 * len(truth)
    labels = truth["label"].to_numpy()[distance.argmin(axis=1)[central]]
    assert auc(labels, table["p_blend"].to_numpy()[central]) >= AUC_DETECTED


def test_masked_regions_are_flagged_not_crashed_on(scene, tmp_path):
    root, truth = scene
    data = fits.getdata(root / "image.fits").copy()
    x0, y0 = int(truth["x"][0]), int(truth["y"][0])
    data[y0 + 5 : y0 + 15, x0 - 10 : x0 + 10] = np.nan  # a bad column block beside source 0
    image = tmp_path / "holes.fits"
    fits.PrimaryHDU(data).writeto(image)
    out = tmp_path / "flags.csv"
    result = run(image, out, "--catalogue", root / "truth.csv")
    assert result.returncode == 0, result.stderr
    table = pd.read_csv(out)
    assert table["masked"][0] and not table["masked"][len(truth) // 2]
    assert np.isfinite(table["p_blend"]).all()


def bad_catalogue(tmp_path, columns: dict) -> str:
    path = tmp_path / "cat.csv"
    pd.DataFrame(columns).to_csv(path, index=False)
    return str(path)


@pytest.mark.parametrize(
    "case, named",
    [
        ("damaged", "not a readable FITS image"),
        ("no-positions", "no position columns; give x, y"),
        ("off-image", "lie off the 1000x1000 image"),
        ("no-wcs", "no celestial WCS"),
        ("no-finite", "no finite pixels"),
    ],
)
def test_bad_inputs_exit_2_with_one_line_and_no_output(scene, tmp_path, case, named):
    root, _ = scene
    image, args = root / "image.fits", []
    if case == "damaged":
        image = tmp_path / "damaged.fits"
        image.write_bytes((root / "image.fits").read_bytes()[:5000])
    elif case == "no-positions":
        args = ["--catalogue", bad_catalogue(tmp_path, {"flux": [1.0, 2.0]})]
    elif case == "off-image":
        args = ["--catalogue", bad_catalogue(tmp_path, {"x": [10.0, 1200.0], "y": [10.0, 20.0]})]
    elif case == "no-wcs":
        args = ["--catalogue", bad_catalogue(tmp_path, {"ra": [150.0], "dec": [2.0]})]
    elif case == "no-finite":
        image = tmp_path / "nan.fits"
        fits.PrimaryHDU(np.full((100, 100), np.nan, np.float32)).writeto(image)
    out = tmp_path / "out.csv"
    result = run(image, out, *args)
    assert result.returncode == 2 and named in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and not out.exists()
