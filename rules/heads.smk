# One model per (sigma, realisation) training set, and its predictions on its own
# test split and on the realistic set: a dense head on the set's VGG-16 features
# (network.kind: vgg16-head, the paper's) or a CNN on its stamps (network.kind: cnn).
if not layout.is_cnn(config):

    rule train_head:
        input:
            **paths.int8_calibration(config, "input"),
            features=paths.PARAMETRIC_FEATURES,
        output:
            **{
                key: f"{paths.MODEL_DIR}/{name}"
                for key, name in layout.MODEL_FILES.items()
            },
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
            runtime=layout.training_minutes(config),
        params:
            training=lambda wildcards: layout.training_settings(config, wildcards.sigma),
            threshold=config["classify"]["threshold"],
            int8_calibration=layout.int8_calibration(config, "params"),
        script:
            "../workflow/scripts/train_head.py"

    WORK_UNITS["train_head"] = bh_units.head_training(paths.MODEL_DIR)

else:

    rule train_cnn:
        input:
            stamps=paths.PARAMETRIC_SET,
            noiseless=paths.PARAMETRIC_MASTER,
        output:
            **{
                key: f"{paths.MODEL_DIR}/{name}"
                for key, name in layout.MODEL_FILES.items()
            },
        log:
            paths.log("train/sigma{sigma}_real{realisation}"),
        benchmark:
            paths.benchmark("train/sigma{sigma}_real{realisation}")
        conda:
            CONDA_ENV
        threads: config["compute"]["threads_tensorflow"]
        resources:
            **layout.gpu_resources(config),
            mem_mb=layout.mem_cnn(config),
            runtime=layout.training_minutes(config),
        params:
            settings=config["network"]["cnn"],
            size=config["stamp"]["size"],
            threshold=config["classify"]["threshold"],
        script:
            "../workflow/scripts/train_cnn.py"

    WORK_UNITS["train_cnn"] = bh_units.cnn_training(paths.MODEL_DIR)


# One job per head, so TensorFlow loads once: its predictions on its own test split
# and on the realistic set, and its temperature scaling and F1-best thresholds
# fitted on its validation split (never on a test set; `classify --calibrated`).
rule predict:
    input:
        **paths.scored(config, "parametric"),
        **paths.scored(config, "realistic", "realistic_"),
        head=f"{paths.MODEL_DIR}/{layout.MODEL_FILES['head']}",
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
