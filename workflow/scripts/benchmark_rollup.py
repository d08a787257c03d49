"""Rule benchmark_rollup: every job's benchmark file rolled up into results/benchmarks.csv."""

import logging

from blendhunter.io import atomic_path
from blendhunter.logs import run
from blendhunter.workflow import jobgraph, rollup

log = logging.getLogger("blendhunter.workflow.rollup")


def main(smk):
    jobs, units = jobgraph.campaign_jobs(
        smk.params.snakefile, configfiles=tuple(smk.params.configfiles), config=smk.config
    )
    table, missing = rollup.collect(jobs, units, smk.config)
    for path in missing:
        log.info("no benchmark file (job not in this campaign, or never run): %s", path)
    log.info("%d jobs measured, %d benchmark files absent", len(table), len(missing))
    for rule, group in table.groupby("rule", sort=False):
        log.info(
            "%-26s %4d jobs %9.1f s total %7.0f MB max RSS",
            rule,
            len(group),
            group["seconds"].sum(),
            group["max_rss_mb"].max(),
        )
    with atomic_path(smk.output[0]) as tmp:
        table.to_csv(tmp, index=False)


run(main, snakemake)  # noqa: F821
