"""Rules simulate_*_chunk: draw one chunk of noiseless padded stamps (a shifted chunk:
the realistic chunk's galaxies, their centring or PSF changed)."""

import json
import logging

from blendhunter.logs import run
from blendhunter.simulation import simulate, splits, stamps
from blendhunter.workflow import config as bh_config
from blendhunter.workflow import layout


def main(smk):
    kind, cfg = smk.params.kind, smk.config
    if getattr(smk.params, "shift", None) is not None:
        cfg = layout.shifted_config(cfg, smk.params.shift)
    manifest = json.loads(open(smk.input.catalogue).read())
    source = simulate.GalaxySource(
        manifest["dir"], manifest["file_name"], simulate.GAL_TYPE[kind], seed=cfg["seed"]
    )
    section = cfg[kind]
    start, stop = splits.chunk_bounds(section["n_stamps"], section["chunk_size"])[int(smk.wildcards.chunk)]
    labels, _ = splits.labels_and_split(
        section["n_stamps"], section["blend_fraction"], None, cfg["seed"], kind
    )
    logging.getLogger(__name__).info(
        "drawing %s stamps %d..%d from %s", kind, start, stop - 1, manifest["file_name"]
    )
    fluxes = None
    if kind == "realistic" and section["flux_distribution"] == "parametric":
        parametric = json.loads(open(smk.input.parametric_catalogue).read())
        fluxes = simulate.ParametricFluxes(
            simulate.GalaxySource(parametric["dir"], parametric["file_name"], "parametric", seed=cfg["seed"])
        )
    images, columns = simulate.draw_chunk(start, stop, labels, source, kind, cfg, fluxes)
    digest = bh_config.digest(bh_config.simulation_section(cfg, kind))
    attrs = stamps.stamp_attrs(cfg, kind, digest)
    attrs.update(first_index=start, catalogue_md5=manifest["md5"])
    stamps.write_images(smk.output[0], images, columns, attrs)


run(main, snakemake)  # noqa: F821
