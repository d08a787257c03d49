"""Rule download_cosmos: the public COSMOS 25.2 sample (resumed, checked, unpacked)."""

from blendhunter.logs import run
from blendhunter.workflow.inputs import download_cosmos


def main(smk):
    download_cosmos(smk.output[0], smk.params.download)


run(main, snakemake)  # noqa: F821
