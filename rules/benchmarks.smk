# Benchmarks: every compute job measures itself into
# results/benchmarks/<stage>/<name>.tsv (its `benchmark:`); `benchmarks` rolls
# them up into results/benchmarks.csv (rule, wildcards, seconds, max RSS, ...).
#
# No cycle and nothing stale: the roll-up's input is every other final output,
# so it runs after every job of the campaign; the files it reads are not inputs
# but the expansion, over this config's wildcards, of each rule's own
# `benchmark:` pattern (the one place a benchmark path is spelled), so files
# left by an earlier, larger config are ignored.
# Included last: it sees every rule defined before it.

from blendhunter import benchmarks as bh_benchmarks
from blendhunter import cluster as bh_cluster

BENCHMARK_JOBS = bh_benchmarks.expected_jobs(
    *bh_benchmarks.rule_benchmarks(workflow.rules), config=config
)


rule benchmarks:
    input:
        [path for path in final_outputs() if path != wf.BENCHMARKS],
    output:
        wf.BENCHMARKS,
    log:
        "results/logs/benchmarks.log",
    localrule: True
    conda:
        CONDA_ENV
    params:
        jobs=BENCHMARK_JOBS,
    script:
        "../workflow/scripts/collect_benchmarks.py"


# The config's slurm.partition / slurm.account on every rule (see
# src/blendhunter/cluster.py); after every rule is defined.
bh_cluster.apply_slurm_resources(workflow, config)
