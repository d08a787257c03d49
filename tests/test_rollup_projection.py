"""Benchmark roll-up (results/benchmarks.csv), wall-time projection, and the
config's Slurm partition/account on every rule."""

from __future__ import annotations

import itertools
from types import SimpleNamespace

import pandas as pd
import pytest

from blendhunter import cluster, jobgraph, layout, rollup, units
from blendhunter import projection as proj

from .conftest import make_config, run_snakemake
from .test_partial_rerun import placeholder_campaign

TSV_HEADER = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"


def write_tsv(path, seconds: float, rss: float = 100.0) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(TSV_HEADER + f"{seconds}\t0:00:01\t{rss}\t1\t1\t1\t0\t0\t90\t{seconds}\n")


# --- jobs and units -------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_jobs(tmp_path_factory):
    """The tiny campaign's jobs and work units, from Snakemake's DAG."""
    from .conftest import REPO, write_config

    cfg = make_config()
    configfile = write_config(tmp_path_factory.mktemp("dag") / "config.yaml", cfg)
    jobs, units = jobgraph.campaign_jobs(
        REPO / "Snakefile", configfiles=(configfile,), workdir=configfile.parent
    )
    return cfg, jobs, units


def test_the_job_graph_comes_from_snakemakes_dag(tiny_jobs):
    cfg, jobs, units = tiny_jobs
    by_rule = {}
    for job in jobs:
        by_rule.setdefault(job["rule"], []).append(job)
    assert len(by_rule["simulate_realistic_chunk"]) == layout.n_chunks(cfg, "realistic")
    assert len(by_rule["train_head"]) == len(layout.sigma_labels(cfg)) * len(layout.realisations(cfg))
    assert {j["threads"] for j in by_rule["train_head"]} == {cfg["compute"]["threads_training"]}
    assert [j["wildcards"] for j in by_rule["per_sigma_table"]] == [""]
    job = next(j for j in by_rule["train_head"] if j["wildcards"] == "sigma=20,realisation=1")
    assert job["path"] == "results/benchmarks/train/sigma20_real1.tsv"
    assert jobgraph.parse_wildcards(job["wildcards"]) == {"sigma": "20", "realisation": "1"}
    assert not {"all", "benchmark_rollup"} & set(by_rule)
    assert "train_head" in units and "figure_noise" not in units  # set next to the rules


def test_stages_follow_the_dependencies(tiny_jobs):
    stage = {}
    for job in tiny_jobs[1]:
        stage.setdefault(job["rule"], set()).add(job["stage"])
    order = ["simulate_parametric_chunk", "merge_parametric", "parametric_set", "parametric_features"]
    order += ["train_head", "predict", "score_tables"]
    assert all(max(stage[a]) < min(stage[b]) for a, b in itertools.pairwise(order)), stage
    assert jobgraph.stages({"c": ["b"], "b": ["a"], "a": [], "d": ["a", "c"]}) == {
        "a": 0,
        "b": 1,
        "c": 2,
        "d": 3,
    }


def test_units_follow_the_work_of_each_job(tmp_path):
    cfg = make_config({"parametric": {"n_stamps": 100, "chunk_size": 40}, "training": {"max_epochs": 7}})
    chunk = units.chunk_stamps("parametric")
    assert [chunk(cfg, {"chunk": c}) for c in "012"] == [40, 40, 20]
    sizes = units.split_sizes(cfg)
    train = units.head_training(str(tmp_path / "sigma{sigma}"))
    assert train(cfg, {"sigma": "5"}, 3) == 3 * (sizes["train"] + sizes["validation"])
    assert train(cfg, {"sigma": "5"}) == 7 * (sizes["train"] + sizes["validation"])  # no history yet
    (tmp_path / "sigma5").mkdir()
    (tmp_path / "sigma5" / layout.MODEL_FILES["history"]).write_text("epoch,loss\n0,1\n1,0.5\n")
    assert train(cfg, {"sigma": "5"}) == 2 * (sizes["train"] + sizes["validation"])  # as it ran
    assert units.realistic_stamps(cfg, {}) == cfg["realistic"]["n_stamps"]
    predicted = sizes["validation"] + sizes["test"] + cfg["realistic"]["n_stamps"]
    assert units.predictions(units.realistic_stamps)(cfg, {}) == predicted
    assert rollup.job_units({}, {"rule": "figure_noise", "wildcards": ""}, cfg) == 1


# --- roll-up --------------------------------------------------------------------


def test_collect_reads_benchmark_files_and_lists_absent_ones(tiny_config, tmp_path):
    write_tsv(tmp_path / "a.tsv", 4.5, rss=321.0)
    jobs = [
        {
            "rule": "simulate_parametric_chunk",
            "wildcards": "chunk=1",
            "path": str(tmp_path / "a.tsv"),
            "threads": 1,
        },
        {"rule": "merge_parametric", "wildcards": "", "path": str(tmp_path / "b.tsv"), "threads": 1},
    ]
    table, missing = rollup.collect(
        jobs, {"simulate_parametric_chunk": units.chunk_stamps("parametric")}, tiny_config
    )
    assert list(table.columns) == rollup.COLUMNS
    row = table.iloc[0]
    assert (row["rule"], row["wildcards"], row["seconds"], row["max_rss_mb"]) == (
        "simulate_parametric_chunk",
        "chunk=1",
        4.5,
        321.0,
    )
    assert row["units"] == tiny_config["parametric"]["chunk_size"]
    assert missing == [str(tmp_path / "b.tsv")]


@pytest.mark.slow
def test_rollup_rule_collects_this_campaigns_jobs_only(tiny_config, tmp_path):
    """rule benchmark_rollup: every job's file of this config; stale files of other configs ignored."""
    placeholder_campaign(tmp_path, tiny_config)
    bench = tmp_path / "results" / "benchmarks"
    write_tsv(bench / "simulate" / "parametric_chunk0.tsv", 3.0)
    write_tsv(bench / "simulate" / "parametric_chunk2.tsv", 5.0)
    write_tsv(bench / "train" / "sigma20_real1.tsv", 8.0)
    write_tsv(bench / "evaluate" / "summary_sigma5.tsv", 0.5)
    write_tsv(bench / "simulate" / "parametric_chunk9.tsv", 99.0)  # stale: no chunk 9 in this config
    write_tsv(bench / "train" / "sigma35_real0.tsv", 99.0)  # stale: no sigma 35
    run_snakemake(tmp_path, tmp_path / "config.yaml", layout.BENCHMARKS, "--forcerun", "benchmark_rollup")
    table = pd.read_csv(tmp_path / layout.BENCHMARKS, keep_default_na=False)
    got = {(r.rule, r.wildcards): r.seconds for r in table.itertuples()}
    assert got == {
        ("simulate_parametric_chunk", "chunk=0"): 3.0,
        ("simulate_parametric_chunk", "chunk=2"): 5.0,
        ("train_head", "sigma=20,realisation=1"): 8.0,
        ("summarise_sigma", "sigma=5"): 0.5,
    }
    train = table[table["rule"] == "train_head"].iloc[0]
    assert train["threads"] == tiny_config["compute"]["threads_training"]


# --- projection -----------------------------------------------------------------


def synthetic_table(cfg: dict, startup: float, rate: float) -> pd.DataFrame:
    rows = []
    for chunk in range(layout.n_chunks(cfg, "parametric")):
        work = units.chunk_stamps("parametric")(cfg, {"chunk": str(chunk)})
        rows.append(
            {
                "rule": "simulate_parametric_chunk",
                "wildcards": f"chunk={chunk}",
                "seconds": startup + rate * work,
                "max_rss_mb": 100.0,
                "threads": 1,
                "units": work,
            }
        )
    return pd.DataFrame(rows)


CHUNK_UNITS = {"simulate_parametric_chunk": units.chunk_stamps("parametric")}
FIGURE = {"rule": "figure_noise", "wildcards": "", "threads": 1, "stage": 9, "path": ""}


def chunk_jobs(cfg: dict) -> list[dict]:
    """The simulation jobs of `cfg`, as the job graph lists them."""
    n = layout.n_chunks(cfg, "parametric")
    return [
        {"rule": "simulate_parametric_chunk", "wildcards": f"chunk={c}", "threads": 1, "stage": 2}
        for c in range(n)
    ]


def test_fit_recovers_startup_and_rate_from_two_scales():
    small = make_config({"parametric": {"n_stamps": 120, "chunk_size": 40}})
    large = make_config({"parametric": {"n_stamps": 1000, "chunk_size": 500}})
    table = pd.concat([synthetic_table(small, 3.0, 0.05), synthetic_table(large, 3.0, 0.05)])
    fit = proj.fit_rules(table).set_index("rule").loc["simulate_parametric_chunk"]
    assert fit["startup"] == pytest.approx(3.0) and fit["rate"] == pytest.approx(0.05)
    paper = make_config({"parametric": {"n_stamps": 80000, "chunk_size": 1000}})
    jobs, unmeasured = proj.target_jobs(proj.fit_rules(table), chunk_jobs(paper), CHUNK_UNITS, paper)
    assert len(jobs) == 80 and jobs["seconds"].tolist() == pytest.approx([53.0] * 80)
    jobs, unmeasured = proj.target_jobs(
        proj.fit_rules(table), [*chunk_jobs(paper), FIGURE], CHUNK_UNITS, paper
    )
    assert len(jobs) == 80 and unmeasured == ["figure_noise"]


def test_makespan_packs_jobs_onto_cores_and_nodes():
    assert proj.makespan([(10, 1)] * 4, nodes=1, cores=2) == 20
    assert proj.makespan([(10, 2), (10, 1), (10, 1)], nodes=1, cores=2) == 20
    assert proj.makespan([(10, 1)] * 4, nodes=2, cores=2) == 10
    assert proj.makespan([(10, 4)], nodes=1, cores=2) == 10  # capped at a node's cores
    assert proj.makespan([(30, 1), (10, 1), (10, 1), (10, 1)], nodes=1, cores=2) == 30


def test_projection_wall_time_falls_with_nodes():
    small = make_config({"parametric": {"n_stamps": 120, "chunk_size": 40}})
    large = make_config({"parametric": {"n_stamps": 1000, "chunk_size": 500}})
    table = pd.concat([synthetic_table(small, 3.0, 0.05), synthetic_table(large, 3.0, 0.05)])
    paper = make_config({"parametric": {"n_stamps": 80000, "chunk_size": 1000}})
    jobs, _ = proj.target_jobs(proj.fit_rules(table), chunk_jobs(paper), CHUNK_UNITS, paper)
    per_rule, walls = proj.project(jobs, proj.fit_rules(table), [("this", 1, 2, 0.0), ("c4", 4, 32, 30.0)])
    assert per_rule.loc[0, "jobs"] == 80
    assert per_rule.loc[0, "core_hours"] == pytest.approx(80 * 53 / 3600)
    hours = walls.set_index("machine")["wall_hours"]
    assert hours["this"] == pytest.approx(40 * 53 / 3600)
    assert hours["c4"] == pytest.approx((53 + 30) / 3600)


# --- Slurm partition and account from the config ---------------------------------


def test_slurm_resources_from_config():
    assert cluster.slurm_resources({}) == {}
    assert cluster.slurm_resources({"slurm": {"partition": None, "account": None}}) == {}
    assert cluster.slurm_resources({"slurm": {"partition": "gpu", "account": "null"}}) == {
        "slurm_partition": "gpu"
    }
    assert cluster.slurm_resources({"slurm": {"partition": "a", "account": "b"}}) == {
        "slurm_partition": "a",
        "slurm_account": "b",
    }


def test_slurm_resources_applied_to_every_rule_but_set_resources_win():
    from snakemake.resources import Resources

    rules = [SimpleNamespace(name=n, resources=Resources.from_mapping({"mem_mb": 1000})) for n in "ab"]
    workflow = SimpleNamespace(
        rules=rules, resource_settings=SimpleNamespace(overwrite_resources={"b": {"slurm_partition": "x"}})
    )
    cluster.apply_slurm_resources(workflow, {"slurm": {"partition": "main", "account": "proj"}})
    assert rules[0].resources["slurm_partition"].value == "main"
    assert rules[0].resources["slurm_account"].value == "proj"
    assert "slurm_partition" not in rules[1].resources  # left to --set-resources
    assert rules[1].resources["slurm_account"].value == "proj"
