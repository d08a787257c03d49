"""Rule vgg16_onnx: the Keras VGG-16 conv base exported once to ONNX, up to features.layer."""

from blendhunter.logs import run
from blendhunter.network import engine


def main(smk):
    engine.export_onnx(smk.input.weights, smk.output[0], smk.params.layer)


run(main, snakemake)  # noqa: F821
