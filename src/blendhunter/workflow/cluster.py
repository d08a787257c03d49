"""Cluster settings from the workflow config, applied to every rule.

The config's `slurm:` section (partition, account; null = not set) becomes the
`slurm_partition` / `slurm_account` resources of every rule, which
snakemake-executor-plugin-slurm turns into `sbatch -p` / `-A`. Other executors
ignore them. Precedence, lowest first: the profile's default-resources, this
section, `--set-resources RULE:slurm_partition=...`.
"""

from __future__ import annotations

from collections.abc import Mapping

KEYS = {"partition": "slurm_partition", "account": "slurm_account"}
# `--config slurm='{account: null}'` arrives as the string "null" (Snakemake
# parses --config values with YAML's BaseLoader): the same as not set.
UNSET = {"", "null", "none", "~"}


def slurm_resources(config: Mapping) -> dict[str, str]:
    section = config.get("slurm") or {}
    values = {resource: section.get(key) for key, resource in KEYS.items()}
    return {
        resource: str(value)
        for resource, value in values.items()
        if value is not None and str(value).strip().lower() not in UNSET
    }


def apply_slurm_resources(workflow, config: Mapping) -> dict[str, str]:
    """Give every rule defined so far the config's partition and account."""
    extra = slurm_resources(config)
    overrides = workflow.resource_settings.overwrite_resources or {}
    for rule in workflow.rules:
        explicit = overrides.get(rule.name, {})
        for resource, value in extra.items():
            if resource not in explicit:
                rule.resources[resource] = value
    return extra
