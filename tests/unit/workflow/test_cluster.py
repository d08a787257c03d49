"""blendhunter.workflow.cluster: the config's Slurm partition/account on every rule."""

from __future__ import annotations

from types import SimpleNamespace

from blendhunter.workflow import cluster


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
