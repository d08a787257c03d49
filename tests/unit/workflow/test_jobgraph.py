"""blendhunter.workflow.jobgraph: the job graph and stages come from Snakemake's own DAG."""

from __future__ import annotations

import itertools

import pytest

from blendhunter.workflow import jobgraph, layout
from tests.conftest import make_config


@pytest.fixture(scope="module")
def tiny_jobs(tmp_path_factory):
    """The tiny campaign's jobs and work units, from Snakemake's DAG."""
    from tests.conftest import REPO, write_config

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
