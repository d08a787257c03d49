# Fetched inputs: VGG-16 ImageNet weights and the two COSMOS catalogues.


def catalogue_inputs(wildcards):
    """A catalogue with no local path comes from the public download."""
    if config["resources"][wildcards.catalogue]["path"] is None:
        return {"download": wf.COSMOS_DOWNLOAD}
    return {}


rule vgg16_weights:
    output:
        wf.VGG16_WEIGHTS,
    params:
        spec=config["resources"]["vgg16_weights"],
    log:
        "results/logs/resources/vgg16_weights.log",
    benchmark:
        "results/benchmarks/resources/vgg16_weights.tsv"
    conda:
        CONDA_ENV
    resources:
        mem_mb=1000,
        runtime=30,
    script:
        "../workflow/scripts/fetch_vgg16.py"


rule download_cosmos:
    output:
        directory(wf.COSMOS_DOWNLOAD),
    log:
        "results/logs/resources/download_cosmos.log",
    benchmark:
        "results/benchmarks/resources/download_cosmos.tsv"
    conda:
        CONDA_ENV
    resources:
        mem_mb=1000,
        runtime=240,
    script:
        "../workflow/scripts/download_cosmos.py"


rule catalogue:
    input:
        unpack(catalogue_inputs),
    output:
        wf.CATALOGUE_MANIFEST,
    wildcard_constraints:
        catalogue="cosmos_parametric|cosmos_real",
    params:
        entry=lambda wildcards: config["resources"][wildcards.catalogue],
    log:
        "results/logs/resources/{catalogue}.log",
    benchmark:
        "results/benchmarks/resources/{catalogue}.tsv"
    conda:
        CONDA_ENV
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        "../workflow/scripts/check_catalogue.py"
