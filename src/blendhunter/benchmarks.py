"""Benchmarks: every compute job's `benchmark:` file rolled up into one table,
and a projection of a campaign's wall time from those measurements.

Roll-up (rule `benchmarks`, results/benchmarks.csv): one row per job of the
configured campaign, columns

    rule, wildcards, seconds, max_rss_mb, cpu_seconds, mean_load, threads, units, path

`wildcards` is Snakemake's "name=value,name=value" form; `units` is the job's
work in the unit its cost scales with (stamps drawn, stamps through VGG-16,
stamp-epochs of training; 1 for fixed-cost jobs), so a measurement at one
scale can be projected to another.

Projection (`python -m blendhunter.benchmarks --help`): fit, per rule,
seconds = startup + rate x units, count the jobs of a target config (the
paper's), and schedule them stage by stage (a stage starts when the previous
one has finished: an upper bound on a real DAG schedule) on one machine or on
N nodes, each job on one node with its rule's threads.
"""

from __future__ import annotations

import argparse
import itertools
import math
import os
import re
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from . import workflow as wf

COLUMNS = [
    "rule",
    "wildcards",
    "seconds",
    "max_rss_mb",
    "cpu_seconds",
    "mean_load",
    "threads",
    "units",
    "path",
]

# Where each rule sits in the workflow's DAG: jobs of a stage need only jobs of
# earlier stages. Rules missing here are scheduled after every known stage.
STAGES = {
    "vgg16_weights": 0,
    "download_cosmos": 0,
    "catalogue": 1,
    "vgg16_onnx": 1,
    "vgg16_int8": 4,
    "simulate_parametric_chunk": 2,
    "simulate_realistic_chunk": 2,
    "merge_parametric": 3,
    "merge_realistic": 3,
    "parametric_set": 4,
    "realistic_set": 4,
    "parametric_features": 5,
    "realistic_features": 5,
    "sep_parametric": 5,
    "sep_realistic": 5,
    "sep_validation": 5,
    "train_head": 6,
    "predict": 7,
    "score_tables": 9,
    "sep_comparison": 9,
    "combination": 9,
    "vgg16_random": 1,
    "random_parametric_features": 5,
    "random_realistic_features": 5,
    "random_train_head": 6,
    "random_predict": 7,
    "pretraining_table": 8,
    "evaluate": 8,
    "separation_table": 8,
    "figure_gallery": 8,
    "summarise_sigma": 9,
    "accuracy_tables": 9,
    "figure_separation": 9,
    "per_sigma_table": 10,
    "figure_noise": 10,
    "figure_relative": 10,
    "figure_confusion": 10,
    "learning_curve_point": 6,
    "learning_curve": 10,
    "companion_table": 8,
}

CATALOGUES = ("cosmos_parametric", "cosmos_real")
# Jobs of the pre-training ablation (rules/pretraining.smk)
PRETRAINING_RULES = {r for r in STAGES if r.startswith("random_")} | {"pretraining_table"}
WILDCARD = re.compile(r"\{(\w+)(?:,[^}]*)?\}")


# --- the machine -------------------------------------------------------------

CPU_FLAGS = ("avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "amx_tile", "amx_bf16")


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def cpu_info() -> dict:
    """CPU model, available cores and the flags that decide which kernels are fast."""
    model, flags = "unknown", set()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name" and model == "unknown":
                model = value.strip()
            elif key.strip() == "flags" and not flags:
                flags = set(value.split())
    except OSError:
        pass
    return {"model": model, "cores": available_cores(), "flags": {f: f in flags for f in CPU_FLAGS}}


# --- jobs of a campaign -------------------------------------------------------


def kind_of(rule: str) -> str:
    """'parametric' or 'realistic': the stamp kind a rule works on (by its name)."""
    return "realistic" if "realistic" in rule else "parametric"


def wildcard_domain(config: dict, rule: str, name: str) -> list[str]:
    """Every value wildcard `name` of `rule` takes in the campaign of `config`."""
    if name == "sigma":
        return wf.sigma_labels(config)
    if name == "realisation":
        return [str(r) for r in wf.realisations(config)]
    if name == "chunk":
        return [str(c) for c in range(wf.n_chunks(config, kind_of(rule)))]
    if name == "catalogue":
        return list(CATALOGUES)
    if name == "network":  # weights files whose ONNX export the campaign uses
        return wf.networks(config) if config["features"]["engine"] == "onnxruntime" else []
    raise ValueError(
        f"rule {rule}: no domain for wildcard {{{name}}}; add it to blendhunter.benchmarks.wildcard_domain"
    )


def wildcard_values(config: dict, rule: str, names: list[str]) -> list[dict[str, str]]:
    """Every combination of wildcard values of `rule`'s jobs in the campaign of `config`."""
    if rule in PRETRAINING_RULES:  # the nearest noise level only, and only when asked for
        if not config["pretraining"]["compare_random"]:
            return []
        nearest = wf.nearest_level(config)
        first = [str(r) for r in wf.realisations(config)][: config["pretraining"]["realisations"]]
        chosen = {"sigma": [nearest], "realisation": first}
        domains = [chosen.get(n) or wildcard_domain(config, rule, n) for n in names]
        return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*domains)]
    if rule == "vgg16_int8" and config["features"]["precision"] != "int8":
        return []
    if rule == "vgg16_random":
        return [{}] if Path(wf.VGG16_RANDOM).stem in wf.networks(config) else []
    if rule == "learning_curve_point":  # one set, several sizes: not a product of domains
        where = wf.learning_curve_set(config)
        from .learning_curve import sizes

        return [{**where, "n": str(n)} for n in sizes(config["learning_curve"]["sizes"], wf.n_train(config))]
    domains = [wildcard_domain(config, rule, name) for name in names]
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*domains)]


def wildcard_names(pattern: str) -> list[str]:
    return list(dict.fromkeys(m.group(1) for m in WILDCARD.finditer(pattern)))


def format_wildcards(values: Mapping[str, str]) -> str:
    return ",".join(f"{k}={v}" for k, v in values.items())


def parse_wildcards(text: str) -> dict[str, str]:
    if not isinstance(text, str) or not text:
        return {}
    return dict(item.split("=", 1) for item in text.split(","))


def rule_benchmarks(rules) -> tuple[dict[str, str], dict[str, int]]:
    """Benchmark path pattern and threads of every Snakemake rule that has a benchmark."""
    patterns, threads = {}, {}
    for rule in rules:
        if not rule.benchmark or callable(rule.benchmark):
            continue
        patterns[rule.name] = str(rule.benchmark)
        cores = rule.resources.get("_cores")
        threads[rule.name] = 1 if cores.is_evaluable() or cores.value is None else int(cores.value)
    return patterns, threads


def expected_jobs(patterns: Mapping[str, str], threads: Mapping[str, int], config: dict) -> list[dict]:
    """One entry (rule, wildcards, path, threads) per job of the campaign.

    `patterns` maps a rule to its benchmark path pattern, as written in the
    rule (the only place a benchmark path is spelled).
    """
    jobs = []
    for rule, pattern in patterns.items():
        names = wildcard_names(pattern)
        for values in wildcard_values(config, rule, names):
            path = WILDCARD.sub(lambda m, v=values: v[m.group(1)], pattern)
            jobs.append(
                {
                    "rule": rule,
                    "wildcards": format_wildcards(values),
                    "path": path,
                    "threads": int(threads.get(rule, 1)),
                }
            )
    return jobs


# --- work units ---------------------------------------------------------------


def split_sizes(config: dict) -> dict[str, int]:
    n = config["parametric"]["n_stamps"]
    split = config["parametric"]["split"]
    return {name: int(round(n * fraction)) for name, fraction in split.items()}


def job_units(rule: str, wildcards: Mapping[str, str], config: dict, epochs: float | None = None) -> float:
    """The work of one job, in the unit its run time scales with."""
    par, real = config["parametric"], config["realistic"]
    sizes = split_sizes(config)
    copies = config["features"]["augment"]["copies"]
    if rule.startswith("simulate_") and rule.endswith("_chunk"):
        section = config[kind_of(rule)]
        bounds = wf.chunk_bounds(section["n_stamps"], section["chunk_size"])
        start, stop = bounds[int(wildcards["chunk"])]
        return stop - start
    if rule in ("merge_parametric", "parametric_set"):
        return par["n_stamps"]
    if rule in ("merge_realistic", "realistic_set", "realistic_features"):
        return real["n_stamps"]
    if rule == "random_realistic_features":
        return wf.pretraining_realistic_stamps(config)
    if rule == "parametric_features":
        return par["n_stamps"] + copies * sizes["train"]
    if rule == "random_parametric_features":
        return par["n_stamps"]
    if rule == "random_train_head":
        copies = 0
    if rule in ("train_head", "random_train_head"):
        if epochs is None:
            epochs = config["training"]["max_epochs"]
        return (sizes["train"] * (1 + copies) + sizes["validation"]) * epochs
    if rule == "learning_curve_point":
        if epochs is None:
            epochs = config["training"]["max_epochs"]
        return (int(wildcards["n"]) + sizes["validation"]) * epochs
    if rule == "predict":
        return sizes["validation"] + sizes["test"] + real["n_stamps"]
    if rule == "random_predict":
        return sizes["validation"] + sizes["test"] + wf.pretraining_realistic_stamps(config)
    if rule == "sep_parametric":
        return sizes["test"]
    if rule == "sep_validation":
        return sizes["validation"]
    if rule == "sep_realistic":
        return real["n_stamps"]
    if rule == "evaluate":
        return sizes["test"] + real["n_stamps"]
    return 1.0  # fixed cost: downloads, manifests, tables, figures


# --- roll-up ------------------------------------------------------------------


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


def history_epochs(wildcards: Mapping[str, str]) -> int | None:
    """Epochs a head actually trained for (rows of its history.csv), if it exists."""
    model_dir = wf.MODEL_DIR.format(**wildcards)
    path = Path(model_dir) / wf.MODEL_FILES["history"]
    try:
        epochs = len(pd.read_csv(path))
    except (OSError, ValueError):  # absent, or not a history table
        return None
    return epochs or None


def collect(jobs: Iterable[Mapping], config: dict) -> tuple[pd.DataFrame, list[str]]:
    """The roll-up table, and the benchmark files expected but absent."""
    rows, missing = [], []
    for job in jobs:
        path = Path(job["path"])
        if not path.exists():
            missing.append(str(path))
            continue
        wildcards = parse_wildcards(job["wildcards"])
        epochs = history_epochs(wildcards) if job["rule"] == "train_head" else None
        rows.append(
            {
                "rule": job["rule"],
                "wildcards": job["wildcards"],
                **read_benchmark(path),
                "threads": job.get("threads", 1),
                "units": job_units(job["rule"], wildcards, config, epochs),
                "path": str(path),
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS), missing


# --- projection ---------------------------------------------------------------


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
        names = sorted({n for w in group["wildcards"] for n in parse_wildcards(w)})
        fits.append(
            {
                "rule": rule,
                "startup": float(startup),
                "rate": float(rate),
                "threads": int(group["threads"].max()),
                "max_rss_mb": float(group["max_rss_mb"].max()),
                "wildcards": ",".join(names),
                "stage": STAGES.get(rule, max(STAGES.values()) + 1),
            }
        )
    return pd.DataFrame(fits)


def target_jobs(fits: pd.DataFrame, config: dict, epochs: float | None = None) -> pd.DataFrame:
    """The projected jobs of `config`: rule, stage, threads, seconds."""
    rows = []
    for fit in fits.itertuples():
        names = fit.wildcards.split(",") if fit.wildcards else []
        for wildcards in wildcard_values(config, fit.rule, names):  # the jobs `config` would run
            units = job_units(fit.rule, wildcards, config, epochs)
            rows.append(
                {
                    "rule": fit.rule,
                    "stage": fit.stage,
                    "threads": fit.threads,
                    "seconds": fit.startup + fit.rate * units,
                }
            )
    return pd.DataFrame(rows, columns=["rule", "stage", "threads", "seconds"])


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
    table: pd.DataFrame,
    config: dict,
    machines: Iterable[tuple[str, int, int, float]],
    epochs: float | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-rule projected cost of `config`, and wall time on each (name, nodes, cores, overhead)."""
    fits = fit_rules(table)
    jobs = target_jobs(fits, config, epochs)
    jobs["core_seconds"] = jobs["seconds"] * jobs["threads"]
    per_rule = (
        jobs.groupby("rule", sort=False)
        .agg(
            jobs=("seconds", "size"), seconds_per_job=("seconds", "mean"), core_hours=("core_seconds", "sum")
        )
        .reset_index()
    )
    per_rule["core_hours"] /= 3600
    per_rule = per_rule.merge(fits[["rule", "startup", "rate", "threads", "max_rss_mb", "stage"]], on="rule")
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


# --- command line ---------------------------------------------------------------


def _machine(text: str) -> tuple[str, int, int, float]:
    """NAME:NODESxCORES[+OVERHEAD], e.g. laptop:1x2 or cluster:8x32+30."""
    match = re.fullmatch(r"([\w.-]+):(\d+)x(\d+)(?:\+(\d+(?:\.\d+)?))?", text)
    if not match:
        raise argparse.ArgumentTypeError(f"{text!r}: expected NAME:NODESxCORES[+OVERHEAD_S]")
    name, nodes, cores, overhead = match.groups()
    return name, int(nodes), int(cores), float(overhead or 0)


def main(argv: list[str] | None = None) -> int:
    from . import config as bh_config

    parser = argparse.ArgumentParser(
        prog="python -m blendhunter.benchmarks",
        description="Project a campaign's cost and wall time from measured benchmarks.",
    )
    parser.add_argument("--benchmarks", nargs="+", default=[wf.BENCHMARKS], help="roll-up CSV(s)")
    parser.add_argument(
        "--config", nargs="+", required=True, help="target config file(s), merged like --configfile"
    )
    parser.add_argument(
        "--epochs", type=float, default=None, help="training epochs per head (default: max_epochs)"
    )
    parser.add_argument(
        "--machine",
        type=_machine,
        action="append",
        help="NAME:NODESxCORES[+OVERHEAD_S per job], repeatable (default this:1x2)",
    )
    parser.add_argument(
        "--time",
        choices=("wall", "cpu"),
        default="wall",
        help="job time: measured wall seconds, or CPU seconds / threads (a busy machine's wall "
        "times include waiting for a core)",
    )
    args = parser.parse_args(argv)
    table = pd.concat([pd.read_csv(path) for path in args.benchmarks], ignore_index=True)
    if args.time == "cpu":
        table = cpu_time_table(table)
    config = bh_config.load(*args.config)
    per_rule, walls = project(table, config, args.machine or [("this", 1, 2, 0.0)], args.epochs)
    pd.set_option("display.width", 200)
    print(per_rule.to_string(index=False, float_format=lambda x: f"{x:.3g}"))
    print()
    print(walls.to_string(index=False, float_format=lambda x: f"{x:.3g}"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
