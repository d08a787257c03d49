"""The shifted test sets' tables: per shift, the models' mean, spread, binomial s.e. and
AUC against hand-computed values; the PSF-shift worst case the README reports."""

import math

import numpy as np
import pandas as pd
import pytest

from blendhunter.evaluation import metrics, shifted

# 4 isolated, 2 close (separation 5), 2 distant (separation 20)
LABELS = [0, 0, 0, 0, 1, 1, 1, 1]
SEPARATIONS = [np.nan] * 4 + [5.0, 5.0, 20.0, 20.0]


def truth():
    return metrics.truth_frame(pd.DataFrame({"label": LABELS, "separation": SEPARATIONS}))


def write(path, p_blend):
    """A predictions file: label from p >= 0.5."""
    labels = ["blended" if p >= 0.5 else "isolated" for p in p_blend]
    pd.DataFrame({"index": range(len(p_blend)), "label": labels, "p_blend": p_blend}).to_csv(
        path, index=False
    )
    return path


def test_a_psf_shift_table_against_hand_computed_values(tmp_path):
    """Two models and SEP: isolated kept 3/4 and 1/4 -> mean 0.5, spread 0.354, s.e. on 4
    stamps; AUC 1 and 11/16 (pairs counted by hand); SEP has no AUC; the worst variant is the
    shifted one, the reference (recipe) left out."""
    files = {
        ("blendhunter", 0): write(tmp_path / "a.csv", [0.1, 0.2, 0.3, 0.6, 0.9, 0.8, 0.7, 0.95]),
        ("blendhunter", 1): write(tmp_path / "b.csv", [0.6, 0.7, 0.2, 0.8, 0.9, 0.1, 0.75, 0.85]),
        ("sep", None): write(tmp_path / "s.csv", [0, 0, 0, 0, 1, 0, 1, 1]),
    }
    rows = shifted.shift_rows(truth(), files, 10.0, variant="kolmogorov")
    reference = shifted.shift_rows(
        truth(), {**files, ("blendhunter", 1): files["blendhunter", 0]}, 10.0, variant="recipe"
    )
    table = shifted.shift_table(pd.concat([reference, rows], ignore_index=True), "variant")
    at = table.set_index(["variant", "method", "subset"])
    isolated = at.loc[("kolmogorov", "blendhunter", "isolated")]
    assert isolated["accuracy_mean"] == pytest.approx(0.5)
    assert isolated["accuracy_std"] == pytest.approx(math.sqrt(0.125))
    assert isolated["se"] == pytest.approx(math.sqrt(0.25 / 4)) and isolated["n_heads"] == 2
    # model b: blends 0.9, 0.1, 0.75, 0.85 above isolated 0.6, 0.7, 0.2, 0.8 in 4 + 0 + 3 + 4 of 16 pairs
    assert at.loc[("kolmogorov", "blendhunter", "all"), "auc_mean"] == pytest.approx((1 + 11 / 16) / 2)
    assert np.isnan(at.loc[("kolmogorov", "sep", "all"), "auc_mean"])
    assert at.loc[("kolmogorov", "sep", "close"), "accuracy_mean"] == pytest.approx(0.5)
    worst = shifted.worst_shift(table)
    assert worst["auc_variant"] == "kolmogorov" and worst["fpr"] == pytest.approx(0.5)
    assert worst["fpr_se"] == pytest.approx(math.sqrt(0.125))  # the spread, larger than the s.e.
    assert worst["reference_fpr"] == pytest.approx(0.25)  # model a twice: 1 of 4 called blended


def test_shift_labels_name_their_axis():
    assert shifted.shift_value("centring", "r2") == 2.0
    assert shifted.shift_value("centring", "r0.5") == 0.5
    assert shifted.shift_value("psf_shift", "psf-moffat2.5") == "moffat2.5"
