"""Rule catalogue: open a COSMOS catalogue as the simulation will; write its manifest."""

import logging

from blendhunter.logs import run
from blendhunter.workflow.inputs import COSMOS_DOWNLOAD_DIR, catalogue_manifest


def main(smk):
    entry = smk.params.entry
    directory = entry["path"] or f"{smk.input.download}/{COSMOS_DOWNLOAD_DIR}"
    manifest = catalogue_manifest(smk.wildcards.catalogue, directory, entry["file_name"], smk.output[0])
    logging.getLogger(__name__).info("catalogue: %s", manifest)


run(main, snakemake)  # noqa: F821
