"""Which stamps are blends, which split each is in, and how a set is cut into chunks.

Light on purpose (numpy only): the Snakefile needs these facts to plan jobs, and
parsing it must not import GalSim.
"""

from __future__ import annotations

import numpy as np

from blendhunter.simulation import seeds

SPLIT_CODES = {"train": 0, "validation": 1, "test": 2}


def labels_and_split(n: int, blend_fraction: float, split: dict | None, seed: int, kind: str):
    """Which stamps are blends, and which split each is in (stratified by label).

    Computed for the whole set from the seed alone, so every chunk agrees.
    """
    rng = seeds.generator(seed, seeds.SPLIT, seeds.STREAMS[kind])
    n_blend = int(round(n * blend_fraction))
    labels = np.zeros(n, dtype=np.int8)
    labels[rng.permutation(n)[:n_blend]] = 1
    codes = np.full(n, SPLIT_CODES["test"], dtype=np.int8)
    if split is not None:
        for value in (0, 1):
            members = rng.permutation(np.flatnonzero(labels == value))
            n_train = int(round(len(members) * split["train"]))
            n_val = int(round(len(members) * split["validation"]))
            codes[members[:n_train]] = SPLIT_CODES["train"]
            codes[members[n_train : n_train + n_val]] = SPLIT_CODES["validation"]
    return labels, codes


def chunk_bounds(n: int, chunk_size: int) -> list[tuple[int, int]]:
    return [(start, min(start + chunk_size, n)) for start in range(0, n, chunk_size)]


def members(meta, name: str):
    """The index of a set's stamps in split `name` (a metadata frame with a `split` column)."""
    return meta.index[meta["split"] == SPLIT_CODES[name]]
