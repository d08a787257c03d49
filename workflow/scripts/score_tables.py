"""Rule score_tables: ROC/AUC, calibration and purity of every head, ensemble and SEP.

Heads on their parametric test split and on the realistic set; per noise level, the
ensemble of its realisations (mean p_blend) on the realistic set; SEP's operating point.
"""

import json
import math
from pathlib import Path

import pandas as pd

from blendhunter.evaluation import metrics, plots, scores
from blendhunter.logs import run
from blendhunter.workflow import layout


def keep(rows, roc: list, cal: list, purity: list) -> None:
    roc_row, cal_row, purity_rows = rows
    roc.append(roc_row)
    cal.append(cal_row)
    purity.extend(purity_rows)


def main(smk):
    inp, threshold = smk.input, float(smk.params.threshold)
    real_sigma, figure_sigma = float(smk.params.realistic_sigma), float(smk.params.figure_sigma)
    truth_real, _, realistic = scores.read_scores(inp.realistic_set, inp.bh_realistic[0])
    roc, cal, purity, curves, reliability = [], [], [], [], []
    by_sigma = {}
    names = ("calibration", "parametric_sets", "bh_parametric", "bh_realistic", "sep_parametric")
    for (sigma, r), paths in layout.by_set(inp, names).items():
        calibration = json.loads(Path(paths["calibration"]).read_text())
        temperature, thresholds = calibration["temperature"], calibration["f1_thresholds"]
        stamps, bh_parametric = paths["parametric_sets"], paths["bh_parametric"]
        truth_par, p_par, rank_par, parametric = scores.read_ranked_scores(stamps, bh_parametric, "test")
        _, p_real, rank_real, _ = scores.read_ranked_scores(inp.realistic_set, paths["bh_realistic"])
        ids = {"method": "blendhunter", "train_sigma": float(sigma), "realisation": int(r)}
        for dataset, truth, p, rank, test_sigma in (
            ("parametric", truth_par, p_par, rank_par, float(sigma)),
            ("realistic", truth_real, p_real, rank_real, real_sigma),
        ):
            calibrated = scores.apply_temperature(p, temperature)
            rows = scores.head_rows(
                truth, p, calibrated, temperature, thresholds, threshold, rank,
                dataset=dataset, test_sigma=test_sigma, **ids,
            )  # fmt: skip
            keep(rows, roc, cal, purity)
        sep_labels = metrics.align(parametric, metrics.read_labels(paths["sep_parametric"]), "SEP")
        sep_roc, sep_purity = scores.sep_rows(
            truth_par, sep_labels, dataset="parametric", train_sigma=float(sigma),
            test_sigma=float(sigma), realisation=int(r),
        )  # fmt: skip
        roc.append(sep_roc)
        purity.extend(sep_purity)
        by_sigma.setdefault(float(sigma), []).append((p_real, temperature, thresholds))
        fpr, tpr, _ = scores.roc_curve(truth_real, rank_real)
        curves.append({"train_sigma": float(sigma), "realisation": int(r), "fpr": fpr, "tpr": tpr})
    for sigma, heads in by_sigma.items():
        p, calibrated, thresholds = scores.ensemble(heads)
        rows = scores.head_rows(
            truth_real, p, calibrated, math.nan, thresholds, threshold, method="ensemble",
            dataset="realistic", train_sigma=sigma, test_sigma=real_sigma, realisation=pd.NA,
        )  # fmt: skip
        keep(rows, roc, cal, purity)
        if sigma == figure_sigma:
            for kind, values in (("raw", p), ("calibrated", calibrated)):
                table = scores.reliability(truth_real, values).assign(kind=kind)
                reliability.append(table.assign(ece=scores.ece(truth_real, values)))
    sep_real = metrics.align(realistic, metrics.read_labels(inp.sep_realistic), "SEP")
    sep_roc, sep_purity = scores.sep_rows(
        truth_real, sep_real, dataset="realistic", train_sigma=math.nan, test_sigma=real_sigma,
        realisation=pd.NA,
    )  # fmt: skip
    roc.append(sep_roc)
    purity.extend(sep_purity)

    roc_table = scores.frame(roc, scores.ROC_COLUMNS)
    purity_table = scores.frame(purity, scores.PURITY_COLUMNS)
    metrics.write_csv(roc_table, smk.output.roc_auc)
    metrics.write_csv(scores.frame(cal, scores.CALIBRATION_COLUMNS), smk.output.calibration)
    metrics.write_csv(purity_table, smk.output.purity)
    plots.save(plots.roc(curves, roc_table), [smk.output.roc_png, smk.output.roc_pdf])
    figure = plots.reliability(pd.concat(reliability, ignore_index=True), figure_sigma)
    plots.save(figure, [smk.output.reliability_png, smk.output.reliability_pdf])
    plots.save(plots.purity(purity_table, figure_sigma), [smk.output.purity_png, smk.output.purity_pdf])


run(main, snakemake)  # noqa: F821
