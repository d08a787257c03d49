"""The Snakemake workflow's plumbing: the validated config, where every file goes, the
external inputs, and what the job graph and its benchmarks say about cost.

    config      load, merge and validate config layers (schema in blendhunter/schema)
    presets     survey presets (config/surveys) from surveycodex
    layout      every output, log and benchmark path; wildcards; rule resources
    inputs      the COSMOS catalogues and VGG-16 weights: local copies or downloads
    download    resumable, checked downloads
    cluster     Slurm settings from the config
    jobgraph    the campaign's jobs, from Snakemake's own DAG
    rollup      one benchmark row per job
    units       work units per job, for projecting cost
    projection  a campaign's wall time projected from measured benchmarks
"""

from blendhunter import lazy_exports

MODULES = (
    "config", "presets", "layout", "inputs", "download",
    "cluster", "jobgraph", "rollup", "units", "projection",
)  # fmt: skip
# The API, imported on first use: a light import for the Snakefile and the CLI.
API = {
    "load": "config",
    "validate": "config",
}
__all__ = [*MODULES, *API]

__getattr__ = lazy_exports(__name__, MODULES, API)
