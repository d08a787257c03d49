"""blendhunter.evaluation.plots: every figure renders from tables of known content, empty subsets included."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from blendhunter.evaluation import metrics, plots
from tests.helpers import assert_image

SIGMAS = (5.0, 15.0, 25.0)


REALISATIONS = (0, 1)


CLOSE = 10.0


def random_truth(rng, n):
    labels = rng.integers(0, 2, n)
    separations = np.where(labels == 1, rng.uniform(0, 35, n), math.nan)
    return metrics.truth_frame(pd.DataFrame({"label": labels, "separation": separations}))


def noisy_labels(rng, truth, error, fail=0.0):
    t = truth["truth"].to_numpy().astype(float)
    flip = rng.random(len(t)) < error
    out = np.where(flip, 1 - t, t)
    out[rng.random(len(t)) < fail] = math.nan
    return out


@pytest.fixture(scope="module")
def tables():
    """Synthetic parametric, realistic and separation tables, as the rules write them."""
    rng = np.random.default_rng(7)
    realistic = random_truth(rng, 400)
    sep_realistic = noisy_labels(rng, realistic, 0.1, fail=0.01)
    edges = metrics.separation_bins(2, 35.4)
    frames, separation = [], []
    for sigma in SIGMAS:
        for r in REALISATIONS:
            test = random_truth(rng, 200)
            bh, sep = (
                noisy_labels(rng, test, 0.01 * sigma / 5),
                noisy_labels(rng, test, 0.02 * sigma / 5, 0.01),
            )
            bh_real = noisy_labels(rng, realistic, 0.03 + abs(sigma - 14.5) / 200)
            frames.append(
                metrics.set_metrics(
                    parametric_truth=test,
                    realistic_truth=realistic,
                    predictions={
                        ("blendhunter", "parametric"): bh,
                        ("sep", "parametric"): sep,
                        ("blendhunter", "realistic"): bh_real,
                        ("sep", "realistic"): sep_realistic,
                    },
                    sigma=sigma,
                    realisation=r,
                    realistic_sigma=14.5,
                    close_separation=CLOSE,
                )
            )
            ids = {"dataset": "parametric", "train_sigma": sigma, "realisation": r}
            separation.append(metrics.accuracy_vs_separation(test, bh, edges, method="blendhunter", **ids))
            separation.append(metrics.accuracy_vs_separation(test, sep, edges, method="sep", **ids))
    table = pd.concat(frames, ignore_index=True)
    return {
        "parametric": metrics.accuracy_table(table, "parametric"),
        "realistic": metrics.accuracy_table(table, "realistic"),
        "separation": pd.concat(separation, ignore_index=True),
    }


def test_accuracy_vs_separation_figure(tables, tmp_path):
    fig = plots.accuracy_vs_separation(tables["separation"], CLOSE)
    assert len([ax for ax in fig.axes if ax.get_visible()]) == len(SIGMAS)
    paths = [tmp_path / "sep.png", tmp_path / "sep.pdf"]
    plots.save(fig, paths)
    for path in paths:
        assert_image(path)


def test_separation_figure_pools_realisations_and_counts_close_blends(tables):
    """Pooled: correct answers over scored blends of both realisations, not a mean of
    two accuracies; each panel's title gives its close blends (both realisations)."""
    rows = tables["separation"]
    rows = rows[(rows["dataset"] == "parametric") & (rows["train_sigma"] == SIGMAS[0])]
    pooled = plots.pooled_bins(rows)
    bh = rows[(rows["method"] == "blendhunter") & (rows["n"] > 0)]
    first = bh["bin_centre"].min()
    both = bh[bh["bin_centre"] == first]
    expected = both["n_correct"].sum() / (both["n"] - both["n_failed"]).sum()
    found = pooled[(pooled["method"] == "blendhunter") & (pooled["bin_centre"] == first)]["accuracy"]
    assert math.isclose(float(found.iloc[0]), expected)
    n_close = int(bh.loc[bh["bin_hi"] <= CLOSE, "n"].sum())
    fig = plots.accuracy_vs_separation(tables["separation"], CLOSE)
    assert f"({n_close} close blends)" in fig.axes[0].get_title()
    assert "2 realisations pooled" in fig._suptitle.get_text()
    one = plots.accuracy_vs_separation(tables["separation"], CLOSE, realisation=1)
    assert one._suptitle.get_text() == "Parametric test sets, realisation 1"


def test_accuracy_vs_noise_figure(tables, tmp_path):
    fig = plots.accuracy_vs_noise(tables["parametric"])
    ax = fig.axes[0]
    assert ax.get_xlabel().startswith("Noise") and "%" in ax.get_ylabel()
    legend = {t.get_text() for t in ax.get_legend().get_texts()}
    assert {"BlendHunter", "SEP, failures left out"} <= legend
    failed = tables["parametric"].query("method == 'sep'")["n_failed"].sum()
    assert ("SEP, failures counted as errors" in legend) == (failed > 0)  # Fig. 4 shows both ways
    plots.save(fig, tmp_path / "noise.png")
    assert_image(tmp_path / "noise.png")


def test_relative_accuracy_figure(tables, tmp_path):
    fig = plots.relative_accuracy(tables["realistic"], 14.5)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert any(label.startswith("close blends (SEP") for label in labels)
    plots.save(fig, tmp_path / "relative.png")
    assert_image(tmp_path / "relative.png")


def test_confusion_figure(tables, tmp_path):
    fig = plots.confusion(tables["realistic"], 14.5)
    assert len(fig.axes) == 3
    plots.save(fig, tmp_path / "confusion.png")
    assert_image(tmp_path / "confusion.png")


def test_gallery_figure(tmp_path):
    rng = np.random.default_rng(1)
    truth = random_truth(rng, 60)
    bh = noisy_labels(rng, truth, 0.2)
    examples = plots.select_gallery(truth, bh, CLOSE, per_row=4)
    assert set(examples["row"]) == {"isolated", "close", "distant", "misclassified"}
    assert (examples.groupby("row").size() <= 4).all()
    mis = examples[examples["row"] == "misclassified"]
    assert (mis["bh_label"] != mis["truth"]).all()
    images = {int(i): rng.integers(0, 255, (65, 65)).astype(np.uint8) for i in examples["index"]}
    examples = examples.assign(
        x1=32.0, y1=32.0, p_blend=0.5, sep_label="isolated", detections=[[(32, 32)]] * len(examples)
    )
    plots.save(plots.gallery(examples, images, 4, title="test"), tmp_path / "gallery.png")
    assert_image(tmp_path / "gallery.png")


def test_figures_cope_with_empty_subsets(tables, tmp_path):
    """Tiny sets have no close blends in a test split: NaN rows must not break a figure."""
    realistic = tables["realistic"].copy()
    realistic.loc[realistic["subset"] == "close", ["accuracy", "tpr", "gain_vs_sep"]] = math.nan
    plots.save(plots.relative_accuracy(realistic, 14.5), tmp_path / "r.png")
    plots.save(plots.confusion(realistic, 14.5), tmp_path / "c.png")
    assert_image(tmp_path / "r.png")
    assert_image(tmp_path / "c.png")


def shift_table(key, values):
    """A shifted-sets table (evaluation.shifted.shift_table's columns) of made-up rates."""
    rows = [
        {key: v, "method": m, "subset": s, "accuracy_mean": 0.9, "accuracy_std": 0.01, "se": 0.02}
        | {"auc_mean": 0.98 if m == "blendhunter" and s == "all" else math.nan, "auc_std": 0.001}
        for v in values
        for m in ("blendhunter", "sep")
        for s in ("all", *plots.SHIFT_PANELS)
    ]
    return pd.DataFrame(rows)


def test_shift_figures_say_how_the_models_training_stamps_differ(tmp_path):
    centring = shift_table("radius", [0.0, 1.0, 2.0])
    psf = shift_table("variant", ["recipe", "fwhm0.85"])
    assert "on centred stamps" in plots.centring(centring, 15.0)._suptitle.get_text()
    assert "with the recipe's PSF" in plots.psf_shift(psf, 15.0)._suptitle.get_text()
    recipe = ["off-centre", "random PSF"]
    title = plots.psf_shift(psf, 15.0, "cnn", recipe)._suptitle.get_text()
    assert "CNNs trained at" in title and "on off-centre + random PSF stamps" in title
    title = plots.centring(centring, 15.0, "cnn", recipe)._suptitle.get_text()
    assert "on off-centre + random PSF stamps" in title
    plots.save(plots.psf_shift(psf, 15.0, "cnn", recipe), [tmp_path / "psf_shift.png"])
    assert_image(tmp_path / "psf_shift.png")
