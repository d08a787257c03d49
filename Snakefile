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


# The ablation compares VGG-16 weights: a CNN trained on the stamps has none.
if not layout.is_cnn(config):

    include: "rules/pretraining.smk"


include: "rules/shifted.smk"
include: "rules/figures.smk"
include: "rules/benchmark_rollup.smk"


rule all:
    default_target: True
    input:
        final_outputs(),
