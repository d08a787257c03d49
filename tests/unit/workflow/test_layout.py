"""Gathering jobs find each set's inputs by the set's name in the path, not by position."""

from types import SimpleNamespace

import pytest

from blendhunter.workflow import layout


def test_by_set_pairs_inputs_by_sigma_and_realisation_whatever_their_order():
    inputs = SimpleNamespace(
        stamps=["results/stamps/parametric/sigma25/real0.h5", "results/stamps/parametric/sigma5/real1.h5"],
        predictions=[
            "results/predictions/parametric/sigma5/real1.csv",
            "results/predictions/parametric/sigma25/real0.csv",
        ],
    )
    found = layout.by_set(inputs, ("stamps", "predictions"))
    assert list(found) == [("5", 1), ("25", 0)]  # sorted by noise level, then realisation
    assert found[("25", 0)]["predictions"].endswith("sigma25/real0.csv")
    assert found[("5", 1)]["stamps"].endswith("sigma5/real1.h5")


def test_by_set_refuses_a_set_without_every_input():
    inputs = SimpleNamespace(
        stamps=["a/sigma5/real0.h5", "a/sigma15/real0.h5"], predictions=["b/sigma5/real0.csv"]
    )
    with pytest.raises(ValueError, match="without every input"):
        layout.by_set(inputs, ("stamps", "predictions"))
