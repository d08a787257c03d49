# Stamps: noiseless chunks (scatter), one master per kind (gather), then one
# noisy set per (sigma, realisation), which stores a noise recipe, not images.


rule simulate_parametric_chunk:
    input:
        catalogue=layout.CATALOGUE_MANIFEST.format(catalogue="cosmos_parametric"),
    output:
        layout.PARAMETRIC_CHUNK,
    log:
        "results/logs/simulate/parametric_chunk{chunk}.log",
    benchmark:
        "results/benchmarks/simulate/parametric_chunk{chunk}.tsv"
    conda:
        CONDA_ENV
    threads: config["compute"]["threads_simulate"]
    resources:
        mem_mb=layout.mem_simulate(config, "parametric"),
        runtime=layout.runtime_minutes(
            config["parametric"]["chunk_size"], per_second=20
        ),
    params:
        kind="parametric",
        simulation=bh_config.simulation_section(config, "parametric"),
    script:
        "../workflow/scripts/simulate_chunk.py"


WORK_UNITS["simulate_parametric_chunk"] = bh_units.chunk_stamps("parametric")


rule simulate_realistic_chunk:
    input:
        **realistic_flux_inputs(),
        catalogue=layout.CATALOGUE_MANIFEST.format(catalogue="cosmos_real"),
    output:
        layout.REALISTIC_CHUNK,
    log:
        "results/logs/simulate/realistic_chunk{chunk}.log",
    benchmark:
        "results/benchmarks/simulate/realistic_chunk{chunk}.tsv"
    conda:
        CONDA_ENV
    threads: config["compute"]["threads_simulate"]
    resources:
        mem_mb=layout.mem_simulate(config, "realistic"),
        runtime=layout.runtime_minutes(config["realistic"]["chunk_size"], per_second=10),
    params:
        kind="realistic",
        simulation=bh_config.simulation_section(config, "realistic"),
    script:
        "../workflow/scripts/simulate_chunk.py"


WORK_UNITS["simulate_realistic_chunk"] = bh_units.chunk_stamps("realistic")


rule merge_parametric:
    input:
        chunk_files("parametric"),
    output:
        layout.PARAMETRIC_MASTER,
    log:
        "results/logs/simulate/merge_parametric.log",
    benchmark:
        "results/benchmarks/simulate/merge_parametric.tsv"
    conda:
        CONDA_ENV
    resources:
        mem_mb=layout.mem_merge(config, "parametric"),
        runtime=layout.runtime_minutes(
            config["parametric"]["n_stamps"], per_second=2000
        ),
    params:
        kind="parametric",
        simulation=bh_config.simulation_section(config, "parametric"),
    script:
        "../workflow/scripts/merge.py"


WORK_UNITS["merge_parametric"] = bh_units.parametric_stamps


rule merge_realistic:
    input:
        chunk_files("realistic"),
    output:
        layout.REALISTIC_MASTER,
    log:
        "results/logs/simulate/merge_realistic.log",
    benchmark:
        "results/benchmarks/simulate/merge_realistic.tsv"
    conda:
        CONDA_ENV
    resources:
        mem_mb=layout.mem_merge(config, "realistic"),
        runtime=layout.runtime_minutes(config["realistic"]["n_stamps"], per_second=2000),
    params:
        kind="realistic",
        simulation=bh_config.simulation_section(config, "realistic"),
    script:
        "../workflow/scripts/merge.py"


WORK_UNITS["merge_realistic"] = bh_units.realistic_stamps


rule parametric_set:
    input:
        layout.PARAMETRIC_MASTER,
    output:
        layout.PARAMETRIC_SET,
    log:
        "results/logs/simulate/parametric_sigma{sigma}_real{realisation}.log",
    benchmark:
        "results/benchmarks/simulate/parametric_sigma{sigma}_real{realisation}.tsv"
    conda:
        CONDA_ENV
    resources:
        mem_mb=layout.SMALL_JOB_MB,
        runtime=10,
    params:
        kind="parametric",
        sigma=lambda wildcards: float(wildcards.sigma),
        realisation=lambda wildcards: int(wildcards.realisation),
    script:
        "../workflow/scripts/noisy_set.py"


WORK_UNITS["parametric_set"] = bh_units.parametric_stamps


rule realistic_set:
    input:
        layout.REALISTIC_MASTER,
    output:
        layout.REALISTIC_SET,
    log:
        "results/logs/simulate/realistic_set.log",
    benchmark:
        "results/benchmarks/simulate/realistic_set.tsv"
    conda:
        CONDA_ENV
    resources:
        mem_mb=layout.SMALL_JOB_MB,
        runtime=10,
    params:
        kind="realistic",
        sigma=config["realistic"]["sigma"],
        realisation=0,
    script:
        "../workflow/scripts/noisy_set.py"


WORK_UNITS["realistic_set"] = bh_units.realistic_stamps
