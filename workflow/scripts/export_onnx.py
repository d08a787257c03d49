"""Rule vgg16_onnx: the Keras VGG-16 conv base exported once to ONNX."""

from blendhunter import engine
from blendhunter.logs import run


def main(smk):
    engine.export_onnx(smk.input.weights, smk.output[0])


run(main, snakemake)  # noqa: F821
