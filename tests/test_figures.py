"""The paper's figures from tables, and a tiny end-to-end run of the workflow
that writes every table, figure and the Snakemake report."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from blendhunter import layout, learning_curve, metrics, plots, publish

from .conftest import REPO, make_config, run_snakemake, write_config

SIGMAS = (5.0, 15.0, 25.0)
REALISATIONS = (0, 1)
CLOSE = 10.0


def assert_image(path, min_size=(200, 150)):
    """A non-empty image that opens (PNG) or a non-empty PDF."""
    assert path.exists() and path.stat().st_size > 1000, path
    if path.suffix == ".pdf":
        assert path.read_bytes()[:5] == b"%PDF-"
        return
    with Image.open(path) as image:
        image.verify()
    with Image.open(path) as image:
        assert image.size[0] >= min_size[0] and image.size[1] >= min_size[1]
        pixels = np.asarray(image.convert("L"))
        assert pixels.std() > 5, f"{path} looks blank"


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


REQUIRED = ["method", "train_sigma", "realisation", "subset", "accuracy", "tpr", "tnr", "n", "n_failed"]


@pytest.mark.slow
def test_end_to_end_tables_figures_and_report(tmp_path):
    """The real workflow on the tiny config: every table, figure and the report."""
    cfg = make_config()
    configfile = write_config(tmp_path / "config.yaml", cfg)
    sigmas = [layout.sigma_label(s) for s in cfg["parametric"]["sigmas"]]
    figures = [f"{stem}.{ext}" for stem in layout.FIGURES.values() for ext in layout.FIGURE_FORMATS]
    summaries = [layout.SUMMARY.format(sigma=s) for s in sigmas]
    targets = [*layout.TABLES.values(), *figures, *summaries]
    run_snakemake(tmp_path, configfile, *targets)

    n_real = cfg["parametric"]["realisations"]
    for dataset in ("parametric", "realistic"):
        table = pd.read_csv(tmp_path / layout.TABLES[dataset])
        assert set(REQUIRED) <= set(table.columns)
        assert set(table["method"]) == {"blendhunter", "sep"}
        assert {"all", "close", "distant", "isolated"} <= set(table["subset"])
        bh = table[table["method"] == "blendhunter"]
        assert len(bh) == len(sigmas) * n_real * len(metrics.SUBSETS)
        all_rows = table[table["subset"] == "all"]
        assert all_rows["accuracy"].between(0, 1).all() and (all_rows["n"] > 0).all()
    realistic = pd.read_csv(tmp_path / layout.TABLES["realistic"])
    sep = realistic[realistic["method"] == "sep"]
    assert len(sep) == len(metrics.SUBSETS) and sep["train_sigma"].isna().all()
    assert (sep.set_index("subset").loc["all", "n"]) == cfg["realistic"]["n_stamps"]

    separation = pd.read_csv(tmp_path / layout.TABLES["separation"])
    assert set(metrics.SEPARATION_COLUMNS) <= set(separation.columns)
    per_sigma = pd.read_csv(tmp_path / layout.TABLES["per_sigma"])
    assert sorted(per_sigma["sigma"].unique()) == sorted(float(s) for s in sigmas)
    assert {"accuracy_mean", "accuracy_std", "tpr_mean", "tnr_mean"} <= set(per_sigma.columns)

    curve = pd.read_csv(tmp_path / layout.TABLES["learning_curve"])
    assert set(learning_curve.COLUMNS) <= set(curve.columns)
    bh = curve[curve["method"] == "blendhunter"]
    n_train = layout.n_train(cfg)
    assert sorted(bh["n_train"].unique()) == learning_curve.sizes(cfg["learning_curve"]["sizes"], n_train)
    assert set(bh["dataset"]) == {"parametric", "realistic"}
    # a subset without stamps (no close blend in a tiny test split) has no accuracy
    assert bh["accuracy"].dropna().between(0, 1).all()
    assert bh[bh["subset"] == "all"]["accuracy"].notna().all()
    assert curve[curve["method"] == "sep"]["n_train"].isna().all()

    pretraining = pd.read_csv(tmp_path / layout.TABLES["pretraining"])  # ImageNet vs random VGG-16
    assert set(pretraining["weights"]) == {"imagenet", "random", "sep"}
    assert set(pretraining["dataset"]) == {"parametric", "realistic"}
    heads = pretraining[pretraining["weights"] != "sep"]
    assert heads[heads["subset"] == "all"]["auc"].between(0, 1).all()
    nearest = float(layout.learning_curve_set(cfg)["sigma"])
    assert (pretraining["train_sigma"].dropna().astype(float) == nearest).all()
    realistic_all = pretraining[(pretraining["dataset"] == "realistic") & (pretraining["subset"] == "all")]
    assert (realistic_all["n"] == layout.pretraining_realistic_stamps(cfg)).all()  # the first 50

    text = publish.summary(tmp_path / "results" / "tables")
    assert "| SEP, failures left out (± binomial s.e.) |" in text and "| SEP failures |" in text
    assert (
        "| SEP, failures counted as errors |" in text and f"| BlendHunter, trained at σ {sigmas[0]} |" in text
    )
    bundle = tmp_path / "docs" / "tiny"
    publish.bundle(tmp_path / "results" / "tables", bundle, [configfile], "snakemake (test)", 61.0)
    assert (bundle / "MANIFEST.json").exists() and (bundle / "summary.md").exists()
    assert {p.name for p in (bundle / "tables").iterdir()} == {Path(p).name for p in layout.TABLES.values()}
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{publish.README_BEGIN}\nstale\n{publish.README_END}\nend\n")
    (tmp_path / "benchmarks").mkdir()
    shutil.copy(REPO / publish.BENCHMARK_JSON, tmp_path / "benchmarks")
    publish.write_readme(readme, bundle, bundle, bundle)  # the last as the "improved" one
    written = readme.read_text()
    assert written.startswith("intro\n") and written.endswith("end\n") and "stale" not in written
    assert "minus SEP, realistic set" in written and "| `onnxruntime` / float32 (**default**) |" in written
    assert (
        "At SEP's false-positive rate" in written
        and "Bootstrap over the realistic set's real galaxies" in written
    )
    assert "side by side" in written and "BlendHunter and SEP together" in written

    sep_labels = pd.read_csv(tmp_path / layout.SEP_REALISTIC)
    assert {"index", "label", "n_detections", "failed"} <= set(sep_labels.columns)
    for path in figures:
        assert_image(tmp_path / path)

    result = run_snakemake(tmp_path, configfile, "--report", "report.html", *targets)
    report = tmp_path / "report.html"
    assert report.exists() and report.stat().st_size > 100_000, result.stderr[-2000:]
    text = report.read_text(errors="replace")
    for name in ("accuracy_vs_separation.png", "confusion_realistic.png", "learning_curve.png"):
        assert name in text
