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
        stamps=layout.PARAMETRIC_SET,
        noiseless=layout.PARAMETRIC_MASTER,
        weights=layout.VGG16_RANDOM,
    output:
        layout.RANDOM_FEATURES,
    log:
        "results/logs/pretraining/features_sigma{sigma}_real{realisation}.log",
    benchmark:
        "results/benchmarks/pretraining/features_sigma{sigma}_real{realisation}.tsv"
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
        stamps=layout.REALISTIC_SET,
        noiseless=layout.REALISTIC_MASTER,
        weights=layout.VGG16_RANDOM,
    output:
        layout.RANDOM_REALISTIC_FEATURES,
    log:
        "results/logs/pretraining/features_realistic.log",
    benchmark:
        "results/benchmarks/pretraining/features_realistic.tsv"
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
        features=layout.RANDOM_FEATURES,
    output:
        **{
            key: f"{layout.RANDOM_MODEL_DIR}/{name}"
            for key, name in layout.MODEL_FILES.items()
        },
    log:
        "results/logs/pretraining/train_sigma{sigma}_real{realisation}.log",
    benchmark:
        "results/benchmarks/pretraining/train_sigma{sigma}_real{realisation}.tsv"


WORK_UNITS["random_train_head"] = bh_units.head_training(
    layout.RANDOM_MODEL_DIR, augmented=False
)


use rule predict as random_predict with:
    input:
        head=f"{layout.RANDOM_MODEL_DIR}/{layout.MODEL_FILES['head']}",
        features=layout.RANDOM_FEATURES,
        realistic_features=layout.RANDOM_REALISTIC_FEATURES,
    output:
        test=layout.RANDOM_PREDICTIONS_TEST,
        realistic=layout.RANDOM_PREDICTIONS_REALISTIC,
        validation=layout.RANDOM_PREDICTIONS_VALIDATION,
        calibration=f"{layout.RANDOM_MODEL_DIR}/{bh_training.CALIBRATION_FILE}",
    log:
        "results/logs/pretraining/predict_sigma{sigma}_real{realisation}.log",
    benchmark:
        "results/benchmarks/pretraining/predict_sigma{sigma}_real{realisation}.tsv"


WORK_UNITS["random_predict"] = bh_units.predictions(
    bh_units.pretraining_realistic_stamps
)


rule pretraining_table:
    input:
        parametric_sets=nearest_level(layout.PARAMETRIC_SET),
        realistic_set=layout.REALISTIC_SET,
        imagenet_test=nearest_level(layout.PREDICTIONS_TEST),
        imagenet_realistic=nearest_level(layout.PREDICTIONS_REALISTIC),
        random_test=nearest_level(layout.RANDOM_PREDICTIONS_TEST),
        random_realistic=nearest_level(layout.RANDOM_PREDICTIONS_REALISTIC),
        sep_test=nearest_level(layout.SEP_TEST),
        sep_realistic=layout.SEP_REALISTIC,
    output:
        table=report(
            layout.TABLES["pretraining"],
            caption="../report/pretraining_table.rst",
            category="Tables",
            subcategory="Scores and calibration",
            labels={"table": "ImageNet vs random VGG-16"},
        ),
        png=report(
            f"{layout.FIGURES['pretraining']}.png",
            caption="../report/fig_pretraining.rst",
            category="Figures",
            subcategory="Scores and calibration",
            labels={"figure": "ImageNet vs random VGG-16"},
        ),
        pdf=f"{layout.FIGURES['pretraining']}.pdf",
    log:
        "results/logs/pretraining/table.log",
    benchmark:
        "results/benchmarks/pretraining/table.tsv"
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
