# BlendHunter: blended-galaxy identification, reproduced as a workflow.
# Run: snakemake --cores all [--configfile config/config.yaml config/offline.yaml]


configfile: "config/config.yaml"


report: "report/workflow.rst"


include: "rules/common.smk"
include: "rules/inputs.smk"
include: "rules/simulate.smk"
include: "rules/features.smk"
include: "rules/heads.smk"
include: "rules/sep.smk"
include: "rules/evaluate.smk"
include: "rules/learning_curve.smk"
include: "rules/scores.smk"
include: "rules/pretraining.smk"
include: "rules/centring.smk"
include: "rules/figures.smk"
include: "rules/benchmark_rollup.smk"


rule all:
    default_target: True
    input:
        final_outputs(),
