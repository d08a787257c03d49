"""Is a stamp like the stamps the head was trained on? The domain check of `classify`
and `classify-image`.

A head answers with confidence whatever it is given; its `p_blend` means what its
model card says only near its training domain: background-subtracted stamps in
counts, noise near its training sigma, a galaxy in the centre. Each stamp is
measured from its own corners and centre, and a row that is outside that domain gets
flags (docs/CONTRACTS.md):

- `background`: the border's median is not consistent with zero (sky not subtracted,
  an offset, data in other units);
- `noise`: the border's noise is outside a factor NOISE_FACTOR of the head's training
  sigma (after the nearest-sigma choice among the given heads);
- `no_signal`: a constant or blank stamp, or no central peak as bright as the faintest
  training galaxies;
- `hot_pixel`: one pixel far above its neighbours, sharper than any PSF-convolved
  training galaxy;
- `saturated`: a flat top of equal brightest pixels, which a noisy training stamp never has;
- `centring` (when re-centring, `blendhunter.centring`): no source's light within 3 px of
  the given position.

Background and noise come from the stamp's four 8x8 corners, the pixels farthest from a
centred galaxy (the corner nearest zero; the median of their MADs), so a galaxy that
reaches the edge of a 51x51 stamp is not taken for sky. Every threshold was chosen on
validation stamps of the default campaign (σ 5, 15 and 35) with a margin, and measured
on its realistic set (docs/usage.md, "What a stamp must be"; `python -m blendhunter.domain` prints the
numbers for a campaign's stamp files).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

FLAGS = ("background", "noise", "no_signal", "hot_pixel", "saturated", "centring")
# Chosen on the validation splits of the default campaign at σ 5, 15 and 35 (800 stamps
# each, their central 51x51 as users give them), with a margin; measured on its realistic
# set (docs/domain/thresholds.txt):
#
# |background| / noise, from the corners: above 1 for 0.4% of the validation stamps at
# σ 5 (large bright galaxies fill every corner), none at σ 15 and 35; a sky left in at
# 1.5 sigma is flagged for 99% of the realistic stamps, at 2 sigma for all.
BACKGROUND_MAX = 1.0
NOISE_FACTOR = 1.5
# The brightest 3x3 mean of the central 11x11 pixels over SELECTION_PEAK (the counts of the
# faintest noiseless galaxy peak the training sets keep: selection.min_peak_snr 3 x
# reference_sigma 14.5): at least 0.64 of it on the validation stamps. Pure noise reaches
# it only at high noise (above ~25 counts), where training had galaxies as faint.
SELECTION_PEAK = 43.5
PEAK_MIN = 0.4
CENTRE = 5  # px each side of the centre searched for the galaxy's peak
CORNER = 8  # px: the side of the four corner squares that give a stamp's background and noise
# A pixel minus the median of its 8 neighbours, over the brightest pixel: at most 0.63 on
# the validation stamps whose brightest pixel is above SPIKE_MIN_SNR (the PSF spreads every
# galaxy's light); a hot pixel alone gives ~1.
SPIKE_MAX = 0.8
SPIKE_MIN_SNR = 8.0  # a spike fainter than this is a noise peak, not a hot pixel
SATURATED_PIXELS = 3  # equal brightest pixels: a flat top, which a noisy stamp never has


def _box3(stamps: np.ndarray) -> np.ndarray:
    """The 3x3 mean around every interior pixel: (n, s - 2, s - 2)."""
    s = stamps.shape[1]
    return sum(stamps[:, i : s - 2 + i, j : s - 2 + j] for i in range(3) for j in range(3)) / 9.0


def _neighbour_median(stamps: np.ndarray) -> np.ndarray:
    """The median of the 8 neighbours of every interior pixel: (n, s - 2, s - 2)."""
    s = stamps.shape[1]
    shifts = [stamps[:, i : s - 2 + i, j : s - 2 + j] for i in range(3) for j in range(3) if (i, j) != (1, 1)]
    return np.median(np.stack(shifts), axis=0)


def _corners(stamps: np.ndarray, width: int = CORNER) -> list[np.ndarray]:
    """The four corner squares of each stamp, (n, width**2) each: the pixels farthest from
    a centred galaxy."""
    n = len(stamps)
    return [
        stamps[:, rows, cols].reshape(n, -1)
        for rows in (slice(None, width), slice(-width, None))
        for cols in (slice(None, width), slice(-width, None))
    ]


def border_level(stamps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(background, sigma) from the stamp's corners, robust to a galaxy reaching them: the
    corner whose median is nearest zero (a sky offset moves all four, a galaxy's light
    one or two), and the median over the corners of 1.4826 x MAD."""
    medians, sigmas = [], []
    for side in _corners(np.asarray(stamps, dtype=np.float32)):
        median = np.median(side, axis=1)
        medians.append(median)
        sigmas.append(1.4826 * np.median(np.abs(side - median[:, None]), axis=1))
    medians = np.stack(medians, axis=1)
    nearest = medians[np.arange(len(medians)), np.argmin(np.abs(medians), axis=1)]
    return nearest.astype(np.float64), np.median(np.stack(sigmas, axis=1), axis=1).astype(np.float64)


def measure(stamps: np.ndarray) -> pd.DataFrame:
    """Per stamp (n, s, s): background and sigma_border (`border_level`), peak (the
    brightest 3x3 mean near the centre, counts), spike (the sharpest pixel over the
    brightest), brightest_snr and n_max (pixels equal to the brightest)."""
    stamps = np.asarray(stamps, dtype=np.float32)
    background, sigma = border_level(stamps)
    level = stamps - background[:, None, None].astype(np.float32)
    safe = np.where(sigma > 0, sigma, np.inf)
    c = stamps.shape[1] // 2
    box = _box3(level)[:, c - 1 - CENTRE : c + CENTRE, c - 1 - CENTRE : c + CENTRE]
    peak = box.max(axis=(1, 2))
    sharp = level[:, 1:-1, 1:-1] - _neighbour_median(level)
    brightest = level.max(axis=(1, 2))
    spike = sharp.max(axis=(1, 2)) / np.where(brightest > 0, brightest, np.inf)
    top = stamps.max(axis=(1, 2))
    n_max = (stamps == top[:, None, None]).sum(axis=(1, 2))
    return pd.DataFrame(
        {
            "background": background,
            "sigma_border": sigma,
            "peak": peak,
            "spike": spike,
            "brightest_snr": brightest / safe,
            "n_max": n_max,
        }
    )


def flags(measured: pd.DataFrame, train_sigma) -> pd.Series:
    """The documented `flags` column: FLAGS joined by '|', '' where the stamp is in domain.
    train_sigma: per row (or one value) the head's training sigma; NaN skips the noise test."""
    sigma = measured["sigma_border"].to_numpy()
    train = np.broadcast_to(np.asarray(train_sigma, dtype=np.float64), sigma.shape)
    blank = sigma <= 0
    ratio = np.divide(sigma, train, out=np.full(sigma.shape, np.nan), where=train > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        found = {
            "background": ~blank & (np.abs(measured["background"].to_numpy()) > BACKGROUND_MAX * sigma),
            "noise": ~blank & np.isfinite(ratio) & ((ratio > NOISE_FACTOR) | (ratio < 1 / NOISE_FACTOR)),
            "no_signal": blank | (measured["peak"].to_numpy() < PEAK_MIN * SELECTION_PEAK),
            "hot_pixel": ~blank
            & (measured["spike"].to_numpy() > SPIKE_MAX)
            & (measured["brightest_snr"].to_numpy() > SPIKE_MIN_SNR),
            "saturated": ~blank & (measured["n_max"].to_numpy() >= SATURATED_PIXELS),
        }
    names = np.array(list(found))
    table = np.stack(list(found.values()), axis=1)
    return pd.Series(["|".join(names[row]) for row in table], index=measured.index, name="flags")


def check(stamps: np.ndarray, train_sigma) -> pd.DataFrame:
    """The domain columns of a classification table: background, sigma_border, flags."""
    measured = measure(stamps)
    return measured[["background", "sigma_border"]].assign(flags=flags(measured, train_sigma))


def add_flag(flag_column: pd.Series, rows, name: str) -> pd.Series:
    """flag_column with `name` added where rows (a boolean mask) is true."""
    rows = np.asarray(rows, bool)
    joined = [f"{old}|{name}" if old else name for old in flag_column[rows]]
    out = flag_column.copy()
    out[rows] = joined
    return out


def summary(flag_column: pd.Series) -> str:
    """'3 of 40 stamps flagged (background 3, noise 1)', or '' when none is."""
    flagged = flag_column[flag_column != ""]
    if flagged.empty:
        return ""
    counts = {f: int(flagged.str.contains(f, regex=False).sum()) for f in FLAGS}
    reasons = ", ".join(f"{f} {n}" for f, n in counts.items() if n)
    return f"{len(flagged)} of {len(flag_column)} flagged outside the model's training domain ({reasons})"


def thresholds_report(
    paths: list[str], train_sigma: float | None = None, split: str | None = None, crop: int | None = 51
) -> pd.DataFrame:
    """Per stamp file: the quantiles of each measure and the share of stamps flagged, to
    choose and check the thresholds above (a split name reads only that split)."""
    from blendhunter.simulation.stamps import StampSet

    rows = []
    for path in paths:
        stamp_set = StampSet(path)
        index = np.arange(len(stamp_set))
        if split is not None and "split" in stamp_set.meta:
            from blendhunter.simulation.splits import SPLIT_CODES

            index = index[stamp_set.meta["split"].to_numpy() == SPLIT_CODES[split]]
        images = stamp_set.images(index)
        if crop:  # the workflow's 65x65 stamps as users give them: the central 51x51
            pad = (images.shape[1] - crop) // 2
            images = images[:, pad:-pad, pad:-pad] if pad else images
        sigma = train_sigma if train_sigma is not None else float(np.median(border_level(images)[1]))
        measured = measure(images)
        found = flags(measured, sigma)
        row = {"file": path, "stamps": len(images), "flagged": float((found != "").mean())}
        for f in FLAGS:
            row[f"flag_{f}"] = float(found.str.contains(f, regex=False).mean())
        row["background_max"] = float((measured["background"].abs() / measured["sigma_border"]).max())
        row["peak_over_selection_min"] = float(measured["peak"].min() / SELECTION_PEAK)
        row["spike_max"] = float(measured["spike"][measured["brightest_snr"] > SPIKE_MIN_SNR].max())
        rows.append(row)
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> int:
    """python -m blendhunter.domain STAMPS.h5 ... [--split validation]: the measures and
    flag rates of workflow stamp files (maintainers choose the thresholds with it)."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__.split("\n")[0])
    parser.add_argument("stamps", nargs="+")
    parser.add_argument("--split", choices=("train", "validation", "test"))
    parser.add_argument("--train-sigma", type=float, help="default: each file's median border noise")
    parser.add_argument("--crop", type=int, default=51, help="measure the central CROP px (0: whole stamps)")
    args = parser.parse_args(argv)
    with pd.option_context("display.width", 250, "display.max_columns", 20):
        report = thresholds_report(args.stamps, args.train_sigma, args.split, args.crop or None)
        print(report.to_string(index=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
