# Benchmarks: every compute job measures itself into
# results/benchmarks/<stage>/<name>.tsv (its `benchmark:`); `benchmark_rollup` rolls
# them up into results/benchmarks.csv (rule, wildcards, seconds, max RSS, ...).
#
# No cycle and nothing stale: the roll-up's input is every other final output,
# so it runs after every job of the campaign; the files it reads are not inputs
# but the benchmark files of the jobs in Snakemake's own DAG of this config
# (blendhunter.workflow.jobgraph), so files left by an earlier, larger config are ignored.
# Included last: it sees every rule defined before it.

from blendhunter.workflow import cluster as bh_cluster


rule benchmark_rollup:
    input:
        [path for path in final_outputs() if path != paths.BENCHMARKS],
    output:
        paths.BENCHMARKS,
    log:
        paths.log("benchmarks"),
    localrule: True
    conda:
        CONDA_ENV
    params:
        snakefile=workflow.main_snakefile,
        configfiles=[str(path) for path in workflow.overwrite_configfiles],
    script:
        "../workflow/scripts/benchmark_rollup.py"


# The config's slurm.partition / slurm.account on every rule (see
# src/blendhunter/workflow/cluster.py); after every rule is defined.
bh_cluster.apply_slurm_resources(workflow, config)
