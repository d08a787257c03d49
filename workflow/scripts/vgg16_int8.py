"""Rule vgg16_int8: static int8 quantization, calibrated on training stamps."""

from blendhunter.logs import run
from blendhunter.network import engine, features


def main(smk):
    p = smk.params
    inputs = features.calibration_inputs(
        smk.input.master, p.sigmas, smk.config["seed"], p.n_stamps, p.preprocessing
    )
    engine.quantize_int8(smk.input.model, inputs, smk.output[0])


run(main, snakemake)  # noqa: F821
