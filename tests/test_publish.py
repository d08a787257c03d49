"""Bundles of a campaign's results: written whole or not at all."""

from __future__ import annotations

import json
import shutil

import pytest

from blendhunter import publish

from .conftest import REPO

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
