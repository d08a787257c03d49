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


SPEC = {"profiles": ["recipe", "moffat", "kolmogorov"], "fwhm_scale": [0.8, 1.2], "moffat_beta": [2.0, 5.0]}


def test_randomisation_draws_each_profile_and_the_stated_ranges():
    """A few thousand draws: profiles equally often, factors and betas uniform in range."""
    rng = np.random.default_rng(5)
    draws = [psf.draw_randomisation(rng, SPEC) for _ in range(3000)]
    counts = np.bincount([d.profile for d in draws], minlength=3)
    assert np.all(np.abs(counts - 1000) < 4 * np.sqrt(3000 * (1 / 3) * (2 / 3)))  # 4 s.e.
    scale = np.array([d.scale for d in draws])
    beta = np.array([d.beta for d in draws])
    assert 0.8 <= scale.min() and scale.max() <= 1.2 and abs(scale.mean() - 1.0) < 0.01  # s.e. 0.002
    assert 2.0 <= beta.min() and beta.max() <= 5.0 and abs(beta.mean() - 3.5) < 0.06  # s.e. 0.016


@pytest.mark.parametrize("profile", [0, 1, 2])
def test_a_randomised_psf_has_the_recipes_fwhm_times_its_factor(profile):
    mean = psf.PSFDraw(RECIPE["atmos_fwhm_mean"], 0.0, 0.0, 0.0, 0.0)
    recipe = psf.total_fwhm(RECIPE["atmos_fwhm_mean"], RECIPE)
    built = psf.build_randomised(mean, RECIPE, psf.Randomised(profile, 1.15, 3.0))
    assert fwhm(built) == pytest.approx(1.15 * recipe, rel=3e-3)
    assert fwhm(built) == pytest.approx(1.15 * fwhm(psf.build(mean, RECIPE)), rel=3e-3)
