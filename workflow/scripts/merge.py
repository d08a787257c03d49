"""Rules merge_*: gather the chunks into the noiseless master of a set (a shifted
set: the realistic set's first chunks, one thing changed)."""

import logging

from blendhunter.logs import run
from blendhunter.simulation import splits, stamps
from blendhunter.workflow import config as bh_config
from blendhunter.workflow import layout


def main(smk):
    kind, cfg = smk.params.kind, smk.config
    if getattr(smk.params, "shift", None) is not None:
        cfg = layout.shifted_config(cfg, smk.params.shift)
    section = cfg[kind]
    split = section.get("split")  # the realistic set is all test
    labels, codes = splits.labels_and_split(
        section["n_stamps"], section["blend_fraction"], split, cfg["seed"], kind
    )
    n_stamps = getattr(smk.params, "n_stamps", None) or section["n_stamps"]  # the first ones
    labels, codes = labels[:n_stamps], codes[:n_stamps]
    digest = bh_config.digest(bh_config.simulation_section(cfg, kind))
    attrs = stamps.stamp_attrs(cfg, kind, digest)
    attrs["n_stamps"] = n_stamps
    stamps.merge_chunks(list(smk.input), smk.output[0], {"split": codes}, attrs)
    meta = stamps.read_meta(smk.output[0])
    if (meta["label"].to_numpy() != labels).any():
        raise RuntimeError("chunk labels disagree with the set's labels: rerun the chunks")
    log = logging.getLogger(__name__)
    log.info("%s set: %s", kind, stamps.describe(meta, cfg["stamp"]["close_separation"]))
    log.info("splits: %s", stamps.split_name_counts(meta))


run(main, snakemake)  # noqa: F821
