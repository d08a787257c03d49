"""Rule vgg16_random: VGG-16 weights of Keras' default initialisation, seeded."""

from blendhunter.logs import run
from blendhunter.workflow.inputs import random_vgg16_weights


def main(smk):
    random_vgg16_weights(smk.input.template, smk.output[0], smk.config["seed"])


run(main, snakemake)  # noqa: F821
