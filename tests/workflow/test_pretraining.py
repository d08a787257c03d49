"""features.weights and the pre-training ablation: which network each feature job runs.

Dry runs of the real workflow on the tiny config (nothing is computed); the ablation's
outputs themselves are built by the end-to-end test in tests/test_figures.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from blendhunter.workflow import layout

from ..conftest import make_config, run_snakemake, write_config
from .test_partial_rerun import dry_run, rules_of

pytestmark = pytest.mark.slow


IMAGENET, RANDOM = Path(layout.VGG16_WEIGHTS).stem, Path(layout.VGG16_RANDOM).stem


def planned(tmp_path, *overrides):
    configfile = write_config(tmp_path / "config.yaml", make_config(*overrides))
    return dry_run(tmp_path, configfile)


def exported(jobs) -> set[str]:
    return {w["network"] for rule, w in jobs if rule == "vgg16_onnx"}


def test_without_the_ablation_only_imagenet_runs(tmp_path):
    jobs = planned(tmp_path)
    assert exported(jobs) == {IMAGENET}
    assert "vgg16_random" not in rules_of(jobs)
    assert not {rule for rule in rules_of(jobs) if rule.startswith("random_")}


def feature_inputs(output: str) -> list[str]:
    """The input line of every features job in a dry run's output."""
    lines = output.splitlines()
    return [
        lines[k + 1]
        for k, line in enumerate(lines)
        if line.startswith(("rule parametric_features:", "rule realistic_features:"))
    ]


def test_random_weights_run_the_whole_campaign_on_the_random_network(tmp_path):
    """features.weights: random: every feature job reads the random network and its export."""
    cfg = make_config({"features": {"weights": "random"}})
    configfile = write_config(tmp_path / "config.yaml", cfg)
    result = run_snakemake(tmp_path, configfile, "--dry-run")
    jobs = dry_run(tmp_path, configfile)
    assert exported(jobs) == {RANDOM} and "vgg16_random" in rules_of(jobs)
    inputs = feature_inputs(result.stdout + result.stderr)
    n_sets = len(cfg["parametric"]["sigmas"]) * cfg["parametric"]["realisations"]
    assert len(inputs) == n_sets + 1  # every parametric set and the realistic set
    for line in inputs:
        assert f"resources/{RANDOM}.onnx" in line and f"resources/{RANDOM}.h5" in line, line
        assert IMAGENET not in line, line


def test_ablation_adds_one_level_on_the_random_network(tmp_path):
    cfg = make_config({"pretraining": {"compare_random": True}})
    jobs = dry_run(tmp_path, write_config(tmp_path / "config.yaml", cfg))
    assert exported(jobs) == {IMAGENET, RANDOM}
    random_sets = [w for rule, w in jobs if rule == "random_parametric_features"]
    nearest = layout.learning_curve_set(cfg)["sigma"]  # the level nearest the realistic sigma
    assert random_sets == [{"sigma": nearest, "realisation": "0"}]
    ablation = {"random_realistic_features", "random_train_head", "random_predict", "pretraining_table"}
    assert ablation <= rules_of(jobs)
