"""Survey presets: a config layer per survey band, computed from `surveycodex`.

A preset sets what makes stamps look like that survey, layered on config/config.yaml:

- `stamp.pixel_scale`: the survey's;
- `psf`: the default's optics (Moffat, beta 4.765, 0.25 arcsec, small shear) convolved with
  a Kolmogorov atmosphere whose FWHM makes the total FWHM the survey's; from space the
  optics alone, at the survey's FWHM (`atmos_fwhm_mean: 0`);
- `flux`: COSMOS F814W galaxies to the survey band: counts = t x 10^(0.4 (zp - zp_F814W)),
  with surveycodex's zeropoints (AB magnitudes giving 1 electron per second). This
  assumes every galaxy's colour is zero (its band magnitude equals its F814W one); the
  paper's scaling by mirror area is the same idea for one telescope of HST's throughput;
- noise: sky-limited, sigma = sqrt(sky electrons per pixel) from the sky brightness, for
  the full-depth image (`realistic.sigma`, the first of `parametric.sigmas`) and for one
  exposure expressed in the full-depth image's units (sigma x sqrt(n_exposures), the
  second): the same flux scale, the signal-to-noise of each depth. Read noise is ignored.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

# surveycodex's survey and band of GalSim's COSMOS galaxies (HST ACS F814W, 1 s).
COSMOS_BAND = ("COSMOS", "f814w")
# Exposures stacked in surveycodex's full exposure time (it gives only the total):
# CFHTLS Wide r 4 x 500 s, HSC Wide i 6 x 200 s, LSST r 184 visits x 30 s over ten years,
# DES Wide r 10 x 90 s; Euclid VIS: surveycodex's 565 s is one exposure (the Euclid Wide
# survey's four dithers are not in it).
EXPOSURES = {
    ("CFHTLS", "r"): 4,
    ("HSC", "i"): 6,
    ("LSST", "r"): 184,
    ("DES", "r"): 10,
    ("Euclid_VIS", "IE"): 1,
}
SPACE = {"COSMOS", "Euclid_VIS", "Euclid_NISP", "Roman_WFI", "Roman_WFI_Deep"}
FOLDER = "config/surveys"
RECOMMENDED_FEATURES = "config/variants/block3_pool.yaml"  # the shipped model's features
SIGNIFICANT = 4  # digits kept in generated numbers


def _round(value: float, digits: int = SIGNIFICANT) -> float:
    return float(f"{value:.{digits}g}")


@dataclass(frozen=True)
class Band:
    """One survey band's numbers, as surveycodex gives them (units dropped)."""

    survey: str
    band: str
    pixel_scale: float  # arcsec
    psf_fwhm: float  # arcsec
    zeropoint: float  # AB mag for 1 electron / s
    sky_brightness: float  # mag / arcsec^2
    full_exposure_time: float  # s

    @property
    def name(self) -> str:
        return f"{self.survey.lower().replace('_', '-')}-{self.band.lower()}"


def band(survey: str, name: str) -> Band:
    import surveycodex

    info = surveycodex.get_survey(survey)
    filt = info.get_filter(name)
    return Band(
        survey=survey,
        band=name,
        pixel_scale=float(info.pixel_scale.value),
        psf_fwhm=float(filt.psf_fwhm.value),
        zeropoint=float(filt.zeropoint.value),
        sky_brightness=float(filt.sky_brightness.value),
        full_exposure_time=float(filt.full_exposure_time.value),
    )


def flux_scale(zeropoint: float, exposure_time: float) -> float:
    """Counts per COSMOS F814W count-per-second, for a band of this zeropoint (colour 0)."""
    return exposure_time * 10 ** (0.4 * (zeropoint - band(*COSMOS_BAND).zeropoint))


def sky_sigma(b: Band, exposure_time: float) -> float:
    """Sky-limited noise per pixel (electrons) after exposure_time seconds."""
    sky_rate = 10 ** (-0.4 * (b.sky_brightness - b.zeropoint)) * b.pixel_scale**2
    return math.sqrt(sky_rate * exposure_time)


def psf_for(b: Band, default_psf: dict) -> dict:
    """The default's PSF recipe brought to the band's FWHM."""
    psf = dict(default_psf)
    if b.survey in SPACE:
        psf.update(optical_fwhm=b.psf_fwhm, atmos_fwhm_mean=0.0, atmos_fwhm_std=0.0, atmos_g_std=0.0)
        return psf
    if b.psf_fwhm <= psf["optical_fwhm"]:
        raise ValueError(f"{b.name}: FWHM {b.psf_fwhm} arcsec is below the optics' alone")
    from scipy.optimize import brentq

    from blendhunter.simulation.psf import total_fwhm

    atmos = brentq(lambda a: total_fwhm(a, psf) - b.psf_fwhm, 0.05, 3 * b.psf_fwhm, xtol=1e-4)
    # The spread between stamps keeps the default's share of the atmosphere's FWHM.
    spread = default_psf["atmos_fwhm_std"] / default_psf["atmos_fwhm_mean"]
    psf.update(atmos_fwhm_mean=_round(atmos), atmos_fwhm_std=_round(spread * atmos, 2))
    return psf


def layer(b: Band, default: dict) -> dict:
    """The config layer of one survey band."""
    n_exposures = EXPOSURES[(b.survey, b.band)]
    full = _round(sky_sigma(b, b.full_exposure_time))
    single = _round(full * math.sqrt(n_exposures))
    return {
        "stamp": {"pixel_scale": b.pixel_scale},
        "psf": psf_for(b, default["psf"]),
        "flux": {"zeropoint": b.zeropoint, "exposure_time": b.full_exposure_time},
        "selection": {"reference_sigma": full},
        "parametric": {"sigmas": sorted({full, single})},
        "realistic": {"sigma": full},
        "run": {"prefix": f"surveys/{b.name}", "own_stamps": True},
    }


def header(b: Band) -> str:
    from importlib.metadata import version

    n = EXPOSURES[(b.survey, b.band)]
    return (
        f"# {b.survey} {b.band}: generated by `make docs` from surveycodex {version('surveycodex')}"
        " (blendhunter.workflow.presets); do not edit.\n"
        "# Layer it on the default (block3_pool: the recommended features); outputs in\n"
        f"# results/surveys/{b.name}/:\n#   {command(b.name)}\n"
        f"# pixel {b.pixel_scale} arcsec, PSF FWHM {b.psf_fwhm} arcsec, zeropoint {b.zeropoint} "
        f"(AB, 1 e-/s), sky {b.sky_brightness} mag/arcsec^2, {b.full_exposure_time:g} s in {n} "
        "exposure(s).\n"
        "# sigmas: the full-depth image's sky noise and one exposure's, in the full-depth\n"
        "# image's units (electrons); fluxes assume every galaxy's band - F814W colour is 0.\n"
    )


def command(name: str, cores: int = 2) -> str:
    """The snakemake command that trains heads for a survey layer (a preset's or one
    `blendhunter configure` wrote)."""
    path = name if name.endswith((".yaml", ".yml")) else f"{FOLDER}/{name}.yaml"
    return f"snakemake --cores {cores} --configfile config/config.yaml {RECOMMENDED_FEATURES} {path}"


def layer_yaml(b: Band, default: dict) -> str:
    import yaml

    return header(b) + yaml.safe_dump(layer(b, default), sort_keys=False)


def bands() -> list[Band]:
    return [band(survey, name) for survey, name in EXPOSURES]


def listing(folder: Path) -> list[tuple]:
    """One row per preset file in `folder`: name, survey band, pixel scale, FWHM, the two
    noise levels and the flux scale."""
    import yaml

    from blendhunter.errors import InputError

    files = sorted(Path(folder).glob("*.yaml"))
    if not files:
        raise InputError(f"no presets in {folder}: run from the repository's root, or give --folder")
    known = {b.name: b for b in bands()}
    rows = []
    for path in files:
        try:
            layer = yaml.safe_load(path.read_text())
            sigmas, flux = layer["parametric"]["sigmas"], layer["flux"]
            scale = flux_scale(flux["zeropoint"], flux["exposure_time"])
        except (yaml.YAMLError, UnicodeDecodeError, KeyError, TypeError) as err:
            raise InputError(f"{path}: not a survey preset ({type(err).__name__}: {err})") from err
        b = known.get(path.stem)
        rows.append((
            path.stem,
            f"{b.survey} {b.band}" if b else "?",
            layer["stamp"]["pixel_scale"],
            b.psf_fwhm if b else "?",
            f"{sigmas[0]:g}",
            f"{sigmas[-1]:g}",
            f"{scale:.4g}",
        ))  # fmt: skip
    return rows
