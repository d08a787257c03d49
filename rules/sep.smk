# SEP baseline (paper Sect. 4.1, Table 2): detections and a label per stamp,
# on the test split of every parametric set (with that set's noise) and once
# on the realistic set. Failures are kept, flagged, and counted downstream.


rule sep_parametric:
    input:
        stamps=paths.PARAMETRIC_SET,
        noiseless=paths.PARAMETRIC_MASTER,
    output:
        paths.SEP_TEST,
    log:
        paths.log("sep/parametric_sigma{sigma}_real{realisation}"),
    benchmark:
        paths.benchmark("sep/parametric_sigma{sigma}_real{realisation}")
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
        paths.SEP_VALIDATION,
    log:
        paths.log("sep/validation_sigma{sigma}_real{realisation}"),
    benchmark:
        paths.benchmark("sep/validation_sigma{sigma}_real{realisation}")
    params:
        sep=config["sep"],
        split="validation",


WORK_UNITS["sep_validation"] = bh_units.split_stamps("validation")


rule sep_realistic:
    input:
        stamps=paths.REALISTIC_SET,
        noiseless=paths.REALISTIC_MASTER,
    output:
        paths.SEP_REALISTIC,
    log:
        paths.log("sep/realistic"),
    benchmark:
        paths.benchmark("sep/realistic")
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
