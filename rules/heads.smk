# One dense head per (sigma, realisation) training set, and its predictions on
# its own test split and on the realistic set.


rule train_head:
    input:
        **paths.int8_calibration(config, "input"),
        features=paths.PARAMETRIC_FEATURES,
    output:
        **{key: f"{paths.MODEL_DIR}/{name}" for key, name in layout.MODEL_FILES.items()},
        **paths.int8_calibration(config, "output"),
    log:
        paths.log("train/sigma{sigma}_real{realisation}"),
    benchmark:
        paths.benchmark("train/sigma{sigma}_real{realisation}")
    conda:
        CONDA_ENV
    threads: config["compute"]["threads_training"]
    resources:
        **layout.gpu_resources(config),
        mem_mb=layout.mem_tensorflow(config),
        runtime=layout.runtime_minutes(
            config["parametric"]["n_stamps"] * 100, per_second=20000
        ),
    params:
        training=lambda wildcards: layout.training_settings(config, wildcards.sigma),
        threshold=config["classify"]["threshold"],
        int8_calibration=layout.int8_calibration(config, "params"),
    script:
        "../workflow/scripts/train_head.py"


WORK_UNITS["train_head"] = bh_units.head_training(paths.MODEL_DIR)


# One job per head, so TensorFlow loads once: its predictions on its own test split
# and on the realistic set, and its temperature scaling and F1-best thresholds
# fitted on its validation split (never on a test set; `classify --calibrated`).
rule predict:
    input:
        head=f"{paths.MODEL_DIR}/{layout.MODEL_FILES['head']}",
        features=paths.PARAMETRIC_FEATURES,
        realistic_features=paths.REALISTIC_FEATURES,
    output:
        test=paths.PREDICTIONS_TEST,
        realistic=paths.PREDICTIONS_REALISTIC,
        validation=paths.PREDICTIONS_VALIDATION,
        calibration=paths.CALIBRATION,
    log:
        paths.log("predict/sigma{sigma}_real{realisation}"),
    benchmark:
        paths.benchmark("predict/sigma{sigma}_real{realisation}")
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=layout.mem_tensorflow(config),
        runtime=10,
    params:
        threshold=config["classify"]["threshold"],
    script:
        "../workflow/scripts/predict.py"


WORK_UNITS["predict"] = bh_units.predictions(bh_units.realistic_stamps)
