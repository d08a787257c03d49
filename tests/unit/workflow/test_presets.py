"""Survey presets (config/surveys/*.yaml) against surveycodex, computed here again from
surveycodex's own numbers; the presets are generated files (a drift test in
tests/unit/maintainer keeps them equal to what `make docs` writes)."""

import math

import galsim
import pytest
import surveycodex
import yaml

from blendhunter.simulation import psf as psf_model
from blendhunter.simulation.simulate import flux_scale
from blendhunter.workflow import config as bh_config
from blendhunter.workflow import presets
from tests.conftest import REPO

WANTED = {("CFHTLS", "r"), ("HSC", "i"), ("LSST", "r"), ("DES", "r"), ("Euclid_VIS", "IE")}


def committed() -> dict[str, dict]:
    return {path.stem: yaml.safe_load(path.read_text()) for path in (REPO / presets.FOLDER).glob("*.yaml")}


def fwhm(psf_cfg: dict) -> float:
    """The preset's PSF without shear, drawn finely: its FWHM in arcsec."""
    draw = psf_model.PSFDraw(psf_cfg["atmos_fwhm_mean"], 0.0, 0.0, 0.0, 0.0)
    image = psf_model.build(draw, psf_cfg).drawImage(nx=501, ny=501, scale=0.005, method="no_pixel")
    return image.calculateFWHM()


def test_the_five_survey_bands_have_presets():
    assert set(presets.EXPOSURES) >= WANTED
    assert set(committed()) == {presets.band(*key).name for key in presets.EXPOSURES}


@pytest.mark.parametrize("survey, name", sorted(WANTED))
def test_a_preset_says_what_surveycodex_says(survey, name):
    info, filt = surveycodex.get_survey(survey), surveycodex.get_survey(survey).get_filter(name)
    layer = committed()[presets.band(survey, name).name]
    pixel = info.pixel_scale.value
    assert layer["stamp"]["pixel_scale"] == pixel
    exposure = filt.full_exposure_time.value
    assert layer["flux"] == {"zeropoint": filt.zeropoint.value, "exposure_time": exposure}
    assert fwhm(layer["psf"]) == pytest.approx(filt.psf_fwhm.value, rel=0.005)
    sky_electrons = 10 ** (-0.4 * (filt.sky_brightness.value - filt.zeropoint.value)) * pixel**2
    full = math.sqrt(sky_electrons * filt.full_exposure_time.value)
    assert layer["realistic"]["sigma"] == pytest.approx(full, rel=5e-4)
    assert layer["selection"]["reference_sigma"] == layer["realistic"]["sigma"]
    single = full * math.sqrt(presets.EXPOSURES[(survey, name)])
    assert layer["parametric"]["sigmas"][-1] == pytest.approx(single, rel=5e-4)
    assert layer["run"] == {"prefix": f"surveys/{presets.band(survey, name).name}", "own_stamps": True}
    path = REPO / presets.FOLDER / f"{presets.band(survey, name).name}.yaml"
    bh_config.validate(bh_config.load(REPO / "config" / "config.yaml", path))


def test_from_space_the_psf_is_the_optics_alone():
    layer = committed()["euclid-vis-ie"]
    assert layer["psf"]["atmos_fwhm_mean"] == 0
    draw = psf_model.draw_parameters(__import__("numpy").random.default_rng(1), layer["psf"])
    assert isinstance(psf_model.build(draw, layer["psf"]), galsim.Transformation | galsim.Moffat)


def test_the_zeropoint_scaling_agrees_with_the_papers_mirror_area_scaling_for_cfht():
    """COSMOS F814W counts to CFHT r, 300 s: by zeropoints (colour 0) 627 against the
    paper's (3.6 m / 2.4 m)^2 x 300 s = 675, the 7% a band's throughput adds."""
    cfht_r = surveycodex.get_survey("CFHTLS").get_filter("r").zeropoint.value
    by_zeropoint = flux_scale({"zeropoint": cfht_r, "exposure_time": 300, "telescope_diameter": 3.6})
    by_area = flux_scale({"telescope_diameter": 3.6, "exposure_time": 300})
    assert by_area == pytest.approx(675)
    assert by_zeropoint / by_area == pytest.approx(0.93, abs=0.01)
