"""Survey-like test images (`blendhunter test-image --survey NAME`): the project's COSMOS
galaxies at random positions and a realistic density (so neighbours do fall inside
cutouts), stars, a PSF profile of the image's own (not the training recipe), a flat sky
with sky-limited noise, a TAN WCS and a MAGZP header key, all from a survey preset.

Truth (CSV): one row per object: kind (galaxy, star), x, y (0-based), flux (counts),
and for galaxies label (1 when another object's centre falls inside its 51x51 cutout:
the stamps' blend definition), n_neighbours, separation, x2, y2 (the nearest one).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from blendhunter.errors import InputError

HALF = 25  # a 51x51 cutout's half width
MARGIN = 30  # px kept free of object centres along the edges


@dataclass(frozen=True)
class Scene:
    side: int = 1500  # px
    galaxy_density: float = 30.0  # per arcmin^2
    star_density: float = 3.0  # per arcmin^2
    psf: str = "moffat:2.5"  # moffat:BETA or kolmogorov, at the preset's FWHM
    seed: int = 1
    saturation: float | None = None  # counts above the sky: clipped there (SATURATE key)


LIMITS = {"side": (200, 20000), "density": (0.1, 500.0), "stars": (0.0, 100.0)}  # px, per arcmin^2


def check_request(survey: str, side: int, density: float, stars: float) -> None:
    """One line before any work for a preset that is not there or absurd sizes."""
    from blendhunter.workflow.presets import FOLDER

    for name, value in (("side", side), ("density", density), ("stars", stars)):
        low, high = LIMITS[name]
        if not low <= value <= high:
            raise InputError(f"--{name} {value:g}: give a value from {low:g} to {high:g}")
    if not (Path(FOLDER) / f"{survey}.yaml").is_file():
        names = (
            ", ".join(sorted(p.stem for p in Path(FOLDER).glob("*.yaml")))
            or "none here: run from the repository's root"
        )
        raise InputError(f"--survey {survey}: no preset {FOLDER}/{survey}.yaml (presets: {names})")


def psf_profile(spec: str, fwhm: float):
    from blendhunter.simulation.psf import own_profile

    kind, _, beta = spec.partition(":")
    if kind == "kolmogorov" and not beta:
        return own_profile(kind, fwhm)
    if kind == "moffat":
        try:
            value = float(beta or 2.5)
        except ValueError:
            value = 0.0
        if value > 1.1:
            return own_profile(kind, fwhm, value)
    raise InputError(f"--psf {spec}: use moffat:BETA (BETA > 1.1) or kolmogorov")


def preset_fwhm(cfg: dict) -> float:
    from blendhunter.simulation.psf import total_fwhm

    return total_fwhm(cfg["psf"]["atmos_fwhm_mean"], cfg["psf"])


def _positions(rng, n: int, side: int) -> np.ndarray:
    return rng.uniform(MARGIN, side - 1 - MARGIN, size=(n, 2))


def _add(canvas, profile, x: float, y: float) -> float:
    """Draw `profile` centred at 0-based (x, y) onto canvas; its peak pixel value."""
    import galsim

    stamp = profile.drawImage(scale=canvas.scale, center=galsim.PositionD(x + 1, y + 1))
    bounds = stamp.bounds & canvas.bounds
    canvas[bounds] += stamp[bounds]
    return float(stamp.array.max())


def neighbours(truth: pd.DataFrame) -> pd.DataFrame:
    """Each galaxy's blend label: another object's centre inside its 51x51 cutout."""
    xy = truth[["x", "y"]].to_numpy()
    dx = xy[None, :, 0] - xy[:, None, 0]
    dy = xy[None, :, 1] - xy[:, None, 1]
    inside = (np.abs(dx) <= HALF) & (np.abs(dy) <= HALF)
    np.fill_diagonal(inside, False)
    distance = np.where(inside, np.hypot(dx, dy), np.inf)
    nearest = distance.argmin(axis=1)
    has = inside.any(axis=1) & (truth["kind"] == "galaxy").to_numpy()
    return truth.assign(
        label=has.astype(int),
        n_neighbours=inside.sum(axis=1),
        separation=np.where(has, distance.min(axis=1), np.nan),
        x2=np.where(has, xy[nearest, 0], np.nan),
        y2=np.where(has, xy[nearest, 1], np.nan),
    )


def simulate(cfg: dict, scene: Scene, out: Path, truth_out: Path) -> pd.DataFrame:
    """Write the image (FITS, with WCS, MAGZP, SKY, FWHM) and its truth; return the truth."""
    import galsim
    from astropy.io import fits

    from blendhunter.simulation.simulate import GalaxySource, flux_scale, min_peak
    from blendhunter.workflow.presets import band

    scale = float(cfg["stamp"]["pixel_scale"])
    sigma = float(cfg["realistic"]["sigma"])
    counts = flux_scale(cfg["flux"])
    fwhm = preset_fwhm(cfg)
    psf = psf_profile(scene.psf, fwhm)
    rng = np.random.default_rng(scene.seed)
    area = (scene.side * scale / 60) ** 2  # arcmin^2
    res = cfg["resources"]["cosmos_parametric"]
    source = GalaxySource(res["path"], res["file_name"], "parametric", seed=scene.seed)
    canvas = galsim.ImageF(scene.side, scene.side, scale=scale)
    rows = []
    floor = min_peak(cfg["selection"])
    for x, y in _positions(rng, rng.poisson(scene.galaxy_density * area), scene.side):
        for _ in range(50):  # the stamps' selection: a galaxy too faint to see is replaced
            galaxy = source.galaxy(int(rng.integers(source.size))).withScaledFlux(counts)
            drawn = galsim.Convolve(galaxy, psf)
            if drawn.drawImage(nx=31, ny=31, scale=scale).array.max() >= floor:
                break
        _add(canvas, drawn, x, y)
        rows.append({"kind": "galaxy", "x": x, "y": y, "flux": galaxy.flux})
    peak_per_flux = psf.drawImage(nx=31, ny=31, scale=scale).array.max()
    for x, y in _positions(rng, rng.poisson(scene.star_density * area), scene.side):
        flux = 10 ** rng.uniform(np.log10(50), np.log10(3000)) * sigma / peak_per_flux  # peak S/N 50-3000
        _add(canvas, psf.withFlux(flux), x, y)
        rows.append({"kind": "star", "x": x, "y": y, "flux": flux})
    sky = sigma**2  # sky-limited: the variance is the sky level, in electrons
    image = canvas.array + sky + rng.normal(0, sigma, canvas.array.shape)
    if scene.saturation is not None:
        image = np.minimum(image, sky + scene.saturation)
    header = fits.Header()
    centre = (scene.side + 1) / 2
    header.update(CTYPE1="RA---TAN", CTYPE2="DEC--TAN", CRPIX1=centre, CRPIX2=centre, CRVAL1=150.0,
                  CRVAL2=2.2, CD1_1=-scale / 3600, CD1_2=0.0, CD2_1=0.0, CD2_2=scale / 3600,
                  CUNIT1="deg", CUNIT2="deg")  # fmt: skip
    cosmos_zp = band("COSMOS", "f814w").zeropoint
    header["MAGZP"] = (cosmos_zp + 2.5 * np.log10(counts), "AB mag of 1 count (galaxies' F814W)")
    header["SKY"] = (sky, "counts: the flat sky added")
    header["PSF"] = (f"{scene.psf} FWHM {fwhm:.4f} arcsec", "the image's PSF")
    if scene.saturation is not None:
        header["SATURATE"] = sky + scene.saturation
    fits.PrimaryHDU(image.astype(np.float32), header=header).writeto(out, overwrite=True)
    truth = neighbours(pd.DataFrame(rows, columns=["kind", "x", "y", "flux"]))
    truth.to_csv(truth_out, index=False)
    return truth
