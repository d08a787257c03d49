"""The PSF: the paper's recipe, without an atmosphere from space, and a profile unlike
the recipe for PSF-shift test sets."""

import numpy as np
import pytest
import yaml

from blendhunter.simulation import psf
from tests.conftest import REPO

RECIPE = yaml.safe_load((REPO / "config" / "config.yaml").read_text())["psf"]


def fwhm(profile) -> float:
    return profile.drawImage(nx=401, ny=401, scale=0.005, method="no_pixel").calculateFWHM()


@pytest.mark.parametrize("kind, beta", [("moffat", 2.5), ("moffat", 4.0), ("kolmogorov", None)])
def test_another_profile_has_its_fwhm_times_the_recipes_spread(kind, beta):
    """Each stamp's FWHM is the profile's scaled by the recipe's draw (its atmosphere's
    FWHM over the mean), so PSF-shift sets keep the recipe's stamp-to-stamp spread."""
    profile = {"kind": kind, "fwhm": 0.7, **({"beta": beta} if beta else {})}
    draw = psf.PSFDraw(RECIPE["atmos_fwhm_mean"] * 1.1, 0.0, 0.0, 0.0, 0.0)
    assert fwhm(psf.build(draw, {**RECIPE, "profile": profile})) == pytest.approx(0.77, rel=2e-3)


def test_the_recipe_is_unchanged_without_a_profile_and_optics_alone_without_an_atmosphere():
    draw = psf.draw_parameters(np.random.default_rng(3), RECIPE)
    recipe = psf.build(draw, RECIPE)
    assert psf.build(draw, {**RECIPE, "profile": None}) == recipe
    mean = psf.PSFDraw(RECIPE["atmos_fwhm_mean"], 0.0, 0.0, 0.0, 0.0)
    assert fwhm(psf.build(mean, RECIPE)) == pytest.approx(0.653, abs=0.002)  # the default's ~0.65"
    space = {**RECIPE, "atmos_fwhm_mean": 0.0, "atmos_fwhm_std": 0.0, "optical_fwhm": 0.17}
    assert psf.draw_parameters(np.random.default_rng(3), space).atmos_fwhm == 0
    alone = psf.build(psf.PSFDraw(0.0, 0.0, 0.0, 0.0, 0.0), space)
    assert not isinstance(alone, psf.galsim.Convolution) and fwhm(alone) == pytest.approx(0.17, rel=2e-3)
