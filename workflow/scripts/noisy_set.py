"""Rules parametric_set, realistic_set: a noisy set as metadata + noise recipe."""

from blendhunter.logs import run
from blendhunter.simulation import seeds, stamps


def main(smk):
    cfg = smk.config
    noise_seed = (
        cfg["seed"] if smk.params.kind == "parametric" else seeds.integer_seed(cfg["seed"], seeds.REALISTIC)
    )
    stamps.write_noisy_set(
        smk.output[0],
        smk.input[0],
        sigma=smk.params.sigma,
        realisation=smk.params.realisation,
        seed=noise_seed,
        attrs={},
    )


run(main, snakemake)  # noqa: F821
