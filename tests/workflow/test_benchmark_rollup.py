"""The benchmark_rollup rule in a real run."""

from __future__ import annotations

import pandas as pd
import pytest

from blendhunter.workflow import layout

from ..conftest import run_snakemake
from ..helpers import write_tsv
from .test_partial_rerun import placeholder_campaign


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
