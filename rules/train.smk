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
    threads: config["compute"]["threads_tensorflow"]
    resources:
        **wf.gpu_resources(config),
        mem_mb=wf.mem_tensorflow(config),
        runtime=wf.runtime_minutes(
            config["parametric"]["n_stamps"] * 100, per_second=20000
        ),
    params:
        training=lambda wildcards: wf.training_settings(config, wildcards.sigma),
    script:
        "../workflow/scripts/train_head.py"


rule predict_test:
    input:
        head=f"{wf.MODEL_DIR}/head.keras",
        features=wf.PARAMETRIC_FEATURES,
    output:
        wf.PREDICTIONS_TEST,
    log:
        "results/logs/predict/test_sigma{sigma}_real{realisation}.log",
    benchmark:
        "results/benchmarks/predict/test_sigma{sigma}_real{realisation}.tsv"
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=wf.mem_tensorflow(config),
        runtime=10,
    params:
        split="test",
        threshold=config["classify"]["threshold"],
    script:
        "../workflow/scripts/predict.py"


rule predict_realistic:
    input:
        head=f"{wf.MODEL_DIR}/head.keras",
        features=wf.REALISTIC_FEATURES,
    output:
        wf.PREDICTIONS_REALISTIC,
    log:
        "results/logs/predict/realistic_sigma{sigma}_real{realisation}.log",
    benchmark:
        "results/benchmarks/predict/realistic_sigma{sigma}_real{realisation}.tsv"
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=wf.mem_tensorflow(config),
        runtime=10,
    params:
        split=None,
        threshold=config["classify"]["threshold"],
    script:
        "../workflow/scripts/predict.py"


# Temperature scaling and the F1-best thresholds of one head, fitted on its
# validation split (never on a test set); `blendhunter classify --calibrated` reads it.
rule calibrate:
    input:
        head=f"{wf.MODEL_DIR}/head.keras",
        features=wf.PARAMETRIC_FEATURES,
    output:
        wf.CALIBRATION,
    log:
        "results/logs/calibrate/sigma{sigma}_real{realisation}.log",
    benchmark:
        "results/benchmarks/calibrate/sigma{sigma}_real{realisation}.tsv"
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=wf.mem_tensorflow(config),
        runtime=10,
    script:
        "../workflow/scripts/calibrate.py"
