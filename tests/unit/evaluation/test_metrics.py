"""Metrics on hand-made labels: known accuracy, TPR, TNR per subset."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from blendhunter.evaluation import metrics

NAN = math.nan


def truth(labels, separations):
    """A truth frame (indices 0..n-1) from labels and separations (NaN for isolated)."""
    meta = pd.DataFrame({"label": labels, "separation": np.asarray(separations, dtype=float)})
    return metrics.truth_frame(meta)


# 10 stamps: 3 close blends, 3 distant blends, 4 isolated.
LABELS = [1, 0, 1, 1, 0, 1, 0, 1, 0, 1]


SEPARATIONS = [3, NAN, 12, 8, NAN, 25, NAN, 9.99, NAN, 10]


#               close      distant close      distant    close     distant
TRUTH = truth(LABELS, SEPARATIONS)


# Predictions: close 3 -> 1 right (idx 0), 3 wrong (8), 7 wrong (9.99)
#              distant 2 right (12), 5 right (25), 9 wrong (10)
#              isolated 1 right, 4 wrong (blended), 6 right, 8 right
PRED = np.array([1, 0, 1, 0, 1, 1, 0, 0, 0, 0], dtype=float)


def row(table, subset):
    return table.set_index("subset").loc[subset]


def test_rates_known_values():
    r = metrics.rates([1, 1, 1, 0, 0, 0], [1, 0, 1, 0, 1, 0])
    assert r["accuracy"] == pytest.approx(4 / 6)
    assert r["tpr"] == pytest.approx(2 / 3) and r["tnr"] == pytest.approx(2 / 3)
    assert (r["tp"], r["fn"], r["tn"], r["fp"], r["n"], r["n_failed"]) == (2, 1, 2, 1, 6, 0)


def test_rates_leave_failures_out_and_count_them():
    r = metrics.rates([1, 1, 0, 0], [1, NAN, NAN, 0])
    assert r["accuracy"] == 1.0 and r["n"] == 4 and r["n_failed"] == 2
    assert r["tpr"] == 1.0 and r["tnr"] == 1.0


def test_rates_undefined_without_blends_or_isolated():
    r = metrics.rates([0, 0], [0, 1])
    assert math.isnan(r["tpr"]) and r["tnr"] == 0.5
    r = metrics.rates([], [])
    assert math.isnan(r["accuracy"]) and r["n"] == 0


def test_subsets_per_definition():
    masks = metrics.subset_masks(TRUTH, close_separation=10)
    assert np.flatnonzero(masks["close"]).tolist() == [0, 3, 7]
    assert np.flatnonzero(masks["distant"]).tolist() == [2, 5, 9]  # 10 px is distant
    assert np.flatnonzero(masks["isolated"]).tolist() == [1, 4, 6, 8]
    # Fig. 6: close blends + the first 3 isolated by index; distant + the remaining one
    assert np.flatnonzero(masks["close_paired"]).tolist() == [0, 1, 3, 4, 6, 7]
    assert np.flatnonzero(masks["distant_paired"]).tolist() == [2, 5, 8, 9]
    assert masks["all"].all()


def test_evaluate_per_subset():
    table = metrics.evaluate(TRUTH, PRED, 10, method="x")
    assert list(table["subset"]) == list(metrics.ALL_SUBSETS)
    assert (table["method"] == "x").all()
    assert row(table, "all")["accuracy"] == pytest.approx(6 / 10)
    close = row(table, "close")
    assert close["accuracy"] == pytest.approx(1 / 3) and close["tpr"] == pytest.approx(1 / 3)
    assert math.isnan(close["tnr"]) and close["n"] == 3
    distant = row(table, "distant")
    assert distant["accuracy"] == pytest.approx(2 / 3) and math.isnan(distant["tnr"])
    isolated = row(table, "isolated")
    assert isolated["accuracy"] == pytest.approx(3 / 4) and isolated["tnr"] == pytest.approx(3 / 4)
    assert math.isnan(isolated["tpr"])
    paired = row(table, "close_paired")  # close 1/3 right; isolated 1, 4, 6: 2/3 right
    assert paired["tpr"] == pytest.approx(1 / 3) and paired["tnr"] == pytest.approx(2 / 3)
    assert paired["accuracy"] == pytest.approx(3 / 6)
    rest = row(table, "distant_paired")  # distant 2/3; isolated 8 right
    assert rest["tpr"] == pytest.approx(2 / 3) and rest["tnr"] == 1.0


def test_pairing_uses_stamp_indices_not_row_order():
    # a test split with non-contiguous indices, given out of order: sorted by index
    labels = np.zeros(50, dtype=int)
    separations = np.full(50, NAN)
    labels[7], separations[7] = 1, 2.0
    frame = metrics.truth_frame(pd.DataFrame({"label": labels, "separation": separations}), [40, 7, 12, 3])
    assert frame.index.tolist() == [3, 7, 12, 40]
    masks = metrics.subset_masks(frame, 10)
    assert frame.index[masks["close_paired"]].tolist() == [3, 7]
    assert frame.index[masks["distant_paired"]].tolist() == [12, 40]


def test_failures_in_subsets():
    pred = PRED.copy()
    pred[[0, 1]] = NAN  # SEP failed on a close blend and an isolated stamp
    table = metrics.evaluate(TRUTH, pred, 10)
    assert row(table, "all")["n_failed"] == 2 and row(table, "all")["n"] == 10
    assert row(table, "all")["accuracy"] == pytest.approx(4 / 8)
    assert row(table, "close")["accuracy"] == 0.0 and row(table, "close")["n_failed"] == 1


def test_encode_and_align():
    assert np.array_equal(
        metrics.encode(["blended", "isolated", "", None, NAN]), [1, 0, NAN, NAN, NAN], equal_nan=True
    )
    with pytest.raises(ValueError, match="unknown labels"):
        metrics.encode(["blend"])
    labels = pd.DataFrame({"index": [9, 0, 1, 2, 3, 4, 5, 6, 7, 8], "label": ["blended"] + ["isolated"] * 9})
    aligned = metrics.align(TRUTH, labels, "preds")
    assert aligned[9] == 1 and aligned[:9].sum() == 0
    with pytest.raises(ValueError, match="covers 9 stamps"):
        metrics.align(TRUTH, labels.iloc[:9], "preds")
    with pytest.raises(ValueError, match="duplicate"):
        metrics.align(TRUTH, pd.concat([labels, labels.iloc[:1]]), "preds")


def sample_metrics(sigma=5.0, realisation=0, bh_real=None):
    realistic = truth([1, 1, 0, 0], [4, 20, NAN, NAN])
    bh_real = np.array([1, 1, 1, 0.0]) if bh_real is None else bh_real
    return metrics.set_metrics(
        parametric_truth=TRUTH,
        realistic_truth=realistic,
        predictions={
            ("blendhunter", "parametric"): PRED,
            ("sep", "parametric"): np.array(LABELS, dtype=float),
            ("blendhunter", "realistic"): bh_real,
            ("sep", "realistic"): np.array([0, 1, 0, NAN]),
        },
        sigma=sigma,
        realisation=realisation,
        realistic_sigma=14.5,
        close_separation=10,
    )


def test_set_metrics_rows_and_gain():
    table = sample_metrics()
    assert list(table.columns[: len(metrics.METRIC_COLUMNS)]) == list(metrics.METRIC_COLUMNS)
    assert len(table) == 4 * len(metrics.ALL_SUBSETS)
    sep_real = table[(table["method"] == "sep") & (table["dataset"] == "realistic")]
    assert sep_real["train_sigma"].isna().all() and sep_real["realisation"].isna().all()
    assert (sep_real["test_sigma"] == 14.5).all()
    bh_par = table[(table["method"] == "blendhunter") & (table["dataset"] == "parametric")]
    assert (bh_par["train_sigma"] == 5.0).all() and (bh_par["realisation"] == 0).all()
    # SEP is perfect on the parametric set: gain = BH accuracy - 1
    assert row(bh_par, "all")["gain_vs_sep"] == pytest.approx(0.6 - 1.0)
    bh_real = table[(table["method"] == "blendhunter") & (table["dataset"] == "realistic")]
    # realistic: BH 3/4, SEP 2/3 on its 3 labelled stamps
    assert row(bh_real, "all")["gain_vs_sep"] == pytest.approx(3 / 4 - 2 / 3)
    assert row(bh_real, "close")["gain_vs_sep"] == pytest.approx(1.0)
    assert table[table["method"] == "sep"]["gain_vs_sep"].isna().all()


def test_written_metrics_round_trip(tmp_path):
    path = tmp_path / "m.csv"
    metrics.write_csv(sample_metrics(), path)
    back = metrics.read_metrics([path])
    sep_real = back[(back["method"] == "sep") & (back["dataset"] == "realistic")]
    assert sep_real["realisation"].isna().all() and sep_real["train_sigma"].isna().all()
    text = path.read_text().splitlines()
    assert any(line.startswith("sep,realistic,,14.5,,all,") for line in text)


def test_accuracy_tables_and_summary():
    sets = [sample_metrics(s, r, np.array([1, 1, r, 0.0])) for s in (5.0, 15.0) for r in (0, 1)]
    table = pd.concat(sets, ignore_index=True)
    realistic = metrics.accuracy_table(table, "realistic")
    assert (realistic["method"] == "sep").sum() == len(metrics.ALL_SUBSETS)  # SEP once
    assert (realistic["method"] == "blendhunter").sum() == 4 * len(metrics.ALL_SUBSETS)
    parametric = metrics.accuracy_table(table, "parametric")
    assert len(parametric) == 2 * 4 * len(metrics.ALL_SUBSETS)
    assert set(parametric["dataset"]) == {"parametric"}

    summary = metrics.sigma_summary(table[table["train_sigma"].isna() | (table["train_sigma"] == 5.0)], 5.0)
    bh = summary[(summary["method"] == "blendhunter") & (summary["dataset"] == "realistic")]
    all_row = row(bh, "all")
    assert all_row["n_realisations"] == 2
    assert all_row["accuracy_mean"] == pytest.approx((0.75 + 1.0) / 2)
    assert all_row["accuracy_std"] == pytest.approx(np.std([0.75, 1.0], ddof=1))
    sep_row = row(summary[(summary["method"] == "sep") & (summary["dataset"] == "realistic")], "all")
    assert sep_row["accuracy_std"] == 0.0


def test_disagreeing_sep_realistic_rows_are_an_error():
    a, b = sample_metrics(5.0, 0), sample_metrics(5.0, 1)
    b.loc[(b["method"] == "sep") & (b["dataset"] == "realistic"), "accuracy"] = 0.1
    with pytest.raises(ValueError, match="disagree"):
        metrics.accuracy_table(pd.concat([a, b]), "realistic")


def test_accuracy_vs_separation_bins():
    edges = metrics.separation_bins(5, 24.0)
    assert edges.tolist() == [0, 5, 10, 15, 20, 25]
    pred = PRED.copy()
    pred[5] = NAN  # the 25 px blend failed... and lies beyond the last edge anyway
    table = metrics.accuracy_vs_separation(TRUTH, pred, edges, method="x")
    by_bin = table.set_index("bin_lo")
    assert by_bin.loc[0, "n"] == 1 and by_bin.loc[0, "accuracy"] == 1.0  # 3 px, right
    assert by_bin.loc[5, "n"] == 2 and by_bin.loc[5, "accuracy"] == 0.0  # 8, 9.99 wrong
    assert by_bin.loc[10, "n"] == 2 and by_bin.loc[10, "accuracy"] == 0.5  # 10 wrong, 12 right
    assert by_bin.loc[15, "n"] == 0 and math.isnan(by_bin.loc[15, "accuracy"])
    assert table["n"].sum() == 5 and (table["method"] == "x").all()
    table = metrics.accuracy_vs_separation(TRUTH, pred, metrics.separation_bins(5, 30), method="x")
    assert table.set_index("bin_lo").loc[25, "n_failed"] == 1


def test_nearest_sigma():
    assert metrics.nearest_sigma(["5", "15", "25"], 14.5) == "15"
    assert metrics.nearest_sigma(["10", "20"], 15) == "10"


def test_accuracy_vs_companion_known_answers():
    """Four blends and one isolated stamp; companion S/N 2, 4, 4, 30 at sigma 10."""
    meta = pd.DataFrame(
        {"peak1": [100.0, 100.0, 80.0, 100.0, 50.0], "peak2": [20.0, 40.0, 40.0, 300.0, 0.0],
         "label": [1, 1, 1, 1, 0], "separation": [5.0, 12.0, 3.0, 20.0, np.nan]}
    )  # fmt: skip
    truth = metrics.truth_frame(meta)
    predicted = np.array([0.0, 1.0, np.nan, 1.0, 0.0])  # a miss, a hit, a failure, a hit
    table = metrics.accuracy_vs_companion(meta, truth, predicted, 10.0, method="sep")
    snr = table[table["quantity"] == "companion_snr"].set_index("bin_lo")
    assert snr.loc[0, ["n", "n_correct"]].tolist() == [1, 0] and snr.loc[0, "accuracy"] == 0
    assert snr.loc[3, ["n", "n_failed", "n_correct"]].tolist() == [2, 1, 1] and snr.loc[3, "accuracy"] == 1
    assert snr.loc[20, "n"] == 1 and snr["n"].sum() == 4  # the isolated stamp is in no bin
    ratio = table[table["quantity"] == "peak_ratio"].set_index("bin_lo")
    assert ratio.loc[0.1, "n"] == 1 and ratio.loc[0.3, "n"] == 2 and ratio.loc[1, "n"] == 1
