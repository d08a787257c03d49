# Stamps: noiseless chunks (scatter), one master per kind (gather), then one
# noisy set per (sigma, realisation), which stores a noise recipe, not images.


rule simulate_parametric_chunk:
    input:
        catalogue=layout.CATALOGUE_MANIFEST.format(catalogue="cosmos_parametric"),
    output:
        paths.PARAMETRIC_CHUNK,
    log:
        paths.log("simulate/parametric_chunk{chunk}"),
    benchmark:
        paths.benchmark("simulate/parametric_chunk{chunk}")
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
        paths.REALISTIC_CHUNK,
    log:
        paths.log("simulate/realistic_chunk{chunk}"),
    benchmark:
        paths.benchmark("simulate/realistic_chunk{chunk}")
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
        paths.PARAMETRIC_MASTER,
    log:
        paths.log("simulate/merge_parametric"),
    benchmark:
        paths.benchmark("simulate/merge_parametric")
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
        paths.REALISTIC_MASTER,
    log:
        paths.log("simulate/merge_realistic"),
    benchmark:
        paths.benchmark("simulate/merge_realistic")
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
        paths.PARAMETRIC_MASTER,
    output:
        paths.PARAMETRIC_SET,
    log:
        paths.log("simulate/parametric_sigma{sigma}_real{realisation}"),
    benchmark:
        paths.benchmark("simulate/parametric_sigma{sigma}_real{realisation}")
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
        paths.REALISTIC_MASTER,
    output:
        paths.REALISTIC_SET,
    log:
        paths.log("simulate/realistic_set"),
    benchmark:
        paths.benchmark("simulate/realistic_set")
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
