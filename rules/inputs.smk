# Fetched inputs: VGG-16 ImageNet weights and the two COSMOS catalogues; the
# seeded random weights of the same architecture (features.weights: random, and
# the pre-training ablation).


rule vgg16_weights:
    output:
        layout.VGG16_WEIGHTS,
    log:
        paths.log("resources/vgg16_weights"),
    benchmark:
        paths.benchmark("resources/vgg16_weights")
    conda:
        CONDA_ENV
    resources:
        mem_mb=layout.SMALL_JOB_MB,
        runtime=30,
    params:
        spec=config["resources"]["vgg16_weights"],
        download=config["resources"]["downloads"]["vgg16"],
    script:
        "../workflow/scripts/vgg16_weights.py"


rule download_cosmos:
    output:
        directory(layout.COSMOS_DOWNLOAD),
    log:
        paths.log("resources/download_cosmos"),
    benchmark:
        paths.benchmark("resources/download_cosmos")
    conda:
        CONDA_ENV
    resources:
        mem_mb=layout.SMALL_JOB_MB,
        runtime=240,
    params:
        download=config["resources"]["downloads"]["cosmos"],
    script:
        "../workflow/scripts/download_cosmos.py"


rule catalogue:
    input:
        unpack(catalogue_inputs),
    output:
        layout.CATALOGUE_MANIFEST,
    log:
        paths.log("resources/{catalogue}"),
    benchmark:
        paths.benchmark("resources/{catalogue}")
    wildcard_constraints:
        catalogue="cosmos_parametric|cosmos_real",
    conda:
        CONDA_ENV
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        entry=lambda wildcards: config["resources"][wildcards.catalogue],
    script:
        "../workflow/scripts/catalogue.py"


rule vgg16_random:
    input:
        template=layout.VGG16_WEIGHTS,
    output:
        layout.VGG16_RANDOM,
    log:
        paths.log("resources/vgg16_random"),
    benchmark:
        paths.benchmark("resources/vgg16_random")
    conda:
        CONDA_ENV
    resources:
        mem_mb=layout.SMALL_JOB_MB,
        runtime=10,
    script:
        "../workflow/scripts/vgg16_random.py"
