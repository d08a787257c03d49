# One dense head per (sigma, realisation) training set, and its predictions on
# its own test split and on the realistic set.


rule train_head:
    input:
        features=wf.PARAMETRIC_FEATURES,
    output:
        **{key: f"{wf.MODEL_DIR}/{name}" for key, name in wf.MODEL_FILES.items()},
    log:
        "results/logs/train/sigma{sigma}_real{realisation}.log",
    benchmark:
        "results/benchmarks/train/sigma{sigma}_real{realisation}.tsv"
    conda:
        CONDA_ENV
    threads: config["compute"]["threads_training"]
    resources:
        **wf.gpu_resources(config),
        mem_mb=wf.mem_tensorflow(config),
        runtime=wf.runtime_minutes(
            config["parametric"]["n_stamps"] * 100, per_second=20000
        ),
    params:
        training=lambda wildcards: wf.training_settings(config, wildcards.sigma),
        threshold=config["classify"]["threshold"],
    script:
        "../workflow/scripts/train_head.py"


WORK_UNITS["train_head"] = bh_units.head_training(wf.MODEL_DIR)


# One job per head, so TensorFlow loads once: its predictions on its own test split
# and on the realistic set, and its temperature scaling and F1-best thresholds
# fitted on its validation split (never on a test set; `classify --calibrated`).
rule predict:
    input:
        head=f"{wf.MODEL_DIR}/{wf.MODEL_FILES['head']}",
        features=wf.PARAMETRIC_FEATURES,
        realistic_features=wf.REALISTIC_FEATURES,
    output:
        test=wf.PREDICTIONS_TEST,
        realistic=wf.PREDICTIONS_REALISTIC,
        validation=wf.PREDICTIONS_VALIDATION,
        calibration=wf.CALIBRATION,
    log:
        "results/logs/predict/sigma{sigma}_real{realisation}.log",
    benchmark:
        "results/benchmarks/predict/sigma{sigma}_real{realisation}.tsv"
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=wf.mem_tensorflow(config),
        runtime=10,
    params:
        threshold=config["classify"]["threshold"],
    script:
        "../workflow/scripts/predict.py"


WORK_UNITS["predict"] = bh_units.predictions(bh_units.realistic_stamps)
