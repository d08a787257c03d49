"""`blendhunter configure IMAGE.fits --output LAYER.yaml`: a config layer measured from
the user's own image, so that the workflow trains heads for it.

- pixel scale: from the image's celestial WCS (or --pixel-scale);
- background and noise: SEP's background and RMS maps (the median RMS, and its 5-95%
  spread over the image);
- PSF: stars found among SEP's detections (unsaturated, isolated, S/N > 50, round, on the
  tight locus of the smallest adaptive-moment sizes, GalSim's HSM), each fitted with a
  sheared Moffat (flux, position, beta, FWHM, g1, g2: drawn with GalSim, pixel included);
  the layer takes the medians, simulated as the optics alone (`atmos_fwhm_mean: 0`);
- fluxes: the image's zeropoint (--zeropoint, else --survey's preset, else a MAGZP-like
  header key) so that COSMOS F814W galaxies come out as bright as in the image (colour 0).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from blendhunter.errors import InputError
from blendhunter.survey import Image, SurveyError, noise_maps

log = logging.getLogger(__name__)

ZEROPOINT_KEYS = ("MAGZP", "MAGZPT", "MAGZERO", "PHOTZP", "ZP", "ZEROPT")
MIN_STARS = 8
MAX_FITTED = 40  # the brightest stars fitted: enough for a median
CUTOUT = 25  # px on a side around each star candidate
STAR_SNR = 50  # flux / its error: bright enough for a profile fit
LOCUS_WIDTH = 0.015  # stars: sizes within 1.5% of the locus
SHAPE_SPREAD = 0.02  # stars share the PSF's shape: median |g_i - median g| below this
MAX_BETA = 8.0  # GalSim's Moffat overflows far beyond; a Gaussian-like core is beta > 5
SATURATED_PIXELS = 3  # this many pixels within 0.5% of the peak: a flat (clipped) core


@dataclass
class Measured:
    pixel_scale: float  # arcsec / px
    pixel_scale_from: str
    background: float  # median of SEP's background map (counts)
    sigma: float  # median of SEP's RMS map
    sigma_range: tuple[float, float]  # 5th and 95th percentiles over the image
    stars: pd.DataFrame  # the fitted stars: x, y, flux, size, beta, fwhm, g1, g2
    candidates: pd.DataFrame  # every candidate: x, y, flux, size, g, star
    zeropoint: float | None = None
    exposure_time: float = 1.0
    flux_from: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def beta(self) -> float:
        return float(self.stars["beta"].median())

    @property
    def fwhm(self) -> float:
        return float(self.stars["fwhm"].median())

    @property
    def shear(self) -> float:
        return float(np.hypot(self.stars["g1"].median(), self.stars["g2"].median()))


def pixel_scale(image: Image, given: float | None) -> tuple[float, str]:
    """arcsec / pixel: the one given, else the image's celestial WCS."""
    if given is not None:
        return float(given), "--pixel-scale"
    import warnings

    from astropy.wcs import WCS, FITSFixedWarning
    from astropy.wcs.utils import proj_plane_pixel_scales

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FITSFixedWarning)
        try:
            wcs = WCS(image.header).celestial
        except Exception:  # astropy raises many kinds for a damaged WCS
            wcs = None
    if wcs is None or not wcs.has_celestial:
        raise SurveyError(
            f"{image.path}: no celestial WCS in its header (CTYPE1/2 with CD or CDELT keys), so "
            "the pixel scale is unknown: give --pixel-scale ARCSEC"
        )
    scales = proj_plane_pixel_scales(wcs) * 3600
    return float(np.mean(scales)), "the WCS"


def _cutout(data: np.ndarray, x: float, y: float, half: int = CUTOUT // 2) -> np.ndarray | None:
    ix, iy = int(round(x)), int(round(y))
    if iy - half < 0 or ix - half < 0 or iy + half >= data.shape[0] or ix + half >= data.shape[1]:
        return None
    return data[iy - half : iy + half + 1, ix - half : ix + half + 1]


def _saturated(cut: np.ndarray, saturation: float | None) -> bool:
    peak = float(cut.max())
    if saturation is not None and peak >= 0.9 * saturation:
        return True
    return int((cut >= peak - 0.005 * abs(peak)).sum()) >= SATURATED_PIXELS


def star_candidates(data: np.ndarray, sigma: np.ndarray, saturation: float | None) -> pd.DataFrame:
    """Bright, isolated, unsaturated detections with their adaptive-moment size and shape."""
    import galsim
    import sep

    objects = sep.extract(data, 5.0, err=sigma, minarea=5, deblend_cont=0.005)
    x, y = objects["x"], objects["y"]
    snr = objects["flux"] / np.sqrt(np.maximum(objects["npix"], 1) * np.median(sigma) ** 2)
    distance = np.hypot(x[:, None] - x[None, :], y[:, None] - y[None, :])
    np.fill_diagonal(distance, np.inf)
    isolated = distance.min(axis=1) > CUTOUT if len(x) > 1 else np.ones(len(x), bool)
    rows, saturated = [], 0
    for i in np.flatnonzero((snr > STAR_SNR) & isolated & (objects["flag"] == 0)):
        cut = _cutout(data, x[i], y[i])
        if cut is None:
            continue
        if _saturated(cut, saturation):
            saturated += 1
            continue
        moments = galsim.hsm.FindAdaptiveMom(galsim.Image(np.ascontiguousarray(cut)), strict=False)
        if moments.moments_status != 0:
            continue
        shape = moments.observed_shape
        rows.append({"x": float(x[i]), "y": float(y[i]), "flux": float(objects["flux"][i]),
                     "size": float(moments.moments_sigma), "g": float(shape.g),
                     "g1": float(shape.g1), "g2": float(shape.g2)})  # fmt: skip
    table = pd.DataFrame(rows, columns=["x", "y", "flux", "size", "g", "g1", "g2"], dtype=float)
    table.attrs["saturated"] = saturated
    return table


def stellar_locus(candidates: pd.DataFrame) -> np.ndarray:
    """Stars: round candidates on the smallest tight group of sizes. Nothing in the image is
    smaller than the PSF, and stars all share its size, while galaxies are larger, each by
    its own amount (a group of compact galaxies is looser, so tightness decides)."""
    round_ = candidates["g"].to_numpy() < 0.2
    size = candidates["size"].to_numpy()
    shear = candidates[["g1", "g2"]].to_numpy()
    for centre in np.sort(size[round_]):
        ratio = size / centre - 1
        inside = round_ & (np.abs(ratio) < LOCUS_WIDTH)
        above = round_ & (ratio >= LOCUS_WIDTH) & (ratio < 5 * LOCUS_WIDTH)  # 4x as wide
        # as many as MIN_STARS, 8x denser than just above them, sharing one shape
        if inside.sum() >= MIN_STARS and inside.sum() >= 2 * above.sum():
            group = shear[inside]
            if np.median(np.abs(group - np.median(group, axis=0))) < SHAPE_SPREAD:
                return inside
    return np.zeros(len(candidates), bool)


def fit_moffat(cut: np.ndarray, scale: float, noise: float) -> dict:
    """A sheared Moffat (with the pixel) fitted to one star's cutout: beta, FWHM (arcsec)."""
    import galsim
    from scipy.optimize import least_squares

    n = cut.shape[0]
    image = galsim.ImageD(n, n, scale=scale)

    def model(p):
        flux, dx, dy, beta, fwhm, g1, g2 = p
        profile = (
            galsim.Moffat(beta=beta, fwhm=fwhm, flux=flux).shear(g1=g1, g2=g2).shift(dx * scale, dy * scale)
        )
        return profile.drawImage(image=image).array

    start = [float(cut.sum()), 0.0, 0.0, 3.0, 4 * scale, 0.0, 0.0]
    lower = [0.0, -3, -3, 1.2, 0.5 * scale, -0.5, -0.5]
    upper = [np.inf, 3, 3, MAX_BETA, n * scale / 2, 0.5, 0.5]
    fit = least_squares(
        lambda p: ((model(p) - cut) / noise).ravel(), start, bounds=(lower, upper), x_scale="jac"
    )
    flux, dx, dy, beta, fwhm, g1, g2 = fit.x
    return {"beta": beta, "fwhm": fwhm, "g1": g1, "g2": g2, "model": model(fit.x)}


def flux_calibration(image: Image, zeropoint: float | None, exposure: float | None,
                     survey: str | None) -> tuple[float, float, str]:  # fmt: skip
    """(zeropoint, exposure_time, where from): COSMOS fluxes scaled to the image's counts."""
    if zeropoint is not None:
        if not 15 < zeropoint < 40:
            raise InputError(f"--zeropoint {zeropoint:g}: an AB zeropoint lies between 15 and 40 mag")
        return (
            float(zeropoint),
            float(exposure or 1.0),
            "--zeropoint" + (" and --exposure" if exposure else ""),
        )
    if survey is not None:
        import yaml

        from blendhunter.workflow import presets

        path = Path(presets.FOLDER) / f"{survey}.yaml"
        if "/" in survey or "\\" in survey or not path.is_file():
            names = ", ".join(sorted(p.stem for p in Path(presets.FOLDER).glob("*.yaml")))
            raise InputError(f"--survey {survey}: no preset {path} (presets: {names or 'none here'})")
        flux = yaml.safe_load(path.read_text())["flux"]
        return (
            float(flux["zeropoint"]),
            float(flux["exposure_time"]),
            f"the {survey} preset (image in electrons)",
        )
    for key in ZEROPOINT_KEYS:
        value = image.header.get(key)
        if isinstance(value, int | float) and 15 < value < 40:
            return float(value), float(exposure or 1.0), f"the header's {key}"
    raise InputError(
        f"{image.path}: no zeropoint ({'/'.join(ZEROPOINT_KEYS[:3])} in the header), so galaxies' "
        "fluxes cannot be matched to it: give --zeropoint MAG (of the image's counts), or "
        "--survey NAME (blendhunter surveys)"
    )


def measure(image: Image, given_scale: float | None = None) -> Measured:
    """Everything but the fluxes, from the image."""
    scale, scale_from = pixel_scale(image, given_scale)
    back, sigma = noise_maps(image)
    good = np.isfinite(image.data)
    data = np.where(good, image.data - back, 0).astype(np.float32)
    saturation = image.header.get("SATURATE")
    saturation = float(saturation) - float(np.median(back)) if isinstance(saturation, int | float) else None
    candidates = star_candidates(data, sigma, saturation)
    candidates["star"] = stellar_locus(candidates)
    stars = candidates[candidates["star"]].nlargest(MAX_FITTED, "flux")
    if len(stars) < MIN_STARS:
        saturated = candidates.attrs.get("saturated", 0)
        why = f"{saturated} bright sources have saturated cores" if saturated else "too few point sources"
        raise SurveyError(
            f"{image.path}: {len(stars)} usable stars ({why}); configure needs at least "
            f"{MIN_STARS} to measure the PSF: give a larger image of the field, or start from a "
            "survey preset (blendhunter surveys)"
        )
    rms = float(np.median(sigma[good]))
    cutouts = [_cutout(data, row.x, row.y) for row in stars.itertuples()]
    fits = [fit_moffat(cut, scale, rms) for cut in cutouts]
    stars = stars.assign(**{key: [f[key] for f in fits] for key in ("beta", "fwhm", "g1", "g2")})
    stars.attrs.update(cutouts=cutouts, models=[f["model"] for f in fits])  # for the figure
    return Measured(
        pixel_scale=scale,
        pixel_scale_from=scale_from,
        background=float(np.median(back[good])),
        sigma=rms,
        sigma_range=tuple(float(v) for v in np.percentile(sigma[good], [5, 95])),
        stars=stars,
        candidates=candidates,
    )


def _round(value: float) -> float:
    return float(f"{value:.4g}")


def layer(m: Measured, name: str) -> dict:
    """The config layer: the image's pixel scale, PSF, flux scale and noise level(s)."""
    low, high = m.sigma_range
    # One noise level when the image is uniform; its spread's ends too when it is not.
    sigmas = [m.sigma] if high / low < 1.3 else [low, m.sigma, high]
    return {
        "stamp": {"pixel_scale": _round(m.pixel_scale)},
        "psf": {
            "optical_beta": _round(m.beta),
            "optical_fwhm": _round(m.fwhm),
            "optical_e_max": _round(min(0.5, 2 * m.shear)),  # |g| ~ U(0, e_max): mean |g| measured
            "atmos_fwhm_mean": 0.0,
            "atmos_fwhm_std": 0.0,
            "atmos_g_std": 0.0,
        },
        "flux": {"zeropoint": m.zeropoint, "exposure_time": m.exposure_time},
        "selection": {"reference_sigma": _round(m.sigma)},
        "parametric": {"sigmas": sorted({_round(s) for s in sigmas})},
        "realistic": {"sigma": _round(m.sigma)},
        "run": {"prefix": f"images/{name}", "own_stamps": True},
    }


def report(m: Measured, image: Path, output: Path) -> str:
    """What was measured, what was assumed, and what to run next."""
    from blendhunter.workflow import presets

    low, high = m.stars["fwhm"].quantile([0.16, 0.84]).to_numpy()
    sigma_low, sigma_high = m.sigma_range
    cfg = layer(m, image.stem)
    sigma = cfg["realistic"]["sigma"]
    lines = [
        f"measured from {image}:",
        f"  pixel scale  {m.pixel_scale:.4f} arcsec (from {m.pixel_scale_from})",
        f"  background   {m.background:.4g} counts (median; subtracted before classification)",
        f"  noise sigma  {m.sigma:.4g} (median of SEP's RMS map; 5-95%: {sigma_low:.4g}-{sigma_high:.4g})",
        f"  PSF          Moffat beta {m.beta:.2f}, FWHM {m.fwhm:.3f} arcsec (16-84%: {low:.3f}-{high:.3f}),"
        f" |g| {m.shear:.3f}, from {len(m.stars)} stars of {len(m.candidates)} bright isolated sources",
        f"  zeropoint    {m.zeropoint:.3f} for {m.exposure_time:g} s of the image's counts"
        f" (from {m.flux_from})",
        "assumed: galaxies' band - F814W colour 0 (COSMOS fluxes by the zeropoint), the PSF the same",
        "  over the image (its random orientation in training), sky-limited Gaussian noise",
        f"wrote {output}; train heads for this image (results/images/{image.stem}/), then flag it:",
        f"  {presets.command(str(output))}",
        f"  blendhunter classify-image {image} --model results/images/{image.stem}/models/sigma{sigma:g} "
        "--output flags.csv",
    ]
    return "\n".join(lines)


def plot(m: Measured, out: Path) -> None:
    """Candidates' size against flux (the stars' locus), and the brightest star, its fit
    and the residual."""
    from matplotlib.figure import Figure

    from blendhunter.io import atomic_path

    cut, model = m.stars.attrs["cutouts"][0], m.stars.attrs["models"][0]
    fig = Figure(figsize=(12, 3.4))
    axes = fig.subplots(1, 4)
    c = m.candidates
    axes[0].scatter(c["flux"], c["size"] * m.pixel_scale, s=8, c="0.6", label="bright isolated sources")
    axes[0].scatter(m.stars["flux"], m.stars["size"] * m.pixel_scale, s=12, c="C3", label="stars fitted")
    axes[0].set(xscale="log", xlabel="flux (counts)", ylabel="adaptive-moment size (arcsec)")
    axes[0].legend(fontsize=7)
    vmax = float(cut.max())
    for ax, array, title in ((axes[1], cut, "brightest star"), (axes[2], model, "Moffat fit"),
                             (axes[3], cut - model, "residual (x10 scale)")):  # fmt: skip
        limit = vmax / 10 if ax is axes[3] else vmax
        ax.imshow(array, origin="lower", cmap="gray" if ax is not axes[3] else "RdBu_r",
                  vmin=-limit if ax is axes[3] else 0, vmax=limit)  # fmt: skip
        ax.set_title(title, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(
        f"PSF: Moffat beta {m.beta:.2f}, FWHM {m.fwhm:.3f} arcsec ({len(m.stars)} stars)", fontsize=10
    )
    fig.tight_layout()
    with atomic_path(out) as tmp:
        fig.savefig(tmp, dpi=90, format=out.suffix.lstrip(".").lower())


def configure(image_path: Path, output: Path, hdu: int = 0, pixel_scale_arcsec: float | None = None,
              zeropoint: float | None = None, exposure: float | None = None, survey: str | None = None,
              plot_path: Path | None = None) -> Measured:  # fmt: skip
    import yaml

    from blendhunter import __version__
    from blendhunter.io import atomic_path
    from blendhunter.survey import read_image

    image = read_image(image_path, hdu)
    zp, exposure_time, flux_from = flux_calibration(image, zeropoint, exposure, survey)
    m = measure(image, pixel_scale_arcsec)
    m.zeropoint, m.exposure_time, m.flux_from = zp, exposure_time, flux_from
    head = (
        f"# Measured from {image_path} by blendhunter configure {__version__}: layer it on\n"
        "# config/config.yaml (the command below). Noise sigma and fluxes in the image's counts.\n"
    )
    with atomic_path(output) as tmp:
        Path(tmp).write_text(head + yaml.safe_dump(layer(m, Path(image_path).stem), sort_keys=False))
    if plot_path is not None:
        plot(m, plot_path)
    return m
