"""Projection of a campaign's wall time from measured benchmarks
(`python -m blendhunter.maintainer projection --help`).

Per rule, a fit of seconds = startup + rate x units to the roll-ups given
(results/benchmarks.csv, blendhunter.workflow.rollup); the target config's jobs, with
their stages, from Snakemake's DAG (blendhunter.workflow.jobgraph); then a schedule,
stage by stage (a stage starts when the previous one has finished: an upper
bound on a real DAG schedule), on one machine or on N nodes, each job on one
node with its rule's threads.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from blendhunter.workflow.rollup import job_units

JOB_COLUMNS = ["rule", "stage", "threads", "seconds"]


def fit_rules(table: pd.DataFrame) -> pd.DataFrame:
    """Per rule: seconds = startup + rate x units.

    With jobs of two or more sizes (e.g. roll-ups of two configs concatenated)
    startup and rate are a least-squares fit; with one size, startup is the
    median run time of the fixed-cost jobs (script start, imports), capped at
    the rule's fastest job, and the rate carries the rest.
    """
    fixed = table.loc[table["units"] <= 1, "seconds"]
    default_startup = float(fixed.median()) if len(fixed) else 0.0
    fits = []
    for rule, group in table.groupby("rule", sort=False):
        units, seconds = group["units"].to_numpy(float), group["seconds"].to_numpy(float)
        startup, rate = None, None
        if len(np.unique(units)) >= 2:
            rate, startup = np.polyfit(units, seconds, 1)
            if rate < 0:  # no cost that grows with size is measurable (noise, start-up bound)
                startup, rate = float(np.median(seconds)), 0.0
            elif startup < 0:
                startup, rate = None, None
        if startup is None:
            startup = min(default_startup, float(seconds.min()))
            rate = float(np.mean((seconds - startup) / units))
        fits.append(
            {
                "rule": rule,
                "startup": float(startup),
                "rate": float(rate),
                "max_rss_mb": float(group["max_rss_mb"].max()),
            }
        )
    return pd.DataFrame(fits, columns=["rule", "startup", "rate", "max_rss_mb"])


def target_jobs(
    fits: pd.DataFrame, jobs: Iterable[Mapping], units: Mapping, config: dict, epochs: float | None = None
) -> tuple[pd.DataFrame, list[str]]:
    """The projected jobs of `config` (rule, stage, threads, seconds), and its rules never measured."""
    by_rule = fits.set_index("rule")
    rows, unmeasured = [], []
    for job in jobs:
        if job["rule"] not in by_rule.index:
            unmeasured.append(job["rule"])
            continue
        fit = by_rule.loc[job["rule"]]
        work = job_units(units, job, config, epochs)
        rows.append(
            {**{k: job[k] for k in ("rule", "stage", "threads")}, "seconds": fit.startup + fit.rate * work}
        )
    return pd.DataFrame(rows, columns=JOB_COLUMNS), sorted(set(unmeasured))


def makespan(jobs: Iterable[tuple[float, int]], nodes: int, cores: int) -> float:
    """Greedy longest-first list schedule of (seconds, threads) jobs on nodes x cores."""
    free = [[0.0] * cores for _ in range(nodes)]
    for seconds, threads in sorted(jobs, key=lambda j: -j[0]):
        need = max(1, min(int(threads), cores))
        node = min(range(nodes), key=lambda n: sorted(free[n])[need - 1])
        slots = sorted(range(cores), key=lambda i: free[node][i])[:need]
        start = max(free[node][i] for i in slots)
        for i in slots:
            free[node][i] = start + seconds
    return max(max(node) for node in free)


def wall_time(jobs: pd.DataFrame, nodes: int, cores: int, overhead: float = 0.0) -> float:
    """Stage by stage: the sum of each stage's makespan (seconds)."""
    total = 0.0
    for _, stage in jobs.groupby("stage", sort=True):
        work = [(s + overhead, t) for s, t in zip(stage["seconds"], stage["threads"], strict=True)]
        total += makespan(work, nodes, cores)
    return total


def project(
    jobs: pd.DataFrame, fits: pd.DataFrame, machines: Iterable[tuple[str, int, int, float]]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-rule projected cost of the target `jobs`, and wall time on each (name, nodes, cores, overhead)."""
    jobs = jobs.assign(core_seconds=jobs["seconds"] * jobs["threads"])
    per_rule = (
        jobs.groupby("rule", sort=False)
        .agg(
            jobs=("seconds", "size"),
            seconds_per_job=("seconds", "mean"),
            core_hours=("core_seconds", "sum"),
            threads=("threads", "max"),
            stage=("stage", "min"),
        )
        .reset_index()
    )
    per_rule["core_hours"] /= 3600
    per_rule = per_rule.merge(fits[["rule", "startup", "rate", "max_rss_mb"]], on="rule")
    per_rule = per_rule.sort_values(["stage", "rule"]).reset_index(drop=True)
    walls = [
        {
            "machine": name,
            "nodes": nodes,
            "cores_per_node": cores,
            "overhead_s": overhead,
            "wall_hours": wall_time(jobs, nodes, cores, overhead) / 3600,
            "core_hours": float(jobs["core_seconds"].sum() / 3600),
        }
        for name, nodes, cores, overhead in machines
    ]
    return per_rule, pd.DataFrame(walls)


def cpu_time_table(table: pd.DataFrame) -> pd.DataFrame:
    """Seconds as if each job had its cores to itself: CPU seconds / threads.

    On a machine shared with other work, wall seconds include waiting for a
    core; CPU seconds do not. Dividing by the threads assumes perfect scaling
    of multithreaded jobs, so this is the optimistic end.
    """
    out = table.copy()
    out["seconds"] = out["cpu_seconds"] / out["threads"].clip(lower=1)
    return out
