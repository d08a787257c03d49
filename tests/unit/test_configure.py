"""`blendhunter configure` on survey-like images of known pixel scale, PSF and noise
(`blendhunter test-image --survey`), and on images it must refuse with one line."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from astropy.io import fits

from blendhunter import cli, scene
from blendhunter.workflow import config as bh_config
from blendhunter.workflow import presets
from tests.conftest import REPO, make_config

CASES = {  # preset, the image's own PSF
    "hsc-moffat": ("hsc-i", "moffat:2.5"),
    "lsst-kolmogorov": ("lsst-r", "kolmogorov"),
}


def survey_config(preset: str) -> dict:
    return bh_config.merge(
        make_config(), yaml.safe_load((REPO / presets.FOLDER / f"{preset}.yaml").read_text())
    )


def image(tmp_path_factory, name: str, **scene_args) -> tuple[Path, dict, pd.DataFrame]:
    preset, psf = CASES.get(name, ("hsc-i", "moffat:2.5"))
    cfg = survey_config(preset)
    folder = tmp_path_factory.mktemp(name)
    spec = scene.Scene(side=1000, psf=psf, seed=3, **scene_args)
    truth = scene.simulate(cfg, spec, folder / "image.fits", folder / "truth.csv")
    return folder / "image.fits", cfg, truth


@pytest.fixture(scope="module", params=sorted(CASES))
def known(request, tmp_path_factory):
    return (request.param, *image(tmp_path_factory, request.param))


def test_a_survey_like_image_has_stars_neighbours_and_its_own_psf(known):
    name, path, cfg, truth = known
    galaxies = truth[truth["kind"] == "galaxy"]
    assert (truth["kind"] == "star").sum() >= 10
    assert 0.2 < galaxies["label"].mean() < 0.8  # neighbours do fall inside cutouts
    header = fits.getheader(path)
    assert header["PSF"].startswith(CASES[name][1])
    assert header["CD2_2"] * 3600 == pytest.approx(cfg["stamp"]["pixel_scale"])


def test_configure_recovers_the_pixel_scale_psf_and_noise(known, tmp_path, capsys):
    name, path, cfg, _ = known
    out = tmp_path / "layer.yaml"
    assert cli.main(["configure", str(path), "--output", str(out)]) == 0
    layer = yaml.safe_load(out.read_text())
    assert layer["stamp"]["pixel_scale"] == pytest.approx(cfg["stamp"]["pixel_scale"], rel=0.005)
    assert layer["psf"]["optical_fwhm"] == pytest.approx(scene.preset_fwhm(cfg), rel=0.05)
    assert layer["realistic"]["sigma"] == pytest.approx(cfg["realistic"]["sigma"], rel=0.03)
    flux = {"zeropoint": layer["flux"]["zeropoint"], "exposure_time": layer["flux"]["exposure_time"]}
    assert presets.flux_scale(**flux) == pytest.approx(
        presets.flux_scale(cfg["flux"]["zeropoint"], cfg["flux"]["exposure_time"]), rel=1e-6
    )
    printed = capsys.readouterr().out
    assert "snakemake --cores 2 --configfile config/config.yaml" in printed and str(out) in printed
    assert (tmp_path / "layer.png").stat().st_size > 10_000
    bh_config.validate(bh_config.merge(make_config(), layer))  # it layers on the workflow's config


def refused(tmp_path, path: Path, *extra: str, capsys) -> str:
    out = tmp_path / "layer.yaml"
    assert cli.main(["configure", str(path), "--output", str(out), *extra]) == 2
    assert not out.exists() and not (tmp_path / "layer.png").exists()
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    return err


def test_an_image_without_a_wcs_asks_for_the_pixel_scale(known, tmp_path, capsys):
    _, path, _, _ = known
    bare = tmp_path / "bare.fits"
    fits.PrimaryHDU(fits.getdata(path), header=fits.Header({"MAGZP": 30.0})).writeto(bare)
    assert "no celestial WCS" in refused(tmp_path, bare, capsys=capsys)
    assert "--pixel-scale" in refused(tmp_path, bare, capsys=capsys)


def test_an_image_without_stars_says_so(tmp_path_factory, tmp_path, capsys):
    path, _, _ = image(tmp_path_factory, "no-stars", star_density=0.0)
    assert "usable stars" in refused(tmp_path, path, capsys=capsys)


def test_an_image_whose_stars_are_saturated_says_so(tmp_path_factory, tmp_path, capsys):
    cfg = survey_config("hsc-i")
    path, _, _ = image(tmp_path_factory, "saturated", saturation=30 * cfg["realistic"]["sigma"])
    assert "saturated cores" in refused(tmp_path, path, capsys=capsys)


def test_an_image_without_a_zeropoint_asks_for_one(known, tmp_path, capsys):
    _, path, _, _ = known
    with fits.open(path) as hdul:
        header = hdul[0].header.copy()
        del header["MAGZP"]
        plain = tmp_path / "plain.fits"
        fits.PrimaryHDU(hdul[0].data, header=header).writeto(plain)
    assert "--zeropoint" in refused(tmp_path, plain, capsys=capsys)
    assert "between 15 and 40" in refused(tmp_path, plain, "--zeropoint", "1000", capsys=capsys)
    assert "no preset" in refused(tmp_path, plain, "--survey", "nowhere-x", capsys=capsys)
    assert "no preset" in refused(tmp_path, path, "--survey", "../../etc/passwd", capsys=capsys)


def test_an_image_too_small_for_its_stars_says_so(known, tmp_path, capsys):
    _, path, _, _ = known
    with fits.open(path) as hdul:
        small = tmp_path / "small.fits"
        fits.PrimaryHDU(hdul[0].data[:60, :60], header=hdul[0].header).writeto(small)
    assert "usable stars" in refused(tmp_path, small, capsys=capsys)


def test_blendhunter_surveys_lists_every_preset(capsys, monkeypatch):
    monkeypatch.chdir(REPO)
    assert cli.main(["surveys"]) == 0
    printed = capsys.readouterr().out
    for name in ("cfhtls-r", "hsc-i", "lsst-r", "des-r", "euclid-vis-ie"):
        assert name in printed
    rows = presets.listing(REPO / presets.FOLDER)
    assert np.isclose(
        float(dict((r[0], r[4]) for r in rows)["hsc-i"]), survey_config("hsc-i")["realistic"]["sigma"]
    )


def test_blendhunter_surveys_refuses_a_folder_without_presets(tmp_path, capsys):
    assert cli.main(["surveys", "--folder", str(tmp_path)]) == 2
    (tmp_path / "broken.yaml").write_text("stamp: {pixel_scale: 0.2}\n")
    assert cli.main(["surveys", "--folder", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert "no presets in" in err[0] and "broken.yaml: not a survey preset" in err[1]
