# SEP baseline (paper Sect. 4.1, Table 2): detections and a label per stamp,
# on the test split of every parametric set (with that set's noise) and once
# on the realistic set. Failures are kept, flagged, and counted downstream.


rule sep_parametric:
    input:
        stamps=layout.PARAMETRIC_SET,
        noiseless=layout.PARAMETRIC_MASTER,
    output:
        layout.SEP_TEST,
    log:
        "results/logs/sep/parametric_sigma{sigma}_real{realisation}.log",
    benchmark:
        "results/benchmarks/sep/parametric_sigma{sigma}_real{realisation}.tsv"
    conda:
        CONDA_ENV
    resources:
        mem_mb=layout.SMALL_JOB_MB,
        runtime=layout.runtime_minutes(config["parametric"]["n_stamps"], per_second=300),
    params:
        sep=config["sep"],
        split="test",
    script:
        "../workflow/scripts/sep.py"


WORK_UNITS["sep_parametric"] = bh_units.split_stamps("test")


# The validation split too: BlendHunter + SEP combinations are fitted there.
use rule sep_parametric as sep_validation with:
    output:
        layout.SEP_VALIDATION,
    log:
        "results/logs/sep/validation_sigma{sigma}_real{realisation}.log",
    benchmark:
        "results/benchmarks/sep/validation_sigma{sigma}_real{realisation}.tsv"
    params:
        sep=config["sep"],
        split="validation",


WORK_UNITS["sep_validation"] = bh_units.split_stamps("validation")


rule sep_realistic:
    input:
        stamps=layout.REALISTIC_SET,
        noiseless=layout.REALISTIC_MASTER,
    output:
        layout.SEP_REALISTIC,
    log:
        "results/logs/sep/realistic.log",
    benchmark:
        "results/benchmarks/sep/realistic.tsv"
    conda:
        CONDA_ENV
    resources:
        mem_mb=layout.SMALL_JOB_MB,
        runtime=layout.runtime_minutes(config["realistic"]["n_stamps"], per_second=300),
    params:
        sep=config["sep"],
        split="test",
    script:
        "../workflow/scripts/sep.py"


WORK_UNITS["sep_realistic"] = bh_units.realistic_stamps
