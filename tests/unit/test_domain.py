"""blendhunter.domain: the flags of stamps outside a head's training domain, and their
false-flag rate on real GalSim stamps (the realistic set at small size)."""

from __future__ import annotations

import numpy as np
import pytest

from blendhunter import domain
from blendhunter.simulation import simulate, splits, stamps
from tests.conftest import make_config

N_REALISTIC = 300
SIGMA = 14.5


@pytest.fixture(scope="module")
def realistic_stamps():
    """Real HST COSMOS galaxies (the realistic recipe) under noise sigma 14.5, 51x51."""
    cfg = make_config()
    res = cfg["resources"]["cosmos_real"]
    source = simulate.GalaxySource(res["path"], res["file_name"], "real", seed=cfg["seed"])
    labels, _ = splits.labels_and_split(N_REALISTIC, 0.5, None, cfg["seed"], "realistic")
    images, _ = simulate.draw_chunk(0, N_REALISTIC, labels, source, "realistic", cfg)
    images += stamps.noise(cfg["seed"], SIGMA, 0, np.arange(N_REALISTIC), images.shape[1:])
    return images[:, 7:-7, 7:-7]


def test_realistic_stamps_are_flagged_at_most_half_a_percent(realistic_stamps):
    found = domain.check(realistic_stamps, 15.0)["flags"]
    assert (found != "").mean() <= 0.005, found[found != ""]


def test_their_sky_left_in_is_flagged_every_time(realistic_stamps):
    found = domain.check(realistic_stamps + 100.0, 15.0)["flags"]
    assert found.str.contains("background").all()


def test_each_flag_names_its_cause(realistic_stamps):
    good = realistic_stamps[:20]
    hot = good.copy()
    hot[:, 5, 40] = 5000.0
    cases = {
        "noise": good * 3,
        "no_signal": np.zeros_like(good),
        "hot_pixel": hot,
        "saturated": np.minimum(good, 30.0),
    }
    for flag, stamps_ in cases.items():
        found = domain.check(stamps_, 15.0)["flags"]
        rows = found.str.contains(flag)
        assert rows.all() if flag != "saturated" else rows.mean() > 0.9, (flag, found.tolist())


def test_the_noise_test_is_skipped_for_heads_without_a_training_sigma(realistic_stamps):
    found = domain.check(realistic_stamps[:20] * 3, np.nan)["flags"]
    assert not found.str.contains("noise").any()


def test_summary_counts_each_reason():
    import pandas as pd

    text = domain.summary(pd.Series(["", "background", "background|noise"]))
    assert text.startswith("2 of 3 flagged") and "background 2" in text and "noise 1" in text
    assert domain.summary(pd.Series(["", ""])) == ""
