# Centring as a measured axis: the realistic set's first chunks drawn again with the
# central galaxy {radius} px off the centre pixel (the same galaxies, companions and
# noise recipe), their features, SEP and the heads nearest the realistic set's noise
# on them, and one table and figure against the offset.


rule simulate_offcentre_chunk:
    input:
        **realistic_flux_inputs(),
        catalogue=layout.CATALOGUE_MANIFEST.format(catalogue="cosmos_real"),
    output:
        paths.OFFCENTRE_CHUNK,
    log:
        paths.log("simulate/offcentre_r{radius}_chunk{chunk}"),
    benchmark:
        paths.benchmark("simulate/offcentre_r{radius}_chunk{chunk}")
    conda:
        CONDA_ENV
    threads: config["compute"]["threads_simulate"]
    resources:
        mem_mb=layout.mem_simulate(config, "realistic"),
        runtime=layout.runtime_minutes(config["realistic"]["chunk_size"], per_second=10),
    params:
        kind="realistic",
        radius=lambda wildcards: wildcards.radius,
        simulation=bh_config.simulation_section(config, "realistic"),
    script:
        "../workflow/scripts/simulate_chunk.py"


WORK_UNITS["simulate_offcentre_chunk"] = bh_units.chunk_stamps("realistic")


rule merge_offcentre:
    input:
        lambda wildcards: expand(
            paths.OFFCENTRE_CHUNK,
            radius=wildcards.radius,
            chunk=layout.offcentre_chunks(config),
        ),
    output:
        paths.OFFCENTRE_MASTER,
    log:
        paths.log("simulate/merge_offcentre_r{radius}"),
    benchmark:
        paths.benchmark("simulate/merge_offcentre_r{radius}")
    conda:
        CONDA_ENV
    resources:
        mem_mb=layout.mem_merge(config, "realistic"),
        runtime=10,
    params:
        kind="realistic",
        radius=lambda wildcards: wildcards.radius,
        n_stamps=layout.offcentre_stamps(config),
    script:
        "../workflow/scripts/merge.py"


WORK_UNITS["merge_offcentre"] = bh_units.offcentre_stamps


rule offcentre_set:
    input:
        paths.OFFCENTRE_MASTER,
    output:
        paths.OFFCENTRE_SET,
    log:
        paths.log("simulate/offcentre_set_r{radius}"),
    benchmark:
        paths.benchmark("simulate/offcentre_set_r{radius}")
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


WORK_UNITS["offcentre_set"] = bh_units.offcentre_stamps


rule offcentre_features:
    input:
        **layout.engine_model(config),
        stamps=paths.OFFCENTRE_SET,
        noiseless=paths.OFFCENTRE_MASTER,
        weights=layout.campaign_weights(config),
    output:
        paths.OFFCENTRE_FEATURES,
    log:
        paths.log("features/offcentre_r{radius}"),
    benchmark:
        paths.benchmark("features/offcentre_r{radius}")
    conda:
        CONDA_ENV
    threads: config["compute"]["threads_tensorflow"]
    resources:
        **layout.gpu_resources(config),
        mem_mb=layout.mem_tensorflow(config),
        runtime=layout.runtime_minutes(
            config["centring_test"]["n_stamps"],
            per_second=layout.features_rate(config),
        ),
    params:
        features={
            **config["features"],
            "augment": {**config["features"]["augment"], "copies": 0},
        },
    script:
        "../workflow/scripts/features.py"


WORK_UNITS["offcentre_features"] = bh_units.offcentre_stamps


rule predict_offcentre:
    input:
        **paths.scored(config, "offcentre"),
        head=f"{paths.MODEL_DIR}/{layout.MODEL_FILES['head']}",
    output:
        paths.PREDICTIONS_OFFCENTRE,
    log:
        paths.log("predict/offcentre_r{radius}_sigma{sigma}_real{realisation}"),
    benchmark:
        paths.benchmark("predict/offcentre_r{radius}_sigma{sigma}_real{realisation}")
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=layout.mem_tensorflow(config),
        runtime=10,
    params:
        threshold=config["classify"]["threshold"],
    script:
        "../workflow/scripts/predict_offcentre.py"


WORK_UNITS["predict_offcentre"] = bh_units.offcentre_stamps


rule sep_offcentre:
    input:
        stamps=paths.OFFCENTRE_SET,
        noiseless=paths.OFFCENTRE_MASTER,
    output:
        paths.SEP_OFFCENTRE,
    log:
        paths.log("sep/offcentre_r{radius}"),
    benchmark:
        paths.benchmark("sep/offcentre_r{radius}")
    conda:
        CONDA_ENV
    resources:
        mem_mb=layout.SMALL_JOB_MB,
        runtime=layout.runtime_minutes(
            config["centring_test"]["n_stamps"], per_second=300
        ),
    params:
        sep=config["sep"],
        split="test",
    script:
        "../workflow/scripts/sep.py"


WORK_UNITS["sep_offcentre"] = bh_units.offcentre_stamps


rule centring_table:
    input:
        realistic_set=paths.REALISTIC_SET,
        sep_realistic=paths.SEP_REALISTIC,
        bh_realistic=expand(
            paths.PREDICTIONS_REALISTIC, sigma=NEAREST_SIGMA, realisation=REALISATIONS
        ),
        offcentre_sets=expand(paths.OFFCENTRE_SET, radius=RADII),
        sep_offcentre=expand(paths.SEP_OFFCENTRE, radius=RADII),
        bh_offcentre=expand(
            paths.PREDICTIONS_OFFCENTRE,
            radius=RADII,
            sigma=NEAREST_SIGMA,
            realisation=REALISATIONS,
        ),
    output:
        table=paths.TABLES["centring"],
        png=report(
            paths.FIGURES["centring"] + ".png",
            caption="../report/fig_centring.rst",
            category="Figures",
            subcategory="Centring",
            labels={"figure": "accuracy against the centring error"},
        ),
        pdf=paths.FIGURES["centring"] + ".pdf",
    log:
        paths.log("evaluate/centring_table"),
    benchmark:
        paths.benchmark("evaluate/centring_table")
    conda:
        CONDA_ENV
    resources:
        mem_mb=layout.SMALL_JOB_MB,
        runtime=10,
    params:
        radii=RADII,
        realisations=REALISATIONS,
        sigma=NEAREST_SIGMA,
        close_separation=config["stamp"]["close_separation"],
    script:
        "../workflow/scripts/centring_table.py"
