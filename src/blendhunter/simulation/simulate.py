"""Noiseless postage stamps of isolated and blended galaxies (paper Sect. 2).

A stamp is `size` x `size` pixels with one galaxy at the centre; a blend adds
a second galaxy at a uniformly random position inside the stamp, relative to the
central galaxy. With `centring` in the set's config section (`parametric.centring`,
`realistic.centring`) the central galaxy is off the centre pixel by
a random offset (`centring_offset`), as real cutouts are; without it (the paper's
stamps) it is exactly on it. Galaxies are
drawn separately (same PSF), added, and the stamp is zero-padded by `pad`
pixels on every side. Noise is added later, per set (see `stamps.py`).

Positions are 0-based pixel coordinates (x = column, y = row) in the padded
stamp, the convention of numpy and SEP.
"""

from __future__ import annotations

import functools
import logging
import warnings
from dataclasses import dataclass

import galsim
import numpy as np

from blendhunter.errors import CatalogueError
from blendhunter.simulation import psf as psf_model
from blendhunter.simulation import seeds

log = logging.getLogger(__name__)

# Each set's COSMOS catalogue (its `resources` key) and GalSim galaxy type.
CATALOGUE = {"parametric": "cosmos_parametric", "realistic": "cosmos_real"}
GAL_TYPE = {"parametric": "parametric", "realistic": "real"}

HST_DIAMETER = 2.4  # m; GalSim's COSMOS fluxes are for HST, 1 s
MAX_DRAWS_PER_GALAXY = 200


def flux_scale(cfg_flux: dict) -> float:
    """COSMOS (HST 2.4 m, 1 s) to the configured exposure: by the band's zeropoint when
    given (a survey preset: blendhunter.workflow.presets), else by mirror area (paper)."""
    if cfg_flux.get("zeropoint") is not None:
        from blendhunter.workflow.presets import flux_scale as band_scale

        return band_scale(cfg_flux["zeropoint"], cfg_flux["exposure_time"])
    return (cfg_flux["telescope_diameter"] / HST_DIAMETER) ** 2 * cfg_flux["exposure_time"]


def min_peak(cfg_selection: dict) -> float:
    return cfg_selection["min_peak_snr"] * cfg_selection["reference_sigma"]


class GalaxySource:
    """COSMOS galaxies of one kind: 'parametric' fits or 'real' HST images.

    A real galaxy's image is padded with noise like its own (GalSim's default,
    `noise_pad_size` 5 arcsec); that noise is drawn from a stream keyed by
    (seed, catalogue row), so a galaxy is the same in every process and chunk.
    GalSim's own default would seed it from the clock.
    """

    def __init__(self, directory: str, file_name: str, gal_type: str, cache_size: int = 512, seed: int = 0):
        self.gal_type = gal_type
        self.seed = int(seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", galsim.GalSimWarning)
            try:
                self.catalogue = galsim.COSMOSCatalog(
                    file_name=file_name,
                    dir=directory,
                    use_real=(gal_type == "real"),
                    exclusion_level="none",
                )
            except (OSError, KeyError, galsim.GalSimError) as err:
                raise CatalogueError(
                    f"cannot read COSMOS catalogue {file_name!r} in {directory!r} "
                    f"as {gal_type} galaxies: {err}"
                ) from err
        self.size = self.catalogue.nobjects
        self._galaxy = functools.lru_cache(maxsize=cache_size)(self._make)

    def _make(self, index: int) -> galsim.GSObject:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", galsim.GalSimWarning)
            rng = galsim.BaseDeviate(seeds.integer_seed(self.seed, seeds.GALAXY_NOISE_PAD, int(index)))
            return self.catalogue.makeGalaxy(int(index), gal_type=self.gal_type, rng=rng)

    def galaxy(self, index: int) -> galsim.GSObject:
        return self._galaxy(int(index))

    def ident(self, index: int) -> int:
        """The COSMOS IDENT of a catalogue row (the row itself if there is none)."""
        row = self.catalogue.orig_index[index]
        if self.catalogue.real_cat is not None:
            ident = self.catalogue.real_cat.ident[row]
        else:
            names = self.catalogue.param_cat.dtype.names
            ident = self.catalogue.param_cat["IDENT"][row] if "IDENT" in names else index
        try:
            return int(ident)
        except ValueError:  # some catalogues use non-numeric identifiers
            return int(index)


class ParametricFluxes:
    """Fluxes (COSMOS units) of random parametric-catalogue galaxies: real galaxies drawn
    with these keep their morphology but take the parametric set's brightness distribution
    (`realistic.flux_distribution: parametric`)."""

    def __init__(self, source: GalaxySource):
        self.source = source

    def __call__(self, rng: np.random.Generator) -> float:
        return float(self.source.galaxy(int(rng.integers(self.source.size))).flux)


@dataclass
class Drawn:
    image: np.ndarray  # size x size, float64
    index: int
    flux: float
    peak: float
    profile: galsim.GSObject  # the rotated, scaled galaxy, to draw again elsewhere


def centring_offset(centring: dict | None, seed: int, kind: str, index: int) -> tuple[float, float]:
    """The central galaxy's (dx, dy) offset from the centre pixel, in pixels, from a stream
    of its own (so the galaxies drawn are the same with or without it).

    `radius`: exactly that far, in a random direction (the centring test sets). Otherwise
    a uniform sub-pixel part in [-0.5, 0.5) per axis (`subpixel`), plus a Gaussian error of
    `sigma` px per axis whose length is truncated at `max` px (redrawn beyond it).
    """
    if not centring:
        return 0.0, 0.0
    rng = seeds.generator(seed, seeds.CENTRING, seeds.STREAMS[kind], index)
    if centring.get("radius") is not None:
        angle = rng.uniform(0, 2 * np.pi)
        return float(centring["radius"] * np.cos(angle)), float(centring["radius"] * np.sin(angle))
    offset = rng.uniform(-0.5, 0.5, 2) if centring.get("subpixel") else np.zeros(2)
    sigma, limit = float(centring.get("sigma", 0.0)), float(centring.get("max", 0.0))
    if sigma > 0:
        error = rng.normal(0, sigma, 2)
        while np.hypot(*error) > limit:
            error = rng.normal(0, sigma, 2)
        offset = offset + error
    return float(offset[0]), float(offset[1])


def _draw_at(drawn: Drawn, psf: galsim.GSObject, cfg: dict, offset: tuple[float, float]) -> Drawn:
    """The same galaxy drawn again at another offset (its selection stays the centred one)."""
    size = cfg["stamp"]["size"]
    image = galsim.ImageD(size, size, scale=cfg["stamp"]["pixel_scale"])
    galsim.Convolve(drawn.profile, psf).drawImage(image=image, offset=offset)
    return Drawn(image.array, drawn.index, float(image.array.sum()), float(image.array.max()), drawn.profile)


def _draw_one(
    source: GalaxySource,
    psf: galsim.GSObject,
    rng: np.random.Generator,
    cfg: dict,
    scale: float,
    offset: tuple[float, float],
    fluxes: ParametricFluxes | None = None,
) -> Drawn:
    """Draw a random, randomly rotated galaxy that passes the brightness cut; with
    `fluxes`, its flux is replaced by one drawn from them (before the cut)."""
    size = cfg["stamp"]["size"]
    floor = min_peak(cfg["selection"])
    for _ in range(MAX_DRAWS_PER_GALAXY):
        index = int(rng.integers(source.size))
        angle = rng.uniform(0, 360) * galsim.degrees
        galaxy = source.galaxy(index).rotate(angle)
        galaxy = galaxy.withScaledFlux(scale) if fluxes is None else galaxy.withFlux(fluxes(rng) * scale)
        image = galsim.ImageD(size, size, scale=cfg["stamp"]["pixel_scale"])
        galsim.Convolve(galaxy, psf).drawImage(image=image, offset=offset)
        peak = float(image.array.max())
        if peak >= floor:
            return Drawn(image.array, index, float(image.array.sum()), peak, galaxy)
    raise CatalogueError(
        f"no galaxy out of {MAX_DRAWS_PER_GALAXY} random draws has a peak above "
        f"selection.min_peak_snr x reference_sigma = {floor:g}; lower selection.min_peak_snr"
    )


def draw_stamp(
    index: int,
    is_blend: bool,
    source: GalaxySource,
    kind: str,
    cfg: dict,
    fluxes: ParametricFluxes | None = None,
):
    """One noiseless padded stamp and its metadata, from its own random stream."""
    rng = seeds.generator(cfg["seed"], seeds.STREAMS[kind], index)
    size, pad = cfg["stamp"]["size"], cfg["stamp"]["pad"]
    psf_draw = psf_model.draw_parameters(rng, cfg["psf"])
    psf, randomised = stamp_psf(psf_draw, cfg, kind, index)
    scale = flux_scale(cfg["flux"])
    centre = pad + (size - 1) / 2

    # Galaxies are chosen (and cut) at their centred positions, then drawn again at the
    # central galaxy's offset: the same galaxies with or without centring errors.
    ox, oy = centring_offset(cfg[kind].get("centring"), cfg["seed"], kind, index)
    central = _draw_one(source, psf, rng, cfg, scale, (0.0, 0.0), fluxes)
    if (ox, oy) != (0.0, 0.0):
        central = _draw_at(central, psf, cfg, (ox, oy))
    image = central.image.copy()
    meta = {
        "label": int(is_blend),
        "x1": centre + ox,
        "y1": centre + oy,
        "index1": central.index,
        "id1": source.ident(central.index),
        "flux1": central.flux,
        "peak1": central.peak,
        "x2": np.nan,
        "y2": np.nan,
        "separation": np.nan,
        "index2": -1,
        "id2": -1,
        "flux2": 0.0,
        "peak2": 0.0,
    }
    if is_blend:
        half = (size - 1) / 2
        dx, dy = rng.uniform(-half, half, size=2)
        companion = _draw_one(source, psf, rng, cfg, scale, (float(dx), float(dy)), fluxes)
        if (ox, oy) != (0.0, 0.0):
            companion = _draw_at(companion, psf, cfg, (float(dx) + ox, float(dy) + oy))
        image += companion.image
        meta.update(
            x2=centre + ox + dx,
            y2=centre + oy + dy,
            separation=float(np.hypot(dx, dy)),
            index2=companion.index,
            id2=source.ident(companion.index),
            flux2=companion.flux,
            peak2=companion.peak,
        )
    meta.update({f"psf_{k}": v for k, v in psf_draw.as_dict().items()})
    if randomised is not None:
        meta.update({f"psf_random_{k}": v for k, v in randomised.as_dict().items()})
    return np.pad(image, pad).astype(np.float32), meta


def stamp_psf(psf_draw: psf_model.PSFDraw, cfg: dict, kind: str, index: int):
    """The stamp's PSF and its randomisation draw (None without `psf_randomisation`), the
    draw from a stream of its own, so the stamp's other draws are unchanged (a galaxy the
    brightness cut rejects under its new PSF is replaced, as in any set)."""
    spec = cfg[kind].get("psf_randomisation")
    if not spec:
        return psf_model.build(psf_draw, cfg["psf"]), None
    rng = seeds.generator(cfg["seed"], seeds.PSF_RANDOM, seeds.STREAMS[kind], index)
    randomised = psf_model.draw_randomisation(rng, spec)
    return psf_model.build_randomised(psf_draw, cfg["psf"], randomised), randomised


def draw_chunk(
    start: int,
    stop: int,
    labels: np.ndarray,
    source: GalaxySource,
    kind: str,
    cfg: dict,
    fluxes: ParametricFluxes | None = None,
):
    """Stamps start..stop-1: images (n, P, P) float32 and a dict of metadata columns."""
    images, rows = [], []
    step = max(1, (stop - start) // 10)
    for i in range(start, stop):
        image, meta = draw_stamp(i, bool(labels[i]), source, kind, cfg, fluxes)
        images.append(image)
        rows.append(meta)
        if (i - start + 1) % step == 0:
            log.info("drew %d/%d stamps", i - start + 1, stop - start)
    columns = {key: np.array([row[key] for row in rows]) for key in rows[0]}
    return np.stack(images), columns
