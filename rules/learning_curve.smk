# Learning curve: models of the run's kind on nested subsets of one set's training split
# (heads from its cached features, CNNs from its stamps), at the noise level nearest the
# realistic one.


rule learning_curve_point:
    input:
        **paths.scored(config, "parametric"),
        **paths.scored(config, "realistic", "realistic_"),
        parametric_set=paths.PARAMETRIC_SET,
        realistic_set=paths.REALISTIC_SET,
        sep_parametric=paths.SEP_TEST,
        sep_realistic=paths.SEP_REALISTIC,
    output:
        paths.LEARNING_CURVE_POINT,
    log:
        paths.log("learning_curve/sigma{sigma}_real{realisation}_n{n}"),
    benchmark:
        paths.benchmark("learning_curve/sigma{sigma}_real{realisation}_n{n}")
    wildcard_constraints:
        n=r"[0-9]+",
    conda:
        CONDA_ENV
    threads: layout.training_threads(config)
    resources:
        **layout.gpu_resources(config),
        mem_mb=layout.mem_training(config),
        runtime=layout.training_minutes(config),
    params:
        kind=config["network"]["kind"],
        size=config["stamp"]["size"],
        training=lambda wildcards: layout.model_settings(config, wildcards.sigma),
        close_separation=config["stamp"]["close_separation"],
        realistic_sigma=config["realistic"]["sigma"],
        threshold=config["classify"]["threshold"],
    script:
        "../workflow/scripts/learning_curve_point.py"


WORK_UNITS["learning_curve_point"] = bh_units.learning_curve_point


rule learning_curve:
    input:
        paths.learning_curve_points(config),
    output:
        table=report(
            paths.TABLES["learning_curve"],
            caption="../report/learning_curve_table.rst",
            category="Learning curve",
        ),
        figure=report(
            f"{paths.FIGURES['learning_curve']}.png",
            caption="../report/learning_curve.rst",
            category="Learning curve",
        ),
        pdf=f"{paths.FIGURES['learning_curve']}.pdf",
    log:
        paths.log("learning_curve/table"),
    benchmark:
        paths.benchmark("learning_curve/table")
    conda:
        CONDA_ENV
    resources:
        mem_mb=layout.SMALL_JOB_MB,
        runtime=10,
    params:
        realistic_sigma=config["realistic"]["sigma"],
    script:
        "../workflow/scripts/learning_curve.py"
