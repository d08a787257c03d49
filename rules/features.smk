# VGG-16 bottleneck features, cached in HDF5: one file per noisy parametric set,
# one for the realistic set (shared by every head), from the conv base with
# features.weights. The ONNX engine's model is exported once per weights file
# (and quantized once, for int8), up to features.layer.
NETWORK_MODELS = layout.exported_models(
    f"{layout.NETWORK}.h5", config["features"]["layer"]
)


rule vgg16_onnx:
    input:
        weights=f"{layout.NETWORK}.h5",
    output:
        NETWORK_MODELS["float32"],
    log:
        paths.log("resources/{network}_onnx"),
    benchmark:
        paths.benchmark("resources/{network}_onnx")
    conda:
        CONDA_ENV
    resources:
        mem_mb=4000,
        runtime=15,
    params:
        layer=config["features"]["layer"],
    script:
        "../workflow/scripts/vgg16_onnx.py"


rule vgg16_int8:
    input:
        model=NETWORK_MODELS["float32"],
        master=paths.PARAMETRIC_MASTER,
    output:
        NETWORK_MODELS["int8"],
    log:
        paths.log("resources/{network}_int8"),
    benchmark:
        paths.benchmark("resources/{network}_int8")
    conda:
        CONDA_ENV
    threads: config["compute"]["threads_tensorflow"]
    resources:
        mem_mb=6000,
        runtime=20,
    params:
        sigmas=config["parametric"]["sigmas"],
        n_stamps=config["features"]["calibration_stamps"],
        preprocessing=config["features"]["preprocessing"],
    script:
        "../workflow/scripts/vgg16_int8.py"


rule parametric_features:
    input:
        **layout.engine_model(config),
        stamps=paths.PARAMETRIC_SET,
        noiseless=paths.PARAMETRIC_MASTER,
        weights=layout.campaign_weights(config),
    output:
        paths.PARAMETRIC_FEATURES,
    log:
        paths.log("features/parametric_sigma{sigma}_real{realisation}"),
    benchmark:
        paths.benchmark("features/parametric_sigma{sigma}_real{realisation}")
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
        features=config["features"],
    script:
        "../workflow/scripts/features.py"


WORK_UNITS["parametric_features"] = bh_units.parametric_features


rule realistic_features:
    input:
        **layout.engine_model(config),
        stamps=paths.REALISTIC_SET,
        noiseless=paths.REALISTIC_MASTER,
        weights=layout.campaign_weights(config),
    output:
        paths.REALISTIC_FEATURES,
    log:
        paths.log("features/realistic"),
    benchmark:
        paths.benchmark("features/realistic")
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
        features={
            **config["features"],
            "augment": {**config["features"]["augment"], "copies": 0},
        },
    script:
        "../workflow/scripts/features.py"


WORK_UNITS["realistic_features"] = bh_units.realistic_stamps
