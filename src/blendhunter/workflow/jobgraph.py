"""The jobs of a campaign, as Snakemake's own DAG has them.

The benchmark roll-up (which files belong to this campaign) and the cost
projection (which jobs a target config would run, in what order) both need
the workflow's job graph. Asking Snakemake for it, instead of keeping a copy,
means a new rule or wildcard needs no edit here: each job comes with its rule,
wildcards, benchmark path, threads and stage (its depth in the DAG), and its
work units come from the rule's entry in the Snakefile's `WORK_UNITS`, written
next to the rule (see rules/common.smk).

This uses Snakemake's Python API and one private step (building the DAG
without running it, as `--dag` does); snakemake is pinned in constraints.txt.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

# Rules with no work of their own (targets, the roll-up itself)
NOT_JOBS = {"all", "benchmark_rollup"}


def format_wildcards(values: Mapping[str, str]) -> str:
    """Snakemake's "name=value,name=value" form, as in the roll-up's CSV."""
    return ",".join(f"{k}={v}" for k, v in values.items())


def parse_wildcards(text: str) -> dict[str, str]:
    if not isinstance(text, str) or not text:
        return {}
    return dict(item.split("=", 1) for item in text.split(","))


def stages(dependencies: Mapping) -> dict:
    """Each job's depth in the DAG: 0 for jobs that need nothing, else 1 + its deepest input's."""
    depth: dict = {}

    def visit(job):
        if job not in depth:
            depth[job] = 1 + max((visit(d) for d in dependencies.get(job, ())), default=-1)
        return depth[job]

    for job in dependencies:
        visit(job)
    return depth


def campaign_jobs(
    snakefile: str | Path,
    *,
    configfiles: tuple = (),
    config: Mapping | None = None,
    workdir: str | Path = ".",
) -> tuple[list[dict], dict]:
    """Every job of the campaign (forceall: as if nothing had run yet), and `WORK_UNITS`.

    Each job: rule, wildcards ("name=value,..."), path (its benchmark file, or
    ""), threads, stage. `config` overrides what the config files give (the
    roll-up passes its run's merged config).
    """
    from snakemake.api import SnakemakeApi
    from snakemake.settings.types import (
        ConfigSettings,
        DAGSettings,
        OutputSettings,
        Quietness,
        ResourceSettings,
        StorageSettings,
    )

    settings = ConfigSettings(configfiles=[Path(p) for p in configfiles], config=dict(config or {}))
    with SnakemakeApi(OutputSettings(quiet={Quietness.ALL})) as api:
        workflow_api = api.workflow(
            resource_settings=ResourceSettings(cores=256),  # threads as asked, not capped by this machine
            config_settings=settings,
            storage_settings=StorageSettings(),
            snakefile=Path(snakefile).absolute(),
            workdir=Path(workdir).absolute(),
        )
        dag_api = workflow_api.dag(DAGSettings(forceall=True))
        workflow = dag_api.workflow_api._workflow
        workflow._prepare_dag(forceall=True, ignore_incomplete=True, lock_warn_only=True, nolock=True)
        workflow._build_dag()
        dag = workflow.dag
        depth = stages({job: list(dag.dependencies[job]) for job in dag.jobs})
        jobs = [
            {
                "rule": job.rule.name,
                "wildcards": format_wildcards(job.wildcards_dict),
                "path": str(job.benchmark) if job.benchmark else "",
                "threads": int(job.threads),
                "stage": depth[job],
            }
            for job in dag.jobs
            if job.rule.name not in NOT_JOBS
        ]
        units = dict(workflow.globals.get("WORK_UNITS", {}))
    jobs.sort(key=lambda j: (j["stage"], j["rule"], j["wildcards"]))
    return jobs, units
