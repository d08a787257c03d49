# Shifted test sets, the measured axes of what training did not see: the realistic set's
# first chunks drawn again with one thing changed (the same galaxies, companions and noise
# recipe), {shift} = r<radius> (the central galaxy <radius> px off the centre pixel) or
# psf-<variant> (another PSF); their features, SEP and the models nearest the realistic
# set's noise level on them; a table and a figure per axis.


rule simulate_shifted_chunk:
    input:
        **realistic_flux_inputs(),
        catalogue=layout.CATALOGUE_MANIFEST.format(catalogue="cosmos_real"),
    output:
        paths.SHIFTED_CHUNK,
    log:
        paths.log("simulate/shifted_{shift}_chunk{chunk}"),
    benchmark:
        paths.benchmark("simulate/shifted_{shift}_chunk{chunk}")
    conda:
        CONDA_ENV
    threads: config["compute"]["threads_simulate"]
    resources:
        mem_mb=layout.mem_simulate(config, "realistic"),
        runtime=layout.runtime_minutes(config["realistic"]["chunk_size"], per_second=10),
    params:
        kind="realistic",
        shift=lambda wildcards: wildcards.shift,
        simulation=bh_config.simulation_section(config, "realistic"),
    script:
        "../workflow/scripts/simulate_chunk.py"


WORK_UNITS["simulate_shifted_chunk"] = bh_units.chunk_stamps("realistic")


rule merge_shifted:
    input:
        lambda wildcards: expand(
            paths.SHIFTED_CHUNK,
            shift=wildcards.shift,
            chunk=layout.shifted_chunks(config, wildcards.shift),
        ),
    output:
        paths.SHIFTED_MASTER,
    log:
        paths.log("simulate/merge_shifted_{shift}"),
    benchmark:
        paths.benchmark("simulate/merge_shifted_{shift}")
    conda:
        CONDA_ENV
    resources:
        mem_mb=layout.mem_merge(config, "realistic"),
        runtime=10,
    params:
        kind="realistic",
        shift=lambda wildcards: wildcards.shift,
        n_stamps=lambda wildcards: layout.shifted_stamps(config, wildcards.shift),
    script:
        "../workflow/scripts/merge.py"


WORK_UNITS["merge_shifted"] = bh_units.shifted_stamps


rule shifted_set:
    input:
        paths.SHIFTED_MASTER,
    output:
        paths.SHIFTED_SET,
    log:
        paths.log("simulate/shifted_set_{shift}"),
    benchmark:
        paths.benchmark("simulate/shifted_set_{shift}")
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


WORK_UNITS["shifted_set"] = bh_units.shifted_stamps


rule shifted_features:
    input:
        **layout.engine_model(config),
        stamps=paths.SHIFTED_SET,
        noiseless=paths.SHIFTED_MASTER,
        weights=layout.campaign_weights(config),
    output:
        paths.SHIFTED_FEATURES,
    log:
        paths.log("features/shifted_{shift}"),
    benchmark:
        paths.benchmark("features/shifted_{shift}")
    conda:
        CONDA_ENV
    threads: config["compute"]["threads_tensorflow"]
    resources:
        **layout.gpu_resources(config),
        mem_mb=layout.mem_tensorflow(config),
        runtime=lambda wildcards: layout.runtime_minutes(
            layout.shifted_stamps(config, wildcards.shift),
            per_second=layout.features_rate(config),
        ),
    params:
        features={
            **config["features"],
            "augment": {**config["features"]["augment"], "copies": 0},
        },
    script:
        "../workflow/scripts/features.py"


WORK_UNITS["shifted_features"] = bh_units.shifted_stamps


rule predict_shifted:
    input:
        **paths.scored(config, "shifted"),
        head=f"{paths.MODEL_DIR}/{layout.MODEL_FILES['head']}",
    output:
        paths.PREDICTIONS_SHIFTED,
    log:
        paths.log("predict/shifted_{shift}_sigma{sigma}_real{realisation}"),
    benchmark:
        paths.benchmark("predict/shifted_{shift}_sigma{sigma}_real{realisation}")
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=layout.mem_tensorflow(config),
        runtime=10,
    params:
        threshold=config["classify"]["threshold"],
    script:
        "../workflow/scripts/predict_shifted.py"


WORK_UNITS["predict_shifted"] = bh_units.shifted_stamps


rule sep_shifted:
    input:
        stamps=paths.SHIFTED_SET,
        noiseless=paths.SHIFTED_MASTER,
    output:
        paths.SEP_SHIFTED,
    log:
        paths.log("sep/shifted_{shift}"),
    benchmark:
        paths.benchmark("sep/shifted_{shift}")
    conda:
        CONDA_ENV
    resources:
        mem_mb=layout.SMALL_JOB_MB,
        runtime=lambda wildcards: layout.runtime_minutes(
            layout.shifted_stamps(config, wildcards.shift), per_second=300
        ),
    params:
        sep=config["sep"],
        split="test",
    script:
        "../workflow/scripts/sep.py"


WORK_UNITS["sep_shifted"] = bh_units.shifted_stamps


rule centring_table:
    input:
        **shift_table_inputs(CENTRING_SHIFTS),
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
        axis="centring",
        shifts=CENTRING_SHIFTS,
        realisations=REALISATIONS,
        sigma=NEAREST_SIGMA,
        network=config["network"]["kind"],
        recipe=layout.training_recipe(config),
        close_separation=config["stamp"]["close_separation"],
    script:
        "../workflow/scripts/shift_table.py"


rule psf_shift_table:
    input:
        **shift_table_inputs(PSF_SHIFTS),
    output:
        table=paths.TABLES["psf_shift"],
        png=report(
            paths.FIGURES["psf_shift"] + ".png",
            caption="../report/fig_psf_shift.rst",
            category="Figures",
            subcategory="PSF shift",
            labels={"figure": "accuracy under PSF shift"},
        ),
        pdf=paths.FIGURES["psf_shift"] + ".pdf",
    log:
        paths.log("evaluate/psf_shift_table"),
    benchmark:
        paths.benchmark("evaluate/psf_shift_table")
    conda:
        CONDA_ENV
    resources:
        mem_mb=layout.SMALL_JOB_MB,
        runtime=10,
    params:
        axis="psf_shift",
        shifts=PSF_SHIFTS,
        realisations=REALISATIONS,
        sigma=NEAREST_SIGMA,
        network=config["network"]["kind"],
        recipe=layout.training_recipe(config),
        close_separation=config["stamp"]["close_separation"],
    script:
        "../workflow/scripts/shift_table.py"
