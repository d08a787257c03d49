"""Rule download_cosmos: the public COSMOS 25.2 sample, via GalSim."""

from blendhunter.logs import run
from blendhunter.resources import download_cosmos


def main(smk):
    download_cosmos(smk.output[0])


run(main, snakemake)  # noqa: F821
