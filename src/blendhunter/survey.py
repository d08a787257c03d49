"""From a survey image to a catalogue of blend flags (`blendhunter classify-image`).

The paper classifies objects a source extractor has already found. Here, for a FITS
image (memory-mapped; any HDU) and, optionally, a source catalogue:

0. the image is read once into memory (SEP's background needs the whole array);
1. the sky is modelled with SEP (a background map and its RMS): survey images are not
   background-free like the training stamps; a weight (inverse variance) or RMS map
   may replace SEP's noise estimate;
2. without a catalogue, sources are detected with SEP on the background-subtracted
   image (`threshold` x the local RMS), as the paper's setting assumes;
3. each source is re-centred on its light (`blendhunter.centring`: the windowed
   centroid near its position; `x_centre`, `y_centre` and `shift` in the output; farther
   than 3 px: kept where it was and flagged `centring`), then gets a 51x51 cutout with
   that centroid on the centre pixel, background subtracted; pixels off the image are
   filled with noise of the local RMS (training stamps have noise everywhere) and the
   source is flagged `edge`; NaN pixels inside the image (masked regions) are filled the
   same way and flagged `masked`;
4. the cutouts stream through the model in batches, so memory holds one batch of
   cutouts whatever the number of sources; each source is scored by the model whose
   training noise is nearest its local RMS (`sigma_local`) among the given ones.

Positions: `x`, `y` are 0-based pixel coordinates (numpy and SEP convention: the
centre of the first pixel is 0, 0; FITS/DS9 positions are these + 1), or `ra`, `dec` in
degrees through the image's WCS.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from blendhunter.errors import InputError

log = logging.getLogger(__name__)

STAMP = 51
HALF = STAMP // 2
BACKGROUND_BOX = 64  # px: SEP's background mesh


class SurveyError(InputError):
    """The image or catalogue cannot be classified; the message says why and what to do."""


@dataclass
class Image:
    data: np.ndarray  # float32, NaN where masked
    header: object
    path: Path

    @property
    def shape(self) -> tuple[int, int]:
        return self.data.shape


def read_image(path: str | Path, hdu: int | str = 0, what: str = "image") -> Image:
    """The 2-D image of one HDU (the first with data when hdu is 0 and the primary is empty)."""
    from astropy.io import fits

    path = Path(path)
    if not path.is_file():
        raise SurveyError(f"{path}: no such file")
    try:
        with fits.open(path, memmap=True) as hdul:
            if isinstance(hdu, int) and not -len(hdul) <= hdu < len(hdul):
                raise SurveyError(
                    f"{path}: no HDU {hdu}; the file has {len(hdul)} (--hdu 0 to {len(hdul) - 1})"
                )
            chosen = hdul[hdu]
            if chosen.data is None and hdu == 0 and len(hdul) > 1:
                chosen = next((h for h in hdul[1:] if getattr(h, "data", None) is not None), chosen)
            data, header = chosen.data, chosen.header
            if data is None or data.ndim != 2:
                raise SurveyError(f"{path}: HDU {hdu} holds no 2-D {what}; choose one with --hdu")
            data = np.array(data, dtype=np.float32)  # native byte order for SEP
    except SurveyError:
        raise
    except (
        OSError,
        ValueError,
        IndexError,
        KeyError,
        TypeError,
        EOFError,
    ) as err:
        raise SurveyError(f"{path}: not a readable FITS {what} ({err})") from err
    if not np.isfinite(data).any():
        raise SurveyError(f"{path}: no finite pixels in the {what}; check the HDU (--hdu) or the file")
    return Image(data, header, path)


def _sigma_from(given: Path, kind: str, shape: tuple) -> np.ndarray:
    """The noise RMS of a given RMS or weight (inverse variance) map; zero weight (or RMS)
    marks pixels without data, a negative value a wrong file."""
    other = read_image(given, what=f"{kind} map").data
    if other.shape != shape:
        raise SurveyError(f"{given}: shape {other.shape} differs from the image's {shape}")
    finite = other[np.isfinite(other)]
    if (finite < 0).any():
        raise SurveyError(
            f"{given}: {int((finite < 0).sum())} negative pixels; a {kind} map is never negative: "
            f"give the {kind} map itself (not a background-subtracted or signal image)"
        )
    if not (finite > 0).any():
        raise SurveyError(
            f"{given}: the {kind} map is zero everywhere; give the right file or leave out --{kind}"
        )
    good = np.isfinite(other) & (other > 0)
    sigma = np.full(shape, np.nan, np.float32)
    sigma[good] = other[good] if kind == "rms" else 1 / np.sqrt(other[good])
    return sigma


def noise_maps(image: Image, weight: Path | None = None, rms: Path | None = None):
    """(background, rms) maps: SEP's, or the RMS from a given RMS or weight map."""
    import sep

    data = image.data
    mask = ~np.isfinite(data)
    filled = np.where(mask, 0, data).astype(np.float32)
    box = min(BACKGROUND_BOX, *data.shape)
    try:
        background = sep.Background(filled, mask=mask, bw=box, bh=box)
    except Exception as err:  # SEP raises plain Exception for what it cannot model
        raise SurveyError(
            f"{image.path}: SEP cannot model its background ({err}); check the HDU (--hdu)"
        ) from err
    back, sigma = background.back(), background.rms()
    for given, kind in ((rms, "rms"), (weight, "weight")):
        if given is not None:
            sigma = _sigma_from(Path(given), kind, data.shape)
    if not (np.nan_to_num(sigma) > 0).any():
        raise SurveyError(
            f"{image.path}: the image has no noise (a constant or blank image: SEP's RMS is zero "
            "everywhere); check the HDU (--hdu) or the file"
        )
    return back.astype(np.float32), sigma


def detect(image: Image, back: np.ndarray, sigma: np.ndarray, threshold: float, minarea: int) -> pd.DataFrame:
    """Sources found by SEP on the background-subtracted image: x, y (0-based pixels)."""
    import sep

    mask = ~np.isfinite(image.data) | ~np.isfinite(sigma)
    data = np.where(mask, 0, image.data - back).astype(np.float32)
    err = np.where(mask, np.inf, sigma).astype(np.float32)
    sep.set_extract_pixstack(max(300000, data.size // 10))
    objects = sep.extract(data, threshold, err=err, mask=mask, minarea=minarea)
    log.info("SEP found %d sources above %g sigma", len(objects), threshold)
    return pd.DataFrame({"x": objects["x"], "y": objects["y"]})


def read_catalogue(path: str | Path, image: Image) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """(table, x, y): the catalogue's columns and 0-based pixel positions (x, y columns,
    or ra, dec through the image's WCS)."""
    path = Path(path)
    if not path.is_file():
        raise SurveyError(f"{path}: no such catalogue")
    try:
        if path.name.lower().endswith(".csv"):
            table = pd.read_csv(path)
        else:
            from astropy.table import Table

            table = Table.read(path, format="fits").to_pandas()
    except Exception as err:  # pandas and astropy raise many kinds for a damaged file
        raise SurveyError(f"{path}: not a readable CSV or FITS table ({type(err).__name__}: {err})") from err
    if table.empty:
        raise SurveyError(f"{path}: no sources in the catalogue (no rows); give a catalogue with rows")
    columns = {str(c).lower(): c for c in table.columns}
    if {"x", "y"} <= set(columns):
        x, y = (_numeric(table, columns[c], path, "0-based pixels") for c in ("x", "y"))
    elif {"ra", "dec"} <= set(columns):
        ra, dec = (_numeric(table, columns[c], path, "decimal degrees") for c in ("ra", "dec"))
        x, y = sky_to_pixels(image, ra, dec)
    else:
        raise SurveyError(
            f"{path}: no position columns; give x, y (0-based pixels) or ra, dec (degrees), "
            f"found {list(table.columns)}"
        )
    ny, nx = image.shape
    with np.errstate(invalid="ignore"):
        off = ~((x >= -0.5) & (x < nx - 0.5) & (y >= -0.5) & (y < ny - 0.5))
    if off.any():
        first = int(np.flatnonzero(off)[0])
        raise SurveyError(
            f"{path}: {int(off.sum())} sources lie off the {nx}x{ny} image (row {first}: x {x[first]:g}, "
            f"y {y[first]:g}); x, y are 0-based pixels (FITS/DS9 positions minus 1)"
        )
    return table, x, y


def _numeric(table: pd.DataFrame, column: str, path: Path, unit: str) -> np.ndarray:
    """A position column as finite floats, or one line naming the first bad row."""
    values = pd.to_numeric(table[column], errors="coerce").to_numpy(float)
    bad = ~np.isfinite(values)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise SurveyError(
            f"{path}: column {column} row {first} is {table[column].iloc[first]!r}, not a number; "
            f"positions must be {unit} (convert sexagesimal RA/Dec to degrees first)"
        )
    return values


def sky_to_pixels(image: Image, ra: np.ndarray, dec: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    import warnings

    from astropy.wcs import WCS, FITSFixedWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FITSFixedWarning)
        try:
            wcs = WCS(image.header)
        except Exception as err:  # astropy raises many kinds for a broken header
            raise SurveyError(
                f"{image.path}: its WCS cannot be read ({err}); give x, y pixel columns instead"
            ) from err
    if not wcs.has_celestial:
        raise SurveyError(f"{image.path}: no celestial WCS in its header; give x, y pixel columns instead")
    if not abs(np.linalg.det(wcs.celestial.pixel_scale_matrix)) > 0:
        raise SurveyError(f"{image.path}: its WCS is singular (zero pixel area); fix it or give x, y columns")
    try:
        x, y = wcs.celestial.all_world2pix(ra, dec, 0)
    except Exception as err:  # a singular matrix, a failed iteration
        raise SurveyError(
            f"{image.path}: its WCS cannot map ra, dec to pixels ({type(err).__name__}: {err}); "
            "fix the header or give x, y pixel columns"
        ) from err
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if not (np.isfinite(x) & np.isfinite(y)).all():
        raise SurveyError(f"{image.path}: its WCS maps some ra, dec to no pixel; fix the header or give x, y")
    return x, y


def cutouts(image: Image, back: np.ndarray, sigma: np.ndarray, x, y, seed: int = 0):
    """(stamps (n, 51, 51) float32, sigma_local, edge, masked): background-subtracted
    cutouts centred on the nearest pixel; off-image and NaN pixels become noise."""
    ny, nx = image.shape
    n = len(x)
    stamps = np.empty((n, STAMP, STAMP), np.float32)
    local = np.empty(n, np.float32)
    edge = np.zeros(n, bool)
    masked = np.zeros(n, bool)
    for i, (cx, cy) in enumerate(zip(np.rint(x).astype(int), np.rint(y).astype(int), strict=True)):
        y0, x0 = cy - HALF, cx - HALF
        ys, xs = slice(max(y0, 0), min(y0 + STAMP, ny)), slice(max(x0, 0), min(x0 + STAMP, nx))
        local[i] = sigma[cy, cx] if np.isfinite(sigma[cy, cx]) else np.nanmedian(sigma)
        rng = np.random.default_rng([seed, i])
        stamp = rng.standard_normal((STAMP, STAMP)).astype(np.float32) * local[i]
        inner = image.data[ys, xs] - back[ys, xs]
        window = (slice(ys.start - y0, ys.stop - y0), slice(xs.start - x0, xs.stop - x0))
        good = np.isfinite(inner)
        stamp[window] = np.where(good, inner, stamp[window])
        stamps[i] = stamp
        edge[i] = inner.shape != (STAMP, STAMP)
        masked[i] = not good.all()
    return stamps, local, edge, masked


def nearest_model(sigma_local: np.ndarray, models: dict[str, float]) -> np.ndarray:
    """Per source, the name of the model whose training noise is nearest its local noise."""
    names = list(models)
    levels = np.array([models[n] for n in names])
    return np.array(names)[np.argmin(np.abs(sigma_local[:, None] - levels[None, :]), axis=1)]


def image_models(models: list[str] | None) -> dict[str, float]:
    """Model name -> training sigma: the given ones, else the shipped models of the
    recommended one's features (layer and input); each source takes the nearest."""
    from blendhunter import shipped
    from blendhunter.classify import open_model, train_sigma

    if models:
        return {m: train_sigma(open_model(m)[0]) for m in models}
    best = shipped.recommended()
    if best is None:
        raise SurveyError("--model: none given and no shipped model installed; give a head's directory")
    family = {k: shipped.card(best)["metadata"][k] for k in ("layer", "preprocessing")}
    same = [n for n in shipped.names() if all(shipped.card(n)["metadata"][k] == v for k, v in family.items())]
    return {n: float(shipped.card(n)["metadata"]["train_sigma"]) for n in same}


@dataclass
class Flags:
    """What classify-image found: the catalogue with its flag columns, and what drew it."""

    table: pd.DataFrame
    image: Image
    back: np.ndarray
    x: np.ndarray
    y: np.ndarray
    threshold: float


def flag_sources(
    image_path: str | Path,
    models: list[str] | None = None,
    catalogue: str | Path | None = None,
    hdu: int = 0,
    weight: str | Path | None = None,
    rms: str | Path | None = None,
    detect_threshold: float = 3.0,
    minarea: int = 5,
    threshold: float | None = None,
    progress=None,
    recentre: bool = True,
    **classifier_options,
) -> Flags:
    """The blend flags of an image's sources (module docstring); classifier_options go to
    Classifier.from_model (vgg16_weights, calibrated, engine, precision, threads, ...)."""
    from blendhunter.centring import fourier_shift, windowed_centroids
    from blendhunter.classify import Classifier, labels, pad_like_training
    from blendhunter.domain import add_flag, check

    image = read_image(image_path, hdu)
    back, sigma = noise_maps(image, weight, rms)
    if catalogue:
        table, x, y = read_catalogue(catalogue, image)
    else:
        table = detect(image, back, sigma, detect_threshold, minarea)
        x, y = table["x"].to_numpy(), table["y"].to_numpy()
        if not len(table):
            raise SurveyError(f"{image_path}: SEP found no source above {detect_threshold:g} sigma")
    given_x, given_y = x, y
    centred = np.ones(len(x), bool)
    if recentre:
        x, y, centred = windowed_centroids(image.data - back, x, y)
    local = sigma[np.rint(y).astype(int), np.rint(x).astype(int)]
    local = np.where(np.isfinite(local), local, np.nanmedian(sigma))
    levels = image_models(models)
    chosen = nearest_model(local, levels)
    p_blend = np.full(len(x), np.nan)
    edge, masked = np.zeros(len(x), bool), np.zeros(len(x), bool)
    checked = pd.DataFrame(index=range(len(x)), columns=["background", "sigma_border", "flags"])
    for name in levels:
        rows = np.flatnonzero(chosen == name)
        if not len(rows):
            continue
        classifier = Classifier.from_model(name, **classifier_options)
        if threshold is None:
            threshold = classifier.threshold
        for start in range(0, len(rows), classifier.batch_size):
            part = rows[start : start + classifier.batch_size]
            stamps, _, edge[part], masked[part] = cutouts(image, back, sigma, x[part], y[part])
            if recentre:  # the sub-pixel rest: the centroid onto the centre pixel
                stamps = fourier_shift(stamps, np.rint(x[part]) - x[part], np.rint(y[part]) - y[part])
            checked.iloc[part] = check(stamps, levels[name]).to_numpy()
            padded = pad_like_training(stamps, "noise", first_index=int(part[0]))
            p_blend[part] = classifier.p_blend(padded).mean(axis=0)
            if progress is not None:
                progress(len(part))
    flags = add_flag(checked["flags"].astype(str), ~centred, "centring")
    label = labels(p_blend, flags, threshold)
    blended = pd.array(np.where(flags != "", None, label == "blended"), dtype="boolean")
    table = table.assign(
        p_blend=p_blend,
        blended=blended,
        sigma_local=local,
        edge=edge,
        masked=masked,
        x_centre=x,
        y_centre=y,
        shift=np.hypot(x - given_x, y - given_y),
        model=chosen,
        background=checked["background"].astype(float).to_numpy(),
        sigma_border=checked["sigma_border"].astype(float).to_numpy(),
        flags=flags.to_numpy(),
    )
    return Flags(table, image, back, given_x, given_y, threshold)


def plot(image: Image, back: np.ndarray, x, y, p_blend, out: Path, threshold: float) -> None:
    """The image (asinh stretch) with every source circled, coloured by p_blend; a figure of
    its own (never pyplot's state, so a notebook's backend is left alone)."""
    from matplotlib import colormaps
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize
    from matplotlib.figure import Figure

    from blendhunter.io import atomic_path

    data = image.data - back
    scale = np.nanpercentile(data, 99.5) or 1.0
    fig = Figure(figsize=(8, 8 * image.shape[0] / image.shape[1] + 0.6))
    ax = fig.subplots()
    ax.imshow(np.arcsinh(np.nan_to_num(data) / (0.05 * scale)), origin="lower", cmap="gray_r")
    cmap = colormaps["coolwarm"]
    colours = cmap(np.nan_to_num(np.asarray(p_blend, dtype=float), nan=0.5))
    ax.scatter(x, y, s=70, facecolors="none", edgecolors=colours, linewidths=1.3)
    fig.colorbar(ScalarMappable(cmap=cmap, norm=Normalize(0, 1)), ax=ax, fraction=0.04, label="p_blend")
    n_blend = int(np.sum(np.asarray(p_blend) >= threshold))
    ax.set_title(f"{image.path.name}: {len(x)} sources, {n_blend} with p_blend >= {threshold:g}")
    ax.set_xlabel("x (pixels)")
    ax.set_ylabel("y (pixels)")
    fig.tight_layout()
    with atomic_path(out) as tmp:
        fig.savefig(tmp, dpi=80, format=out.suffix.lstrip(".").lower())


def simulate_image(cfg: dict, out: Path, truth_out: Path, side: int = 1000, spacing: int = 70,
                   sigma: float = 15.0, sky: float = 100.0, seed: int = 1,
                   kind: str = "parametric") -> pd.DataFrame:  # fmt: skip
    """A survey-like test image: the project's stamps of `kind` (parametric, or realistic:
    real COSMOS galaxies; its PSF, pixel scale and fluxes; isolated and blended alike)
    pasted on a grid `spacing` px apart, plus a flat sky and Gaussian noise. Truth (x, y
    of each central galaxy, 0-based; label; separation; companion x2, y2) is written to
    `truth_out` as CSV."""
    from astropy.io import fits

    from blendhunter.simulation.simulate import CATALOGUE, GAL_TYPE, GalaxySource, draw_chunk
    from blendhunter.simulation.splits import labels_and_split

    per_row = (side - STAMP) // spacing
    n = per_row * per_row
    res = cfg["resources"][CATALOGUE[kind]]
    source = GalaxySource(res["path"], res["file_name"], GAL_TYPE[kind], seed=seed)
    labels, _ = labels_and_split(n, 0.5, None, seed, kind)
    images, meta = draw_chunk(0, n, labels, source, kind, {**cfg, "seed": seed})
    rng = np.random.default_rng(seed)
    image = np.full((side, side), sky, np.float32)
    pad = cfg["stamp"]["pad"]
    rows = []
    for i in range(n):
        cy, cx = spacing // 2 + HALF + spacing * (i // per_row), spacing // 2 + HALF + spacing * (i % per_row)
        stamp = images[i][pad:-pad, pad:-pad] if pad else images[i]
        image[cy - HALF : cy + HALF + 1, cx - HALF : cx + HALF + 1] += stamp
        offset = (cx - meta["x1"][i], cy - meta["y1"][i])
        rows.append(
            {"x": float(cx), "y": float(cy), "label": int(meta["label"][i]),
             "separation": float(meta["separation"][i]),
             "x2": float(meta["x2"][i] + offset[0]), "y2": float(meta["y2"][i] + offset[1])}
        )  # fmt: skip
    image += rng.normal(0, sigma, image.shape).astype(np.float32)
    fits.PrimaryHDU(image).writeto(out, overwrite=True)
    truth = pd.DataFrame(rows)
    truth.to_csv(truth_out, index=False)
    return truth
