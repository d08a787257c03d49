"""The CFIS-like PSF of paper Sect. 2.3 (docs/science.md, Simulation).

Optical Moffat (beta 4.765) with a small random shear, convolved with a
Kolmogorov atmosphere whose shear components are N(0, atmos_g_std). The
paper drew the optical ellipticity from CFHT measurements that are not
public; here |g| ~ U(0, optical_e_max) with a uniform position angle.

Training sets may randomise the PSF (`parametric.psf_randomisation`: domain
randomisation, so that a model does not learn one PSF): per stamp, from a stream of its
own, a profile (the recipe, a plain Moffat of random beta, or a Kolmogorov) at the
recipe's FWHM scaled by a random factor.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import lru_cache

import galsim
import numpy as np

RANDOM_PROFILES = ("recipe", "moffat", "kolmogorov")  # psf_randomisation.profiles; codes 0, 1, 2


@dataclass(frozen=True)
class PSFDraw:
    """The random parameters of one stamp's PSF (recorded per stamp)."""

    atmos_fwhm: float
    atmos_g1: float
    atmos_g2: float
    optical_g1: float
    optical_g2: float

    def as_dict(self) -> dict:
        return asdict(self)


def draw_parameters(rng: np.random.Generator, cfg: dict) -> PSFDraw:
    fwhm = cfg["atmos_fwhm_mean"] + cfg["atmos_fwhm_std"] * rng.standard_normal()
    fwhm = max(fwhm, 0.5 * cfg["atmos_fwhm_mean"])  # a Gaussian tail must not reach 0
    atmos_g1, atmos_g2 = cfg["atmos_g_std"] * rng.standard_normal(2)
    g = cfg["optical_e_max"] * rng.uniform()
    angle = rng.uniform(0, np.pi)
    return PSFDraw(
        atmos_fwhm=float(fwhm),
        atmos_g1=float(atmos_g1),
        atmos_g2=float(atmos_g2),
        optical_g1=float(g * np.cos(2 * angle)),
        optical_g2=float(g * np.sin(2 * angle)),
    )


def own_profile(kind: str, fwhm: float, beta: float = 2.5) -> galsim.GSObject:
    """A PSF unlike the recipe: a plain Moffat of `beta` or a Kolmogorov, of `fwhm` arcsec."""
    if kind == "kolmogorov":
        return galsim.Kolmogorov(fwhm=fwhm)
    return galsim.Moffat(beta=beta, fwhm=fwhm)


def build(draw: PSFDraw, cfg: dict) -> galsim.GSObject:
    profile = cfg.get("profile")
    if profile:  # PSF shift: another profile, with the recipe's spread and shears per stamp
        spread = draw.atmos_fwhm / cfg["atmos_fwhm_mean"] if cfg["atmos_fwhm_mean"] else 1.0
        psf = own_profile(profile["kind"], profile["fwhm"] * spread, profile.get("beta", 2.5))
        return psf.shear(g1=draw.atmos_g1 + draw.optical_g1, g2=draw.atmos_g2 + draw.optical_g2)
    optics = galsim.Moffat(beta=cfg["optical_beta"], fwhm=cfg["optical_fwhm"]).shear(
        g1=draw.optical_g1, g2=draw.optical_g2
    )
    if draw.atmos_fwhm == 0:  # from space (a survey preset's atmos_fwhm_mean: 0)
        return optics
    atmosphere = galsim.Kolmogorov(fwhm=draw.atmos_fwhm).shear(g1=draw.atmos_g1, g2=draw.atmos_g2)
    return galsim.Convolve(atmosphere, optics)


def total_fwhm(atmos_fwhm: float, psf: dict) -> float:
    """FWHM (arcsec) of the config's PSF recipe without shear: atmosphere (if any) * optics."""
    return _total_fwhm(atmos_fwhm, psf["optical_beta"], psf["optical_fwhm"])


@lru_cache(maxsize=16)
def _total_fwhm(atmos_fwhm: float, optical_beta: float, optical_fwhm: float) -> float:
    optics = galsim.Moffat(beta=optical_beta, fwhm=optical_fwhm)
    profile = optics if atmos_fwhm == 0 else galsim.Convolve(galsim.Kolmogorov(fwhm=atmos_fwhm), optics)
    image = profile.drawImage(nx=401, ny=401, scale=0.008, method="no_pixel")
    return float(image.calculateFWHM())


@dataclass(frozen=True)
class Randomised:
    """One stamp's draw of `psf_randomisation` (recorded per stamp)."""

    profile: int  # index in RANDOM_PROFILES
    scale: float  # the FWHM's factor
    beta: float  # the Moffat's beta (drawn for every stamp, used by Moffats)

    def as_dict(self) -> dict:
        return asdict(self)


def draw_randomisation(rng: np.random.Generator, spec: dict) -> Randomised:
    profiles = spec["profiles"]
    kind = profiles[int(rng.integers(len(profiles)))]
    scale = rng.uniform(*spec["fwhm_scale"])
    beta = rng.uniform(*spec["moffat_beta"])
    return Randomised(RANDOM_PROFILES.index(kind), float(scale), float(beta))


def build_randomised(draw: PSFDraw, cfg: dict, randomised: Randomised) -> galsim.GSObject:
    """The stamp's PSF under randomisation: the recipe dilated by the factor, or a plain
    profile at the recipe's FWHM times the factor (and the stamp's atmospheric spread),
    sheared by the stamp's shears."""
    kind = RANDOM_PROFILES[randomised.profile]
    if kind == "recipe":
        return build(draw, cfg).dilate(randomised.scale)
    spread = draw.atmos_fwhm / cfg["atmos_fwhm_mean"] if cfg["atmos_fwhm_mean"] else 1.0
    fwhm = total_fwhm(cfg["atmos_fwhm_mean"], cfg) * randomised.scale * spread
    psf = own_profile(kind, fwhm, randomised.beta)
    return psf.shear(g1=draw.atmos_g1 + draw.optical_g1, g2=draw.atmos_g2 + draw.optical_g2)
