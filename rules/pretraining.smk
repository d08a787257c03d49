# Does ImageNet pre-training matter? The noise level nearest the realistic one is
# trained again on features of a randomly initialised VGG-16 (same architecture,
# seeded, frozen; the configured engine), with the same splits and head seeds, and
# compared with the ImageNet heads (config: pretraining.compare_random).


RANDOM_FEATURES_PARAMS = {
    **config["features"],
    "weights": "random",
    "augment": {**config["features"]["augment"], "copies": 0},
}


rule random_parametric_features:
    input:
        **layout.engine_model(config, layout.VGG16_RANDOM),
        stamps=paths.PARAMETRIC_SET,
        noiseless=paths.PARAMETRIC_MASTER,
        weights=layout.VGG16_RANDOM,
    output:
        paths.RANDOM_FEATURES,
    log:
        paths.log("pretraining/features_sigma{sigma}_real{realisation}"),
    benchmark:
        paths.benchmark("pretraining/features_sigma{sigma}_real{realisation}")
    conda:
        CONDA_ENV
    threads: config["compute"]["threads_tensorflow"]
    resources:
        **layout.gpu_resources(config),
        mem_mb=layout.mem_tensorflow(config),
        runtime=layout.runtime_minutes(
            config["parametric"]["n_stamps"], per_second=layout.features_rate(config)
        ),
    params:
        features=RANDOM_FEATURES_PARAMS,
    script:
        "../workflow/scripts/features.py"


WORK_UNITS["random_parametric_features"] = bh_units.parametric_stamps


rule random_realistic_features:
    input:
        **layout.engine_model(config, layout.VGG16_RANDOM),
        stamps=paths.REALISTIC_SET,
        noiseless=paths.REALISTIC_MASTER,
        weights=layout.VGG16_RANDOM,
    output:
        paths.RANDOM_REALISTIC_FEATURES,
    log:
        paths.log("pretraining/features_realistic"),
    benchmark:
        paths.benchmark("pretraining/features_realistic")
    conda:
        CONDA_ENV
    threads: config["compute"]["threads_tensorflow"]
    resources:
        **layout.gpu_resources(config),
        mem_mb=layout.mem_tensorflow(config),
        runtime=layout.runtime_minutes(
            config["realistic"]["n_stamps"], per_second=layout.features_rate(config)
        ),
    params:
        features=RANDOM_FEATURES_PARAMS,
        first=layout.pretraining_realistic_stamps(config),
    script:
        "../workflow/scripts/features.py"


WORK_UNITS["random_realistic_features"] = bh_units.pretraining_realistic_stamps


use rule train_head as random_train_head with:
    input:
        features=paths.RANDOM_FEATURES,
    output:
        **{
            key: f"{paths.RANDOM_MODEL_DIR}/{name}"
            for key, name in layout.MODEL_FILES.items()
        },
    log:
        paths.log("pretraining/train_sigma{sigma}_real{realisation}"),
    benchmark:
        paths.benchmark("pretraining/train_sigma{sigma}_real{realisation}")


WORK_UNITS["random_train_head"] = bh_units.head_training(
    paths.RANDOM_MODEL_DIR, augmented=False
)


use rule predict as random_predict with:
    input:
        head=f"{paths.RANDOM_MODEL_DIR}/{layout.MODEL_FILES['head']}",
        features=paths.RANDOM_FEATURES,
        realistic_features=paths.RANDOM_REALISTIC_FEATURES,
    output:
        test=paths.RANDOM_PREDICTIONS_TEST,
        realistic=paths.RANDOM_PREDICTIONS_REALISTIC,
        validation=paths.RANDOM_PREDICTIONS_VALIDATION,
        calibration=f"{paths.RANDOM_MODEL_DIR}/{bh_training.CALIBRATION_FILE}",
    log:
        paths.log("pretraining/predict_sigma{sigma}_real{realisation}"),
    benchmark:
        paths.benchmark("pretraining/predict_sigma{sigma}_real{realisation}")


WORK_UNITS["random_predict"] = bh_units.predictions(
    bh_units.pretraining_realistic_stamps
)


rule pretraining_table:
    input:
        parametric_sets=nearest_level(paths.PARAMETRIC_SET),
        realistic_set=paths.REALISTIC_SET,
        imagenet_test=nearest_level(paths.PREDICTIONS_TEST),
        imagenet_realistic=nearest_level(paths.PREDICTIONS_REALISTIC),
        random_test=nearest_level(paths.RANDOM_PREDICTIONS_TEST),
        random_realistic=nearest_level(paths.RANDOM_PREDICTIONS_REALISTIC),
        sep_test=nearest_level(paths.SEP_TEST),
        sep_realistic=paths.SEP_REALISTIC,
    output:
        table=report(
            paths.TABLES["pretraining"],
            caption="../report/pretraining_table.rst",
            category="Tables",
            subcategory="Scores and calibration",
            labels={"table": "ImageNet vs random VGG-16"},
        ),
        png=report(
            f"{paths.FIGURES['pretraining']}.png",
            caption="../report/fig_pretraining.rst",
            category="Figures",
            subcategory="Scores and calibration",
            labels={"figure": "ImageNet vs random VGG-16"},
        ),
        pdf=f"{paths.FIGURES['pretraining']}.pdf",
    log:
        paths.log("pretraining/table"),
    benchmark:
        paths.benchmark("pretraining/table")
    conda:
        CONDA_ENV
    resources:
        mem_mb=layout.SMALL_JOB_MB,
        runtime=10,
    params:
        sigma=NEAREST_SIGMA,
        realistic_stamps=layout.pretraining_realistic_stamps(config),
        threshold=config["classify"]["threshold"],
        close_separation=config["stamp"]["close_separation"],
    script:
        "../workflow/scripts/pretraining_table.py"
