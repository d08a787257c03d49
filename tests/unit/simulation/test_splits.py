"""blendhunter.simulation.splits: labels, the stratified split and chunk bounds (no GalSim)."""

from __future__ import annotations

import numpy as np
import pytest

from blendhunter.simulation import splits


def test_chunk_bounds_cover_the_set_once():
    for n, size in ((120, 40), (121, 40), (5, 40), (80, 1)):
        bounds = splits.chunk_bounds(n, size)
        covered = np.concatenate([np.arange(a, b) for a, b in bounds])
        assert np.array_equal(covered, np.arange(n))
        assert all(0 < b - a <= size for a, b in bounds)


SPLIT = {"train": 0.45, "validation": 0.45, "test": 0.10}


@pytest.mark.parametrize(("n", "blend_fraction"), [(1000, 0.5), (121, 0.3), (80, 0.5)])
def test_labels_and_split_sizes_and_stratification(n, blend_fraction):
    labels, codes = splits.labels_and_split(n, blend_fraction, SPLIT, 7, "parametric")
    assert labels.shape == codes.shape == (n,)
    assert set(np.unique(labels)) <= {0, 1}
    assert labels.sum() == round(n * blend_fraction)
    for name, fraction in SPLIT.items():
        members = codes == splits.SPLIT_CODES[name]
        # rounding per label: at most one stamp off per label
        assert abs(members.sum() - n * fraction) <= 2, name
        # stratified: each split has the set's blend fraction
        n_blends = labels[members].sum()
        assert abs(n_blends - members.sum() * blend_fraction) <= 1.5, name
    assert set(np.unique(codes)) == set(splits.SPLIT_CODES.values())


def test_labels_and_split_are_deterministic_and_seeded():
    first = splits.labels_and_split(500, 0.5, SPLIT, 11, "parametric")
    again = splits.labels_and_split(500, 0.5, SPLIT, 11, "parametric")
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    other_seed = splits.labels_and_split(500, 0.5, SPLIT, 12, "parametric")
    assert not np.array_equal(first[0], other_seed[0])
    other_kind = splits.labels_and_split(500, 0.5, SPLIT, 11, "realistic")
    assert not np.array_equal(first[0], other_kind[0])


def test_labels_do_not_depend_on_the_split():
    """Chunks compute labels without the split, the merge with it: they must agree."""
    with_split, codes = splits.labels_and_split(300, 0.4, SPLIT, 5, "parametric")
    without, all_test = splits.labels_and_split(300, 0.4, None, 5, "parametric")
    assert np.array_equal(with_split, without)
    assert (all_test == splits.SPLIT_CODES["test"]).all()
    assert not (codes == splits.SPLIT_CODES["test"]).all()
