"""blendhunter.workflow.rollup: benchmark files collected into the roll-up."""

from __future__ import annotations

from blendhunter.workflow import rollup, units
from tests.helpers import write_tsv


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
