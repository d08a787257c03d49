# VGG-16 bottleneck features, cached in HDF5: one file per noisy parametric set,
# one for the realistic set (shared by every head).


rule parametric_features:
    input:
        stamps=wf.PARAMETRIC_SET,
        noiseless=wf.PARAMETRIC_MASTER,
        weights=wf.VGG16_WEIGHTS,
    output:
        wf.PARAMETRIC_FEATURES,
    log:
        "results/logs/features/parametric_sigma{sigma}_real{realisation}.log",
    benchmark:
        "results/benchmarks/features/parametric_sigma{sigma}_real{realisation}.tsv"
    conda:
        CONDA_ENV
    threads: config["compute"]["threads_tensorflow"]
    resources:
        **wf.gpu_resources(config),
        mem_mb=wf.mem_tensorflow(config),
        runtime=wf.runtime_minutes(config["parametric"]["n_stamps"], per_second=25),
    params:
        features=config["features"],
    script:
        "../workflow/scripts/extract_features.py"


rule realistic_features:
    input:
        stamps=wf.REALISTIC_SET,
        noiseless=wf.REALISTIC_MASTER,
        weights=wf.VGG16_WEIGHTS,
    output:
        wf.REALISTIC_FEATURES,
    log:
        "results/logs/features/realistic.log",
    benchmark:
        "results/benchmarks/features/realistic.tsv"
    conda:
        CONDA_ENV
    threads: config["compute"]["threads_tensorflow"]
    resources:
        **wf.gpu_resources(config),
        mem_mb=wf.mem_tensorflow(config),
        runtime=wf.runtime_minutes(config["realistic"]["n_stamps"], per_second=25),
    params:
        features={
            **config["features"],
            "augment": {**config["features"]["augment"], "copies": 0},
        },
    script:
        "../workflow/scripts/extract_features.py"
