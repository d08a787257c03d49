"""The SEP (SExtractor) baseline: detect sources, then label each stamp (paper Sect. 4.1).

Two steps, kept apart so the labelling can be tested on hand-made detections:

`detect(image, sigma, params)`
    `sep.extract` with the paper's Table 2 parameters. The stamps have no sky
    (noise-only padding around galaxies drawn on zero), so the background is
    known to be zero and is not estimated; the noise sigma of the set is
    passed as `err`, which makes `thresh` relative (1.5 x sigma). The filter
    is SEP's default 3x3 kernel ([[1,2,1],[2,4,2],[1,2,1]]); with a constant
    `err` SEP's 'matched' and 'conv' filtering are equivalent.

`label_detections(x, y, flags, true_xy, radius)`
    The labelling rules of docs/science.md (SEP baseline). A detection matches a true galaxy when it is within
    `radius` pixels of it; each detection and each galaxy is used at most
    once, and the number of matches is the maximum over all such one-to-one
    pairings (so the result does not depend on detection order). True
    positions are the central galaxy for an isolated stamp and both galaxies
    for a blend. Then, with n detections and k true galaxies (1 or 2):

    - n == 0: failure;
    - n == 1: blended if the detection carries `sep.OBJ_MERGED` and matches a
      true position (either galaxy: a merged detection of a close pair sits
      near the brighter one, which need not be the central one); otherwise
      isolated;
    - n == 2: blended if both detections match (distinct) true positions;
      otherwise isolated (so never blended on an isolated stamp);
    - n > 2: blended if at least k true galaxies are matched; otherwise a
      failure. On an isolated stamp, > 2 detections with one at the centre is
      therefore a blend (SEP split the source), as the rule is written.

    Failures have no label; they are counted, reported and left out of SEP's
    accuracy. A stamp on which `sep.extract` itself raises (e.g. deblending
    overflow) is a failure as well, with n_detections = -1.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd
import sep

from blendhunter.logs import Progress

log = logging.getLogger(__name__)

BLENDED = "blended"
ISOLATED = "isolated"
SEP_COLUMNS = ("index", "label", "n_detections", "n_matched", "failed")


@dataclass(frozen=True)
class SepParams:
    """Detection and matching parameters (config section `sep`)."""

    thresh: float = 1.5
    minarea: int = 5
    filter_kernel: str = "default"  # "default" (3x3) or "none"
    deblend_nthresh: int = 32
    deblend_cont: float = 0.005
    match_radius: float = 2.0

    @classmethod
    def from_config(cls, section: dict) -> SepParams:
        return cls(**{key: section[key] for key in cls.__dataclass_fields__})


@dataclass(frozen=True)
class SepLabel:
    """The SEP verdict on one stamp: label is None when SEP failed."""

    label: str | None
    n_detections: int
    n_matched: int

    @property
    def failed(self) -> bool:
        return self.label is None


def detect(image: np.ndarray, sigma: float, params: SepParams) -> np.ndarray:
    """Run `sep.extract` on one background-free stamp with noise `sigma`."""
    data = np.ascontiguousarray(image, dtype=np.float32)
    kwargs = {}
    if params.filter_kernel == "none":
        kwargs["filter_kernel"] = None
    return sep.extract(
        data,
        params.thresh,
        err=float(sigma),
        minarea=int(params.minarea),
        deblend_nthresh=int(params.deblend_nthresh),
        deblend_cont=float(params.deblend_cont),
        **kwargs,
    )


def true_positions(row) -> np.ndarray:
    """(k, 2) true (x, y) of a stamp's galaxies: the central one, plus the companion of a blend."""
    positions = [(row["x1"], row["y1"])]
    if int(row["label"]) == 1:
        positions.append((row["x2"], row["y2"]))
    return np.asarray(positions, dtype=float)


def n_matched(det_xy: np.ndarray, true_xy: np.ndarray, radius: float) -> int:
    """Largest number of one-to-one (detection, galaxy) pairs closer than `radius`.

    A maximum bipartite matching by augmenting paths (Kuhn): tiny here, at
    most two galaxies and a handful of detections.
    """
    det_xy = np.asarray(det_xy, dtype=float).reshape(-1, 2)
    true_xy = np.asarray(true_xy, dtype=float).reshape(-1, 2)
    if not len(det_xy) or not len(true_xy):
        return 0
    dist = np.hypot(det_xy[:, None, 0] - true_xy[None, :, 0], det_xy[:, None, 1] - true_xy[None, :, 1])
    close = dist <= radius
    owner = [-1] * len(det_xy)  # galaxy matched to each detection

    def augment(galaxy: int, seen: set) -> bool:
        for det in np.flatnonzero(close[:, galaxy]):
            if det in seen:
                continue
            seen.add(det)
            if owner[det] < 0 or augment(owner[det], seen):
                owner[det] = galaxy
                return True
        return False

    return sum(augment(galaxy, set()) for galaxy in range(len(true_xy)))


def label_detections(x, y, flags, true_xy, radius: float) -> SepLabel:
    """Label a stamp from its SEP detections (x, y, flag arrays) and true positions."""
    x, y, flags = np.atleast_1d(x), np.atleast_1d(y), np.atleast_1d(flags).astype(int)
    true_xy = np.asarray(true_xy, dtype=float).reshape(-1, 2)
    n = len(x)
    matched = n_matched(np.column_stack([x, y]), true_xy, radius) if n else 0
    if n == 0:
        label = None
    elif n == 1:
        merged = bool(flags[0] & sep.OBJ_MERGED)
        label = BLENDED if merged and matched == 1 else ISOLATED
    elif n == 2:
        label = BLENDED if matched == 2 else ISOLATED
    else:
        label = BLENDED if matched >= len(true_xy) else None
    return SepLabel(label, n, matched)


def label_stamp(image: np.ndarray, sigma: float, true_xy, params: SepParams) -> SepLabel:
    """Detect and label one stamp; a SEP error is a failure (n_detections -1)."""
    try:
        objects = detect(image, sigma, params)
    except Exception as err:  # sep raises bare Exception (e.g. deblending overflow)
        log.warning("sep.extract failed: %s", err)
        return SepLabel(None, -1, 0)
    return label_detections(objects["x"], objects["y"], objects["flag"], true_xy, params.match_radius)


def label_set(stamp_set, indices, params: SepParams, batch_size: int = 1000) -> pd.DataFrame:
    """SEP labels of stamps `indices` of a StampSet, with the set's own noise sigma.

    Returns a DataFrame with columns SEP_COLUMNS: label is 'blended',
    'isolated' or empty (failure); failed is 0/1.
    """
    sigma = stamp_set.sigma
    if sigma is None or sigma <= 0:
        raise ValueError(f"{stamp_set.path}: SEP needs the set's noise sigma (attribute 'sigma')")
    indices = np.asarray(indices)
    truth = stamp_set.meta[["label", "x1", "y1", "x2", "y2"]].to_dict("records")
    rows = []
    progress = Progress(len(indices), "SEP", log)
    for part, images in stamp_set.batches(indices, batch_size):
        for index, image in zip(part, images, strict=True):
            verdict = label_stamp(image, sigma, true_positions(truth[index]), params)
            rows.append(
                (
                    int(index),
                    verdict.label or "",
                    verdict.n_detections,
                    verdict.n_matched,
                    int(verdict.failed),
                )
            )
        progress.update(len(part))
    return pd.DataFrame(rows, columns=list(SEP_COLUMNS))


def describe(labels: pd.DataFrame) -> dict:
    """Counts for the log: labels, failures, detections."""
    return {
        "n": int(len(labels)),
        "blended": int((labels["label"] == BLENDED).sum()),
        "isolated": int((labels["label"] == ISOLATED).sum()),
        "failed": int(labels["failed"].sum()),
        "failed_fraction": float(labels["failed"].mean()) if len(labels) else 0.0,
        "sep_errors": int((labels["n_detections"] < 0).sum()),
        "detections": {int(k): int(v) for k, v in labels["n_detections"].value_counts().sort_index().items()},
    }
