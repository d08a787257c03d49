"""Benchmark roll-up (rule `benchmark_rollup`, results/benchmarks.csv): every job of
the configured campaign with its `benchmark:` file, one row per job:

    rule, wildcards, seconds, max_rss_mb, cpu_seconds, mean_load, threads, units, stage, path

`wildcards` is Snakemake's "name=value,name=value" form; `units` the job's work
in the unit its cost scales with (blendhunter.workflow.units); `stage` its depth in the
DAG. The jobs come from Snakemake's DAG of this config (blendhunter.workflow.jobgraph),
so files left by an earlier, larger config are ignored.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

from blendhunter.workflow import units as bh_units
from blendhunter.workflow.jobgraph import parse_wildcards

COLUMNS = [
    "rule",
    "wildcards",
    "seconds",
    "max_rss_mb",
    "cpu_seconds",
    "mean_load",
    "threads",
    "units",
    "stage",
    "path",
]


def read_benchmark(path: str | Path) -> dict[str, float]:
    """Snakemake's benchmark TSV (mean over repeats): seconds, max RSS (MB), CPU seconds."""
    table = pd.read_csv(path, sep="\t")
    numeric = table.apply(pd.to_numeric, errors="coerce")
    return {
        "seconds": float(numeric["s"].mean()),
        "max_rss_mb": float(numeric["max_rss"].max()),
        "cpu_seconds": float(numeric["cpu_time"].mean()) if "cpu_time" in numeric else math.nan,
        "mean_load": float(numeric["mean_load"].mean()) if "mean_load" in numeric else math.nan,
    }


def job_units(units: Mapping, job: Mapping, config: dict, epochs: float | None = None) -> float:
    """The work of one job, by its rule's entry in `units` (fixed cost if none)."""
    return units.get(job["rule"], bh_units.fixed)(config, parse_wildcards(job["wildcards"]), epochs)


def collect(jobs: Iterable[Mapping], units: Mapping, config: dict) -> tuple[pd.DataFrame, list[str]]:
    """The roll-up table, and the benchmark files expected but absent."""
    rows, missing = [], []
    for job in jobs:
        if not job["path"]:
            continue
        path = Path(job["path"])
        if not path.exists():
            missing.append(str(path))
            continue
        rows.append(
            {
                "rule": job["rule"],
                "wildcards": job["wildcards"],
                **read_benchmark(path),
                "threads": job.get("threads", 1),
                "units": job_units(units, job, config),
                "stage": job.get("stage", 0),
                "path": str(path),
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS), missing
