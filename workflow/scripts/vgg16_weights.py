"""Rule vgg16_weights: copy (or download) and check the VGG-16 conv weights."""

from blendhunter.logs import run
from blendhunter.workflow.inputs import fetch_vgg16_weights


def main(smk):
    fetch_vgg16_weights(smk.params.spec, smk.output[0], smk.params.download)


run(main, snakemake)  # noqa: F821
