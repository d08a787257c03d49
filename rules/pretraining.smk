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
        **wf.engine_model(config, wf.VGG16_RANDOM),
        stamps=wf.PARAMETRIC_SET,
        noiseless=wf.PARAMETRIC_MASTER,
        weights=wf.VGG16_RANDOM,
    output:
        wf.RANDOM_FEATURES,
    log:
        "results/logs/pretraining/features_sigma{sigma}_real{realisation}.log",
    benchmark:
        "results/benchmarks/pretraining/features_sigma{sigma}_real{realisation}.tsv"
    conda:
        CONDA_ENV
    threads: config["compute"]["threads_tensorflow"]
    resources:
        **wf.gpu_resources(config),
        mem_mb=wf.mem_tensorflow(config),
        runtime=wf.runtime_minutes(
            config["parametric"]["n_stamps"], per_second=wf.features_rate(config)
        ),
    params:
        features=RANDOM_FEATURES_PARAMS,
    script:
        "../workflow/scripts/extract_features.py"


WORK_UNITS["random_parametric_features"] = bh_units.parametric_stamps


rule random_realistic_features:
    input:
        **wf.engine_model(config, wf.VGG16_RANDOM),
        stamps=wf.REALISTIC_SET,
        noiseless=wf.REALISTIC_MASTER,
        weights=wf.VGG16_RANDOM,
    output:
        wf.RANDOM_REALISTIC_FEATURES,
    log:
        "results/logs/pretraining/features_realistic.log",
    benchmark:
        "results/benchmarks/pretraining/features_realistic.tsv"
    conda:
        CONDA_ENV
    threads: config["compute"]["threads_tensorflow"]
    resources:
        **wf.gpu_resources(config),
        mem_mb=wf.mem_tensorflow(config),
        runtime=wf.runtime_minutes(
            config["realistic"]["n_stamps"], per_second=wf.features_rate(config)
        ),
    params:
        features=RANDOM_FEATURES_PARAMS,
        first=wf.pretraining_realistic_stamps(config),
    script:
        "../workflow/scripts/extract_features.py"


WORK_UNITS["random_realistic_features"] = bh_units.pretraining_realistic_stamps


use rule train_head as random_train_head with:
    input:
        features=wf.RANDOM_FEATURES,
    output:
        **{key: f"{wf.RANDOM_MODEL_DIR}/{name}" for key, name in wf.MODEL_FILES.items()},
    log:
        "results/logs/pretraining/train_sigma{sigma}_real{realisation}.log",
    benchmark:
        "results/benchmarks/pretraining/train_sigma{sigma}_real{realisation}.tsv"


WORK_UNITS["random_train_head"] = bh_units.head_training(
    wf.RANDOM_MODEL_DIR, augmented=False
)


use rule predict as random_predict with:
    input:
        head=f"{wf.RANDOM_MODEL_DIR}/{wf.MODEL_FILES['head']}",
        features=wf.RANDOM_FEATURES,
        realistic_features=wf.RANDOM_REALISTIC_FEATURES,
    output:
        test=wf.RANDOM_PREDICTIONS_TEST,
        realistic=wf.RANDOM_PREDICTIONS_REALISTIC,
        validation=wf.RANDOM_PREDICTIONS_VALIDATION,
        calibration=f"{wf.RANDOM_MODEL_DIR}/{bh_training.CALIBRATION_FILE}",
    log:
        "results/logs/pretraining/predict_sigma{sigma}_real{realisation}.log",
    benchmark:
        "results/benchmarks/pretraining/predict_sigma{sigma}_real{realisation}.tsv"


WORK_UNITS["random_predict"] = bh_units.predictions(
    bh_units.pretraining_realistic_stamps
)


rule pretraining_table:
    input:
        parametric_sets=nearest_level(wf.PARAMETRIC_SET),
        realistic_set=wf.REALISTIC_SET,
        imagenet_test=nearest_level(wf.PREDICTIONS_TEST),
        imagenet_realistic=nearest_level(wf.PREDICTIONS_REALISTIC),
        random_test=nearest_level(wf.RANDOM_PREDICTIONS_TEST),
        random_realistic=nearest_level(wf.RANDOM_PREDICTIONS_REALISTIC),
        sep_test=nearest_level(wf.SEP_TEST),
        sep_realistic=wf.SEP_REALISTIC,
    output:
        table=report(
            wf.TABLES["pretraining"],
            caption="../report/pretraining_table.rst",
            category="Tables",
            subcategory="Scores and calibration",
            labels={"table": "ImageNet vs random VGG-16"},
        ),
        png=report(
            f"{wf.FIGURES['pretraining']}.png",
            caption="../report/fig_pretraining.rst",
            category="Figures",
            subcategory="Scores and calibration",
            labels={"figure": "ImageNet vs random VGG-16"},
        ),
        pdf=f"{wf.FIGURES['pretraining']}.pdf",
    log:
        "results/logs/pretraining/table.log",
    benchmark:
        "results/benchmarks/pretraining/table.tsv"
    conda:
        CONDA_ENV
    resources:
        mem_mb=wf.SMALL_JOB_MB,
        runtime=10,
    params:
        sigma=NEAREST_SIGMA,
        realisations=PRETRAINING_REALISATIONS,
        realistic_stamps=wf.pretraining_realistic_stamps(config),
        threshold=config["classify"]["threshold"],
        close_separation=config["stamp"]["close_separation"],
    script:
        "../workflow/scripts/pretraining_table.py"
