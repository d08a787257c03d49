"""blendhunter.workflow.projection: fits of start-up and rate, makespan packing, wall-time projection."""

from __future__ import annotations

import pandas as pd
import pytest

from blendhunter.workflow import layout, units
from blendhunter.workflow import projection as proj
from tests.conftest import make_config


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
