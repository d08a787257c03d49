# Accuracy of BlendHunter and SEP: one metrics file per training set, a
# summary per noise level (depends on that sigma's sets only), and the tables.


rule evaluate:
    input:
        parametric_set=layout.PARAMETRIC_SET,
        realistic_set=layout.REALISTIC_SET,
        bh_parametric=layout.PREDICTIONS_TEST,
        bh_realistic=layout.PREDICTIONS_REALISTIC,
        sep_parametric=layout.SEP_TEST,
        sep_realistic=layout.SEP_REALISTIC,
    output:
        layout.METRICS,
    log:
        "results/logs/evaluate/sigma{sigma}_real{realisation}.log",
    benchmark:
        "results/benchmarks/evaluate/sigma{sigma}_real{realisation}.tsv"
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
            layout.METRICS, sigma=wildcards.sigma, realisation=REALISATIONS
        ),
    output:
        report(
            layout.SUMMARY,
            caption="../report/summary_sigma.rst",
            category="Tables",
            subcategory="Per noise level",
            labels={"table": "summary", "training sigma": "{sigma}"},
        ),
    log:
        "results/logs/evaluate/summary_sigma{sigma}.log",
    benchmark:
        "results/benchmarks/evaluate/summary_sigma{sigma}.tsv"
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
        parametric_sets=per_set(layout.PARAMETRIC_SET),
        realistic_set=layout.REALISTIC_SET,
        bh_parametric=per_set(layout.PREDICTIONS_TEST),
        bh_realistic=per_set(layout.PREDICTIONS_REALISTIC),
        sep_parametric=per_set(layout.SEP_TEST),
        sep_realistic=layout.SEP_REALISTIC,
    output:
        per_head=report(
            layout.TABLES["sep_comparison"],
            caption="../report/sep_comparison.rst",
            category="Tables",
            subcategory="Accuracy",
            labels={"table": "against SEP, per head"},
        ),
        summary=report(
            layout.TABLES["sep_comparison_summary"],
            caption="../report/sep_comparison.rst",
            category="Tables",
            subcategory="Accuracy",
            labels={"table": "against SEP, per noise level"},
        ),
    log:
        "results/logs/evaluate/sep_comparison.log",
    benchmark:
        "results/benchmarks/evaluate/sep_comparison.tsv"
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
        parametric_sets=per_set(layout.PARAMETRIC_SET),
        realistic_set=layout.REALISTIC_SET,
        bh_parametric=per_set(layout.PREDICTIONS_TEST),
        bh_validation=per_set(layout.PREDICTIONS_VALIDATION),
        bh_realistic=per_set(layout.PREDICTIONS_REALISTIC),
        sep_parametric=per_set(layout.SEP_TEST),
        sep_validation=per_set(layout.SEP_VALIDATION),
        sep_realistic=layout.SEP_REALISTIC,
    output:
        per_head=report(
            layout.TABLES["combination"],
            caption="../report/combination.rst",
            category="Tables",
            subcategory="Accuracy",
            labels={"table": "BlendHunter and SEP together, per head"},
        ),
        summary=report(
            layout.TABLES["combination_summary"],
            caption="../report/combination.rst",
            category="Tables",
            subcategory="Accuracy",
            labels={"table": "BlendHunter and SEP together, per noise level"},
        ),
    log:
        "results/logs/evaluate/combination.log",
    benchmark:
        "results/benchmarks/evaluate/combination.tsv"
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
        per_set(layout.METRICS),
    output:
        parametric=report(
            layout.TABLES["parametric"],
            caption="../report/parametric_accuracy.rst",
            category="Tables",
            subcategory="Accuracy",
            labels={"table": "parametric test sets"},
        ),
        realistic=report(
            layout.TABLES["realistic"],
            caption="../report/realistic_accuracy.rst",
            category="Tables",
            subcategory="Accuracy",
            labels={"table": "realistic test set"},
        ),
    log:
        "results/logs/evaluate/accuracy_tables.log",
    benchmark:
        "results/benchmarks/evaluate/accuracy_tables.tsv"
    conda:
        CONDA_ENV
    resources:
        mem_mb=layout.SMALL_JOB_MB,
        runtime=10,
    script:
        "../workflow/scripts/accuracy_tables.py"


rule per_sigma_table:
    input:
        expand(layout.SUMMARY, sigma=SIGMAS),
    output:
        report(
            layout.TABLES["per_sigma"],
            caption="../report/per_sigma_summary.rst",
            category="Tables",
            subcategory="Accuracy",
            labels={"table": "summary per noise level"},
        ),
    log:
        "results/logs/evaluate/per_sigma_table.log",
    benchmark:
        "results/benchmarks/evaluate/per_sigma_table.tsv"
    conda:
        CONDA_ENV
    resources:
        mem_mb=layout.SMALL_JOB_MB,
        runtime=10,
    script:
        "../workflow/scripts/per_sigma_table.py"


rule separation_table:
    input:
        parametric_sets=per_set(layout.PARAMETRIC_SET),
        bh_parametric=per_set(layout.PREDICTIONS_TEST),
        sep_parametric=per_set(layout.SEP_TEST),
        realistic_set=layout.REALISTIC_SET,
        bh_realistic=per_set(layout.PREDICTIONS_REALISTIC),
        sep_realistic=layout.SEP_REALISTIC,
    output:
        report(
            layout.TABLES["separation"],
            caption="../report/accuracy_vs_separation_table.rst",
            category="Tables",
            subcategory="Accuracy",
            labels={"table": "accuracy vs separation"},
        ),
    log:
        "results/logs/evaluate/separation_table.log",
    benchmark:
        "results/benchmarks/evaluate/separation_table.tsv"
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
        parametric_sets=per_set(layout.PARAMETRIC_SET),
        bh_parametric=per_set(layout.PREDICTIONS_TEST),
        sep_parametric=per_set(layout.SEP_TEST),
        realistic_set=layout.REALISTIC_SET,
        bh_realistic=per_set(layout.PREDICTIONS_REALISTIC),
        sep_realistic=layout.SEP_REALISTIC,
    output:
        table=report(
            layout.TABLES["companion"],
            caption="../report/accuracy_vs_companion_table.rst",
            category="Tables",
            subcategory="Accuracy",
            labels={"table": "accuracy vs companion brightness"},
        ),
        png=report(
            f"{layout.FIGURES['companion']}.png",
            caption="../report/fig_accuracy_vs_companion.rst",
            category="Figures",
            subcategory="Beyond the paper",
            labels={"figure": "accuracy vs companion brightness"},
        ),
        pdf=f"{layout.FIGURES['companion']}.pdf",
    log:
        "results/logs/evaluate/companion_table.log",
    benchmark:
        "results/benchmarks/evaluate/companion_table.tsv"
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
