"""From a survey image to a catalogue of blend flags (`blendhunter classify-image`).

The paper classifies objects a source extractor has already found. Here, for a FITS
image (memory-mapped; any HDU) and, optionally, a source catalogue:

0. the image is read once into memory (SEP's background needs the whole array);
1. the sky is modelled with SEP (a background map and its RMS): survey images are not
   background-free like the training stamps; a weight (inverse variance) or RMS map
   may replace SEP's noise estimate;
2. without a catalogue, sources are detected with SEP on the background-subtracted
   image (`threshold` x the local RMS), as the paper's setting assumes;
3. each source gets a 51x51 cutout centred on its nearest pixel, background
   subtracted; pixels off the image are filled with noise of the local RMS (training
   stamps have noise everywhere) and the source is flagged `edge`; NaN pixels inside
   the image (masked regions) are filled the same way and flagged `masked`;
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

from .errors import InputError

log = logging.getLogger(__name__)

STAMP = 51
HALF = STAMP // 2
BACKGROUND_BOX = 64  # px: SEP's background mesh
CATALOGUE_SUFFIXES = (".csv", ".fits", ".fit", ".fits.gz")


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


def read_image(path: str | Path, hdu: int | str = 0) -> Image:
    """The 2-D image of one HDU (the first with data when hdu is 0 and the primary is empty)."""
    from astropy.io import fits

    path = Path(path)
    if not path.is_file():
        raise SurveyError(f"{path}: no such file")
    try:
        with fits.open(path, memmap=True) as hdul:
            chosen = hdul[hdu]
            if chosen.data is None and hdu == 0 and len(hdul) > 1:
                chosen = next((h for h in hdul[1:] if getattr(h, "data", None) is not None), chosen)
            data, header = chosen.data, chosen.header
            if data is None or data.ndim != 2:
                raise SurveyError(f"{path}: HDU {hdu} holds no 2-D image; choose one with --hdu")
            data = np.array(data, dtype=np.float32)  # native byte order for SEP
    except SurveyError:
        raise
    except (OSError, ValueError, IndexError, KeyError, TypeError) as err:  # TypeError: a truncated file
        raise SurveyError(f"{path}: not a readable FITS image ({err})") from err
    if not np.isfinite(data).any():
        raise SurveyError(f"{path}: no finite pixels in the image; check the HDU (--hdu) or the file")
    return Image(data, header, path)


def noise_maps(image: Image, weight: Path | None = None, rms: Path | None = None):
    """(background, rms) maps: SEP's, or the RMS from a given RMS or weight map."""
    import sep

    data = image.data
    mask = ~np.isfinite(data)
    filled = np.where(mask, 0, data).astype(np.float32)
    box = min(BACKGROUND_BOX, *data.shape)
    background = sep.Background(filled, mask=mask, bw=box, bh=box)
    back, sigma = background.back(), background.rms()
    for given, convert in ((rms, lambda a: a), (weight, lambda w: 1 / np.sqrt(np.where(w > 0, w, np.nan)))):
        if given is not None:
            other = read_image(given).data
            if other.shape != data.shape:
                raise SurveyError(f"{given}: shape {other.shape} differs from the image's {data.shape}")
            sigma = np.asarray(convert(other), dtype=np.float32)
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

            table = Table.read(path).to_pandas()
    except (OSError, ValueError) as err:
        raise SurveyError(f"{path}: not a readable CSV or FITS table ({err})") from err
    columns = {c.lower(): c for c in table.columns}
    if {"x", "y"} <= set(columns):
        x, y = (table[columns[c]].to_numpy(float) for c in ("x", "y"))
    elif {"ra", "dec"} <= set(columns):
        x, y = sky_to_pixels(
            image, table[columns["ra"]].to_numpy(float), table[columns["dec"]].to_numpy(float)
        )
    else:
        raise SurveyError(
            f"{path}: no position columns; give x, y (0-based pixels) or ra, dec (degrees), "
            f"found {list(table.columns)}"
        )
    ny, nx = image.shape
    off = ~((x >= -0.5) & (x < nx - 0.5) & (y >= -0.5) & (y < ny - 0.5))
    if off.any():
        first = int(np.flatnonzero(off)[0])
        raise SurveyError(
            f"{path}: {int(off.sum())} sources lie off the {nx}x{ny} image (row {first}: x {x[first]:g}, "
            f"y {y[first]:g}); x, y are 0-based pixels (FITS/DS9 positions minus 1)"
        )
    return table, x, y


def sky_to_pixels(image: Image, ra: np.ndarray, dec: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    import warnings

    from astropy.wcs import WCS, FITSFixedWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FITSFixedWarning)
        wcs = WCS(image.header)
    if not wcs.has_celestial:
        raise SurveyError(f"{image.path}: no celestial WCS in its header; give x, y pixel columns instead")
    x, y = wcs.celestial.all_world2pix(ra, dec, 0)
    return np.asarray(x), np.asarray(y)


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


def write_table(table: pd.DataFrame, path: Path) -> None:
    """CSV or FITS by extension, atomically."""
    from .io import atomic_path

    with atomic_path(path) as tmp:
        if path.name.lower().endswith((".fits", ".fit")):
            from astropy.table import Table

            Table.from_pandas(table).write(tmp, format="fits")
        else:
            table.to_csv(tmp, index=False)


def plot(image: Image, back: np.ndarray, x, y, p_blend, out: Path, threshold: float) -> None:
    """The image (asinh stretch) with every source circled, coloured by p_blend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .io import atomic_path

    data = image.data - back
    scale = np.nanpercentile(data, 99.5) or 1.0
    fig, ax = plt.subplots(figsize=(8, 8 * image.shape[0] / image.shape[1] + 0.6))
    ax.imshow(np.arcsinh(np.nan_to_num(data) / (0.05 * scale)), origin="lower", cmap="gray_r")
    cmap = plt.get_cmap("coolwarm")
    colours = cmap(np.nan_to_num(np.asarray(p_blend, dtype=float), nan=0.5))
    ax.scatter(x, y, s=70, facecolors="none", edgecolors=colours, linewidths=1.3)
    scale_bar = plt.cm.ScalarMappable(cmap=cmap, norm=plt.Normalize(0, 1))
    fig.colorbar(scale_bar, ax=ax, fraction=0.04, label="p_blend")
    n_blend = int(np.sum(np.asarray(p_blend) >= threshold))
    ax.set_title(f"{image.path.name}: {len(x)} sources, {n_blend} with p_blend >= {threshold:g}")
    ax.set_xlabel("x (pixels)")
    ax.set_ylabel("y (pixels)")
    fig.tight_layout()
    with atomic_path(out) as tmp:
        fig.savefig(tmp, dpi=80, format=out.suffix.lstrip(".") or "png")
    plt.close(fig)


def simulate_image(cfg: dict, out: Path, truth_out: Path, side: int = 1000, spacing: int = 70,
                   sigma: float = 15.0, sky: float = 100.0, seed: int = 1) -> pd.DataFrame:  # fmt: skip
    """A survey-like test image: the project's parametric stamps (its PSF, pixel scale and
    fluxes; isolated and blended alike) pasted on a grid `spacing` px apart, plus a flat
    sky and Gaussian noise. Truth (x, y of each central galaxy, 0-based; label;
    separation; companion x2, y2) is written to `truth_out` as CSV."""
    from astropy.io import fits

    from .simulate import GalaxySource, draw_chunk, labels_and_split

    per_row = (side - STAMP) // spacing
    n = per_row * per_row
    res = cfg["resources"]["cosmos_parametric"]
    source = GalaxySource(res["path"], res["file_name"], "parametric", seed=seed)
    labels, _ = labels_and_split(n, 0.5, None, seed, "parametric")
    images, meta = draw_chunk(0, n, labels, source, "parametric", {**cfg, "seed": seed})
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


def main(argv: list[str] | None = None) -> int:
    """python -m blendhunter.survey IMAGE.fits TRUTH.csv [--configfile ...]: a test image."""
    import argparse

    from . import config as bh_config

    parser = argparse.ArgumentParser(description="Simulate a survey-like test image with its truth.")
    parser.add_argument("image", type=Path)
    parser.add_argument("truth", type=Path)
    parser.add_argument(
        "--configfile",
        type=Path,
        nargs="+",
        default=[Path("config/config.yaml"), Path("config/offline.yaml")],
    )
    args = parser.parse_args(argv)
    truth = simulate_image(bh_config.load(*args.configfile), args.image, args.truth)
    blended = int(truth["label"].sum())
    print(f"{args.image}: {len(truth)} galaxies, {blended} of them blended; truth in {args.truth}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
