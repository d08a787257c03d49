"""Bundles of a campaign's results: written whole or not at all."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

from blendhunter.maintainer import docs, publish
from tests.conftest import REPO

CONFIGS = [REPO / "config" / "config.yaml", REPO / "config" / "reference.yaml"]


@pytest.fixture
def tables(tmp_path):
    """A copy of the committed reference campaign's tables, as results/tables."""
    results = tmp_path / "results"
    shutil.copytree(REPO / "docs" / "reference" / "tables", results / "tables")
    return results / "tables"


def test_an_interrupted_rebundle_leaves_the_old_bundle_whole(tables, tmp_path):
    """Fails on the in-place writer: it copied the new tables, then died on the config,
    leaving them under the old MANIFEST."""
    out = tmp_path / "docs" / "bundle"
    publish.bundle(tables, out, CONFIGS, "first", 60.0)
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    (tables / "roc_auc.csv").write_text("changed\n")
    bad = tmp_path / "bad.yaml"
    bad.write_text("stamp:\n  size: 50\n")
    with pytest.raises(ValueError):
        publish.bundle(tables, out, [*CONFIGS, bad], "second", 60.0)
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before
    assert [p.name for p in out.parent.iterdir()] == ["bundle"]  # no partial folder left


def test_a_rebundle_replaces_the_whole_bundle(tables, tmp_path):
    out = tmp_path / "bundle"
    publish.bundle(tables, out, CONFIGS, "first", 60.0)
    (out / "tables" / "stale.csv").write_text("from an older run\n")
    publish.bundle(tables, out, CONFIGS, "second", 61.0)
    assert not (out / "tables" / "stale.csv").exists()
    assert json.loads((out / "MANIFEST.json").read_text())["command"] == "second"


def test_scale_rows_give_gains_over_sep_with_their_training_set_size():
    """The committed reference: 9,000 training stamps; realistic close blends +11.6, ± 2.8
    for the mean of its two heads and for one (their spread is 0.4 points)."""
    rows = publish.scale_rows([REPO / "docs" / "reference"])
    realistic = next(r for r in rows if "realistic, 10,000 stamps" in r)
    assert "| 9,000 | 2 |" in realistic
    assert "64.5 vs 52.9: +11.6 ± 2.8 (one head ± 2.8)" in realistic


def test_cost_rows_put_the_measurement_beside_the_projection(tmp_path):
    shutil.copy(REPO / "docs" / "reference" / "MANIFEST.json", tmp_path)
    measured = pd.DataFrame(
        {"rule": ["a", "a", "b"], "seconds": [10.0, 30.0, 5.0], "cpu_seconds": [9.0, 9.0, 4.0]}
        | {"max_rss_mb": [100.0, 300.0, 50.0]}
    )
    measured.to_csv(tmp_path / "benchmarks.csv", index=False)
    wall = json.loads((tmp_path / "MANIFEST.json").read_text())["wall_seconds"] / 3600
    projected = pd.DataFrame({"rule": ["a"], "seconds_per_job": [40.0], "wall_hours": [2 * wall]})
    projected.to_csv(tmp_path / "projection.csv", index=False)
    rows = publish.cost_rows(tmp_path)
    assert "| a | 2 | 40 | 20 | 0.50 | 9 | 300 |" in rows
    assert "| b | 1 | not projected | 5 | - | 4 | 50 |" in rows
    assert rows[-1].endswith("(measured / projected 0.50).")


def test_generated_docs_match_the_committed_bundles():
    """Every generated section (README's headline, docs/results.md, the variant, precision and
    cost tables, config/README.md) reads what the committed bundles say: a bundle or a
    writer changed without `make docs` fails here."""
    assert [str(p.relative_to(REPO)) for p in docs.regenerate(REPO, check=True)] == []


def test_a_stale_section_is_found_and_rewritten(tmp_path):
    for folder in ("docs", "config", "benchmarks"):
        shutil.copytree(REPO / folder, tmp_path / folder)
    shutil.copy(REPO / "README.md", tmp_path / "README.md")
    results = tmp_path / "docs" / "results.md"
    results.write_text(results.read_text().replace("| BlendHunter, trained at σ 15 |", "| stale |", 1))
    assert docs.regenerate(tmp_path, check=True) == [results]
    assert docs.regenerate(tmp_path) == [results] and docs.regenerate(tmp_path, check=True) == []
    assert results.read_text() == (REPO / "docs" / "results.md").read_text()
