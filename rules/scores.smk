# Beyond accuracy: ROC/AUC, calibration (temperature scaling, fitted per head by rule
# predict on its validation split) and purity at survey blend fractions, for every
# head, the ensemble of each noise level's realisations, and SEP.


rule score_tables:
    input:
        parametric_sets=per_set(paths.PARAMETRIC_SET),
        realistic_set=paths.REALISTIC_SET,
        bh_parametric=per_set(paths.PREDICTIONS_TEST),
        bh_realistic=per_set(paths.PREDICTIONS_REALISTIC),
        calibration=per_set(paths.CALIBRATION),
        sep_parametric=per_set(paths.SEP_TEST),
        sep_realistic=paths.SEP_REALISTIC,
    output:
        roc_auc=report(
            paths.TABLES["roc_auc"],
            caption="../report/roc_auc_table.rst",
            category="Tables",
            subcategory="Scores and calibration",
            labels={"table": "ROC AUC"},
        ),
        calibration=report(
            paths.TABLES["calibration"],
            caption="../report/calibration_table.rst",
            category="Tables",
            subcategory="Scores and calibration",
            labels={"table": "calibration"},
        ),
        purity=report(
            paths.TABLES["purity"],
            caption="../report/purity_table.rst",
            category="Tables",
            subcategory="Scores and calibration",
            labels={"table": "purity and completeness"},
        ),
        roc_png=score_figure("roc", "fig_roc", "ROC, realistic set"),
        roc_pdf=f"{paths.FIGURES['roc']}.pdf",
        reliability_png=score_figure("reliability", "fig_reliability", "reliability"),
        reliability_pdf=f"{paths.FIGURES['reliability']}.pdf",
        purity_png=score_figure("purity", "fig_purity", "purity at blend fractions"),
        purity_pdf=f"{paths.FIGURES['purity']}.pdf",
    log:
        paths.log("evaluate/score_tables"),
    benchmark:
        paths.benchmark("evaluate/score_tables")
    conda:
        CONDA_ENV
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        threshold=config["classify"]["threshold"],
        realistic_sigma=config["realistic"]["sigma"],
        figure_sigma=NEAREST_SIGMA,
    script:
        "../workflow/scripts/score_tables.py"
