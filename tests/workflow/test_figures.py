"""The whole tiny campaign end to end: tables, figures and the Snakemake report."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from blendhunter.evaluation import learning_curve, metrics
from blendhunter.maintainer import publish
from blendhunter.simulation import psf, stamps
from blendhunter.workflow import layout

from ..conftest import REPO, make_config, run_snakemake, write_config
from ..helpers import assert_image

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
        assert len(bh) == len(sigmas) * n_real * len(metrics.ALL_SUBSETS)
        all_rows = table[table["subset"] == "all"]
        assert all_rows["accuracy"].between(0, 1).all() and (all_rows["n"] > 0).all()
    realistic = pd.read_csv(tmp_path / layout.TABLES["realistic"])
    sep = realistic[realistic["method"] == "sep"]
    assert len(sep) == len(metrics.ALL_SUBSETS) and sep["train_sigma"].isna().all()
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

    centring = pd.read_csv(tmp_path / layout.TABLES["centring"])  # the centring axis
    radii = [0.0, *map(float, cfg["centring_test"]["radii"])]
    assert sorted(centring["radius"].unique()) == radii and set(centring["method"]) == {"blendhunter", "sep"}
    assert (centring[centring["method"] == "blendhunter"]["n_heads"] == n_real).all()
    first = stamps.read_meta(tmp_path / layout.REALISTIC_SET).iloc[: int(centring["n"].max())]
    for radius in cfg["centring_test"]["radii"]:  # the same galaxies, moved
        moved = stamps.read_meta(tmp_path / layout.SHIFTED_SET.format(shift=f"r{layout.sigma_label(radius)}"))
        for column in ("label", "id1", "id2"):
            assert (moved[column].to_numpy() == first[column].to_numpy()).all(), column
        assert np.allclose(moved["separation"], first["separation"], equal_nan=True)
        offset = np.hypot(moved["x1"] - first["x1"], moved["y1"] - first["y1"])
        assert np.allclose(offset, radius), offset

    psf_shift = pd.read_csv(tmp_path / layout.TABLES["psf_shift"])  # the PSF-shift axis
    names = [variant["name"] for variant in cfg["psf_shift_test"]["variants"]]
    assert list(dict.fromkeys(psf_shift["variant"])) == ["recipe", *names]
    models = psf_shift[(psf_shift["method"] == "blendhunter") & (psf_shift["subset"] == "all")]
    assert models["auc_mean"].between(0, 1).all() and (models["n_heads"] == n_real).all()
    assert psf_shift[psf_shift["method"] == "sep"]["auc_mean"].isna().all()
    for variant in cfg["psf_shift_test"]["variants"]:  # the same galaxies, another PSF
        redrawn = stamps.read_meta(tmp_path / layout.SHIFTED_SET.format(shift=f"psf-{variant['name']}"))
        profile = psf.RANDOM_PROFILES.index(variant["psf"]["profiles"][0])
        assert (redrawn["psf_random_profile"] == profile).all()
        kept = redrawn["id1"].to_numpy() == first["id1"].to_numpy()[: len(redrawn)]
        assert kept.mean() > 0.9 and (redrawn["x1"].to_numpy() == first["x1"].to_numpy()).all()

    text = publish.summary(tmp_path / "results" / "tables")
    assert "| SEP, failures left out (± binomial s.e.) |" in text and "| SEP failures |" in text
    assert (
        "| SEP, failures counted as errors |" in text and f"| BlendHunter, trained at σ {sigmas[0]} |" in text
    )
    bundle = tmp_path / "docs" / "tiny"
    publish.bundle(tmp_path / "results" / "tables", bundle, [configfile], "snakemake (test)", 61.0)
    assert (bundle / "MANIFEST.json").exists() and (bundle / "summary.md").exists()
    assert {p.name for p in (bundle / "tables").iterdir()} == {Path(p).name for p in layout.TABLES.values()}
    stale = f"intro\n{publish.RESULTS_BEGIN}\nstale\n{publish.RESULTS_END}\nend\n"
    rows = publish.results_rows(bundle, bundle, REPO / publish.BENCHMARK_JSON, bundle)  # last: "improved"
    written = publish.replace_between(stale, publish.RESULTS_BEGIN, publish.RESULTS_END, rows)
    assert written.startswith("intro\n") and written.endswith("end\n") and "stale" not in written
    assert "minus SEP, realistic set" in written
    assert "| `onnxruntime` / int8 (**default campaign**) |" in written
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
