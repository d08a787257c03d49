# Accuracy of BlendHunter and SEP: one metrics file per training set, a
# summary per noise level (depends on that sigma's sets only), and the tables.


rule evaluate:
    input:
        parametric_set=paths.PARAMETRIC_SET,
        realistic_set=paths.REALISTIC_SET,
        bh_parametric=paths.PREDICTIONS_TEST,
        bh_realistic=paths.PREDICTIONS_REALISTIC,
        sep_parametric=paths.SEP_TEST,
        sep_realistic=paths.SEP_REALISTIC,
    output:
        paths.METRICS,
    log:
        paths.log("evaluate/sigma{sigma}_real{realisation}"),
    benchmark:
        paths.benchmark("evaluate/sigma{sigma}_real{realisation}")
    conda:
        CONDA_ENV
    resources:
        mem_mb=layout.SMALL_JOB_MB,
        runtime=10,
    params:
        close_separation=config["stamp"]["close_separation"],
        realistic_sigma=config["realistic"]["sigma"],
    script:
        "../workflow/scripts/evaluate.py"


WORK_UNITS["evaluate"] = bh_units.evaluation


rule summarise_sigma:
    input:
        # every realisation of this noise level, and nothing else
        lambda wildcards: expand(
            paths.METRICS, sigma=wildcards.sigma, realisation=REALISATIONS
        ),
    output:
        report(
            paths.SUMMARY,
            caption="../report/summary_sigma.rst",
            category="Tables",
            subcategory="Per noise level",
            labels={"table": "summary", "training sigma": "{sigma}"},
        ),
    log:
        paths.log("evaluate/summary_sigma{sigma}"),
    benchmark:
        paths.benchmark("evaluate/summary_sigma{sigma}")
    conda:
        CONDA_ENV
    resources:
        mem_mb=layout.SMALL_JOB_MB,
        runtime=10,
    script:
        "../workflow/scripts/summarise_sigma.py"


# BlendHunter against SEP as a referee would have it: SEP's failures both ways,
# combined uncertainties, a bootstrap over the realistic set's real galaxies, and
# BlendHunter at SEP's false-positive rate (blendhunter.evaluation.comparison).
rule sep_comparison:
    input:
        parametric_sets=per_set(paths.PARAMETRIC_SET),
        realistic_set=paths.REALISTIC_SET,
        bh_parametric=per_set(paths.PREDICTIONS_TEST),
        bh_realistic=per_set(paths.PREDICTIONS_REALISTIC),
        sep_parametric=per_set(paths.SEP_TEST),
        sep_realistic=paths.SEP_REALISTIC,
    output:
        per_head=report(
            paths.TABLES["sep_comparison"],
            caption="../report/sep_comparison.rst",
            category="Tables",
            subcategory="Accuracy",
            labels={"table": "against SEP, per head"},
        ),
        summary=report(
            paths.TABLES["sep_comparison_summary"],
            caption="../report/sep_comparison.rst",
            category="Tables",
            subcategory="Accuracy",
            labels={"table": "against SEP, per noise level"},
        ),
    log:
        paths.log("evaluate/sep_comparison"),
    benchmark:
        paths.benchmark("evaluate/sep_comparison")
    conda:
        CONDA_ENV
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        threshold=config["classify"]["threshold"],
        close_separation=config["stamp"]["close_separation"],
    script:
        "../workflow/scripts/sep_comparison.py"


# BlendHunter and SEP together (blendhunter.evaluation.combination): thresholds and the combiner
# are fitted on each head's validation split, scored on its test split and the realistic set.
rule combination:
    input:
        parametric_sets=per_set(paths.PARAMETRIC_SET),
        realistic_set=paths.REALISTIC_SET,
        bh_parametric=per_set(paths.PREDICTIONS_TEST),
        bh_validation=per_set(paths.PREDICTIONS_VALIDATION),
        bh_realistic=per_set(paths.PREDICTIONS_REALISTIC),
        sep_parametric=per_set(paths.SEP_TEST),
        sep_validation=per_set(paths.SEP_VALIDATION),
        sep_realistic=paths.SEP_REALISTIC,
    output:
        per_head=report(
            paths.TABLES["combination"],
            caption="../report/combination.rst",
            category="Tables",
            subcategory="Accuracy",
            labels={"table": "BlendHunter and SEP together, per head"},
        ),
        summary=report(
            paths.TABLES["combination_summary"],
            caption="../report/combination.rst",
            category="Tables",
            subcategory="Accuracy",
            labels={"table": "BlendHunter and SEP together, per noise level"},
        ),
    log:
        paths.log("evaluate/combination"),
    benchmark:
        paths.benchmark("evaluate/combination")
    conda:
        CONDA_ENV
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        threshold=config["classify"]["threshold"],
        close_separation=config["stamp"]["close_separation"],
    script:
        "../workflow/scripts/combination.py"


rule accuracy_tables:
    input:
        per_set(paths.METRICS),
    output:
        parametric=report(
            paths.TABLES["parametric"],
            caption="../report/parametric_accuracy.rst",
            category="Tables",
            subcategory="Accuracy",
            labels={"table": "parametric test sets"},
        ),
        realistic=report(
            paths.TABLES["realistic"],
            caption="../report/realistic_accuracy.rst",
            category="Tables",
            subcategory="Accuracy",
            labels={"table": "realistic test set"},
        ),
    log:
        paths.log("evaluate/accuracy_tables"),
    benchmark:
        paths.benchmark("evaluate/accuracy_tables")
    conda:
        CONDA_ENV
    resources:
        mem_mb=layout.SMALL_JOB_MB,
        runtime=10,
    script:
        "../workflow/scripts/accuracy_tables.py"


rule per_sigma_table:
    input:
        expand(paths.SUMMARY, sigma=SIGMAS),
    output:
        report(
            paths.TABLES["per_sigma"],
            caption="../report/per_sigma_summary.rst",
            category="Tables",
            subcategory="Accuracy",
            labels={"table": "summary per noise level"},
        ),
    log:
        paths.log("evaluate/per_sigma_table"),
    benchmark:
        paths.benchmark("evaluate/per_sigma_table")
    conda:
        CONDA_ENV
    resources:
        mem_mb=layout.SMALL_JOB_MB,
        runtime=10,
    script:
        "../workflow/scripts/per_sigma_table.py"


rule separation_table:
    input:
        parametric_sets=per_set(paths.PARAMETRIC_SET),
        bh_parametric=per_set(paths.PREDICTIONS_TEST),
        sep_parametric=per_set(paths.SEP_TEST),
        realistic_set=paths.REALISTIC_SET,
        bh_realistic=per_set(paths.PREDICTIONS_REALISTIC),
        sep_realistic=paths.SEP_REALISTIC,
    output:
        report(
            paths.TABLES["separation"],
            caption="../report/accuracy_vs_separation_table.rst",
            category="Tables",
            subcategory="Accuracy",
            labels={"table": "accuracy vs separation"},
        ),
    log:
        paths.log("evaluate/separation_table"),
    benchmark:
        paths.benchmark("evaluate/separation_table")
    conda:
        CONDA_ENV
    resources:
        mem_mb=layout.SMALL_JOB_MB,
        runtime=10,
    params:
        bin_width=config["figures"]["separation_bin_width"],
        stamp_size=config["stamp"]["size"],
    script:
        "../workflow/scripts/separation_table.py"


rule companion_table:
    input:
        parametric_sets=per_set(paths.PARAMETRIC_SET),
        bh_parametric=per_set(paths.PREDICTIONS_TEST),
        sep_parametric=per_set(paths.SEP_TEST),
        realistic_set=paths.REALISTIC_SET,
        bh_realistic=per_set(paths.PREDICTIONS_REALISTIC),
        sep_realistic=paths.SEP_REALISTIC,
    output:
        table=report(
            paths.TABLES["companion"],
            caption="../report/accuracy_vs_companion_table.rst",
            category="Tables",
            subcategory="Accuracy",
            labels={"table": "accuracy vs companion brightness"},
        ),
        png=report(
            f"{paths.FIGURES['companion']}.png",
            caption="../report/fig_accuracy_vs_companion.rst",
            category="Figures",
            subcategory="Beyond the paper",
            labels={"figure": "accuracy vs companion brightness"},
        ),
        pdf=f"{paths.FIGURES['companion']}.pdf",
    log:
        paths.log("evaluate/companion_table"),
    benchmark:
        paths.benchmark("evaluate/companion_table")
    conda:
        CONDA_ENV
    resources:
        mem_mb=layout.SMALL_JOB_MB,
        runtime=10,
    params:
        realistic_sigma=config["realistic"]["sigma"],
        figure_sigma=NEAREST_SIGMA,
    script:
        "../workflow/scripts/companion_table.py"
